"""Staged saves (`EventWriter.stage` then `merge_staged`, what the ingest of files uses): the
same rows, versions and counts as saving each frame in turn, on both stores; on SQLite through a
staging file that is gone after the load, whether it commits or fails."""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
import tempfile

import pandas as pd
import pytest
from factories import acled_events, acled_row

from forecasting.events import EventBounds
from forecasting.store import events as stored_events
from forecasting.store import open_store


def _frame(tmp_path, rows: list[str]) -> pd.DataFrame:
    return acled_events(rows, EventBounds(today=dt.date(2026, 1, 1)), tmp_path).assign(tier="other")


def _rows(count: int, first: int = 0, **fields) -> list[str]:
    return [acled_row(f"BFA{first + number:06d}", f"2024-{number % 12 + 1:02d}-15", fatalities=str(number % 7), **fields)
            for number in range(count)]


def _counts(result: stored_events.SaveResult) -> tuple[int, int, int]:
    return result.inserted, result.updated, result.unchanged


def test_a_staged_file_is_merged_in_order_and_counted_as_saves_would_be(store, tmp_path, monkeypatch):
    monkeypatch.setattr(stored_events, "_STAGED_SLICE_ROWS", 2)  # SQLite stages each frame in slices
    first = _frame(tmp_path, _rows(5))
    # A later block of the same file: event 1 again, newer; event 2 again, older; two new ones.
    second = _frame(tmp_path, [
        acled_row("BFA000001", "2024-02-15", fatalities="9", timestamp="1747000001"),
        acled_row("BFA000002", "2024-03-15", fatalities="8", timestamp="1746999999"),
        *_rows(2, first=5),
    ])

    with stored_events.event_writer(store) as writer:
        writer.stage(first, 0)
        writer.stage(second, 0)
        result = writer.merge_staged(0)
    assert _counts(result) == (7, 1, 1)
    events = stored_events.load_events(store).set_index("source_id")
    assert len(events) == 7
    assert events.loc["BFA000001", "fatalities"] == 9 and events.loc["BFA000002", "fatalities"] == 2

    # Staged again: every row is stored already, in its newest version.
    with stored_events.event_writer(store) as writer:
        writer.stage(first, 3)
        writer.stage(second, 3)
        again = writer.merge_staged(3)
    assert _counts(again) == (0, 0, 9)  # everything already stored: nothing written


def test_staged_events_keep_every_value_and_type(store, tmp_path):
    frame = _frame(tmp_path, [
        acled_row("BFA000001", "2024-01-15", notes="Ségou; «quotes», \"double\"\nsecond line", latitude="-12.5"),
        acled_row("BFA000002", "2024-02-29", actor1="", latitude="", longitude="", timestamp=""),
    ])
    with stored_events.event_writer(store) as writer:
        writer.stage(frame, 0)
        writer.merge_staged(0)
    events = stored_events.load_events(store).set_index("source_id")
    assert events.loc["BFA000001", "notes"] == "Ségou; «quotes», \"double\"\nsecond line"
    assert events.loc["BFA000001", "latitude"] == -12.5
    assert events.loc["BFA000002", "event_date"] == pd.Timestamp("2024-02-29")
    assert events.loc["BFA000002", "actor1"] is None and pd.isna(events.loc["BFA000002", "latitude"])
    assert events.loc["BFA000002", "timestamp"] == 0 and events.loc["BFA000001", "year"] == 2024


def test_files_are_merged_one_after_another(store, tmp_path):
    """Two files of one load: the second's newer version of an event wins, as it would saved."""
    with stored_events.event_writer(store) as writer:
        writer.stage(_frame(tmp_path, _rows(3)), 0)
        writer.stage(_frame(tmp_path, [acled_row("BFA000000", "2024-01-15", fatalities="6", timestamp="1747000005")]), 1)
        assert _counts(writer.merge_staged(0)) == (3, 0, 0)
        assert _counts(writer.merge_staged(1)) == (0, 1, 0)
        assert _counts(writer.merge_staged(2)) == (0, 0, 0)  # a file that staged nothing
    assert stored_events.load_events(store).set_index("source_id").loc["BFA000000", "fatalities"] == 6


def test_a_load_that_fails_while_a_frame_is_being_stored_writes_nothing(store, tmp_path):
    """A load that raises just after staging a frame (on PostgreSQL, its COPY still running in
    the writer's thread) writes nothing, and the next load on the same store goes through."""
    with pytest.raises(RuntimeError, match="stopped"):
        with stored_events.event_writer(store) as writer:
            writer.stage(_frame(tmp_path, _rows(3)), 0)
            raise RuntimeError("stopped")
    assert stored_events.count_events(store) == 0

    with stored_events.event_writer(store) as writer:
        writer.stage(_frame(tmp_path, _rows(2)), 0)
        assert _counts(writer.merge_staged(0)) == (2, 0, 0)
    assert stored_events.count_events(store) == 2


def test_postgresql_a_copy_that_fails_in_its_thread_fails_the_load(postgres_store, tmp_path):
    """An error in a staged frame's COPY (here a count too large for its column) is raised by
    the writer's next use of the connection, and the load writes nothing. (PostgreSQL only:
    SQLite stages in the calling thread.)"""
    import pyarrow as pa

    store = postgres_store

    with pytest.raises(pa.ArrowInvalid):
        with stored_events.event_writer(store) as writer:
            writer.stage(_frame(tmp_path, _rows(2)), 0)
            writer.stage(_frame(tmp_path, _rows(2, first=2)).assign(fatalities=2**31), 0)
            writer.merge_staged(0)
    assert stored_events.count_events(store) == 0


def test_postgresql_a_staged_frames_copy_runs_while_the_caller_goes_on(postgres_store, tmp_path, monkeypatch):
    """A staged frame's COPY into an empty table is left running in the writer's thread: `stage`
    returns at once, so the ingest reads and validates the next block while the server loads
    this one; the merge waits for the COPY, and counts it."""
    import threading

    caller_went_on = threading.Event()
    copy_new_events, copies = stored_events._copy_new_events, []

    def copy_once_the_caller_went_on(driver_connection, events):
        copies.append(caller_went_on.wait(timeout=5))  # False if `stage` waited for the COPY
        return copy_new_events(driver_connection, events)

    monkeypatch.setattr(stored_events, "_copy_new_events", copy_once_the_caller_went_on)
    with stored_events.event_writer(postgres_store) as writer:
        writer.stage(_frame(tmp_path, _rows(3)), 0)
        caller_went_on.set()
        result = writer.merge_staged(0)
    assert copies == [True]
    assert _counts(result) == (3, 0, 0)
    assert stored_events.count_events(postgres_store) == 3


def test_postgresql_staged_frames_are_copied_until_one_repeats_a_stored_event(postgres_store, tmp_path, monkeypatch):
    """As with `save`: a file's frames go into an empty table by COPY, until one repeats an event
    already stored (a later block of the same file); that one and every frame after it are merged."""
    copy_new_events, copies = stored_events._copy_new_events, []

    def recorded_copy(driver_connection, events):
        result = copy_new_events(driver_connection, events)
        copies.append((len(events), result is not None))
        return result

    monkeypatch.setattr(stored_events, "_copy_new_events", recorded_copy)
    with stored_events.event_writer(postgres_store) as writer:
        writer.stage(_frame(tmp_path, _rows(3)), 0)
        writer.stage(_frame(tmp_path, _rows(2, first=3)), 0)
        writer.stage(_frame(tmp_path, [acled_row("BFA000001", "2024-02-15", fatalities="9", timestamp="1747000001"),
                                       *_rows(1, first=5)]), 0)
        writer.stage(_frame(tmp_path, _rows(2, first=6)), 0)
        result = writer.merge_staged(0)
    assert copies == [(3, True), (2, True), (2, False)]
    assert _counts(result) == (8, 1, 0)
    assert stored_events.load_events(postgres_store).set_index("source_id").loc["BFA000001", "fatalities"] == 9


def _indexes(store) -> set[str]:
    with store.engine.connect() as connection:
        return set(connection.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'index'").scalars())


def test_sqlite_staging_is_gone_after_a_failed_load_and_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.setattr(stored_events, "BULK_LOAD_ROWS", 50)
    folder = tmp_path / "db"
    folder.mkdir()
    store = open_store(f"sqlite:///{folder / 'staged.db'}")
    before = _indexes(store)
    frame = _frame(tmp_path, _rows(120))

    with pytest.raises(RuntimeError, match="stopped"):
        with stored_events.event_writer(store) as writer:
            writer.stage(frame, 0)
            assert [path.name for path in folder.iterdir() if path.name.startswith(".conflictwatch-staging-")]
            assert _counts(writer.merge_staged(0)) == (120, 0, 0)
            assert "ix_events_monthly_counts" not in set(
                writer._connection.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'index'").scalars()
            )  # 120 new rows into an empty table: rebuilt once, not kept up to date row by row
            raise RuntimeError("stopped")
    assert stored_events.count_events(store) == 0 and _indexes(store) == before
    assert not [path for path in folder.iterdir() if path.name.startswith(".conflictwatch-staging-")]

    with stored_events.event_writer(store) as writer:
        writer.stage(frame, 0)
        writer.merge_staged(0)
        with pytest.raises(RuntimeError, match="^events staged after the first merge: stage every file before merging$"):
            writer.stage(frame, 1)
    assert stored_events.count_events(store) == 120 and _indexes(store) == before
    assert not [path for path in folder.iterdir() if path.name.startswith(".conflictwatch-staging-")]

    # The same rows again write nothing, so the index is kept (the rows it would write are counted).
    with stored_events.event_writer(store) as writer:
        writer.stage(frame, 0)
        assert _counts(writer.merge_staged(0)) == (0, 0, 120)
        assert "ix_events_monthly_counts" in set(
            writer._connection.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'index'").scalars()
        )
    # 60 of 120 stored rows revised: half as many as the table holds, so a rebuild.
    revised = _frame(tmp_path, _rows(60, timestamp="1747000009"))
    with stored_events.event_writer(store) as writer:
        writer.stage(revised, 0)
        assert _counts(writer.merge_staged(0)) == (0, 60, 0)
        assert "ix_events_monthly_counts" not in set(
            writer._connection.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'index'").scalars()
        )
    assert _indexes(store) == before


def _sample_marked(rows: list[str]) -> list[str]:
    """ACLED rows marked as the shipped synthetic sample's (SYN ids, the mark in `sources`)."""
    return [row.replace("Test source", "conflictwatch synthetic sample (test)") for row in rows]


def test_staged_counts_method_and_removed_rows_are_each_files_own(store, tmp_path):
    """What each file's merge returns: on SQLite the merge's own counts and `merge`; on
    PostgreSQL, where `stage` saves each frame as it comes, the sum of its frames' saves (no method). The
    shipped sample's rows go at the first file holding real events, counted there once."""
    sample = _frame(tmp_path, _sample_marked([acled_row(f"SYNBFA{number}", "2024-01-15") for number in range(3)]))
    with stored_events.event_writer(store) as writer:
        writer.stage(sample, 0)
        loaded = writer.merge_staged(0)
    # The sample loaded on its own removes nothing.
    assert (*_counts(loaded), loaded.synthetic_removed) == (3, 0, 0, 0)
    assert stored_events.holds_synthetic_sample(store)

    with stored_events.event_writer(store) as writer:
        writer.stage(_frame(tmp_path, _rows(1)).iloc[:0], 0)  # a block of no rows first
        writer.stage(_frame(tmp_path, _rows(2)), 0)
        writer.stage(_frame(tmp_path, _rows(2, first=2)), 0)
        writer.stage(_frame(tmp_path, _rows(3, first=2)), 1)  # 2 stored already, 1 new
        first, second = writer.merge_staged(0), writer.merge_staged(1)
    method = "merge" if store.dialect == "sqlite" else ""
    assert (*_counts(first), first.synthetic_removed, first.method) == (4, 0, 0, 3, method)
    assert (*_counts(second), second.synthetic_removed, second.method) == (1, 0, 2, 0, method)
    assert not stored_events.holds_synthetic_sample(store) and stored_events.count_events(store) == 5


def test_a_file_of_no_events_merges_as_nothing_and_the_shipped_rows_again_as_unchanged(store, tmp_path):
    """A file whose blocks held no events merges as nothing, also when no file of the load
    staged a row; the shipped sample loaded over itself is all unchanged and removes nothing
    (only a file holding real events removes it)."""
    with stored_events.event_writer(store) as writer:
        writer.stage(_frame(tmp_path, _rows(1)).iloc[:0], 0)
        nothing = writer.merge_staged(0)
    assert (*_counts(nothing), nothing.synthetic_removed) == (0, 0, 0, 0)
    sample = _frame(tmp_path, _sample_marked([acled_row(f"SYNBFA{number}", "2024-01-15") for number in range(3)]))
    for _ in range(2):
        with stored_events.event_writer(store) as writer:
            writer.stage(sample, 0)
            again = writer.merge_staged(0)
    assert (*_counts(again), again.synthetic_removed) == (0, 0, 3, 0)
    assert stored_events.holds_synthetic_sample(store) and stored_events.count_events(store) == 3


def _raw_rows(path) -> list[tuple]:
    """Every stored value with SQLite's storage class of it, as the file holds them."""
    connection = sqlite3.connect(path)
    try:
        columns = [row[1] for row in connection.execute("PRAGMA table_info(events)") if row[1] != "id"]
        selected = ", ".join(f"{name}, typeof({name})" for name in columns)
        return connection.execute(f"SELECT {selected} FROM events ORDER BY source_id").fetchall()
    finally:
        connection.close()


def test_sqlite_staged_rows_are_stored_byte_for_byte_as_saved_ones(tmp_path):
    """The staged merge stores each value as `save` does: dates as YYYY-MM-DD text, whole
    numbers as integers, coordinates as reals, missing values as NULL; whatever the frame's index."""
    frame = _frame(tmp_path, [
        *_rows(4),
        acled_row("BFA000009", "2024-02-29", actor1="", latitude="", longitude="", timestamp=""),
    ])
    frame = frame.iloc[[4, 2, 0, 3, 1]].set_axis([40, 7, 7, -1, 12])  # an index that is not 0..n
    (tmp_path / "saved").mkdir()
    (tmp_path / "staged").mkdir()
    saved, staged = open_store(f"sqlite:///{tmp_path / 'saved' / 'events.db'}"), open_store(f"sqlite:///{tmp_path / 'staged' / 'events.db'}")
    with stored_events.event_writer(saved) as writer:
        writer.save(frame)
    with stored_events.event_writer(staged) as writer:
        writer.stage(frame, 0)
        writer.merge_staged(0)
    rows = _raw_rows(tmp_path / "staged" / "events.db")
    assert rows == _raw_rows(tmp_path / "saved" / "events.db") and len(rows) == 5
    assert "2024-02-29" in rows[-1] and rows[-1][rows[-1].index("2024-02-29") + 1] == "text"


def test_sqlite_in_memory_stages_in_the_temporary_folder(tmp_path, monkeypatch):
    """A store in memory has no folder: its staging file goes to the temporary folder, not the
    working directory, and is gone after the load."""
    work, temporary = tmp_path / "work", tmp_path / "temporary"
    work.mkdir()
    temporary.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    for url in ("sqlite://", "sqlite:///:memory:"):
        store = open_store(url)
        with stored_events.event_writer(store) as writer:
            writer.stage(_frame(tmp_path, _rows(3)), 0)
            assert [path.name[:23] for path in temporary.iterdir()] == [".conflictwatch-staging-"]
            assert _counts(writer.merge_staged(0)) == (3, 0, 0)
        assert stored_events.count_events(store) == 3, url
        assert not list(work.iterdir()) and not list(temporary.iterdir())


def test_sqlite_the_load_connection_is_detached_and_kept(tmp_path):
    """After a staged load the connection goes back to the pool with the staging file detached
    (not thrown away), and a load still commits when the staging folder went before it ended."""
    folder = tmp_path / "db"
    folder.mkdir()
    store = open_store(f"sqlite:///{folder / 'staged.db'}")
    with stored_events.event_writer(store) as writer:
        writer.stage(_frame(tmp_path, _rows(3)), 0)
        writer.merge_staged(0)
        used = writer._connection.connection.driver_connection
    with store.engine.connect() as connection:
        assert connection.connection.driver_connection is used
        assert "cw_staging" not in [row[1] for row in connection.exec_driver_sql("PRAGMA database_list")]

    with stored_events.event_writer(store) as writer:
        writer.stage(_frame(tmp_path, _rows(2, first=3)), 0)
        assert _counts(writer.merge_staged(0)) == (2, 0, 0)
        for path in folder.iterdir():
            if path.name.startswith(".conflictwatch-staging-"):
                shutil.rmtree(path)  # as a cleaner of temporary files might
    assert stored_events.count_events(store) == 5
