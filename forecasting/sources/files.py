"""Read an event file of any supported format, detected from its header."""

from __future__ import annotations

import csv
import gzip
import io
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from forecasting.errors import ConflictwatchError
from forecasting.events import ValidatedEvents, validate_events
from forecasting.sources import acled_csv, ucdp_csv


class UnreadableFileError(ConflictwatchError):
    """A file could not be read as an event file: missing, wrong encoding or unknown format."""


@dataclass(frozen=True)
class EventFile:
    """One file read and validated: its path, its format (`acled` or `ucdp`), rows read, result."""

    path: Path
    format: str
    rows_read: int
    validated: ValidatedEvents


def read_event_file(path: Path) -> EventFile:
    """Read an ACLED CSV export or a UCDP GED CSV (optionally gzip-compressed) and validate it.

    Raises `UnreadableFileError` naming the file when it is missing, not UTF-8, or not a format
    conflictwatch knows. Invalid rows do not raise here: they are in `validated.rejects`.
    """
    path = Path(path)
    header = _read_header(path)
    if acled_csv.looks_like_acled(header):
        file_format, required, to_events = "acled", acled_csv.REQUIRED_COLUMNS, acled_csv.acled_rows_to_events
    elif ucdp_csv.looks_like_ucdp(header):
        file_format, required, to_events = "ucdp", ucdp_csv.REQUIRED_COLUMNS, ucdp_csv.ucdp_rows_to_events
    else:
        raise UnreadableFileError(
            f"{path}: unknown file format. conflictwatch reads ACLED CSV exports (a header with"
            " event_id_cnty, event_date, country, fatalities ...) and UCDP GED CSV downloads (a"
            f" header with id, date_start, best, where_coordinates ...). This header starts: "
            f"{', '.join(header[:8])}"
        )
    missing = [name for name in required if name not in header]
    if missing:
        raise UnreadableFileError(
            f"{path}: this {file_format.upper()} file lacks the required column(s) "
            f"{', '.join(missing)}; export it again with all columns."
        )
    rows = _read_rows(path)
    # Line numbers as an editor shows them: the header is line 1. Quoted fields with line breaks
    # would shift this; ACLED's exports quote notes but do not break lines inside them.
    line_numbers = pd.Series(range(2, len(rows) + 2), index=rows.index)
    validated = validate_events(to_events(rows), line_numbers)
    # Rejected rows are reported in the file's own columns, so the user can fix and reload them.
    positions = validated.rejects["line"].to_numpy() - 2
    original = rows.iloc[positions].reset_index(drop=True)
    rejects = pd.concat([validated.rejects[["line", "reason"]], original], axis=1)
    validated = ValidatedEvents(events=validated.events, rejects=rejects)
    return EventFile(path=path, format=file_format, rows_read=len(rows), validated=validated)


def _open_text(path: Path) -> io.TextIOBase:
    try:
        raw = gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")
    except FileNotFoundError:
        raise UnreadableFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise UnreadableFileError(f"{path}: is a folder; give the CSV files inside it") from None
    # utf-8-sig: Excel writes a byte-order mark that would otherwise stick to the first column name.
    return io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")


def _read_header(path: Path) -> list[str]:
    with _open_text(path) as text:
        try:
            header = next(csv.reader(text), [])
        except UnicodeDecodeError as error:
            raise _not_utf8(path, error) from None
        except (gzip.BadGzipFile, EOFError):
            raise UnreadableFileError(f"{path}: ends in .gz but is not a gzip file") from None
    if not header:
        raise UnreadableFileError(f"{path}: the file is empty; expected a CSV with a header row")
    return [name.strip() for name in header]


def _read_rows(path: Path) -> pd.DataFrame:
    with _open_text(path) as text:
        try:
            rows = pd.read_csv(text, dtype=str, keep_default_na=False, na_values=[])
        except UnicodeDecodeError as error:
            raise _not_utf8(path, error) from None
        except pd.errors.ParserError as error:
            raise UnreadableFileError(f"{path}: not a well-formed CSV file ({error})") from None
    rows.columns = [str(name).strip() for name in rows.columns]
    return rows


def _not_utf8(path: Path, error: UnicodeDecodeError) -> UnreadableFileError:
    return UnreadableFileError(
        f"{path}: not UTF-8 text ({error.reason} at byte {error.start}). Export the file again as"
        " UTF-8 CSV (ACLED's and UCDP's downloads are UTF-8; spreadsheet programs may re-encode)."
    )
