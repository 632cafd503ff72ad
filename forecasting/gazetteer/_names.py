"""Place-name keys: one spelling-insensitive key per place name.

Sources spell the same town many ways ("Fada N'gourma", "Fada Ngourma", "FADA-N'GOURMA",
"Ségou" / "Segou"). Comparing keys instead of raw names makes those the same, while the raw
names stay untouched in every output.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping

import numpy as np
import pandas as pd

# Apostrophes vanish rather than become spaces: "N'gourma" is written "Ngourma" at least as
# often as "N gourma".
_APOSTROPHES = "'’‘`´ʼʻ"
# Hyphens, dots and brackets separate words: "Bobo-Dioulasso" is also "Bobo Dioulasso".
_SEPARATORS = "-‐‑‒–—―./_,;:()[]"
# Letters that NFKD does not split into base letter + accent.
_LETTERS = {"œ": "oe", "æ": "ae", "ø": "o", "đ": "d", "ł": "l", "ı": "i"}

_TRANSLATION = str.maketrans(
    {**dict.fromkeys(_APOSTROPHES, ""), **dict.fromkeys(_SEPARATORS, " "), **_LETTERS}
)


def normalize_name(name: str) -> str:
    """The comparison key of a place name.

    Case-folded, accents stripped (Unicode NFKD), apostrophes removed, hyphens, dots and
    brackets read as spaces, runs of spaces collapsed, ends trimmed. "Fada N'gourma",
    "Fada Ngourma" and "FADA-N'GOURMA" all give "fada ngourma". A missing name (None, NaN)
    gives "".
    """
    if not isinstance(name, str):
        if name is None or pd.isna(name):
            return ""
        name = str(name)
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    unaccented = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(unaccented.translate(_TRANSLATION).split())


def normalize_names(names: pd.Series) -> pd.Series:
    """`normalize_name` over a Series, same index; missing names give "".

    Normalizes each distinct name once, so a million events with a few thousand distinct
    locations cost a few thousand calls.
    """
    codes, distinct = pd.factorize(names, use_na_sentinel=True)
    keys = np.array([normalize_name(name) for name in distinct] + [""], dtype=object)
    # The sentinel code -1 picks the trailing "", so missing names need no special case.
    return pd.Series(keys[codes], index=names.index, dtype=object, name=names.name)


class NameCodes:
    """Integer codes for normalized names, shared by all the columns that must be compared.

    Code 0 is the empty key (a missing or blank name), so "has a name" is `code > 0`. Two
    names get the same code exactly when their keys are equal, which lets the matching compare
    a million event locations with integer operations instead of strings.
    """

    def __init__(self, keys: pd.Index):
        self.keys = keys

    @classmethod
    def build(cls, columns: Mapping[str, pd.Series], extra_keys: list[str]) -> tuple[NameCodes, dict[str, np.ndarray]]:
        """Encode several columns (and a list of already normalized keys) over one vocabulary.

        Returns the vocabulary and, per column name, an int64 code array aligned with it.
        """
        distinct_codes = {}
        distinct_keys = {}
        for column, names in columns.items():
            codes, distinct = pd.factorize(names, use_na_sentinel=True)
            distinct_codes[column] = codes
            distinct_keys[column] = [normalize_name(name) for name in distinct]
        vocabulary = pd.Index(
            pd.unique(np.array(["", *extra_keys, *(k for keys in distinct_keys.values() for k in keys)], dtype=object))
        )
        encoded = {}
        for column, codes in distinct_codes.items():
            key_codes = vocabulary.get_indexer(np.array(distinct_keys[column], dtype=object))
            # The sentinel code -1 picks the trailing 0, the empty key.
            encoded[column] = np.append(key_codes, 0).astype(np.int64)[codes]
        return cls(vocabulary), encoded

    def code(self, keys: list[str] | np.ndarray) -> np.ndarray:
        """Codes of already normalized keys; keys outside the vocabulary give -1."""
        return self.keys.get_indexer(np.asarray(keys, dtype=object)).astype(np.int64)

    def __len__(self) -> int:
        return len(self.keys)
