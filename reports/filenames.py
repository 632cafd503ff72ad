"""Safe, unique file names for report pages and charts, made from place names."""

from __future__ import annotations

import re
import unicodedata


def safe_filename(text: str, *, limit: int = 60) -> str:
    """A file-name stem from a place name: ASCII letters, digits and single dashes only, so no
    path separator, no `..`, no leading dot and nothing a shell or mail client misreads.
    `Fada N'gourma/../Est` -> `fada-n-gourma-est`. Never empty."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    stem = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:limit].strip("-")
    return stem or "unnamed"


def unique_filename(stem: str, taken: set[str]) -> str:
    """`stem`, or `stem-2`, `stem-3`... when two places reduce to the same safe name."""
    candidate, number = stem, 1
    while candidate in taken:
        number += 1
        candidate = f"{stem}-{number}"
    taken.add(candidate)
    return candidate
