"""CSV that is safe to open in a spreadsheet: every CSV conflictwatch writes goes through here.

Actor names, notes and locations come from the data, and a cell such as `=HYPERLINK(...)` or
`+cmd|' /C calc'!A0` is run as a formula when an analyst opens the file in Excel or LibreOffice.
OWASP's rule (CSV Injection): a text cell starting with `=`, `+`, `-`, `@`, a tab or a carriage
return gets a leading apostrophe, which spreadsheets read as "this is text" and do not show.
A cell that is a plain number (`-3`, `+1.5`, `-2e3`) is left as it is: a spreadsheet reads it as
that number, not a formula, and a rejected row's `-3` must stay `-3` to be fixed and reloaded.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import IO

import pandas as pd

#: What makes a spreadsheet read a cell as a formula (OWASP, CSV Injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

_PLAIN_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def neutralise_cell(value: object) -> object:
    """One cell: text that a spreadsheet would run as a formula gets a leading `'`; anything
    else (numbers, missing values, harmless text) is returned unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` whose text cells are safe to open in a spreadsheet (see the module).
    Numeric columns cannot hold a formula and are not touched; column names are made safe too."""
    safe = frame.copy()
    for name in safe.columns:
        column = safe[name]
        if pd.api.types.is_numeric_dtype(column) or pd.api.types.is_datetime64_any_dtype(column):
            continue
        safe[name] = column.astype(object).map(neutralise_cell)
    safe.columns = [neutralise_cell(str(name)) for name in safe.columns]
    return safe


def write_csv(frame: pd.DataFrame, target: Path | IO[str], **options) -> None:
    """Write `frame` as CSV (no index, `\\n` line ends) with its formulas neutralised.
    `target` is a path or an open text stream such as stdout; `options` go to `DataFrame.to_csv`."""
    settings = {"index": False, "lineterminator": "\n", **options}
    neutralise_formulas(frame).to_csv(target, **settings)
