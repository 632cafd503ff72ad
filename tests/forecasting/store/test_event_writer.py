"""The event writer on its own, on a SQLite file and on PostgreSQL: the counts each save returns,
which way each frame goes in (PostgreSQL's COPY straight into an empty table, or the merge), and
SQLite's covering index of monthly counts around a bulk load.

tests/jobs/test_ingest.py checks the same writer through the whole ingest step; these tests call
it directly, so that `make mutate` can rerun them for every mutant in well under a second."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from factories import ACLED_HEADER, acled_events, acled_row

from forecasting.events import EventBounds
from forecasting.store import events as stored_events
from forecasting.store import open_store
from forecasting.store.events import SaveResult, event_writer

BOUNDS = EventBounds(today=dt.date(2026, 1, 1))
INDEX = "ix_events_monthly_counts"


@pytest.fixture
def frame(tmp_path):
    """An event frame as the ingest step saves it (read and validated from ACLED CSV lines, every
    event in the `other` tier): `frame("A1", "A2", ...)` or `frame(*lines)` for whole rows."""

    def build(*rows: str) -> pd.DataFrame:
        lines = [row if "," in row else acled_row(row) for row in rows]
        return acled_events(lines, BOUNDS, tmp_path).assign(tier="other")

    return build


def ids(prefix: str, count: int, first: int = 0) -> list[str]:
    return [f"{prefix}{number:04d}" for number in range(first, first + count)]


def stored(store) -> pd.DataFrame:
    return stored_events.load_events(store).set_index("source_id")


def save_committed(store, *frames: pd.DataFrame) -> list[SaveResult]:
    with event_writer(store) as writer:
        return [writer.save(events) for events in frames]


def test_an_empty_frame_saves_nothing_and_counts_nothing(store, frame):
    empty = frame("A1").iloc[:0]

    (nothing,) = save_committed(store, empty)
    assert nothing == SaveResult(inserted=0, updated=0, unchanged=0, synthetic_removed=0, method="none")
    assert stored_events.count_events(store) == 0

    save_committed(store, frame("A1", "A2"))
    (again,) = save_committed(store, empty)
    assert again == SaveResult(0, 0, 0, method="none")
    assert sorted(stored(store).index) == ["A1", "A2"]


def test_into_an_empty_table_frames_are_copied_until_one_repeats_a_stored_event(store, frame):
    """PostgreSQL copies each frame straight into an empty table; a frame that repeats an event
    already written (a later block of the same file) is merged instead, and so is every frame
    after it. SQLite always merges."""
    copy = "copy" if store.dialect == "postgresql" else "merge"
    newer = acled_row("A1", fatalities="9", timestamp="1747000001")

    with event_writer(store) as writer:
        nothing = writer.save(frame("A1").iloc[:0])  # an empty frame first changes nothing
        first = writer.save(frame("A1", "A2"))
        second = writer.save(frame("A3"))
        repeating = writer.save(frame("A4", newer, "A2"))
        after = writer.save(frame("A5"))

    assert nothing == SaveResult(0, 0, 0, method="none")
    assert first == SaveResult(inserted=2, updated=0, unchanged=0, method=copy)
    assert second == SaveResult(inserted=1, updated=0, unchanged=0, method=copy)
    assert repeating == SaveResult(inserted=1, updated=1, unchanged=1, method="merge")
    assert after == SaveResult(inserted=1, updated=0, unchanged=0, method="merge")
    events = stored(store)
    assert sorted(events.index) == ["A1", "A2", "A3", "A4", "A5"]  # the failed COPY left nothing behind
    assert events.loc["A1", "fatalities"] == 9 and events.loc["A2", "fatalities"] == 4


def test_into_a_table_with_rows_every_frame_is_merged(store, frame):
    save_committed(store, frame("A1", "A2"))

    with event_writer(store) as writer:
        new = writer.save(frame("B1", "B2"))
        more = writer.save(frame("B3"))
        repeated = writer.save(frame("A1", "B1"))

    assert new == SaveResult(inserted=2, updated=0, unchanged=0, method="merge")
    assert more == SaveResult(inserted=1, updated=0, unchanged=0, method="merge")
    assert repeated == SaveResult(inserted=0, updated=0, unchanged=2, method="merge")
    assert stored_events.count_events(store) == 5


def test_newer_versions_replace_and_older_or_equal_ones_are_counted_unchanged(store, frame):
    save_committed(store, frame(*[acled_row(name, fatalities="4", timestamp="1000") for name in ("A1", "A2", "A3")]))

    (result,) = save_committed(store, frame(
        acled_row("A1", fatalities="5", timestamp="2000"),  # newer: replaces
        acled_row("A2", fatalities="6", timestamp="1000"),  # the same version: ignored
        acled_row("A3", fatalities="7", timestamp="999"),   # older: ignored
        acled_row("A4", fatalities="8", timestamp="1"),     # new
    ))

    assert result == SaveResult(inserted=1, updated=1, unchanged=2, method="merge")
    events = stored(store)
    assert events["fatalities"].to_dict() == {"A1": 5, "A2": 4, "A3": 4, "A4": 8}
    assert events["timestamp"].to_dict() == {"A1": 2000, "A2": 1000, "A3": 1000, "A4": 1}


@pytest.mark.parametrize(
    ("column", "value"),
    [("fatalities", "40"), ("notes", "Revised note."), ("event_date", "2025-05-15"), ("latitude", "12.5")],
)
def test_a_row_without_timestamp_replaces_a_stored_one_when_any_column_differs(store, frame, column, value):
    """Rows without a timestamp (stored as 0) have no version to compare: any changed data
    column replaces the stored row; the same row again changes nothing."""
    save_committed(store, frame(acled_row("A1", timestamp=""), acled_row("A2", timestamp="")))

    (same,) = save_committed(store, frame(acled_row("A1", timestamp=""), acled_row("A2", timestamp="")))
    (revised,) = save_committed(store, frame(acled_row("A1", timestamp="", **{column: value}), acled_row("A2", timestamp="")))

    assert same == SaveResult(inserted=0, updated=0, unchanged=2, method="merge")
    assert revised == SaveResult(inserted=0, updated=1, unchanged=1, method="merge")
    event = stored_events.load_events(store).set_index("source_id").loc["A1"]
    expected = frame(acled_row("A1", timestamp="", **{column: value})).iloc[0][column]
    assert event[column] == (pytest.approx(expected) if column == "latitude" else expected)
    assert event["timestamp"] == 0


def test_a_row_without_timestamp_never_replaces_a_timestamped_one(store, frame):
    save_committed(store, frame(acled_row("A1", fatalities="4", timestamp="1000")))
    (result,) = save_committed(store, frame(acled_row("A1", fatalities="40", timestamp="")))
    assert result == SaveResult(inserted=0, updated=0, unchanged=1, method="merge")
    assert stored(store).loc["A1", "fatalities"] == 4


def test_missing_values_and_every_type_come_back_as_written(store, frame):
    """Both load paths (COPY on PostgreSQL, the merge) store the same values: dates, integers,
    floats, text (accented too), empty optional fields as missing."""
    def sparse(event_id: str) -> str:
        return acled_row(event_id, admin3="", latitude="", longitude="", geo_precision="", fatalities="0",
                         notes='Quote "this", and that at Ségou')

    full = acled_row("A2", "2024-02-29", fatalities="12", timestamp="1747000123")
    save_committed(store, frame(sparse("A1"), full))  # copied on PostgreSQL
    save_committed(store, frame(sparse("A3"), full, "A0"))  # merged

    events = stored(store)
    for name in ("A0", "A1", "A2", "A3"):
        missing = name in ("A1", "A3")
        for column in ("latitude", "longitude", "admin3", "geo_precision"):
            assert pd.isna(events.loc[name, column]) == missing, (name, column)
        assert events.loc[name, "iso"] == 854 and events.loc[name, "tier"] == "other"
        assert events.loc[name, "fatalities"] == {"A0": 4, "A2": 12}.get(name, 0)
    assert events.loc["A3", "notes"] == events.loc["A1", "notes"] == 'Quote "this", and that at Ségou'
    assert events.loc["A2", "event_date"] == pd.Timestamp("2024-02-29")
    assert (events.loc["A2", "year"], events.loc["A2", "month"], events.loc["A2", "timestamp"]) == (2024, 2, 1747000123)
    assert events.loc["A2", "latitude"] == pytest.approx(12.0616)
    assert events.loc["A0", "geo_precision"] == 1


def _copy_rows_read_back(stream, types: list[str]) -> list[tuple]:
    """Rows of COPY's binary form read back as PostgreSQL reads them (big-endian field counts,
    lengths and values; a length of -1 for NULL), dates as YYYY-MM-DD text."""
    import struct

    formats = {"int2": ">h", "int4": ">i", "int8": ">q", "float8": ">d", "date": ">i"}
    stream, rows, at = bytes(stream), [], 0
    while at < len(stream):
        (fields,), at = struct.unpack_from(">h", stream, at), at + 2
        row = []
        for kind in types[:fields]:
            (length,), at = struct.unpack_from(">i", stream, at), at + 4
            if length == -1:
                row.append(None)
                continue
            value, at = stream[at : at + length], at + length
            if kind == "text":
                row.append(value.decode("utf-8"))
            elif kind == "date":
                row.append((dt.date(2000, 1, 1) + dt.timedelta(days=struct.unpack(">i", value)[0])).isoformat())
            else:
                row.append(struct.unpack(formats[kind], value)[0])
        assert fields == len(types)
        rows.append(tuple(row))
    return rows


def test_copys_binary_rows_hold_the_values_the_store_is_given(frame):
    """PostgreSQL's COPY is encoded by Arrow's and numpy's kernels: read back, each row holds the
    values `save` binds on SQLite (missing ones NULL, text in UTF-8, dates before and after
    2000-01-01, negative numbers), whatever the frame's index and in slices of any size, also
    where a slice's column holds only NULLs."""
    from forecasting.store.events import _DATA_COLUMNS, _TABLE, _as_arrow, _as_database_values, _binary_rows, _postgresql_type

    events = frame(
        acled_row("A1", admin3="", latitude="", longitude="-3.25", geo_precision="", fatalities="0",
                  notes='Quote "this", and that at Ségou'),
        acled_row("A2", "2024-02-29", fatalities="12", timestamp="1747000123"),
        acled_row("A3", "1999-12-31", latitude="-0.5", timestamp=""),
    ).iloc[[2, 0, 1]].set_axis([7, -1, 12])[_DATA_COLUMNS]
    types = [_postgresql_type(_TABLE.c[name]) for name in _DATA_COLUMNS]
    expected = list(zip(*_as_database_values(events).values()))
    table = _as_arrow(events, iso_dates=False)

    assert _copy_rows_read_back(_binary_rows(table, types), types) == expected
    for size in (1, 2):  # slices of one row: columns that are all NULL there, text and numbers
        sliced = b"".join(bytes(_binary_rows(table.slice(start, size), types)) for start in range(0, 3, size))
        assert _copy_rows_read_back(sliced, types) == expected
    assert expected[1][_DATA_COLUMNS.index("admin3")] is None and expected[0][_DATA_COLUMNS.index("timestamp")] == 0


def test_postgresql_a_frame_copied_slice_by_slice_goes_in_whole_each_row_once(postgres_store, frame, monkeypatch):
    """COPY's rows are encoded a slice at a time (5,000 rows; 2 here): a frame of several slices
    is still copied straight in, every row once (a row sent twice would make the COPY fail and
    the frame be merged instead)."""
    monkeypatch.setattr(stored_events, "_COPY_SLICE_ROWS", 2)

    (result,) = save_committed(postgres_store, frame(*ids("A", 5)))

    assert result == SaveResult(inserted=5, updated=0, unchanged=0, method="copy")
    assert sorted(stored(postgres_store).index) == ids("A", 5)


def locked(store) -> list[str]:
    """The stored events some transaction has written or locked since they were inserted:
    PostgreSQL's ON CONFLICT DO UPDATE locks every row it meets, updated or not."""
    with store.engine.connect() as connection:
        return connection.exec_driver_sql(
            "SELECT source_id FROM events WHERE xmax::text <> '0' ORDER BY source_id"
        ).scalars().all()


RELOAD = (
    acled_row("A0", fatalities="4", timestamp="1000"),  # the same version: unchanged
    acled_row("A1", fatalities="5", timestamp="2000"),  # newer: replaces
    acled_row("A2", fatalities="6", timestamp="999"),   # older: unchanged
    acled_row("A3", fatalities="7", timestamp=""),      # no timestamp, against a stored one: unchanged
    acled_row("B0", fatalities="8", timestamp="1"),     # new
)


@pytest.mark.parametrize("read_versions", [True, False])
def test_postgresql_a_reload_merges_only_the_rows_that_may_change_the_table(
    postgres_store, frame, monkeypatch, read_versions
):
    """A load that repeats stored events reads their versions once and leaves out the rows that
    change nothing, so the merge does not lock their stored rows; with or without that read, the
    counts and the stored rows are the same."""
    if not read_versions:
        monkeypatch.setattr(stored_events, "_READ_VERSIONS_SHARE", float("inf"))
    stored_first = [acled_row(name, fatalities="4", timestamp="1000") for name in ("A0", "A1", "A2", "A3")]
    save_committed(postgres_store, frame(*stored_first))

    (result,) = save_committed(postgres_store, frame(*RELOAD))

    assert result == SaveResult(inserted=1, updated=1, unchanged=3, method="merge")
    events = stored(postgres_store)
    assert events["fatalities"].to_dict() == {"A0": 4, "A1": 5, "A2": 4, "A3": 4, "B0": 8}
    assert events["timestamp"].to_dict() == {"A0": 1000, "A1": 2000, "A2": 1000, "A3": 1000, "B0": 1}
    assert locked(postgres_store) == (["A1"] if read_versions else ["A0", "A1", "A2", "A3"])


def test_postgresql_a_load_reads_the_stored_versions_once_its_repeats_reach_a_quarter_of_them(postgres_store, frame):
    """Each frame's share of stored events is estimated from a few of its rows; the versions are
    read when the repeats estimated so far reach a quarter of the stored events (8 here), not
    before: a load of new events never pays for the read."""
    save_committed(postgres_store, frame(*[acled_row(name, timestamp="1000") for name in ids("A", 8)]))

    with event_writer(postgres_store) as writer:
        first = writer.save(frame(acled_row("A0000", timestamp="1000"), *ids("N", 7)))  # 1 repeat: 1 < 2
        second = writer.save(frame(acled_row("A0001", timestamp="1000"), *ids("N", 7, 7)))  # 2 repeats: read
        third = writer.save(frame(acled_row("A0002", timestamp="1000"), *ids("N", 7, 14)))

    assert [first, second, third] == [SaveResult(inserted=7, updated=0, unchanged=1, method="merge")] * 3
    assert locked(postgres_store) == ["A0000"]  # merged before the read; the later repeats were left out
    assert stored_events.count_events(postgres_store) == 29


def test_postgresql_a_reload_compares_each_event_with_its_own_sources_version(postgres_store, frame):
    """Events are keyed by source and id: a frame of two data sets sharing an id is compared,
    row by row, with the version stored for that row's own source."""
    def both(acled: list[str], ucdp: list[str]) -> pd.DataFrame:
        return pd.concat([frame(*acled), frame(*ucdp).assign(source="ucdp")], ignore_index=True)

    ucdp = [acled_row("X1", fatalities="6", timestamp="3000"), acled_row("X2", timestamp="1000")]
    save_committed(postgres_store, both([acled_row("X1", timestamp="1000")], ucdp))

    (result,) = save_committed(postgres_store, both([acled_row("X1", fatalities="9", timestamp="2000"), "X3"], ucdp))

    assert result == SaveResult(inserted=1, updated=1, unchanged=2, method="merge")
    events = stored_events.load_events(postgres_store)
    assert sorted(zip(events["source"], events["source_id"], events["fatalities"], events["timestamp"])) == [
        ("acled", "X1", 9, 2000), ("acled", "X3", 4, 1747000000), ("ucdp", "X1", 6, 3000), ("ucdp", "X2", 4, 1000)
    ]
    assert locked(postgres_store) == ["X1"]  # the ACLED event replaced; the UCDP one left out


def test_postgresql_versions_read_before_the_sample_is_deleted_are_not_used_after(postgres_store, frame):
    """The stored versions a load read list the sample's events; once real events delete those,
    a sample event saved again is new, as a load that never read them would find it."""
    def marked(event_id: str) -> str:
        return acled_row(event_id).replace("Test source", "conflictwatch synthetic sample (test)")

    save_committed(postgres_store, frame(marked("SYNBFA1"), marked("SYNBFA2")))

    with event_writer(postgres_store) as writer:
        repeated = writer.save(frame(marked("SYNBFA1"), marked("SYNBFA2")))  # every row stored: read
        real = writer.save(frame("BFA1"))
        sample_again = writer.save(frame(marked("SYNBFA1")))

    assert repeated == SaveResult(inserted=0, updated=0, unchanged=2, method="merge")
    assert real.synthetic_removed == 2
    assert sample_again == SaveResult(inserted=1, updated=0, unchanged=0, method="merge")
    assert sorted(stored(postgres_store).index) == ["BFA1", "SYNBFA1"]


def test_copys_binary_rows_refuse_a_number_out_of_its_column_range(frame):
    """A whole number too large for its column fails the encoding (as psycopg's dumpers did)
    instead of being written cut to its low bytes."""
    import pyarrow as pa

    from forecasting.store.events import _DATA_COLUMNS, _TABLE, _as_arrow, _binary_rows, _postgresql_type

    events = frame("A1")[_DATA_COLUMNS].assign(fatalities=2**31)
    with pytest.raises(pa.ArrowInvalid):
        _binary_rows(_as_arrow(events, iso_dates=False), [_postgresql_type(_TABLE.c[name]) for name in _DATA_COLUMNS])


def test_a_frame_whose_text_is_kept_in_arrow_is_stored_as_one_of_python_strings(store, frame, tmp_path):
    """The ingest of files hands the writer its text in Arrow (`arrow_text`), the API pulls in
    Python strings: the same lines are stored as the same values either way (on PostgreSQL the
    first frame is copied, the second merged)."""
    from forecasting.sources.files import open_event_file

    def lines(prefix: str) -> list[str]:
        return [acled_row(f"{prefix}1", admin3="", notes='Quote "this", at Ségou'),
                acled_row(f"{prefix}2", "1999-12-31", location="Gao", fatalities="12", timestamp="")]

    path = tmp_path / "arrow.csv"
    path.write_text(ACLED_HEADER + "\n" + "\n".join(lines("K")) + "\n", encoding="utf-8")
    ((_, kept),) = open_event_file(path).blocks(BOUNDS, arrow_text=True)
    assert isinstance(kept.events["notes"].dtype, pd.ArrowDtype)

    save_committed(store, kept.events.assign(tier="other"), frame(*lines("P")))

    events = stored(store)
    in_arrow, in_python = (events.loc[[f"{prefix}1", f"{prefix}2"]].reset_index(drop=True) for prefix in "KP")
    pd.testing.assert_frame_equal(in_arrow, in_python)
    assert in_arrow.loc[0, "notes"] == 'Quote "this", at Ségou' and pd.isna(in_arrow.loc[0, "admin3"])


def test_the_ingest_log_records_the_load_with_the_events(store, frame):
    started = dt.datetime(2026, 1, 1, 6, 30, tzinfo=dt.timezone.utc)
    record = stored_events.LoadRecord(file="export.csv", format="acled", rows_read=5, rejected=2, started_at=started)

    with event_writer(store) as writer:
        result = writer.save(frame("A1", "A2", "A3"))
        writer.log(record, result, 1.5)

    log = stored_events.ingest_log(store)
    assert log.loc[0, ["file", "format", "rows_read", "inserted", "updated", "unchanged", "rejected", "seconds"]].tolist() == [
        "export.csv", "acled", 5, 3, 0, 0, 2, 1.5
    ]
    stamp = pd.Timestamp(log.loc[0, "started_at"])
    # PostgreSQL hands the time back with its zone; SQLite without one (as it was given: UTC).
    assert (stamp.tz_convert("UTC") if stamp.tzinfo else stamp.tz_localize("UTC")) == started


def test_a_writer_that_raises_leaves_nothing_behind(store, frame):
    with pytest.raises(RuntimeError, match="stopped"):
        with event_writer(store) as writer:
            writer.save(frame("A1", "A2"))
            raise RuntimeError("stopped")
    assert stored_events.count_events(store) == 0


def monthly_index_present(writer) -> bool:
    """Whether the covering index of monthly counts exists, seen from inside the writer's
    transaction (where a bulk load on SQLite drops it until `finish`). PostgreSQL never has it."""
    connection = writer._connection
    if connection.dialect.name == "sqlite":
        query = "SELECT name FROM sqlite_master WHERE type = 'index'"
    else:
        query = "SELECT indexname FROM pg_indexes WHERE tablename = 'events'"
    return INDEX in set(connection.exec_driver_sql(query).scalars())


def monthly_query_plan(store) -> str:
    """SQLite's plan for a query of monthly counts."""
    with store.engine.connect() as connection:
        plan = connection.exec_driver_sql(
            "EXPLAIN QUERY PLAN SELECT year, month, admin2, count(*), sum(fatalities) FROM events"
            " WHERE disorder_type = 'Political violence' GROUP BY year, month, admin2"
        ).fetchall()
    return " ".join(str(row) for row in plan)


class Stop(Exception):
    """Raised to roll a writer's transaction back once its steps are checked."""


@pytest.fixture
def small_bulk_loads(monkeypatch):
    """A bulk load from 20 rows on, instead of 50,000."""
    monkeypatch.setattr(stored_events, "BULK_LOAD_ROWS", 20)


def test_a_bulk_load_into_an_empty_table_starts_at_the_threshold(store, frame, small_bulk_loads):
    """SQLite drops the index once a load into an empty table is to write BULK_LOAD_ROWS rows,
    and builds it again before the load commits, where queries of monthly counts use it again.
    PostgreSQL has no such index and drops nothing."""
    sqlite = store.dialect == "sqlite"
    with pytest.raises(Stop), event_writer(store) as writer:
        writer.save(frame(*ids("A", 19)))
        assert monthly_index_present(writer) == sqlite  # 19 rows: not a bulk load
        writer.save(frame(*ids("A", 1, first=19)))
        assert not monthly_index_present(writer)  # 20 rows
        raise Stop
    assert stored_events.count_events(store) == 0

    with event_writer(store) as writer:
        writer.save(frame(*ids("A", 20)))
        assert not monthly_index_present(writer)
        writer.save(frame(*ids("A", 5, first=20)))
        assert not monthly_index_present(writer)
    with event_writer(store) as writer:
        assert monthly_index_present(writer) == sqlite
    assert stored_events.count_events(store) == 25
    if sqlite:
        assert INDEX in monthly_query_plan(store)


def test_a_bulk_load_into_a_table_with_rows_writes_at_least_half_as_many(store, frame, small_bulk_loads):
    """Into a table with rows a load is bulk once what it is to write (going by its frames so
    far) reaches both the threshold and half the rows the table held: its first frame never is."""
    sqlite = store.dialect == "sqlite"
    save_committed(store, frame(*ids("A", 40)))

    with pytest.raises(Stop), event_writer(store) as writer:
        writer.save(frame(*ids("B", 30)))
        assert monthly_index_present(writer) == sqlite  # a first frame: it may write nothing
        writer.save(frame(*ids("B", 1, first=30)))
        assert not monthly_index_present(writer)
        raise Stop
    with pytest.raises(Stop), event_writer(store) as writer:
        writer.save(frame(*ids("B", 10)))
        writer.save(frame(*ids("B", 9, first=10)))
        assert monthly_index_present(writer) == sqlite  # 19 rows
        writer.save(frame(*ids("B", 1, first=19)))
        assert not monthly_index_present(writer)  # 20 rows: the threshold, and half of 40
        raise Stop

    save_committed(store, frame("A9999"))  # 41 rows: 20 is less than half of them
    with pytest.raises(Stop), event_writer(store) as writer:
        writer.save(frame(*ids("B", 10)))
        writer.save(frame(*ids("B", 10, first=10)))
        assert monthly_index_present(writer) == sqlite
        writer.save(frame(*ids("B", 1, first=20)))
        assert not monthly_index_present(writer)  # 21 rows
        raise Stop
    assert stored_events.count_events(store) == 41


def test_a_bulk_load_goes_by_the_share_of_rows_its_frames_wrote(store, frame, small_bulk_loads):
    """What a load is to write is projected from the share of its last frame's rows that were
    new or newer versions: unchanged rows write nothing, and a frame of no rows changes nothing."""
    sqlite = store.dialect == "sqlite"
    save_committed(store, frame(*[acled_row(name, timestamp="1000") for name in ids("A", 40)]))

    with pytest.raises(Stop), event_writer(store) as writer:
        # Half the rows written (10 newer versions, 10 unchanged): 10 written, 0.5 of each frame.
        half = writer.save(frame(*[acled_row(name, timestamp="2000") for name in ids("A", 10)],
                                 *[acled_row(name, timestamp="1000") for name in ids("A", 10, first=10)]))
        assert (half.updated, half.unchanged) == (10, 10)
        writer.save(frame("A0000").iloc[:0])  # a frame of no rows changes no share
        writer.save(frame(*ids("B", 18)))  # 10 + 18 * 0.5 = 19 rows expected
        assert monthly_index_present(writer) == sqlite
        writer.save(frame(*ids("B", 2, first=18)))  # 28 written + 2 * 1.0
        assert not monthly_index_present(writer)
        raise Stop

    with pytest.raises(Stop), event_writer(store) as writer:
        writer.save(frame(*ids("B", 10)))
        writer.save(frame("A0000").iloc[:0])  # keeps the share of the frame before (1.0)
        writer.save(frame(*ids("B", 10, first=10)))  # 10 + 10
        assert not monthly_index_present(writer)
        raise Stop


def test_a_reload_of_unchanged_rows_keeps_the_index(store, frame, small_bulk_loads):
    sqlite = store.dialect == "sqlite"
    rows = ids("A", 30)
    save_committed(store, frame(*rows))
    with event_writer(store) as writer:
        for start in range(0, 30, 10):
            writer.save(frame(*rows[start : start + 10]))
            assert monthly_index_present(writer) == sqlite
    if sqlite:
        assert INDEX in monthly_query_plan(store)


def test_a_filtered_frame_saves_its_rows_whatever_its_index(store, frame):
    """A caller may hand over a filtered or reordered frame (its index no longer 0, 1, 2, ...):
    only its columns are written, by COPY as by the merge."""
    events = frame("A1", "A2", acled_row("A3", fatalities="0"), "A4", "A5")
    kept = events[events["fatalities"] > 0].iloc[[3, 0, 2]]  # A5, A1, A4: index 4, 0, 3

    (first,) = save_committed(store, kept)
    (second,) = save_committed(store, events.iloc[[1, 2]].iloc[::-1])

    assert (first.inserted, second.inserted) == (3, 2)
    assert sorted(stored(store).index) == ["A1", "A2", "A3", "A4", "A5"]
    assert stored(store).loc["A3", "fatalities"] == 0


def test_stored_days_compare_as_days(store, frame):
    """Event days are stored as days (on SQLite the text YYYY-MM-DD), so that reading up to a
    day includes that day's events, whichever way they went in."""
    save_committed(store, frame(acled_row("A1", "2025-05-14"), acled_row("A2", "2025-05-15")))
    save_committed(store, frame(acled_row("A3", "2025-05-14"), acled_row("A4", "2025-05-13")))

    until = stored_events.load_events(store, until=dt.date(2025, 5, 14))
    assert sorted(until["source_id"]) == ["A1", "A3", "A4"]
    with store.engine.connect() as connection:
        days = connection.exec_driver_sql("SELECT source_id, event_date FROM events ORDER BY source_id").fetchall()
    assert [(name, str(day)) for name, day in days] == [
        ("A1", "2025-05-14"), ("A2", "2025-05-15"), ("A3", "2025-05-14"), ("A4", "2025-05-13")
    ]


def test_events_are_read_oldest_first_and_in_the_order_stored_within_a_day(store, frame):
    """Stored out of date order, in two loads: read by date, a day's events in the order they
    were stored, whatever columns are asked for (the order is worked out by the reader, not
    the database)."""
    save_committed(store, frame(acled_row("A1", "2025-05-14"), acled_row("A2", "2025-05-02"),
                                acled_row("A3", "2025-05-14")))
    save_committed(store, frame(acled_row("A4", "2025-05-01"), acled_row("A5", "2025-05-14")))

    assert list(stored_events.load_events(store)["source_id"]) == ["A4", "A2", "A1", "A3", "A5"]
    some = stored_events.load_events(store, columns=["source_id", "fatalities"], start=dt.date(2025, 5, 2))
    assert list(some.columns) == ["source_id", "fatalities"] and list(some.index) == [0, 1, 2, 3]
    assert list(some["source_id"]) == ["A2", "A1", "A3", "A5"]
    assert stored_events.load_events(store, columns=["fatalities"], until=dt.date(2025, 4, 30)).empty


def test_the_synthetic_rows_are_acled_rows_with_their_ids_and_their_mark(store, frame):
    """Real events delete the shipped sample's rows (ACLED's, SYN ids, the mark in `sources`) once
    per writer; a row of another data set with the same id and mark is not the sample's."""
    def marked(event_id: str) -> str:
        return acled_row(event_id).replace("Test source", "conflictwatch synthetic sample (test)")

    # Another data set's row with a sample id and mark, and an ACLED id just past the sample's range.
    save_committed(store, frame(marked("SYNBFA1"), marked("SYNBFA2")), frame(marked("SYNBFA3")).assign(source="ucdp"),
                   frame(marked("SYO")))
    # More of the sample, or nothing, is no real data: the sample stays.
    assert save_committed(store, frame(marked("SYNBFA4")), frame("A1").iloc[:0]) == [
        SaveResult(1, 0, 0, method="merge"), SaveResult(0, 0, 0, method="none")
    ]
    assert stored_events.count_events(store) == 5

    with event_writer(store) as writer:
        real = writer.save(frame("BFA1", marked("SYNBFA5")))
        later = writer.save(frame("BFA2"))  # once per writer: a sample row saved since stays
        again = writer.drop_synthetic_sample()

    assert real == SaveResult(inserted=2, updated=0, unchanged=0, synthetic_removed=3, method="merge")
    assert later == SaveResult(inserted=1, updated=0, unchanged=0, method="merge") and again == 0
    events = stored_events.load_events(store)
    assert sorted(zip(events["source"], events["source_id"])) == [
        ("acled", "BFA1"), ("acled", "BFA2"), ("acled", "SYNBFA5"), ("acled", "SYO"), ("ucdp", "SYNBFA3")
    ]

    # Only the sample's rows: later writers' real events leave a marked ACLED id below its range
    # and a real event whose SYN id only looks like the sample's (no mark).
    (lookalikes,) = save_committed(store, frame(marked("BFA7"), "SYNBFA9"))
    (last,) = save_committed(store, frame("BFA3"))
    assert (lookalikes.synthetic_removed, last.synthetic_removed) == (1, 0)  # SYNBFA5, then nothing
    assert {"BFA7", "SYNBFA9"} <= set(stored_events.load_events(store)["source_id"])


def test_sqlite_a_staged_merge_drops_the_index_from_the_rows_it_will_write(tmp_path, frame, small_bulk_loads):
    """SQLite's staged merge counts the rows it will write (new events, newer versions, rows
    without timestamps that may revise) and drops the index from BULK_LOAD_ROWS of them on, and
    half the rows the table held."""
    store = open_store(f"sqlite:///{tmp_path / 'staged.db'}")

    def merged_keeps_index(*frames: pd.DataFrame) -> bool:
        with pytest.raises(Stop), event_writer(store) as writer:
            for events in frames:
                writer.stage(events, 0)
            writer.merge_staged(0)
            kept = monthly_index_present(writer)
            raise Stop
        return kept

    assert merged_keeps_index(frame(*ids("A", 19)))  # 19 new rows into an empty table
    assert not merged_keeps_index(frame(*ids("A", 20)))
    assert not merged_keeps_index(frame(*ids("A", 12)), frame(*ids("A", 8, first=12)))  # one file, two frames

    save_committed(store, frame(*[acled_row(name, timestamp="1000") for name in ids("A", 1)]))  # 1 row stored
    # 20 staged rows, the stored one among them unchanged: 19 to write.
    assert merged_keeps_index(frame(*[acled_row(name, timestamp="1000") for name in ids("A", 20)]))
    # The stored one newer: 20 to write.
    assert not merged_keeps_index(frame(*[acled_row(name, timestamp="2000") for name in ids("A", 20)]))
    # 19 new and the stored one older: 19.
    assert merged_keeps_index(frame(acled_row("A0000", timestamp="999"), *ids("B", 19)))

    save_committed(store, frame(*ids("C", 39)))  # 40 rows stored
    assert not merged_keeps_index(frame(*ids("B", 20)))  # 20 is half of 40
    save_committed(store, frame("C9999"))  # 41
    assert merged_keeps_index(frame(*ids("B", 20)))
    assert stored_events.count_events(store) == 41


def test_sqlite_staged_files_return_what_saves_would(tmp_path, frame):
    """Each file's staged merge returns its counts and `merge`, nothing removed, whatever the
    staged frames' index; a file that staged no rows returns zeros."""
    store = open_store(f"sqlite:///{tmp_path / 'staged.db'}")
    events = frame("A1", "A2", acled_row("A3", fatalities="0"), "A4")
    with event_writer(store) as writer:
        writer.stage(events[events["fatalities"] > 0].iloc[[2, 0]], 0)  # A4, A1: index 3, 0
        writer.stage(frame("A5"), 0)
        writer.stage(frame("A1").iloc[:0], 1)
        first = writer.merge_staged(0)
        nothing = writer.merge_staged(1)
    assert first == SaveResult(inserted=3, updated=0, unchanged=0, synthetic_removed=0, method="merge")
    assert nothing == SaveResult(0, 0, 0)

    with event_writer(store) as writer:
        writer.stage(frame("A1", "A6"), 0)
        writer.stage(frame(acled_row("A5", fatalities="9", timestamp="1747000001")), 1)
        assert writer.merge_staged(0) == SaveResult(inserted=1, updated=0, unchanged=1, method="merge")
        assert writer.merge_staged(1) == SaveResult(inserted=0, updated=1, unchanged=0, method="merge")
    events = stored(store)
    assert sorted(events.index) == ["A1", "A4", "A5", "A6"] and events.loc["A5", "fatalities"] == 9
    assert events.loc["A4", "event_date"] == pd.Timestamp("2025-05-14")


def test_sqlite_staged_merges_count_what_the_files_before_wrote(tmp_path, frame, small_bulk_loads):
    """A load's later file is a bulk merge once its own rows to write and the earlier files'
    written rows reach the threshold together."""
    store = open_store(f"sqlite:///{tmp_path / 'staged.db'}")
    save_committed(store, frame(*ids("A", 20)))
    with pytest.raises(Stop), event_writer(store) as writer:
        writer.stage(frame(*ids("B", 8)), 0)
        writer.stage(frame(*ids("C", 8)), 1)
        writer.stage(frame(*ids("A", 20), *ids("D", 4)), 2)  # 24 rows, 4 to write
        writer.merge_staged(0)
        writer.merge_staged(1)
        assert monthly_index_present(writer)
        writer.merge_staged(2)  # 8 + 8 + 4 = 20 written: the threshold, and half of 20
        assert not monthly_index_present(writer)
        raise Stop
