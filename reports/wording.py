"""How the report names things: places, tiers, months, alert kinds, and safe file names."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

import pandas as pd

#: Settlement tiers (forecasting.events.TIERS) in the analyst's words. In Burkina Faso the
#: admin2 capitals are the provincial capitals and the admin3 seats the commune centres.
TIER_LABELS = {
    "national_capital": "National capital",
    "admin1_capital": "Regional (admin1) capitals",
    "admin2_capital": "Provincial (admin2) capitals",
    "admin3_seat": "Commune (admin3) seats",
    "other": "Elsewhere",
}

KIND_LABELS = {
    "surge": "Surge",
    "drop": "Drop",
    "record": "Record",
    "tier_shift": "Shift between settlement tiers",
    "spread": "Spread",
    "synchronized": "Synchronized attacks",
    "run_rate": "Year-to-date pace",
    "change_point": "Lasting change",
}


def place_name(scope: Mapping[str, str | None], watch_area: str) -> str:
    """`Est, Burkina Faso`, `Burkina Faso`, or the watch area's name when no place is given;
    a tier or actor is added after a dash (`Burkina Faso - Provincial (admin2) capitals`)."""
    parts = [scope.get(key) for key in ("admin2", "admin1", "country") if scope.get(key)]
    name = ", ".join(parts) if parts else watch_area
    if scope.get("tier"):
        name += " - " + TIER_LABELS.get(scope["tier"], scope["tier"])
    if scope.get("actor"):
        name += " - " + scope["actor"]
    return name


def month_label(period: pd.Timestamp | str) -> str:
    """`May 2025` for a month; `1-14 May 2025` style is built by the caller for partial months."""
    return pd.Timestamp(period).strftime("%B %Y")


def period_label(period: str) -> str:
    """An alert period in words: `May 2025` for `2025-05`, `1 July 2025` for `2025-07-01`."""
    if len(period) == 7:
        return month_label(period + "-01")
    day = pd.Timestamp(period)
    return f"{day.day} {day.strftime('%B %Y')}"


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


def number(value: float | None) -> str:
    """A count as the report prints it: `1,234`; fractional expectations rounded."""
    if value is None or pd.isna(value):
        return "-"
    return f"{round(float(value)):,}"
