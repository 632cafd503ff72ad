"""The gazetteer of administrative seats: reading and checking its CSV files."""

from __future__ import annotations

import csv
import io
import logging
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from forecasting.errors import ConflictwatchError
from forecasting.gazetteer._names import normalize_name

logger = logging.getLogger(__name__)

#: The exact header of a gazetteer CSV file.
SEAT_COLUMNS = ("country", "iso3", "level", "admin1", "admin2", "seat", "variants", "latitude", "longitude")

#: Seat levels, most important first. An event at a town with several levels gets the first.
SEAT_LEVELS = ("national_capital", "admin1_capital", "admin2_capital")

#: Where the shipped files live: one `ISO3.csv` per country.
SHIPPED_DATA = Path(__file__).parent / "data"

_ISO3 = re.compile(r"[A-Z]{3}")
_HOW_TO = "See forecasting/gazetteer/data/README.md for the format."


class GazetteerError(ConflictwatchError):
    """A gazetteer file cannot be used: missing, unreadable, or with a malformed line."""


@dataclass(frozen=True, eq=False)
class Gazetteer:
    """The known administrative seats of every country covered.

    `seats` has one row per (level, unit) with the columns of `SEAT_COLUMNS`, where `variants`
    is a tuple of alternative spellings and `latitude`/`longitude` are floats (NaN when
    unknown), plus `file` and `line`: where the row was read, for messages.
    `files` are the files read, in order.
    """

    seats: pd.DataFrame
    files: tuple[Path, ...] = ()

    def __post_init__(self) -> None:
        missing = [column for column in SEAT_COLUMNS if column not in self.seats.columns]
        if missing:
            raise ValueError(f"Gazetteer.seats lacks the columns {missing}")
        if not all(isinstance(variants, tuple) for variants in self.seats["variants"]):
            # A frame read straight from a CSV has variants as "a|b" text: split it once here
            # so every consumer sees tuples.
            seats = self.seats.assign(variants=[_split_variants(v) for v in self.seats["variants"]])
            object.__setattr__(self, "seats", seats)

    @property
    def countries(self) -> tuple[str, ...]:
        """The countries covered, as written in the files."""
        return tuple(pd.unique(self.seats["country"]))


def load_gazetteer(extra_files: Sequence[Path] = ()) -> Gazetteer:
    """Read the shipped gazetteer files, then `extra_files`, into one `Gazetteer`.

    Shipped files are every `*.csv` in `forecasting/gazetteer/data`, in name order. A row of an
    extra file for the same country, level and unit as an earlier row replaces it, so a user
    file can correct or extend a shipped one. Raises `GazetteerError`, naming the file, line and
    column, for a missing or unreadable file, a wrong header or a malformed row.
    """
    files = [*sorted(SHIPPED_DATA.glob("*.csv")), *(Path(file) for file in extra_files)]
    rows: dict[tuple[str, ...], dict] = {}
    for file in files:
        for row in _read_seat_file(file):
            key = _unit_key(row)
            if key in rows:
                earlier = rows[key]
                logger.info(
                    "%s line %d replaces %s line %d (%s %s)",
                    file, row["line"], earlier["file"], earlier["line"], row["level"], row["seat"],
                )
            rows[key] = row
    seats = pd.DataFrame(list(rows.values()), columns=[*SEAT_COLUMNS, "file", "line"])
    _check_country_codes(seats)
    return Gazetteer(seats=seats.reset_index(drop=True), files=tuple(files))


def _read_seat_file(file: Path) -> list[dict]:
    """The rows of one gazetteer file as dicts, checked; raises `GazetteerError`."""
    try:
        raw = file.read_bytes()
    except OSError as error:
        raise GazetteerError(
            f"Gazetteer file {file}: cannot be read ({error.strerror or error}). "
            "Check the path given in the configuration."
        ) from error
    try:
        text = raw.decode("utf-8-sig")  # tolerate the byte-order mark spreadsheet programs add
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise GazetteerError(
            f"Gazetteer file {file}, line {line}: not UTF-8 text. Save the file as UTF-8 (CSV UTF-8)."
        ) from error

    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None or [name.strip() for name in header] != list(SEAT_COLUMNS):
            raise GazetteerError(
                f"Gazetteer file {file}, line 1: the header must be exactly "
                f"'{','.join(SEAT_COLUMNS)}' (found '{','.join(header or [])}'). {_HOW_TO}"
            )
        file_iso3 = file.stem if _ISO3.fullmatch(file.stem) else None
        rows = []
        seen: dict[tuple[str, ...], int] = {}
        for fields in reader:
            line = reader.line_num
            if not any(field.strip() for field in fields):
                continue
            row = _parse_row(file, line, fields, file_iso3)
            key = _unit_key(row)
            if key in seen:
                raise GazetteerError(
                    f"Gazetteer file {file}, line {line}: a second {row['level']} row for "
                    f"{_unit_label(row)} (the first is line {seen[key]}). Keep one row and put other "
                    "spellings of the seat in its 'variants' column."
                )
            seen[key] = line
            rows.append(row)
    except csv.Error as error:
        raise GazetteerError(
            f"Gazetteer file {file}, line {reader.line_num}: not valid CSV ({error}). "
            "Check the quotes on that line."
        ) from error
    return rows


def _parse_row(file: Path, line: int, fields: list[str], file_iso3: str | None) -> dict:
    """One checked row: stripped text, `variants` as a tuple, coordinates as floats."""

    def fail(column: str, problem: str) -> GazetteerError:
        return GazetteerError(f"Gazetteer file {file}, line {line}, column '{column}': {problem}")

    if len(fields) != len(SEAT_COLUMNS):
        raise GazetteerError(
            f"Gazetteer file {file}, line {line}: {len(fields)} fields where the header has "
            f"{len(SEAT_COLUMNS)}. Quote any field that contains a comma. {_HOW_TO}"
        )
    row = dict(zip(SEAT_COLUMNS, (field.strip() for field in fields), strict=True))

    for column in ("country", "admin1", "seat"):
        if not row[column]:
            raise fail(column, "is empty. Every row needs a country, an admin1 and a seat name.")
    if not _ISO3.fullmatch(row["iso3"]):
        raise fail("iso3", f"'{row['iso3']}' is not a three-letter upper-case ISO code such as BFA.")
    if file_iso3 is not None and row["iso3"] != file_iso3:
        raise fail(
            "iso3", f"'{row['iso3']}' in a file named {file.name}. Name the file {row['iso3']}.csv or fix the code."
        )
    if row["level"] not in SEAT_LEVELS:
        raise fail("level", f"'{row['level']}' is not one of {', '.join(SEAT_LEVELS)}.")
    if row["level"] == "admin2_capital" and not row["admin2"]:
        raise fail("admin2", "is empty; an admin2_capital row names the admin2 unit whose seat it is.")

    if not normalize_name(row["seat"]):
        raise fail("seat", f"'{row['seat']}' has no letters or digits.")
    row["variants"] = _split_variants(row["variants"])

    for column, limit in (("latitude", 90.0), ("longitude", 180.0)):
        text = row[column]
        if not text:
            row[column] = math.nan
            continue
        try:
            value = float(text)
        except ValueError:
            raise fail(
                column, f"'{text}' is not a number; write decimal degrees such as 12.37, or leave it empty."
            ) from None
        if not -limit <= value <= limit:
            raise fail(column, f"{value} is out of range (-{limit:g} to {limit:g}); write decimal degrees.")
        row[column] = value
    if math.isnan(row["latitude"]) != math.isnan(row["longitude"]):
        raise fail("longitude" if math.isnan(row["longitude"]) else "latitude",
                   "is empty while the other coordinate is given; give both or neither.")

    row["file"] = str(file)
    row["line"] = line
    return row


def _split_variants(variants) -> tuple[str, ...]:
    """'a|b' (or a list, or nothing) as a tuple of non-empty spellings."""
    if isinstance(variants, (tuple, list)):
        return tuple(variants)
    if not isinstance(variants, str):
        return ()
    return tuple(variant.strip() for variant in variants.split("|") if variant.strip())


def _unit_key(row: dict) -> tuple[str, ...]:
    """What a row is the seat of: there is one row per key."""
    if row["level"] == "national_capital":
        return (row["iso3"], row["level"])
    if row["level"] == "admin1_capital":
        return (row["iso3"], row["level"], normalize_name(row["admin1"]))
    return (row["iso3"], row["level"], normalize_name(row["admin1"]), normalize_name(row["admin2"]))


def _unit_label(row: dict) -> str:
    if row["level"] == "national_capital":
        return row["country"]
    if row["level"] == "admin1_capital":
        return f"{row['admin1']} ({row['country']})"
    return f"{row['admin1']} / {row['admin2']} ({row['country']})"


def _check_country_codes(seats: pd.DataFrame) -> None:
    """One ISO code per country name: events are matched on the name, so they must agree."""
    codes = seats.groupby(seats["country"].map(normalize_name))["iso3"].unique()
    for country_key, iso3s in codes.items():
        if len(iso3s) > 1:
            rows = seats[seats["country"].map(normalize_name) == country_key]
            last = rows.iloc[-1]
            raise GazetteerError(
                f"Gazetteer file {last['file']}, line {last['line']}, column 'iso3': country "
                f"'{last['country']}' has the codes {', '.join(sorted(iso3s))} across the files. "
                "Use one ISO code per country."
            )
