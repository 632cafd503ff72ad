"""Read an event file as analysts download it, recognised by its content, not its name.

Containers: plain text, gzip (`.csv.gz`), a ZIP archive holding one CSV (UCDP ships its GED CSV
that way), and Excel workbooks (`.xlsx`, first sheet). Text: UTF-8 with or without a byte-order
mark, or Latin-1 (with a warning) when the file is not UTF-8; the delimiter (comma, semicolon,
tab or bar) is read off the header line. HDX's HXL hashtag row (`#event+code`, `#date+occurred`,
...) is skipped wherever it sits under the header. Header names are matched without regard to
case (older ACLED files write EVENT_ID_CNTY).

Files are read in blocks of rows so that a million-row export never sits in memory whole: the
ingest step validates and stores block after block inside one transaction.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import logging
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pandas as pd

from forecasting.errors import ConflictwatchError
from forecasting.events import EventBounds, ValidatedEvents, validate_events
from forecasting.sources import acled_csv, ucdp_csv

log = logging.getLogger(__name__)

#: Bytes of CSV text per block (about 80,000 ACLED rows): bounds memory, keeps batches large.
BLOCK_BYTES = 32 << 20
#: Bytes of CSV text Arrow parses at a time (see `_arrow_batches`); blocks gather its batches.
PARSE_BLOCK_BYTES = 1 << 20
#: Rows per block of an Excel workbook (which holds at most 1,048,576 rows).
XLSX_BLOCK_ROWS = 50_000
#: How much of a text file is looked at to recognise its encoding and delimiter.
SAMPLE_BYTES = 1 << 20
DELIMITERS = (",", ";", "\t", "|")

_GZIP_MAGIC = b"\x1f\x8b"
_ZIP_MAGIC = b"PK\x03\x04"


class UnreadableFileError(ConflictwatchError):
    """A file could not be read as an event file: missing, damaged, malformed or of unknown format."""


@dataclass(frozen=True)
class Layout:
    """How a file's table is stored: container, encoding and delimiter (for text)."""

    container: str  # "text", "gzip", "zip" or "xlsx"
    encoding: str = "utf-8"  # "utf-8", "utf-8-sig" (with a byte-order mark) or "latin-1"
    delimiter: str = ","
    member: str | None = None  # the CSV inside a ZIP archive

    def describe(self) -> str:
        """'semicolon-separated Latin-1 text in a ZIP archive', for logs."""
        if self.container == "xlsx":
            return "Excel workbook"
        names = {",": "comma", ";": "semicolon", "\t": "tab", "|": "bar"}
        text = f"{names[self.delimiter]}-separated {'Latin-1' if self.encoding == 'latin-1' else 'UTF-8'} text"
        return text + {"text": "", "gzip": ", gzip-compressed", "zip": f" ({self.member} in a ZIP archive)"}[self.container]


@dataclass(frozen=True)
class EventFile:
    """An event file whose format has been recognised from its header; read it with `blocks()`."""

    path: Path
    format: str
    columns: tuple[str, ...]  # as the reader names them: lower case, blanks stripped
    to_events: Callable[[pd.DataFrame], pd.DataFrame]
    layout: Layout = Layout("text")
    absent_columns: tuple[str, ...] = ()  # optional columns of the format this file lacks

    def blocks(
        self, bounds: EventBounds, block_bytes: int | None = None, *, arrow_text: bool = False
    ) -> Iterator[tuple[int, ValidatedEvents]]:
        """Yield (rows read, events validated against `bounds`) block by block, in file order;
        with `arrow_text`, the events' text columns stay in Arrow (see `validate_events`).

        Rejected rows carry their line in the file (the header is line 1; a quoted field with a
        line break counts as one line) and the file's own columns, so they can be fixed and
        reloaded. An HXL hashtag row is skipped (not counted as read). Raises
        `UnreadableFileError` for a malformed, damaged or truncated file, naming the line where
        it can.
        """
        first_line = 2
        for rows in _read_rows(self.path, self.layout, self.columns, block_bytes or BLOCK_BYTES):
            lines = range(first_line, first_line + len(rows))
            first_line += len(rows)
            hashtags = _hxl_rows(rows)
            if hashtags.any():
                lines = [line for line, tagged in zip(lines, hashtags) if not tagged]
                rows = rows[~hashtags.to_numpy()].reset_index(drop=True)
            if self.layout.delimiter == ";":
                rows = _decimal_points(rows)
            line_numbers = pd.Series(lines, index=rows.index)
            validated = validate_events(self.to_events(rows), line_numbers, bounds, arrow_text=arrow_text)
            positions = []
            if len(validated.rejects):  # an index of every line, built only for a block with rejects
                positions = pd.Series(range(len(rows)), index=list(lines))[validated.rejects["line"]].to_numpy()
            original = rows.iloc[positions].reset_index(drop=True)
            rejects = pd.concat([validated.rejects[["line", "reason"]], original], axis=1)
            yield len(rows), ValidatedEvents(events=validated.events, rejects=rejects)


def open_event_file(path: Path) -> EventFile:
    """Recognise an ACLED event export or a UCDP GED CSV (see the module for the containers,
    encodings and delimiters read).

    Raises `UnreadableFileError` naming the file when it is missing, empty, damaged, has a column
    twice, lacks a required column, or is not a format conflictwatch knows. Only the header (and
    a sample, to recognise the text) is read here.
    """
    path = Path(path)
    layout, header = read_header(path)
    if acled_csv.looks_like_acled(header):
        file_format, required, to_events = "acled", acled_csv.REQUIRED_COLUMNS, acled_csv.acled_rows_to_events
        optional = acled_csv.OPTIONAL_COLUMNS
    elif ucdp_csv.looks_like_ucdp(header):
        file_format, required, to_events = "ucdp", ucdp_csv.REQUIRED_COLUMNS, ucdp_csv.ucdp_rows_to_events
        optional = ucdp_csv.OPTIONAL_COLUMNS
    else:
        raise UnreadableFileError(
            f"{path}: unknown file format. conflictwatch reads ACLED event exports (a header with"
            " event_id_cnty, event_date, country, fatalities ...), UCDP GED CSV downloads (a"
            " header with id, date_start, best, where_coordinates ...) and ACLED's HDX admin2-month"
            f" aggregates. This header ({layout.describe()}) starts: {', '.join(header[:8])}"
        )
    missing = [name for name in required if name not in header]
    if missing:
        raise UnreadableFileError(
            f"{path}: this {file_format.upper()} file lacks the required column(s) "
            f"{', '.join(missing)}; export it again with all columns."
        )
    if layout.encoding == "latin-1":
        log.warning(
            "%s is not UTF-8: reading it as Latin-1 (ISO 8859-1). Check accented names in the"
            " result; exporting as UTF-8 CSV avoids the guess", path,
        )
    absent = tuple(name for name in optional if name not in header)
    return EventFile(path=path, format=file_format, columns=tuple(header), to_events=to_events,
                     layout=layout, absent_columns=absent)


def read_event_file(path: Path, bounds: EventBounds) -> tuple[EventFile, int, ValidatedEvents]:
    """The whole file at once: (file, rows read, validated events). For small files and tests."""
    event_file = open_event_file(path)
    rows_read, events, rejects = 0, [], []
    for count, validated in event_file.blocks(bounds):
        rows_read += count
        events.append(validated.events)
        rejects.append(validated.rejects)
    return event_file, rows_read, ValidatedEvents(
        events=pd.concat(events, ignore_index=True), rejects=pd.concat(rejects, ignore_index=True)
    )


def read_table(path: Path) -> pd.DataFrame:
    """A whole table (CSV in any of the layouts above) as strings, its columns named as
    `read_header` names them (lower case). For small tables such as HDX aggregates."""
    layout, header = read_header(path)
    frames = list(_read_rows(Path(path), layout, tuple(header), BLOCK_BYTES))
    if not frames:
        return pd.DataFrame(columns=header, dtype=object)
    rows = pd.concat(frames, ignore_index=True)
    return _decimal_points(rows) if layout.delimiter == ";" else rows


def read_header(path: Path) -> tuple[Layout, list[str]]:
    """How `path` is stored and its header row: names stripped, in lower case, an empty name
    written `unnamed_N` (N its 1-based position). Raises `UnreadableFileError` for a missing,
    empty or damaged file, or a header that names a column twice."""
    path = Path(path)
    layout = _layout(path)
    if layout.container == "xlsx":
        header = next(_xlsx_rows(path), None)
    else:
        # Only the header line is decoded here: a bad byte further on is for the reader to name.
        with _open_bytes(path, layout.container, layout.member) as raw:
            first_line = raw.readline()
        try:
            header = next(csv.reader([first_line.decode(layout.encoding)], delimiter=layout.delimiter), None)
        except UnicodeDecodeError:
            raise UnreadableFileError(f"{path}: the header line is not {layout.encoding} text; save the file as UTF-8") from None
        except csv.Error as error:
            raise UnreadableFileError(f"{path}: line 1 (the header) is not a well-formed CSV row ({error})") from None
    if not header or not any(str(name).strip() for name in header):
        raise UnreadableFileError(f"{path}: the file is empty; expected a table with a header row")
    return layout, _column_names(path, header)


def _column_names(path: Path, header: list) -> list[str]:
    names = []
    for position, name in enumerate(header, start=1):
        name = "" if name is None else str(name).strip().lower()
        names.append(name or f"unnamed_{position}")
    seen: dict[str, int] = {}
    for position, name in enumerate(names, start=1):
        if name in seen:
            raise UnreadableFileError(
                f"{path}: the column {name!r} appears twice in the header (columns {seen[name]} and"
                f" {position}); remove or rename one and load the file again"
            )
        seen[name] = position
    return names


def _layout(path: Path) -> Layout:
    """Recognise the container, then (for text) the encoding and delimiter, from the bytes."""
    try:
        with open(path, "rb") as raw:
            magic = raw.read(4)
    except FileNotFoundError:
        raise UnreadableFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise UnreadableFileError(f"{path}: is a folder; give the files inside it") from None
    if magic.startswith(_ZIP_MAGIC):
        return _zip_layout(path)
    container = "gzip" if magic.startswith(_GZIP_MAGIC) else "text"
    if container == "text" and path.suffix.lower() == ".gz":
        raise UnreadableFileError(f"{path}: ends in .gz but is not a gzip file; download it again")
    with _open_bytes(path, container, None) as raw:
        try:
            sample = raw.read(SAMPLE_BYTES)
        except (OSError, EOFError, zipfile.BadZipFile):
            raise UnreadableFileError(
                f"{path}: the compressed file is damaged or ends early (an interrupted download?);"
                " download it again"
            ) from None
    return _text_layout(path, sample, container)


def _zip_layout(path: Path) -> Layout:
    try:
        with zipfile.ZipFile(path) as archive:
            names = [name for name in archive.namelist() if not name.endswith("/") and not name.startswith("__MACOSX")]
            if "[Content_Types].xml" in names and any(name.startswith("xl/") for name in names):
                return Layout("xlsx")
            tables = [name for name in names if name.lower().endswith((".csv", ".tsv", ".txt"))]
            if len(tables) != 1:
                found = ", ".join(tables) if tables else "none"
                raise UnreadableFileError(
                    f"{path}: a ZIP archive must hold exactly one CSV file (it holds {found});"
                    " unpack it and load the CSV files by name"
                )
            with archive.open(tables[0]) as member:
                sample = member.read(SAMPLE_BYTES)
    except zipfile.BadZipFile:
        raise UnreadableFileError(f"{path}: not a readable ZIP archive (damaged or cut short); download it again") from None
    return _text_layout(path, sample, "zip", member=tables[0])


def _text_layout(path: Path, sample: bytes, container: str, member: str | None = None) -> Layout:
    if not sample.strip():
        raise UnreadableFileError(f"{path}: the file is empty; expected a table with a header row")
    encoding = "utf-8-sig" if sample.startswith(codecs.BOM_UTF8) else "utf-8"
    try:
        # The sample may end inside a character: the incremental decoder leaves that to later.
        text = codecs.getincrementaldecoder(encoding)().decode(sample, final=False)
    except UnicodeDecodeError:
        encoding, text = "latin-1", sample.decode("latin-1")
    first_line = text.lstrip("\ufeff").splitlines()[0] if text.strip() else ""
    delimiter = max(DELIMITERS, key=first_line.count)
    return Layout(container, encoding=encoding, delimiter=delimiter, member=member)


@contextmanager
def _open_bytes(path: Path, container: str, member: str | None) -> Iterator[IO[bytes]]:
    if container == "gzip":
        with gzip.open(path, "rb") as raw:
            yield raw
    elif container == "zip":
        with zipfile.ZipFile(path) as archive, archive.open(member) as raw:
            yield raw
    else:
        with open(path, "rb") as raw:
            yield raw


@contextmanager
def _open_text(path: Path, layout: Layout) -> Iterator[io.TextIOBase]:
    with _open_bytes(path, layout.container, layout.member) as raw:
        yield io.TextIOWrapper(raw, encoding=layout.encoding, newline="")


def _read_rows(path: Path, layout: Layout, columns: tuple[str, ...], block_bytes: int) -> Iterator[pd.DataFrame]:
    """The file's data rows (header skipped) as frames of strings named `columns`, each of about
    `block_bytes` of text (the last one less)."""
    if layout.container == "xlsx":
        yield from _xlsx_blocks(path, columns)
        return
    import pyarrow as pa

    try:
        batches, gathered = [], 0
        for batch in _arrow_batches(path, layout, columns, block_bytes):
            batches.append(batch)
            gathered += batch.nbytes
            if gathered >= block_bytes:
                yield pa.Table.from_batches(batches).combine_chunks().to_pandas()
                batches, gathered = [], 0
        if batches:
            yield pa.Table.from_batches(batches).combine_chunks().to_pandas()
    except (pa.ArrowInvalid, OSError, EOFError, zipfile.BadZipFile) as error:
        # Arrow says little about where; Python's own decoder and CSV reader name the line.
        _diagnose(path, layout, len(columns))
        raise UnreadableFileError(f"{path}: not a well-formed CSV file ({_first_line(error)})") from None


def _arrow_batches(path: Path, layout: Layout, columns: tuple[str, ...], block_bytes: int) -> Iterator:
    """The file's data rows as Arrow record batches of (large) strings, parsed `PARSE_BLOCK_BYTES` at a
    time: Arrow's parser took two to four times the CPU on blocks of 32 MiB, which outgrow the
    processor's caches. A row longer than that (Arrow cannot split one) makes Arrow fail; the
    file is then read on from the same row in blocks of `block_bytes`, as it was before, which
    reads the row or raises the error it always did."""
    import pyarrow as pa
    from pyarrow import csv as arrow_csv

    rows_read = 0
    for parse_bytes in sorted({min(PARSE_BLOCK_BYTES, block_bytes), block_bytes}):
        try:
            with _arrow_input(path, layout) as raw:
                # Every column as text: validation, not the parser, decides what a date or a
                # number is. Names are given, the header line skipped: it has been read and
                # checked already. Arrow's threads parse the next small blocks while this one is
                # validated (on blocks of 32 MiB they had taken twice the CPU; on these, the same).
                # Large strings, as pandas and validation hold text: parsed as strings, every
                # block's text was copied once more when pandas took it (0.1 s of CPU a
                # 300,000-row file; docs/benchmarks.md, the ingest's seventh pass).
                reader = arrow_csv.open_csv(
                    raw,
                    read_options=arrow_csv.ReadOptions(
                        block_size=parse_bytes, column_names=list(columns), skip_rows=1, use_threads=True,
                        encoding="latin1" if layout.encoding == "latin-1" else "utf8",
                    ),
                    parse_options=arrow_csv.ParseOptions(delimiter=layout.delimiter, newlines_in_values=True),
                    convert_options=arrow_csv.ConvertOptions(
                        column_types={name: pa.large_string() for name in columns}, strings_can_be_null=False
                    ),
                )
                skip = rows_read  # handed on before the retry
                for batch in reader:
                    if skip:
                        batch, skip = batch.slice(min(skip, len(batch))), skip - min(skip, len(batch))
                    if len(batch):
                        rows_read += len(batch)
                        yield batch
            return
        except pa.ArrowInvalid:
            if parse_bytes == block_bytes:
                raise


@contextmanager
def _arrow_input(path: Path, layout: Layout):
    """The bytes for Arrow's reader: plain and gzip files through Arrow's own (native, faster)
    streams, a ZIP member through Python's."""
    import pyarrow as pa

    if layout.container == "zip":
        with _open_bytes(path, "zip", layout.member) as raw:
            yield raw
        return
    with pa.input_stream(str(path), compression="gzip" if layout.container == "gzip" else None) as raw:
        yield raw


def _diagnose(path: Path, layout: Layout, width: int) -> None:
    """Read the file with Python's decoder and CSV reader, raising a precise error for the first
    problem: bytes that are not text, a damaged compressed stream, a row of the wrong width (a
    quote left open swallows the rows after it)."""
    try:
        with _open_text(path, layout) as text:
            reader = csv.reader(text, delimiter=layout.delimiter, strict=True)
            next(reader, None)
            row_ended = reader.line_num  # the line the last complete row ended on
            try:
                for row in reader:
                    if row and len(row) != width:
                        raise UnreadableFileError(
                            f"{path}: line {reader.line_num} has {len(row)} fields where the header has {width}"
                            " (a quote left open, or a delimiter inside an unquoted value?); fix that line"
                        )
                    row_ended = reader.line_num
            except csv.Error as error:
                raise UnreadableFileError(
                    f"{path}: line {row_ended + 1}: not a well-formed CSV row ({error}; a quote left open?);"
                    " fix that line"
                ) from None
    except UnicodeDecodeError as error:
        raise UnreadableFileError(
            f"{path}: not UTF-8 text ({error.reason} at byte {error.start} of the text). Export the"
            " file again as UTF-8 CSV (ACLED's and UCDP's downloads are UTF-8; spreadsheet programs"
            " may re-encode)."
        ) from None
    except (OSError, EOFError, zipfile.BadZipFile):
        raise UnreadableFileError(
            f"{path}: the compressed file is damaged or ends early (an interrupted download?); download it again"
        ) from None


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return text[:200]


#: Columns a spreadsheet in a French (or German ...) locale writes with a decimal comma.
DECIMAL_COLUMNS = ("latitude", "longitude")


def _decimal_points(rows: pd.DataFrame) -> pd.DataFrame:
    """Semicolon-separated files come from spreadsheets whose locale writes `12,0616`: the
    coordinates get their decimal point back (only cells that are a number with one comma)."""
    for name in DECIMAL_COLUMNS:
        if name in rows:
            rows[name] = rows[name].str.replace(r"^\s*(-?\d+),(\d+)\s*$", r"\1.\2", regex=True)
    return rows


def _hxl_rows(rows: pd.DataFrame) -> pd.Series:
    """True for an HXL hashtag row: every non-empty cell starts with `#`, and one at least is not
    empty (HDX writes `#event+code`, `#date+occurred`, ... under the header)."""
    hashtags = pd.Series(False, index=rows.index)
    if rows.empty:
        return hashtags
    # Only a row whose first cell is empty or a hashtag can be one: the other columns are looked
    # at for those few rows, not for every row of a million-row export.
    first = rows.iloc[:, 0].fillna("").astype(str).str.strip()
    candidates = rows[(first == "") | first.str.startswith("#")]
    if candidates.empty:
        return hashtags
    tagged = pd.Series(True, index=candidates.index)
    filled = pd.Series(False, index=candidates.index)
    for name in candidates.columns:
        cells = candidates[name].fillna("").astype(str).str.strip()
        tagged &= (cells == "") | cells.str.startswith("#")
        filled |= cells != ""
    hashtags[candidates.index] = tagged & filled
    return hashtags


def _xlsx_rows(path: Path) -> Iterator[list[str]]:
    """The first sheet's rows as text: dates as YYYY-MM-DD, whole numbers without '.0'."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged workbook
        raise UnreadableFileError(f"{path}: not a readable Excel workbook ({_first_line(error)})") from None
    try:
        sheet = workbook.worksheets[0]
        for values in sheet.iter_rows(values_only=True):
            if values is None or all(value is None or str(value).strip() == "" for value in values):
                continue
            yield [_cell_text(value) for value in values]
    finally:
        workbook.close()


def _xlsx_blocks(path: Path, columns: tuple[str, ...]) -> Iterator[pd.DataFrame]:
    rows = _xlsx_rows(path)
    next(rows, None)  # the header, read already
    width = len(columns)
    block: list[list[str]] = []
    for values in rows:
        block.append((values + [""] * width)[:width])
        if len(block) == XLSX_BLOCK_ROWS:
            yield pd.DataFrame(block, columns=list(columns), dtype=object)
            block = []
    if block:
        yield pd.DataFrame(block, columns=list(columns), dtype=object)


def _cell_text(value) -> str:
    import datetime as dt

    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d") if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
