"""Read an event file of any supported format, detected from its header.

Files are read in blocks of rows so that a million-row export never sits in memory whole: the
ingest step validates and stores block after block inside one transaction.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from forecasting.errors import ConflictwatchError
from forecasting.events import ValidatedEvents, validate_events
from forecasting.sources import acled_csv, ucdp_csv

#: Bytes of CSV text per block (about 80,000 ACLED rows): bounds memory, keeps batches large.
BLOCK_BYTES = 32 << 20


class UnreadableFileError(ConflictwatchError):
    """A file could not be read as an event file: missing, wrong encoding or unknown format."""


@dataclass(frozen=True)
class EventFile:
    """An event file whose format has been recognised from its header; read it with `blocks()`."""

    path: Path
    format: str
    columns: tuple[str, ...]  # as the header writes them
    to_events: Callable[[pd.DataFrame], pd.DataFrame]

    def blocks(self, block_bytes: int | None = None) -> Iterator[tuple[int, ValidatedEvents]]:
        """Yield (rows read, validated events) block by block, in file order.

        Rejected rows carry their line in the file (the header is line 1; a quoted field with a
        line break counts as one line) and the file's own columns, so they can be fixed and
        reloaded. Raises `UnreadableFileError` for bad UTF-8 or a malformed CSV.
        """
        first_line = 2
        for rows in _read_blocks(self.path, self.columns, block_bytes or BLOCK_BYTES):
            line_numbers = pd.Series(range(first_line, first_line + len(rows)), index=rows.index)
            validated = validate_events(self.to_events(rows), line_numbers)
            positions = validated.rejects["line"].to_numpy() - first_line
            original = rows.iloc[positions].reset_index(drop=True)
            rejects = pd.concat([validated.rejects[["line", "reason"]], original], axis=1)
            first_line += len(rows)
            yield len(rows), ValidatedEvents(events=validated.events, rejects=rejects)


def open_event_file(path: Path) -> EventFile:
    """Recognise an ACLED CSV export or a UCDP GED CSV (optionally gzip-compressed).

    Raises `UnreadableFileError` naming the file when it is missing, empty, not UTF-8, or not a
    format conflictwatch knows. Nothing but the header is read here.
    """
    path = Path(path)
    columns = _read_header(path)
    header = [name.strip() for name in columns]
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
    return EventFile(path=path, format=file_format, columns=tuple(columns), to_events=to_events)


def read_event_file(path: Path) -> tuple[EventFile, int, ValidatedEvents]:
    """The whole file at once: (file, rows read, validated events). For small files and tests."""
    event_file = open_event_file(path)
    rows_read, events, rejects = 0, [], []
    for count, validated in event_file.blocks():
        rows_read += count
        events.append(validated.events)
        rejects.append(validated.rejects)
    return event_file, rows_read, ValidatedEvents(
        events=pd.concat(events, ignore_index=True), rejects=pd.concat(rejects, ignore_index=True)
    )


def _read_blocks(path: Path, columns: tuple[str, ...], block_bytes: int) -> Iterator[pd.DataFrame]:
    import pyarrow as pa
    from pyarrow import csv as arrow_csv

    # Every column as text: validation, not the parser, decides what a date or a number is.
    reader = arrow_csv.open_csv(
        str(path),
        read_options=arrow_csv.ReadOptions(block_size=block_bytes),
        parse_options=arrow_csv.ParseOptions(newlines_in_values=True),
        convert_options=arrow_csv.ConvertOptions(
            column_types={name: pa.string() for name in columns}, strings_can_be_null=False
        ),
    )
    try:
        for batch in reader:
            rows = batch.to_pandas()
            rows.columns = [str(name).strip() for name in rows.columns]
            yield rows
    except pa.ArrowInvalid:
        # Arrow says little about where and why; the exact reader names the byte or the line.
        _diagnose(path)
        raise UnreadableFileError(f"{path}: not a well-formed CSV file") from None


def _diagnose(path: Path) -> None:
    """Read the file with Python's own decoder and CSV parser, raising a precise error."""
    with _open_text(path) as text:
        try:
            pd.read_csv(text, dtype=str, keep_default_na=False, na_values=[])
        except UnicodeDecodeError as error:
            raise _not_utf8(path, error) from None
        except pd.errors.ParserError as error:
            raise UnreadableFileError(f"{path}: not a well-formed CSV file ({error})") from None


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
    return header


def _not_utf8(path: Path, error: UnicodeDecodeError) -> UnreadableFileError:
    return UnreadableFileError(
        f"{path}: not UTF-8 text ({error.reason} at byte {error.start}). Export the file again as"
        " UTF-8 CSV (ACLED's and UCDP's downloads are UTF-8; spreadsheet programs may re-encode)."
    )
