"""The canonical event record: one political-violence event, whatever its source.

ACLED's export columns are the reference. An event frame is a pandas DataFrame with exactly the
columns of `EVENT_COLUMNS`; it is built and validated here, by `validate_events`, and everything
else (the store, series, detectors) consumes it.

Two renames against ACLED's export, both because the name is taken by something else:

- ACLED's `event_id_cnty` is `source_id`, and `source` names the data set (`acled`, `ucdp`), so
  that (source, source_id) identifies an event across data sets.
- ACLED's `source` (the news outlets that reported the event) is `sources`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from forecasting.errors import ConflictwatchError

#: Column order of an event frame and of the `events` table.
EVENT_COLUMNS = (
    "source",
    "source_id",
    "event_date",
    "year",
    "month",
    "time_precision",
    "disorder_type",
    "event_type",
    "sub_event_type",
    "actor1",
    "assoc_actor_1",
    "inter1",
    "actor2",
    "assoc_actor_2",
    "inter2",
    "interaction",
    "civilian_targeting",
    "iso",
    "region",
    "country",
    "admin1",
    "admin2",
    "admin3",
    "location",
    "latitude",
    "longitude",
    "geo_precision",
    "sources",
    "source_scale",
    "notes",
    "fatalities",
    "tags",
    "timestamp",
    "tier",
)
INTEGER_COLUMNS = ("year", "month", "time_precision", "iso", "geo_precision", "fatalities", "timestamp")
FLOAT_COLUMNS = ("latitude", "longitude")
TEXT_COLUMNS = tuple(
    name for name in EVENT_COLUMNS if name not in (*INTEGER_COLUMNS, *FLOAT_COLUMNS, "event_date")
)

#: Settlement tiers, most important first. Every event has exactly one: the tier of the place
#: it happened at, or `unlocated` when the source coded it to a nearby town or a provincial
#: capital because the place itself is unknown (see `is_located`).
PLACE_TIERS = ("national_capital", "admin1_capital", "admin2_capital", "admin3_seat", "other")
UNLOCATED = "unlocated"
TIERS = (*PLACE_TIERS, UNLOCATED)

#: ACLED's disorder types. Series, forecasts, detectors and tier shares count political violence
#: unless the analyst asks for demonstrations (their own measure); strategic developments (bases
#: handed over, arrests, looting without violence) are never counted.
POLITICAL_VIOLENCE = "Political violence"
DEMONSTRATIONS = "Demonstrations"
STRATEGIC_DEVELOPMENTS = "Strategic developments"
DISORDER_TYPES = (POLITICAL_VIOLENCE, DEMONSTRATIONS, STRATEGIC_DEVELOPMENTS)
#: `geo_precision` codes that mean "happened at the named place", per source. ACLED: 1 (2 and 3
#: are a nearby town or the provincial capital standing in for an unknown village). UCDP GED's
#: `where_prec`: 1 (the exact place) and 2 (within about 25 km of it); 3 and above are only an
#: admin2 or admin1 unit, or less.
LOCATED_PRECISION = {"acled": (1,), "ucdp": (1, 2)}

#: ACLED's event types and the disorder type each belongs to (ACLED codebook), including the
#: pre-2019 names: what an older export without a `disorder_type` column is counted as.
DISORDER_OF_EVENT_TYPE = {
    "battles": "Political violence",
    "explosions/remote violence": "Political violence",
    "violence against civilians": "Political violence",
    "protests": "Demonstrations",
    "riots": "Demonstrations",
    "strategic developments": "Strategic developments",
    # Before 2019
    "battle-no change of territory": "Political violence",
    "battle-government regains territory": "Political violence",
    "battle-non-state actor overtakes territory": "Political violence",
    "remote violence": "Political violence",
    "riots/protests": "Demonstrations",
    "non-violent transfer of territory": "Strategic developments",
    "headquarters or base established": "Strategic developments",
}


def derive_disorder_type(event_type: pd.Series) -> pd.Series:
    """ACLED's disorder type (`Political violence`, `Demonstrations`, `Strategic developments`)
    of each event type, matched without regard to case or surrounding blanks; missing where the
    event type is missing or unknown."""
    return event_type.astype(object).where(event_type.notna()).str.strip().str.lower().map(DISORDER_OF_EVENT_TYPE)


#: How many bad rows an error message lists before it stops counting them out.
MAX_LISTED_PROBLEMS = 20

#: UCDP GED begins in 1989 and ACLED later: an earlier date is a typo (1899 for 1989), not history.
EARLIEST_EVENT_DATE = dt.date(1989, 1, 1)
#: The longest event id the store keeps (the `events.source_id` column is VARCHAR(64)).
SOURCE_ID_MAX_LENGTH = 64
#: Whole-number columns besides fatalities: the smallest and largest value each may hold. The
#: precisions are codes (ACLED 1-3, UCDP 1-7) in SMALLINT columns; iso is ISO 3166's 3-digit
#: number; a timestamp is Unix seconds, below 2**53 so that it survives a float on the way in.
WHOLE_NUMBER_RANGES = {
    "time_precision": (0, 32_767),
    "iso": (0, 999),
    "geo_precision": (0, 32_767),
    "timestamp": (0, 2**53),
}
# PostgreSQL refuses NUL in text, and other control characters break tables, CSV files and email
# headers downstream. Free text (notes, sources, tags) may hold tabs and line breaks; ids and names may not.
# (RE2 patterns, for Arrow's regex kernels.)
_CONTROL_IN_FREE_TEXT = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
_CONTROL_IN_NAME = r"[\x00-\x1f\x7f]"
#: Numbers Arrow parses as pandas does (exactly: at most 15 digits): whole numbers, and the
#: decimals of coordinates. Anything else is left to pandas.
_WHOLE_NUMBER = r"^-?[0-9]{1,15}$"
_DECIMAL_NUMBER = r"^-?[0-9]{1,3}(\.[0-9]{1,12})?$"
_FREE_TEXT_COLUMNS = ("notes", "sources", "tags")


@dataclass(frozen=True)
class EventBounds:
    """What an event may be besides well-typed: the limits `validate_events` checks.

    `today` is the day of the load (UTC), passed in: the domain reads no clock. An event may be
    dated from `EARLIEST_EVENT_DATE` to `today` plus `future_days` (a source whose day starts
    before ours), and carry 0 to `max_fatalities` deaths.
    """

    today: dt.date
    future_days: int = 2
    max_fatalities: int = 100_000

    @property
    def latest_date(self) -> dt.date:
        return self.today + dt.timedelta(days=self.future_days)


class InvalidEventsError(ConflictwatchError):
    """A file holds rows that are not valid events; nothing from it was stored."""

    def __init__(self, file: str, rejects: pd.DataFrame):
        self.file = file
        self.rejects = rejects
        lines = [
            f"  line {int(row.line)}: {row.reason}"
            for row in rejects.head(MAX_LISTED_PROBLEMS).itertuples()
        ]
        more = len(rejects) - MAX_LISTED_PROBLEMS
        if more > 0:
            lines.append(f"  ... and {more} more bad rows")
        super().__init__(
            f"{file}: {len(rejects)} invalid rows, nothing was stored.\n"
            + "\n".join(lines)
            + "\nFix these rows, or rerun with --skip-invalid to load the valid rows and write the"
            " rejected ones, with reasons, to a side file."
        )


@dataclass(frozen=True)
class ValidatedEvents:
    """The outcome of validating one file: the valid events and the rejected rows.

    `rejects` has the columns `line` (1-based line in the file, header is line 1), `reason`, and
    the raw columns of the rejected rows as they were read.
    """

    events: pd.DataFrame
    rejects: pd.DataFrame


def validate_events(
    raw: pd.DataFrame, line_numbers: pd.Series, bounds: EventBounds, *, arrow_text: bool = False
) -> ValidatedEvents:
    """Type-check and validate an event frame built by a source reader, against `bounds`.

    `raw` has the columns of `EVENT_COLUMNS` (except `year`, `month`, `tier`, derived here or
    later), all as strings or missing; `line_numbers` gives each row's line in its file.
    Returns the valid rows typed (dates as datetime64, counts as nullable integers, coordinates as
    floats, empty text as missing) and the rejected rows with one reason each (several reasons
    joined by "; "). docs/validation.md lists every rule; whatever passes them fits both stores.

    Columns are checked whole, in Arrow's compute kernels where they give pandas' answer (text,
    plain numbers): a million rows must not cost a Python call each.

    With `arrow_text`, the valid rows' text columns stay in Arrow (`pd.ArrowDtype` of large
    strings, missing values null) instead of Python strings and None: the same values, for a
    writer that hands them on to Arrow (the ingest of files), at no cost per row.
    """
    raw = raw.reset_index(drop=True)
    line_numbers = pd.Series(np.asarray(line_numbers), index=raw.index)
    problems: list[tuple[np.ndarray, str]] = []

    def reject(mask, reason: str) -> None:
        mask = _as_mask(mask)
        if mask.any():
            problems.append((mask, reason))

    text = {name: _clean_text(_column(raw, name)) for name in TEXT_COLUMNS}
    text["disorder_type"] = _disorder_type_text(text["event_type"], text["disorder_type"])

    reject(_is_null(text["source_id"]), "missing event id (event_id_cnty / id)")
    reject(
        pc.greater(pc.utf8_length(text["source_id"]), SOURCE_ID_MAX_LENGTH),
        f"event id is longer than {SOURCE_ID_MAX_LENGTH} characters",
    )
    for name in TEXT_COLUMNS:
        reject(_control_characters(text[name], free=name in _FREE_TEXT_COLUMNS), f"{name} contains a control character (such as NUL)")

    date_text = _trimmed(_column(raw, "event_date"))
    event_date = _parse_dates(raw["event_date"], date_text)
    date_given = _is_given(date_text)
    reject(~date_given, "missing event_date")
    reject(date_given & event_date.isna(), "event_date is not a date (expected YYYY-MM-DD)")
    reject(
        event_date < pd.Timestamp(EARLIEST_EVENT_DATE),
        f"event_date is before {EARLIEST_EVENT_DATE.isoformat()} (no source covers earlier years)",
    )
    reject(
        event_date > pd.Timestamp(bounds.latest_date),
        f"event_date is in the future (after {bounds.latest_date.isoformat()}: today, {bounds.today.isoformat()},"
        f" plus {bounds.future_days} days' grace)",
    )

    reject(_is_null(text["country"]), "missing country")

    fatalities_given, fatalities = _parse_numbers(raw, "fatalities", _WHOLE_NUMBER)
    reject(~fatalities_given, "missing fatalities")
    reject(fatalities_given & fatalities.isna(), "fatalities is not a number")
    reject(fatalities < 0, "fatalities is negative")
    reject(fatalities.notna() & (fatalities != np.floor(fatalities)), "fatalities is not a whole number")
    reject(fatalities > bounds.max_fatalities, f"fatalities is more than {bounds.max_fatalities:,} (the most one event may carry)")

    numbers = {}
    for name in ("time_precision", "iso", "geo_precision", "timestamp"):
        given, parsed = _parse_numbers(raw, name, _WHOLE_NUMBER)
        if name == "timestamp" and name in raw:
            parsed = parsed.fillna(_parse_timestamps(raw[name].str.strip().where(given & parsed.isna())))
        reject(given & parsed.isna(), f"{name} is not a number")
        reject(parsed.notna() & (parsed != np.floor(parsed)), f"{name} is not a whole number")
        lowest, highest = WHOLE_NUMBER_RANGES[name]
        reject((parsed < lowest) | (parsed > highest), f"{name} is out of range ({lowest} to {highest})")
        numbers[name] = parsed

    coordinates = {}
    for name, limit in (("latitude", 90), ("longitude", 180)):
        given, parsed = _parse_numbers(raw, name, _DECIMAL_NUMBER)
        reject(given & parsed.isna(), f"{name} is not a number")
        reject(parsed.abs() > limit, f"{name} is out of range (-{limit} to {limit})")
        coordinates[name] = parsed

    reasons = _reasons(problems, len(raw))
    bad = reasons.notna().to_numpy()
    rejects = raw[bad].copy()
    rejects.insert(0, "reason", reasons[bad])
    rejects.insert(0, "line", line_numbers[bad].astype(int))

    good = ~bad
    # The columns are gathered, then made a frame at once (set one at a time into a frame, each
    # insertion cost a copy of the frame's column index: a fixed 6 ms a block). `raw` has a
    # RangeIndex, so the valid rows' values are in the frame's order.
    rows = int(good.sum())
    columns = {}
    for name in EVENT_COLUMNS:
        if name in TEXT_COLUMNS and name not in raw and name != "disorder_type":
            columns[name] = pd.Series(None, index=pd.RangeIndex(rows), dtype=object)
        elif name in TEXT_COLUMNS and arrow_text:
            kept = text[name].filter(pa.array(good)) if not good.all() else text[name]
            columns[name] = pd.arrays.ArrowExtensionArray(kept)
        elif name in TEXT_COLUMNS:
            columns[name] = _objects(text[name])[good].reset_index(drop=True)  # a Series: kept as objects
        elif name == "event_date":
            columns[name] = event_date[good].astype("datetime64[ns]").array
        elif name == "year":
            columns[name] = event_date[good].dt.year.astype("Int64").array
        elif name == "month":
            columns[name] = event_date[good].dt.month.astype("Int64").array
        elif name == "fatalities":
            columns[name] = fatalities[good].astype("float64").astype("Int64").array
        elif name in FLOAT_COLUMNS:
            columns[name] = coordinates[name][good].astype("float64").to_numpy()
        else:
            columns[name] = numbers[name][good].astype("float64").astype("Int64").array
    events = pd.DataFrame(columns, copy=False)
    events["timestamp"] = events["timestamp"].fillna(0)
    events = _keep_newest_version(events)
    return ValidatedEvents(events=events, rejects=rejects.reset_index(drop=True))


def disorder_types(event_type: pd.Series, disorder_type: pd.Series) -> pd.Series:
    """Each event's disorder type, one of `DISORDER_TYPES`.

    The event type decides where it is one of ACLED's six: a riot is a demonstration even where
    ACLED writes "Political violence; Demonstrations" (mob violence, excessive force against
    protesters), so that no riot enters political-violence counts. Otherwise the given disorder
    type is kept when it is one of the three (its first part for a combined one); an event with
    neither (UCDP GED, files without the columns) is political violence.
    """
    # Few distinct values (types, not events): each is decided once, not once a row.
    derived = _by_distinct_value(event_type, derive_disorder_type)
    given = disorder_type.astype(object).where(disorder_type.notna(), None)
    first = _by_distinct_value(given, lambda values: values.map(lambda text: text.split(";")[0].strip() if isinstance(text, str) else None))
    known = first.where(first.isin(DISORDER_TYPES), None)
    return derived.where(derived.notna(), known).fillna(POLITICAL_VIOLENCE).astype(object)


def _disorder_type_text(event_type, disorder_type):
    """`disorder_types` of two Arrow text columns, as Arrow text. Each distinct (event type,
    disorder type) pair, a handful in a block, is decided once and spread back to its rows:
    made into Python strings row by row, the two columns took a tenth of validation's CPU."""
    distinct, codes = [], []
    for column in (event_type, disorder_type):
        encoded = pc.dictionary_encode(column)
        distinct.append(np.append(encoded.dictionary.to_numpy(zero_copy_only=False), None))  # the last for missing
        codes.append(pc.fill_null(encoded.indices, len(encoded.dictionary)).to_numpy(zero_copy_only=False).astype(np.int64))
    width = len(distinct[1])
    pairs, pair_of_row = np.unique(codes[0] * width + codes[1], return_inverse=True)
    decided = disorder_types(
        pd.Series(distinct[0][pairs // width], dtype=object), pd.Series(distinct[1][pairs % width], dtype=object)
    )
    return _arrow_text(decided).take(pa.array(pair_of_row))


def _by_distinct_value(column: pd.Series, decide: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """`decide` (values -> values) of each distinct value of `column` once, spread back to its rows."""
    codes, distinct = pd.factorize(column.astype(object), use_na_sentinel=True)
    candidates = pd.Series([*np.asarray(distinct, dtype=object), None], dtype=object)  # the last for missing values
    decided = decide(candidates).to_numpy(dtype=object)
    return pd.Series(decided[codes], index=column.index, dtype=object)


def counted_as_political_violence(events: pd.DataFrame) -> pd.Series:
    """Whether each event counts as political violence (True for all where the frame has no
    `disorder_type` column: a bare frame of violent events, as tests and aggregates give)."""
    if "disorder_type" not in events:
        return pd.Series(True, index=events.index)
    return (events["disorder_type"] == POLITICAL_VIOLENCE) | events["disorder_type"].isna()


def is_located(events: pd.DataFrame) -> pd.Series:
    """Whether each event is located at its named place (`LOCATED_PRECISION`); events without a
    precision code count as located, as do sources not listed there."""
    if "geo_precision" not in events:
        return pd.Series(True, index=events.index)
    precision = pd.to_numeric(events["geo_precision"], errors="coerce")
    source = events["source"] if "source" in events else pd.Series("acled", index=events.index)
    located = precision.isna() | ~source.isin(list(LOCATED_PRECISION))
    for name, codes in LOCATED_PRECISION.items():
        located |= (source == name) & precision.isin(codes)
    return located.astype(bool)


def _keep_newest_version(events: pd.DataFrame) -> pd.DataFrame:
    """One row per (source, source_id): a file may list an event twice; the newest version wins."""
    if not events.duplicated(["source", "source_id"]).any():
        return events  # the usual case, and a sort of a million rows is worth skipping
    ordered = events.sort_values("timestamp", kind="stable")
    newest = ordered.drop_duplicates(["source", "source_id"], keep="last")
    return newest.sort_index().reset_index(drop=True)


def _column(raw: pd.DataFrame, name: str):
    """A column of `raw` as one Arrow string array (missing values null); all null when `raw`
    lacks it. Arrow-backed string columns (what the file reader gives) are taken without a copy."""
    if name not in raw:
        return pa.nulls(len(raw), pa.large_string())
    column = raw[name]
    if not (isinstance(column.dtype, pd.StringDtype) and column.dtype.storage == "pyarrow"):
        column = column.astype("str")
    array = pa.array(column.array)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    return array.cast(pa.large_string())


def _clean_text(column):
    """Strip surrounding blanks; an empty field is missing (null). Inner text is kept byte for byte."""
    stripped = _trimmed(column)
    given = _is_given(stripped)
    if given.all():
        return stripped  # nothing empty or missing: no copy
    return pc.if_else(given, stripped, pa.scalar(None, stripped.type))


def _trimmed(text):
    """`text` (large strings) without surrounding blanks (Unicode white space, as Arrow's
    `utf8_trim_whitespace`), and `text` itself when no value can have any: a copy of every
    value (a third of a second for a 300,000-row file's text columns) saved in the usual case.
    One pass over each value's first and last byte decides: a white-space character is either
    ASCII at or below the space, or written in UTF-8 with bytes above 0x7F; so is anything
    else that could be one, and then the column is trimmed."""
    if text.type != pa.large_string() or len(text) == 0 or text.buffers()[2] is None:
        return pc.utf8_trim_whitespace(text)
    offsets = np.frombuffer(text.buffers()[1], dtype=np.int64)[text.offset : text.offset + len(text) + 1]
    data = np.frombuffer(text.buffers()[2], dtype=np.uint8)
    starts, ends = offsets[:-1], offsets[1:]
    filled = ends > starts
    edges = np.concatenate([data[starts[filled]], data[ends[filled] - 1]])
    if np.any((edges <= 0x20) | (edges >= 0x7F)):
        return pc.utf8_trim_whitespace(text)
    return text


def _is_given(stripped) -> np.ndarray:
    """Which values of a stripped text array are present and not empty."""
    return pc.fill_null(pc.greater(pc.binary_length(stripped), 0), False).to_numpy(zero_copy_only=False)


def _is_null(array) -> np.ndarray:
    return array.is_null().to_numpy(zero_copy_only=False)


def _objects(array) -> pd.Series:
    """An Arrow string array as plain Python strings and None, which is what the store and the
    gazetteer expect. A column of few distinct values (types, actors, places) shares one string
    object per value: faster to make, and a fraction of the memory."""
    encoded = pc.dictionary_encode(array)
    if len(encoded.dictionary) > len(array) // 2:
        return pd.Series(array.to_numpy(zero_copy_only=False), dtype=object)
    distinct = np.append(encoded.dictionary.to_numpy(zero_copy_only=False), None)
    positions = pc.fill_null(encoded.indices, len(distinct) - 1).to_numpy(zero_copy_only=False)
    return pd.Series(distinct[positions], dtype=object)


def python_strings(column: pd.Series) -> pd.Series:
    """A text column kept in Arrow (see `validate_events`' `arrow_text`) as plain Python strings
    and None, one string object per distinct value; the same index."""
    array = pa.array(column.array)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    return _objects(array).set_axis(column.index)


def _control_characters(text, *, free: bool):
    """Which values of `text` hold a control character (free text: other than tab and line
    breaks); False for all when none does. One pass over the column's bytes finds that first (the
    usual answer): UTF-8 writes these characters as single bytes that no other character uses."""
    offsets = np.frombuffer(text.buffers()[1], dtype=np.int64)[text.offset : text.offset + len(text) + 1]
    data = text.buffers()[2]
    found = np.frombuffer(data, dtype=np.uint8)[offsets[0] : offsets[-1]] if data is not None and len(text) else np.empty(0, np.uint8)
    controls = np.count_nonzero(found < 0x20) + np.count_nonzero(found == 0x7F)
    if controls == 0 or (free and controls == sum(np.count_nonzero(found == byte) for byte in b"\t\n\r")):
        return False
    return pc.match_substring_regex(text, _CONTROL_IN_FREE_TEXT if free else _CONTROL_IN_NAME)


def _arrow_text(column: pd.Series):
    return pa.array(column.to_numpy(dtype=object), type=pa.large_string(), from_pandas=True)


def _as_mask(mask) -> np.ndarray:
    """A check's outcome as a boolean array; a missing outcome (a comparison with a missing value)
    is no finding."""
    if isinstance(mask, pa.Array):
        return pc.fill_null(mask, False).to_numpy(zero_copy_only=False)
    if isinstance(mask, pd.Series):
        return mask.fillna(False).astype(bool).to_numpy()
    return np.asarray(mask, dtype=bool)


def _reasons(problems: list[tuple[np.ndarray, str]], rows: int) -> pd.Series:
    """Each row's reasons joined by "; " in the order they were found; None for a valid row."""
    reasons = np.full(rows, None, dtype=object)
    for mask, reason in problems:
        where = mask.nonzero()[0]
        reasons[where] = [reason if found is None else f"{found}; {reason}" for found in reasons[where]]
    return pd.Series(reasons, dtype=object)


def _parse_numbers(raw: pd.DataFrame, name: str, plain: str) -> tuple[np.ndarray, pd.Series]:
    """(given, value) of a numeric column: whether each row has a value, and the number it
    holds (NaN where none is, or where it is not a number). A column whose values all match
    `plain` is parsed by Arrow, which reads such numbers exactly as pandas does; any other
    ("4.0", "1e5", "nan", 2**63) takes pandas' general parser, whose answers the checks expect."""
    stripped = _trimmed(_column(raw, name))
    given = _is_given(stripped)
    is_plain = pc.fill_null(pc.match_substring_regex(stripped, plain), False).to_numpy(zero_copy_only=False)
    if (is_plain | ~given).all():
        present = pc.if_else(given, stripped, pa.scalar(None, stripped.type))
        # Whole numbers through int64, so that "-0" is 0 as pandas reads it.
        numbers = pc.cast(present, pa.int64() if plain == _WHOLE_NUMBER else pa.float64()).cast(pa.float64())
        return given, pd.Series(numbers.to_numpy(zero_copy_only=False), index=raw.index)
    column = raw[name].str.strip()
    return given, pd.to_numeric(column.where(given), errors="coerce")


def _parse_dates(column: pd.Series, stripped) -> pd.Series:
    """ACLED writes YYYY-MM-DD; older exports and UCDP also write '01 July 2025' or a time.
    `stripped` is the column without surrounding blanks, as Arrow text."""
    text = pd.Series(pc.utf8_slice_codeunits(stripped, 0, 10).to_numpy(zero_copy_only=False), index=column.index, dtype=object)
    dates = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    unparsed = dates.isna() & column.notna()
    if unparsed.any():
        # Only the rows that failed the fast path pay for the slower formats.
        long_form = pd.to_datetime(column[unparsed].str.strip(), format="%d %B %Y", errors="coerce")
        dates = dates.fillna(long_form)
    # Left in the parser's resolution: nanoseconds hold 1677 to 2262 only, and a date beyond
    # (9999-12-31) must reach the bounds, which name it; valid rows are converted once checked.
    return dates


def _parse_timestamps(column: pd.Series) -> pd.Series:
    """Unix seconds from an ISO date-time, for exports that write the timestamp as a date."""
    if column.isna().all():
        return pd.Series(np.nan, index=column.index)
    parsed = pd.to_datetime(column, errors="coerce", utc=True, format="ISO8601")
    seconds = (parsed - pd.Timestamp("1970-01-01", tz="UTC")) // pd.Timedelta(seconds=1)
    return seconds.astype("float64")
