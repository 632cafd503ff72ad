"""ACLED's aggregated admin2-month files, as published on HDX (CSV or XLSX).

For users without event-level access, ACLED publishes counts per second-order unit and month:
columns Country, Admin1, Admin2, ISO3, Month, Year, Events, Fatalities (often with P-codes as
well, ignored here). They are counts, not events: they carry no location, actor or settlement,
so they feed country, admin1 and admin2 series, never tier or actor series.

HDX files may carry an HXL hashtag row (`#country+name`, ...) under the header; it is skipped.
`Month` is a month name (`January`) or number.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from forecasting.errors import ConflictwatchError
from forecasting.events import EARLIEST_EVENT_DATE, EventBounds

HDX_COLUMNS = ("Country", "Admin1", "Admin2", "ISO3", "Month", "Year", "Events", "Fatalities")
#: Without these a row cannot become a cell; ISO3 and the admin names may be empty.
REQUIRED_COLUMNS = ("Country", "Admin1", "Admin2", "Month", "Year", "Events", "Fatalities")
CELL_COLUMNS = ("country", "admin1", "admin2", "iso3", "year", "month", "events", "fatalities")
#: Name used for an admin unit the file leaves empty (the same as the series module's).
UNKNOWN = "Unknown"

#: The events and fatalities columns are INTEGER: PostgreSQL refuses more, SQLite would store it.
_LARGEST_COUNT = 2**31 - 1
# As for events' names (forecasting/events.py): PostgreSQL refuses NUL, tables and CSV break.
_CONTROL = "[\x00-\x1f\x7f]"
_MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
_MONTHS |= {name.lower(): number for number, name in enumerate(calendar.month_abbr) if name}


class InvalidAggregatesError(ConflictwatchError):
    """An HDX aggregate file holds rows that are not valid counts; nothing from it was stored."""


@dataclass(frozen=True)
class AggregateFile:
    """One aggregate file read and validated: `cells` has `CELL_COLUMNS`, one row per
    (country, admin1, admin2, year, month)."""

    path: Path
    rows_read: int
    cells: pd.DataFrame


def looks_like_hdx(header: list[str]) -> bool:
    """True when a header is ACLED's HDX admin2-month aggregate (names in any case)."""
    return {name.lower() for name in REQUIRED_COLUMNS} <= {name.strip().lower() for name in header}


def is_hdx_file(path: Path) -> bool:
    """True for a file (CSV or XLSX) whose header is an HDX aggregate's, not an event export's."""
    from forecasting.sources.files import UnreadableFileError, read_header

    try:
        _layout, header = read_header(Path(path))
    except UnreadableFileError:
        return False  # the event-file reader explains what is wrong with it
    return looks_like_hdx(header) and "event_id_cnty" not in header


def read_hdx_file(path: Path, bounds: EventBounds | None = None) -> AggregateFile:
    """Read and validate an HDX aggregate file (CSV or XLSX).

    Raises `InvalidAggregatesError` naming the file and its bad rows (by line, header = 1) when
    any row is not a valid count, or the file lacks a required column. The events' contract
    (docs/validation.md) holds for a cell too: a month from 1989 to the month of
    `bounds.latest_date` (when given), counts the INTEGER columns can hold, names without
    control characters: what passes fits SQLite and PostgreSQL alike.
    """
    path = Path(path)
    rows = _read_table(path)
    missing = [name for name in REQUIRED_COLUMNS if name not in rows.columns]
    if missing:
        raise InvalidAggregatesError(
            f"{path}: this is not an ACLED admin2-month aggregate file: it lacks"
            f" {', '.join(missing)}. Expected the columns {', '.join(HDX_COLUMNS)}."
        )
    lines = pd.Series(range(2, len(rows) + 2), index=rows.index)
    hxl = rows["Country"].fillna("").str.startswith("#")
    rows, lines = rows[~hxl], lines[~hxl]

    def text(name: str) -> pd.Series:
        column = rows[name] if name in rows else pd.Series(None, index=rows.index, dtype=object)
        stripped = column.fillna("").astype(str).str.strip()
        return stripped.where(stripped != "")

    problems = pd.Series("", index=rows.index, dtype=object)

    def reject(mask: pd.Series, reason: str) -> None:
        mask = mask.fillna(False).astype(bool)
        problems[mask] = problems[mask].where(problems[mask] == "", problems[mask] + "; ") + reason

    country = text("Country")
    reject(country.isna(), "missing Country")
    month_text = text("Month")
    month = pd.to_numeric(month_text, errors="coerce").fillna(month_text.str.lower().map(_MONTHS))
    reject(~month.between(1, 12), "Month is not a month (January..December or 1..12)")
    year = pd.to_numeric(text("Year"), errors="coerce")
    reject(~year.between(1900, 2100) | (year != year.round()), "Year is not a year")
    reject(year < EARLIEST_EVENT_DATE.year, f"Year is before {EARLIEST_EVENT_DATE.year} (no source covers earlier years)")
    if bounds is not None:
        latest = bounds.latest_date
        reject(year * 12 + month > latest.year * 12 + latest.month, f"the month is after {latest:%Y-%m} (in the future)")
    for name in ("Country", "Admin1", "Admin2", "ISO3"):
        reject(text(name).str.contains(_CONTROL, regex=True), f"{name} contains a control character (such as NUL)")
    counts = {}
    for name in ("Events", "Fatalities"):
        value = pd.to_numeric(text(name), errors="coerce")
        reject(value.isna() | (value < 0) | (value != value.round()), f"{name} is not a whole number >= 0")
        reject(value > _LARGEST_COUNT, f"{name} is more than {_LARGEST_COUNT:,} (the most the store can hold)")
        counts[name.lower()] = value

    cells = pd.DataFrame(
        {
            "country": country,
            "admin1": text("Admin1").fillna(UNKNOWN),
            "admin2": text("Admin2").fillna(UNKNOWN),
            "iso3": text("ISO3"),
            "year": year,
            "month": month,
            **counts,
        }
    )
    reject(cells.duplicated(["country", "admin1", "admin2", "year", "month"], keep="first"), "a second row for the same admin2 and month")
    bad = problems != ""
    if bad.any():
        listed = [f"  line {int(lines[index])}: {problems[index]}" for index in problems[bad].index[:20]]
        more = int(bad.sum()) - len(listed)
        raise InvalidAggregatesError(
            f"{path}: {int(bad.sum())} invalid rows, nothing was stored.\n" + "\n".join(listed)
            + (f"\n  ... and {more} more bad rows" if more > 0 else "")
            + "\nFix these rows (or download the file again from HDX) and rerun the ingest."
        )
    cells = cells.astype({"year": "int64", "month": "int64", "events": "int64", "fatalities": "int64"})
    return AggregateFile(path=path, rows_read=len(lines), cells=cells.reset_index(drop=True)[list(CELL_COLUMNS)])


def _read_table(path: Path) -> pd.DataFrame:
    if path.suffix.lower() == ".xlsx":
        try:
            rows = pd.read_excel(path, dtype=str, engine="openpyxl")
        except FileNotFoundError:
            raise InvalidAggregatesError(f"{path}: no such file") from None
        except Exception as error:  # openpyxl raises many kinds for a damaged workbook
            raise InvalidAggregatesError(f"{path}: not a readable XLSX workbook ({error})") from None
    else:
        from forecasting.sources.files import read_table

        # Any CSV layout the event reader knows: delimiter, encoding, .gz, .zip.
        rows = read_table(path)
        canonical = {name.lower(): name for name in HDX_COLUMNS}
        rows.columns = [canonical.get(name, name) for name in rows.columns]
    rows.columns = [str(name).strip() for name in rows.columns]
    return rows
