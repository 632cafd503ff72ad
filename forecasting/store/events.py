"""Stored events and the ingest log: saving event frames, and reading events and monthly counts."""

from __future__ import annotations

import datetime as dt
import gc
import shutil
import tempfile
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from forecasting.events import (
    EVENT_COLUMNS,
    FLOAT_COLUMNS,
    INTEGER_COLUMNS,
    POLITICAL_VIOLENCE,
    SOURCE_ID_MAX_LENGTH,
    python_strings,
)
from forecasting.store.aggregates import HdxAggregate, aggregate_month_span, write_aggregates
from forecasting.store.base import Base, Store
from forecasting.store.sample_outputs import delete_sample_outputs


class Event(Base):
    __tablename__ = "events"
    __table_args__ = (
        sa.UniqueConstraint("source", "source_id"),
        sa.Index(
            "ix_events_monthly_counts",
            "year", "month", "country", "admin1", "admin2", "tier", "actor1", "event_date", "fatalities",
            "disorder_type",
        ).ddl_if(dialect="sqlite"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True)
    source: Mapped[str] = mapped_column(sa.String(16))
    source_id: Mapped[str] = mapped_column(sa.String(SOURCE_ID_MAX_LENGTH))
    event_date: Mapped[dt.date] = mapped_column(sa.Date)
    year: Mapped[int]
    month: Mapped[int] = mapped_column(sa.SmallInteger)
    time_precision: Mapped[int | None] = mapped_column(sa.SmallInteger)
    disorder_type: Mapped[str | None] = mapped_column(sa.Text)
    event_type: Mapped[str | None] = mapped_column(sa.Text)
    sub_event_type: Mapped[str | None] = mapped_column(sa.Text)
    actor1: Mapped[str | None] = mapped_column(sa.Text)
    assoc_actor_1: Mapped[str | None] = mapped_column(sa.Text)
    inter1: Mapped[str | None] = mapped_column(sa.Text)
    actor2: Mapped[str | None] = mapped_column(sa.Text)
    assoc_actor_2: Mapped[str | None] = mapped_column(sa.Text)
    inter2: Mapped[str | None] = mapped_column(sa.Text)
    interaction: Mapped[str | None] = mapped_column(sa.Text)
    civilian_targeting: Mapped[str | None] = mapped_column(sa.Text)
    iso: Mapped[int | None]
    region: Mapped[str | None] = mapped_column(sa.Text)
    country: Mapped[str] = mapped_column(sa.Text)
    admin1: Mapped[str | None] = mapped_column(sa.Text)
    admin2: Mapped[str | None] = mapped_column(sa.Text)
    admin3: Mapped[str | None] = mapped_column(sa.Text)
    location: Mapped[str | None] = mapped_column(sa.Text)
    latitude: Mapped[float | None] = mapped_column(sa.Float)
    longitude: Mapped[float | None] = mapped_column(sa.Float)
    geo_precision: Mapped[int | None] = mapped_column(sa.SmallInteger)
    sources: Mapped[str | None] = mapped_column(sa.Text)
    source_scale: Mapped[str | None] = mapped_column(sa.Text)
    notes: Mapped[str | None] = mapped_column(sa.Text)
    fatalities: Mapped[int]
    tags: Mapped[str | None] = mapped_column(sa.Text)
    timestamp: Mapped[int] = mapped_column(sa.BigInteger)
    tier: Mapped[str] = mapped_column(sa.String(20))


class IngestLog(Base):
    __tablename__ = "ingest_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    file: Mapped[str] = mapped_column(sa.Text)
    format: Mapped[str] = mapped_column(sa.String(16))
    rows_read: Mapped[int]
    inserted: Mapped[int]
    updated: Mapped[int]
    unchanged: Mapped[int]
    rejected: Mapped[int]
    started_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True))
    seconds: Mapped[float]


@dataclass(frozen=True)
class SaveResult:
    """What one save did: events new to the store, replaced by a newer version, or left as they
    were; and rows of the shipped synthetic sample deleted to make way for these real events.

    `method` says how the frame went in: `copy` (PostgreSQL's COPY straight into an empty
    table), `merge` (the upsert: on PostgreSQL a COPY into a staging table, then one INSERT ...
    ON CONFLICT; on SQLite also a file's staged frames merged in one such statement, see
    `EventWriter.stage`), `none` (a frame of no rows); empty for a total of several saves."""

    inserted: int
    updated: int
    unchanged: int
    synthetic_removed: int = 0
    method: str = ""


class _CopyInFlight(NamedTuple):
    """A staged frame's COPY running in the writer's thread: the file, the frame (merged instead
    if it repeats a stored event), the synthetic rows its save removed, and the COPY's future."""

    file: int
    events: pd.DataFrame
    removed: int
    copying: Future


@dataclass(frozen=True)
class LoadRecord:
    """One line of the ingest log, written in the same transaction as the events it describes."""

    file: str
    format: str
    rows_read: int
    rejected: int
    started_at: dt.datetime


_TABLE = Event.__table__
_DATA_COLUMNS = list(EVENT_COLUMNS)
_KEY = ("source", "source_id")

#: How the shipped synthetic sample marks its rows in ACLED's `source` column (stored as `sources`).
SYNTHETIC_SOURCES_PREFIX = "conflictwatch synthetic sample"


def _synthetic_sample_rows() -> sa.ColumnElement[bool]:
    """The stored rows of the shipped synthetic sample. Its ids are all SYN<ISO3><number>; the id
    range lets both databases find them through the (source, source_id) index instead of reading
    every row, and the `sources` mark keeps any real event out."""
    return sa.and_(
        _TABLE.c.source == "acled",
        _TABLE.c.source_id >= "SYN",
        _TABLE.c.source_id < "SYO",
        _TABLE.c.sources.like(SYNTHETIC_SOURCES_PREFIX + "%"),
    )


def holds_synthetic_sample(store: Store) -> bool:
    """Whether the store holds the shipped synthetic sample's events. Real data replace the
    sample whole (with what was made from it), so while it does, all the store holds came from it."""
    with store.engine.connect() as connection:
        return connection.execute(sa.select(_TABLE.c.source_id).where(_synthetic_sample_rows()).limit(1)).first() is not None


def _has_real_events(events: pd.DataFrame) -> bool:
    """Whether the frame holds any event that is not the shipped synthetic sample's."""
    if events.empty:
        return False
    if "sources" not in events:
        return True
    return not events["sources"].fillna("").astype(str).str.startswith(SYNTHETIC_SOURCES_PREFIX).all()


#: SQLite's covering index of monthly counts is dropped for a load that writes at least this many
#: rows (and at least half as many as the table held) and rebuilt before the load commits:
#: building it once costs about a third of keeping it up to date row by row (docs/benchmarks.md).
#: (A block of a file holds about 80,000 ACLED rows: a load of one block into an empty table is one.)
BULK_LOAD_ROWS = 50_000
_MONTHLY_INDEX = next(index for index in _TABLE.indexes if index.name == "ix_events_monthly_counts")


#: Rows turned into Arrow and staged at a time (SQLite; see `EventWriter.stage`).
_STAGED_SLICE_ROWS = 5_000

#: PostgreSQL: a load reads the version of every stored event once the stored events its frames
#: repeat are expected to be at least this share of them (see `EventWriter._changes_only`): the
#: read costs about a quarter of what merging as many repeated rows costs the server.
_READ_VERSIONS_SHARE = 0.25
#: Rows of a frame looked up in the table to estimate how many of its events are stored.
_PROBED_ROWS = 256
#: Stored versions turned from Python tuples into arrays at a time.
_VERSIONS_BATCH_ROWS = 50_000


class EventWriter:
    """Saves event frames and ingest-log records inside one open transaction (see `event_writer`)."""

    def __init__(self, connection: sa.Connection, dialect: str):
        self._connection = connection
        self._dialect = dialect
        self._rows_before = 0
        self._rows_written = 0
        self._last_written_share: float | None = None  # of the last frame saved: new or newer rows
        self._index_dropped = False
        self._sample_dropped = False
        self._copy_as_new: bool | None = None  # PostgreSQL: whether to try COPY straight into events
        self._staging: _StagingFile | None = None  # SQLite: frames staged for `merge_staged`
        self._staging_attached = False
        self._staged_results: dict[int, SaveResult] = {}
        self._staged_real: set[int] = set()
        self._copier: ThreadPoolExecutor | None = None  # PostgreSQL: runs a staged frame's COPY
        self._copy_in_flight: _CopyInFlight | None = None
        self._repeats_expected = 0.0  # PostgreSQL: stored events the frames so far are estimated to repeat
        self._versions: _StoredVersions | None = None  # PostgreSQL: read once they are worth it

    def save(self, events: pd.DataFrame) -> SaveResult:
        """Upsert an event frame: new events are inserted; a stored event is replaced only by a
        version with a newer `timestamp`; older or equal versions are ignored. Rows without a
        timestamp (stored as 0) replace a stored row without one when any data column differs.

        The first frame holding real events (any not from the shipped synthetic sample) first
        deletes the sample's rows, in this same transaction: real and synthetic events are never
        stored together. The result says how many went; the caller warns once it has committed."""
        return self._save(events)

    def _save(self, events: pd.DataFrame, file: int | None = None) -> SaveResult | None:
        """`save`; with `file` (PostgreSQL's `stage`), a COPY straight into the table is left
        running in a thread of its own and None returned: `_settle_copy` adds up what it did."""
        self._settle_copy()
        removed = self.drop_synthetic_sample() if _has_real_events(events) else 0
        if self._last_written_share is None:
            self._rows_before = self._connection.execute(sa.select(sa.func.count()).select_from(_TABLE)).scalar_one()
        if self._dialect == "sqlite" and not self._index_dropped and self._is_bulk_load(len(events)):
            _MONTHLY_INDEX.drop(self._connection)
            self._index_dropped = True
        if self._copy_as_new is None:
            # Into an empty table every event is new (until a later block repeats one).
            self._copy_as_new = self._dialect == "postgresql" and self._rows_before == 0
        result = None
        if self._copy_as_new and len(events):
            driver_connection, columns = self._connection.connection.driver_connection, events[_DATA_COLUMNS]
            if file is not None:
                if self._copier is None:
                    self._copier = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-copy")
                copying = self._copier.submit(_copy_new_events, driver_connection, columns)
                self._copy_in_flight = _CopyInFlight(file, columns, removed, copying)
                return None
            result = _copy_new_events(driver_connection, columns)
            self._copy_as_new = result is not None
        if result is None:
            result = self._merge(events)
        return self._saved(result, len(events), removed)

    def _saved(self, result: SaveResult, rows: int, removed: int) -> SaveResult:
        """Count what a save of `rows` rows wrote (for the bulk-load rules); its result."""
        written = result.inserted + result.updated
        self._rows_written += written
        self._last_written_share = written / rows if rows else self._last_written_share
        return replace(result, synthetic_removed=removed)

    def _settle_copy(self) -> None:
        """Wait for the COPY a staged frame left running, and add what it did to its file's
        result; a frame that repeats a stored event is merged instead, here, as `save` would.
        Called before anything else uses the connection: the COPY's thread has it meanwhile."""
        if self._copy_in_flight is None:
            return
        file, events, removed, copying = self._copy_in_flight
        self._copy_in_flight = None
        result = copying.result()
        self._copy_as_new = result is not None
        if result is None:
            result = self._merge(events)
        self._staged_results[file] = _added(self._staged_results.get(file), self._saved(result, len(events), removed))

    def _merge(self, events: pd.DataFrame) -> SaveResult:
        """`_upsert` of the rows of `events` that may change the table; the others are unchanged."""
        changes = self._changes_only(events)
        if changes is events:
            return _upsert(self._connection, self._dialect, events)
        if changes.empty:
            return SaveResult(0, 0, len(events), method="merge")
        result = _upsert(self._connection, self._dialect, changes)
        return replace(result, unchanged=result.unchanged + len(events) - len(changes))

    def _changes_only(self, events: pd.DataFrame) -> pd.DataFrame:
        """PostgreSQL: `events` without the rows that certainly change nothing, once the load has
        read the stored events' versions; the frame as it is before that, and on SQLite.

        A reload repeats the stored events, mostly unchanged (an analyst's new export of a
        country, a pull that overlaps the last). The merge has the server look each row up and
        lock the stored one even where it then updates nothing: 2.0-3.1 s of server CPU for 300,000
        unchanged rows, against 1.4-2.2 s to load them into an empty table. Reading every stored
        event's (source_id, timestamp) took 0.33-0.63 s for 300,000 rows, so it is read once the
        frames' repeats, estimated from `_PROBED_ROWS` rows of each, reach `_READ_VERSIONS_SHARE`
        of the stored rows (a load of new events never reads it), and kept for the load.

        What the merge would leave unchanged (`_on_conflict`): a row whose event is stored with
        the same or a newer timestamp, unless neither has one. A stored timestamp only grows, so
        versions read earlier in the load still say so (the only events a load deletes, the
        sample's, take the versions read with them). Rows they cannot decide go to the merge."""
        if self._dialect != "postgresql" or not self._rows_before or events.empty:
            return events
        if self._versions is None:
            self._repeats_expected += self._stored_share(events) * len(events)
            if self._repeats_expected < _READ_VERSIONS_SHARE * self._rows_before:
                return events
            self._versions = _StoredVersions(self._connection.connection.driver_connection)
        unchanged = self._versions.unchanged(events)
        return events[~unchanged] if unchanged.any() else events

    def _stored_share(self, events: pd.DataFrame) -> float:
        """The share of `events`' rows whose event is stored, from `_PROBED_ROWS` rows spread
        evenly over the frame."""
        probed = events.iloc[np.linspace(0, len(events) - 1, min(_PROBED_ROWS, len(events))).astype(int)]
        with self._connection.connection.driver_connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM events JOIN unnest(%s::text[], %s::text[]) AS probed (source, source_id)"
                " USING (source, source_id)",
                (python_strings(probed["source"]).tolist(), python_strings(probed["source_id"]).tolist()),
            )
            return cursor.fetchone()[0] / len(probed)

    def stop_copying(self) -> None:
        """Wait for a COPY left running (its outcome dropped: the load is failing) and end its
        thread; called once, inside the transaction, before it ends either way."""
        if self._copier is None:
            return
        self._copier.shutdown(wait=True)
        self._copier, self._copy_in_flight = None, None

    def stage(self, events: pd.DataFrame, file: int) -> None:
        """Set a frame of `file`'s events aside, to be saved with the rest of that file's by
        `merge_staged(file)`: stage every file of a load first, then merge each (the ingest of
        files does). What the merge stores is what `save` of each frame in turn would have.

        SQLite: frames go through Arrow into a staging file of their own, written in C by the
        ADBC driver outside the interpreter's lock (so the next block is read and validated
        meanwhile), at about half the CPU of binding them row by row to the load's connection.
        That file is a second connection's: the load's transaction attaches it at the first
        merge, after the last frame is staged, since it would not see later writes (it keeps the
        snapshot of its first read until commit). PostgreSQL: saved as `save` would, except that
        a COPY straight into an empty table runs in a thread of its own while the caller reads,
        validates and tiers the next frame (the server's work overlaps the client's); the
        connection waits for it before its next use, and a frame that repeats a stored event is
        merged then."""
        if self._dialect != "sqlite":
            result = self._save(events, file)
            if result is not None:
                self._staged_results[file] = _added(self._staged_results.get(file), result)
            return
        if self._staging_attached:
            raise RuntimeError("events staged after the first merge: stage every file before merging")
        if events.empty:
            return
        if _has_real_events(events):
            self._staged_real.add(file)  # the sample goes at this file's merge, as at its `save`
        if self._staging is None:
            database = self._connection.engine.url.database
            # Beside the database (it holds as much again), or in the temporary folder for :memory:.
            folder = Path(database).expanduser().absolute().parent if database and database != ":memory:" else None
            self._staging = _StagingFile(folder)
        # The frame is turned into Arrow whole (in slices of pandas rows it took twice the CPU),
        # then staged in slices of 5,000 rows: the driver's buffers stay small.
        import pyarrow as pa

        table = _as_arrow(events[_DATA_COLUMNS])
        for start in range(0, table.num_rows, _STAGED_SLICE_ROWS):
            self._staging.append(f"file_{file}", table.slice(start, _STAGED_SLICE_ROWS))
        del table
        pa.default_memory_pool().release_unused()  # Arrow's allocator hands back what the frame took
        self._staged_results[file] = _added(self._staged_results.get(file), SaveResult(0, 0, len(events)))

    def merge_staged(self, file: int) -> SaveResult:
        """Save what `stage` set aside for `file` into the table, in this transaction, in the
        order staged; returns what `save` of each frame would have in sum."""
        self._settle_copy()
        staged = self._staged_results.pop(file, None) or SaveResult(0, 0, 0)
        if self._dialect != "sqlite" or self._staging is None or f"file_{file}" not in self._staging.tables:
            return staged
        removed = self.drop_synthetic_sample() if file in self._staged_real else 0
        driver_connection = self._connection.connection.driver_connection
        if not self._staging_attached:
            driver_connection.execute("ATTACH DATABASE ? AS cw_staging", (str(self._staging.path),))
            self._staging_attached = True
        rows = staged.unchanged  # every staged row, until the merge says which were written
        stored = driver_connection.execute("SELECT count(*) FROM events").fetchone()[0]
        if self._last_written_share is None and not self._rows_written:
            self._rows_before = stored  # before the load's first write, as `save` counts it
        if not self._index_dropped and self._is_bulk_merge(rows, f"cw_staging.file_{file}"):
            _MONTHLY_INDEX.drop(self._connection)
            self._index_dropped = True
        columns = ", ".join(_DATA_COLUMNS)
        changes_before = driver_connection.total_changes
        # WHERE true: SQLite's parser needs it between a SELECT and ON CONFLICT. Rows go in the
        # order staged, so an event a file lists twice ends as `save` of each block would leave it.
        driver_connection.execute(
            f"INSERT INTO events ({columns}) SELECT {columns} FROM cw_staging.file_{file} WHERE true "
            f"ORDER BY rowid {_on_conflict('sqlite')}"
        )
        written = driver_connection.total_changes - changes_before
        inserted = driver_connection.execute("SELECT count(*) FROM events").fetchone()[0] - stored
        self._rows_written += written
        return SaveResult(inserted, written - inserted, rows - written, removed, method="merge")

    def _is_bulk_merge(self, rows: int, staged_table: str) -> bool:
        """Whether merging `rows` staged rows will write enough to rebuild the monthly index rather
        than update it: counted, not guessed, since the staged rows are at hand (new events, and
        those newer than or, without timestamps, possibly revising the stored ones)."""
        if rows < BULK_LOAD_ROWS:
            return False
        if self._rows_before == 0:
            expected = rows
        else:
            expected = self._connection.exec_driver_sql(
                f"SELECT count(*) FROM {staged_table} AS staged LEFT JOIN events ON events.source = staged.source"
                " AND events.source_id = staged.source_id WHERE events.id IS NULL"
                " OR staged.timestamp > events.timestamp OR (staged.timestamp = 0 AND events.timestamp = 0)"
            ).scalar_one()
        expected += self._rows_written
        return expected >= BULK_LOAD_ROWS and 2 * expected >= self._rows_before

    def drop_staging(self) -> None:
        """Detach and delete the staging file, once the transaction has ended (committed or not)."""
        if self._staging_attached:
            self._staging_attached = False
            try:
                self._connection.connection.driver_connection.execute("DETACH DATABASE cw_staging")
            except Exception:  # noqa: BLE001 - a connection left attached to a deleted file is not reused
                self._connection.invalidate()
        if self._staging is not None:
            self._staging.close()
            self._staging = None

    def drop_synthetic_sample(self) -> int:
        """Delete every stored row of the shipped synthetic sample, and with them the alerts,
        run-log rows and queued emails made from it (`delete_sample_outputs`), once per writer
        (later calls do nothing and return 0). Returns how many events went."""
        self._settle_copy()
        if self._sample_dropped:
            return 0
        self._sample_dropped = True
        removed = max(self._connection.execute(sa.delete(_TABLE).where(_synthetic_sample_rows())).rowcount, 0)
        if removed:
            # What was made from the sample goes with it, in this transaction.
            delete_sample_outputs(self._connection)
            self._versions = None  # read before, they would still list the sample's events
        return removed

    def _is_bulk_load(self, rows: int) -> bool:
        """Whether this load, going by what its last frame wrote, will write enough rows to rebuild
        the index rather than update it. The first frame into an empty table writes all its rows;
        into a table with rows it is written with the index (a reload of unchanged rows writes
        nothing and must not pay for a rebuild)."""
        share = self._last_written_share
        if share is None:
            share = 1.0 if self._rows_before == 0 else 0.0
        expected = self._rows_written + rows * share
        return expected >= BULK_LOAD_ROWS and 2 * expected >= self._rows_before

    def finish(self) -> None:
        """Rebuild what a bulk load dropped; called once, last, inside the transaction."""
        self._settle_copy()
        if self._index_dropped:
            _MONTHLY_INDEX.create(self._connection)
            self._index_dropped = False

    def save_aggregates(self, files: list[tuple[pd.DataFrame, str]]) -> list:
        """Upsert HDX admin2-month aggregate cells in this same transaction (see
        `forecasting.store.aggregates.write_aggregates`)."""
        self._settle_copy()
        return write_aggregates(self._connection, self._dialect, files)

    def log(self, record: LoadRecord, result: SaveResult, seconds: float) -> None:
        """Record one load in the ingest log (committed with the events, or not at all)."""
        self._settle_copy()
        self._connection.execute(
            sa.insert(IngestLog.__table__).values(
                file=record.file,
                format=record.format,
                rows_read=record.rows_read,
                inserted=result.inserted,
                updated=result.updated,
                unchanged=result.unchanged,
                rejected=record.rejected,
                started_at=record.started_at,
                seconds=seconds,
            )
        )


@contextmanager
def event_writer(store: Store) -> Iterator[EventWriter]:
    """One transaction for a whole load: committed when the block ends, rolled back (nothing
    written) when it raises. Events staged and not merged are dropped either way."""
    with store.engine.connect() as connection:
        writer = EventWriter(connection, store.dialect)
        try:
            with connection.begin():
                try:
                    yield writer
                    writer.finish()
                finally:
                    writer.stop_copying()  # before the transaction ends: the COPY's thread uses it
        finally:
            writer.drop_staging()


def _added(first: SaveResult | None, second: SaveResult) -> SaveResult:
    """The total of two saves (its `method` empty)."""
    if first is None:
        return replace(second, method="")
    return SaveResult(
        inserted=first.inserted + second.inserted,
        updated=first.updated + second.updated,
        unchanged=first.unchanged + second.unchanged,
        synthetic_removed=first.synthetic_removed + second.synthetic_removed,
    )


class _StagingFile:
    """A SQLite file in a folder of its own, written through the ADBC driver: one table per
    staged file of events. No journal and no syncing: it is thrown away after the load."""

    def __init__(self, beside: Path | None):
        import adbc_driver_sqlite.dbapi

        self._folder = Path(tempfile.mkdtemp(prefix=".conflictwatch-staging-", dir=beside))
        self.path = self._folder / "staging.db"
        self.tables: set[str] = set()
        self._connection = adbc_driver_sqlite.dbapi.connect(str(self.path), autocommit=True)
        self._cursor = self._connection.cursor()
        for pragma in ("PRAGMA journal_mode=OFF", "PRAGMA synchronous=OFF"):
            self._cursor.execute(pragma)
            self._cursor.fetchall()

    def append(self, table: str, rows) -> None:
        self._cursor.adbc_ingest(table, rows, mode="create_append")
        self.tables.add(table)

    def close(self) -> None:
        try:
            self._cursor.close()
            self._connection.close()
        finally:
            shutil.rmtree(self._folder, ignore_errors=True)


def _as_arrow(events: pd.DataFrame, *, iso_dates: bool = True):
    """The frame as an Arrow table of what the store holds: whole numbers as integers,
    coordinates as reals, the rest text, missing values null; dates as YYYY-MM-DD text (SQLite
    stores them so, as `save` does) or, without `iso_dates`, as Arrow dates."""
    import pyarrow as pa

    table = pa.Table.from_pandas(events, preserve_index=False)
    columns = []
    for name, column in zip(table.column_names, table.columns, strict=True):
        if name == "event_date":
            column = column.cast(pa.date32(), safe=False)
            column = column.cast(pa.string()) if iso_dates else column  # the day, as strftime gave
        elif name in INTEGER_COLUMNS:
            column = column.cast(pa.int64())
        elif name in FLOAT_COLUMNS:
            column = column.cast(pa.float64())
        else:
            column = column.cast(pa.large_string())  # as validation keeps it; an all-missing column comes as Arrow's null type
        columns.append(column)
    return pa.table(columns, names=table.column_names)


class _StoredVersions:
    """The timestamp of every stored event of each source asked about, read once a source: what
    `EventWriter._changes_only` compares a reload's rows with, in Arrow (no Python object a row)."""

    def __init__(self, driver_connection):
        self._driver_connection = driver_connection
        self._by_source: dict[str, tuple] = {}

    def unchanged(self, events: pd.DataFrame) -> np.ndarray:
        """Which rows of `events` the merge would leave as stored (its `_on_conflict` clause)."""
        import pyarrow as pa
        import pyarrow.compute as pc

        sources = python_strings(events["source"]).to_numpy(dtype=object)
        ids = pa.array(events["source_id"].array)  # a column kept in Arrow (the ingest's): not copied
        ids = (ids.combine_chunks() if isinstance(ids, pa.ChunkedArray) else ids).cast(pa.large_string())
        new = events["timestamp"].to_numpy(dtype=np.int64)
        unchanged = np.zeros(len(events), dtype=bool)
        for source in pd.unique(sources):
            stored_ids, stored_versions = self._of(source)
            rows = np.flatnonzero(sources == source)
            of_source = ids if len(rows) == len(ids) else ids.take(rows)
            position = pc.index_in(of_source, value_set=stored_ids).fill_null(-1).to_numpy()
            found = position >= 0
            stored = np.zeros(len(rows), dtype=np.int64)
            stored[found] = stored_versions[position[found]]
            unchanged[rows] = found & (new[rows] <= stored) & ((new[rows] != 0) | (stored != 0))
        return unchanged

    def _of(self, source: str) -> tuple:
        import pyarrow as pa

        if source not in self._by_source:
            ids, versions = [pa.array([], pa.large_string())], [np.empty(0, dtype=np.int64)]
            # A server-side cursor, read a batch at a time: the table's rows at once, as the
            # client's result and then as Python tuples (about 150 bytes a row), would take
            # several times the arrays' memory (8 MiB for 300,000 events).
            with self._driver_connection.cursor(name="cw_stored_versions") as cursor:
                cursor.execute("SELECT source_id, timestamp FROM events WHERE source = %s", (source,))
                while rows := cursor.fetchmany(_VERSIONS_BATCH_ROWS):
                    ids.append(pa.array([row[0] for row in rows], pa.large_string()))
                    versions.append(np.fromiter((row[1] for row in rows), dtype=np.int64, count=len(rows)))
            self._by_source[source] = (pa.concat_arrays(ids), np.concatenate(versions))
        return self._by_source[source]


def _upsert(connection: sa.Connection, dialect: str, events: pd.DataFrame) -> SaveResult:
    if events.empty:
        return SaveResult(0, 0, 0, method="none")
    # Set-based upserts straight from the driver: row-by-row ORM merges would be two orders of
    # magnitude slower at a million events. A stored version is replaced only by a newer one.
    columns = ", ".join(_DATA_COLUMNS)
    on_conflict = _on_conflict(dialect)
    driver_connection = connection.connection.driver_connection
    if dialect == "postgresql":
        inserted, written = _upsert_postgresql(driver_connection, events[_DATA_COLUMNS], columns, on_conflict)
    else:
        values = _as_database_values(events[_DATA_COLUMNS])
        inserted, written = _upsert_sqlite(driver_connection, values, columns, on_conflict)
    updated = written - inserted
    return SaveResult(inserted=inserted, updated=updated, unchanged=len(events) - written, method="merge")


def _on_conflict(dialect: str) -> str:
    """The upsert's ON CONFLICT clause: a stored version is replaced only by a newer one."""
    updates = ", ".join(f"{name} = excluded.{name}" for name in _DATA_COLUMNS if name not in _KEY)
    return (
        f"ON CONFLICT (source, source_id) DO UPDATE SET {updates} "
        f"WHERE excluded.timestamp > events.timestamp OR ({_revised_without_timestamp(dialect)})"
    )


def _revised_without_timestamp(dialect: str) -> str:
    """The ON CONFLICT condition for rows without a timestamp (UCDP GED, ACLED exports lacking the
    column: stored as 0): there is no version to compare, so a new row replaces the stored one
    when any data column differs. Reloading the same file then still changes nothing."""
    differs = "IS DISTINCT FROM" if dialect == "postgresql" else "IS NOT"
    changed = " OR ".join(
        f"excluded.{name} {differs} events.{name}" for name in _DATA_COLUMNS if name not in (*_KEY, "timestamp")
    )
    return f"excluded.timestamp = 0 AND events.timestamp = 0 AND ({changed})"


def _upsert_sqlite(driver_connection, values: dict[str, list], columns: str, on_conflict: str) -> tuple[int, int]:
    """Returns (inserted, inserted + updated). The transaction began IMMEDIATE, so no other
    writer can change the table between the two counts."""
    count = "SELECT count(*) FROM events"
    before = driver_connection.execute(count).fetchone()[0]
    changes_before = driver_connection.total_changes
    placeholders = ", ".join("?" for _ in values)
    driver_connection.executemany(
        f"INSERT INTO events ({columns}) VALUES ({placeholders}) {on_conflict}", zip(*values.values())
    )
    written = driver_connection.total_changes - changes_before
    inserted = driver_connection.execute(count).fetchone()[0] - before
    return inserted, written


def _upsert_postgresql(driver_connection, events: pd.DataFrame, columns: str, on_conflict: str) -> tuple[int, int]:
    """COPY into a temporary table, then one INSERT ... ON CONFLICT. Returns (inserted, written)."""
    with driver_connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE staging_events ON COMMIT DROP AS SELECT {columns} FROM events WITH NO DATA"
        )
        _copy_rows(cursor, "staging_events", events)
        # xmax = 0 marks a freshly inserted row version, as opposed to an updated one.
        cursor.execute(
            f"WITH written AS (INSERT INTO events ({columns}) SELECT {columns} FROM staging_events "
            f"{on_conflict} RETURNING (xmax = 0) AS inserted) "
            "SELECT count(*) FILTER (WHERE inserted), count(*) FROM written"
        )
        inserted, written = cursor.fetchone()
        cursor.execute("DROP TABLE staging_events")
    return inserted, written


def _copy_new_events(driver_connection, events: pd.DataFrame) -> SaveResult | None:
    """COPY a frame of events new to the store straight into `events`: half the server's work of
    a staging table and a merge. None, with nothing written, when one of them is stored already
    (an event repeated in a later block of the file): the caller merges the frame instead."""
    import psycopg

    with driver_connection.cursor() as cursor:
        cursor.execute("SAVEPOINT copy_new_events")
        try:
            _copy_rows(cursor, "events", events)
        except psycopg.errors.UniqueViolation:
            cursor.execute("ROLLBACK TO SAVEPOINT copy_new_events")
            return None
        cursor.execute("RELEASE SAVEPOINT copy_new_events")
    return SaveResult(inserted=len(events), updated=0, unchanged=0, method="copy")


def _postgresql_type(column: sa.Column) -> str:
    """The PostgreSQL type psycopg is to send a column's values as, in COPY's binary form."""
    if isinstance(column.type, sa.SmallInteger):
        return "int2"
    if isinstance(column.type, sa.BigInteger):
        return "int8"
    if isinstance(column.type, sa.Integer):
        return "int4"
    if isinstance(column.type, sa.Float):
        return "float8"
    if isinstance(column.type, sa.Date):
        return "date"
    return "text"  # String(n) too: varchar's binary form is text's, and the server checks n


def _copy_rows(cursor, table: str, events: pd.DataFrame) -> None:
    """COPY the frame's rows into `table` in PostgreSQL's binary form: the server then parses no
    text (a third less of its CPU than COPY of CSV for the same rows, docs/benchmarks.md).
    Missing values go as NULL, an empty text as empty text. The rows are encoded column by
    column by Arrow's and numpy's kernels (`_binary_rows`), outside the interpreter's lock, from
    the Arrow text the ingest of files validated: made into Python values for psycopg's dumpers
    instead, a row at a time, they took twice the client's CPU (docs/benchmarks.md)."""
    import pyarrow as pa

    arrow = _as_arrow(events, iso_dates=False)
    # Worked out per call, not once at import, so that the tests reach `_postgresql_type`
    # (mutation testing cannot judge code that runs only at import); 31 columns, microseconds.
    types = [_postgresql_type(_TABLE.c[name]) for name in arrow.column_names]
    with cursor.copy(f"COPY {table} ({', '.join(arrow.column_names)}) FROM STDIN WITH (FORMAT binary)") as copy:
        copy.write(_COPY_SIGNATURE)
        for start in range(0, arrow.num_rows, _COPY_SLICE_ROWS):
            copy.write(_binary_rows(arrow.slice(start, _COPY_SLICE_ROWS), types))
        copy.write(_COPY_TRAILER)
    del arrow
    pa.default_memory_pool().release_unused()  # Arrow's allocator hands back what the encoding took


#: COPY's binary form: its signature, flags and header extension length (none); its end.
_COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + bytes(8)
_COPY_TRAILER = b"\xff\xff"
#: How COPY's binary form writes each fixed-width type: its Arrow type (a value out of its range
#: fails the cast, as psycopg's dumpers refused it) and its big-endian numpy type. A date is
#: days since 2000-01-01 (`_POSTGRESQL_EPOCH_DAYS` after Arrow's 1970-01-01).
_COPY_WIDTHS = {"int2": ("int16", ">i2"), "int4": ("int32", ">i4"), "int8": ("int64", ">i8"),
                "float8": ("float64", ">f8"), "date": ("int32", ">i4")}
_POSTGRESQL_EPOCH_DAYS = 10_957
#: Rows encoded at a time: the encoding takes a few times the bytes of the rows it holds (slices
#: of 10,000 rows raised the ingest's peak memory by 15-20 MiB; of 2,500, took 0.4 s more CPU).
_COPY_SLICE_ROWS = 5_000


def _binary_rows(table, types: list[str]):
    """The table's rows in COPY's binary form (an Arrow buffer): for each row, its number of
    fields (int16), then for each field its length in bytes (int32, -1 for NULL) and its bytes,
    all big-endian. `types` are the columns' PostgreSQL types (`_postgresql_type`).

    Each run of fixed-width bytes in a row (the field count, the numbers and dates, and the
    lengths, up to the next text) is packed by numpy into one record a row; Arrow then joins
    each row from those records and the text in one pass, whose cost is about the same for each
    part joined: 45 parts a row for the events' 31 columns (22 of them text), where one or two
    parts a field made 54 (0.43-0.47 s of CPU against 0.34-0.36 s for 300,000 rows)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    rows = table.num_rows
    parts = []  # Arrow large_binary arrays, joined row by row at the end
    fields: list[tuple[str, object]] = [(">i2", table.num_columns)]  # (big-endian type, values) not yet packed

    def pack_fields() -> None:
        if fields:
            parts.append(_packed_rows(fields, rows))
            fields.clear()

    for column, kind in zip(table.columns, types, strict=True):
        column = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
        valid = column.is_valid().to_numpy(zero_copy_only=False) if column.null_count else None
        if kind == "text":
            data = column.view(pa.large_binary())  # validation's large strings, not copied
            lengths = pc.binary_length(data).to_numpy(zero_copy_only=False)
            fields.append((">i4", lengths if valid is None else np.where(valid, lengths, -1)))
            if column.null_count < rows:  # the join writes a NULL's value as no bytes
                pack_fields()
                parts.append(data)
            continue
        arrow_type, numpy_type = _COPY_WIDTHS[kind]
        values = pc.subtract(column.cast(pa.int32()), _POSTGRESQL_EPOCH_DAYS) if kind == "date" else column.cast(arrow_type)
        width = np.dtype(numpy_type).itemsize
        if valid is None:
            fields += [(">i4", width), (numpy_type, values.to_numpy(zero_copy_only=False))]
            continue
        fields.append((">i4", np.where(valid, width, -1)))
        if not valid.any():
            continue
        # With NULLs the field's bytes vary in width: the valid rows' values, none for a NULL.
        pack_fields()
        offsets = np.zeros(rows + 1, dtype=np.int64)
        np.cumsum(np.where(valid, width, 0), out=offsets[1:])
        kept = pc.drop_null(values).to_numpy(zero_copy_only=False).astype(numpy_type)
        parts.append(pa.LargeBinaryArray.from_buffers(pa.large_binary(), rows, [None, pa.py_buffer(offsets), pa.py_buffer(kept)]))
    pack_fields()
    joined = pc.binary_join_element_wise(
        *parts, pa.scalar(b"", pa.large_binary()), null_handling="replace", null_replacement=""
    ) if len(parts) > 1 else parts[0]
    offsets = np.frombuffer(joined.buffers()[1], dtype=np.int64)[joined.offset : joined.offset + len(joined) + 1]
    return joined.buffers()[2].slice(offsets[0], offsets[-1] - offsets[0])


def _packed_rows(fields: list[tuple[str, object]], rows: int):
    """Fields given as (numpy type, one value a row or one for all rows), their bytes side by
    side in each row, as one Arrow large_binary value a row (numpy's record, not copied)."""
    import pyarrow as pa

    record = np.dtype([(f"f{position}", kind) for position, (kind, _) in enumerate(fields)])
    packed = np.empty(rows, dtype=record)
    for position, (_, values) in enumerate(fields):
        packed[f"f{position}"] = values  # converted to the field's big-endian type as it is written
    offsets = np.arange(0, (rows + 1) * record.itemsize, record.itemsize, dtype=np.int64)
    return pa.LargeBinaryArray.from_buffers(pa.large_binary(), rows, [None, pa.py_buffer(offsets), pa.py_buffer(packed)])


def _as_database_values(events: pd.DataFrame) -> dict[str, list]:
    """Each column as a list of plain Python values: ints, floats, str and None, and dates as
    YYYY-MM-DD text (SQLite stores them so)."""
    values = {}
    for name in events.columns:
        column = events[name]
        missing = column.isna().to_numpy()
        if name == "event_date":
            column = column.dt.strftime("%Y-%m-%d")
        elif name in INTEGER_COLUMNS:
            column = column.astype("Int64")
        elif name in FLOAT_COLUMNS:
            column = column.astype("float64")
        elif isinstance(column.dtype, pd.ArrowDtype):
            # Text kept in Arrow by the ingest of files: one Python string per distinct value.
            column = python_strings(column)
        listed = column.astype(object).tolist()
        if missing.any():
            for position in missing.nonzero()[0]:
                listed[position] = None
        values[name] = listed
    return values


def load_events(
    store: Store,
    *,
    countries: list[str] | None = None,
    start: dt.date | None = None,
    until: dt.date | None = None,
    columns: list[str] | None = None,
) -> pd.DataFrame:
    """Stored events as an event frame, oldest first.

    `until` is inclusive: events dated after it are never returned, which is what lets
    `detect --as-of` use no data after the as-of date.
    """
    names = list(columns or EVENT_COLUMNS)
    # What the order needs, read beside the columns asked for and dropped after.
    extra = [name for name in ("event_date", "id") if name not in names]
    read = names + extra
    # The date as the driver gives it (SQLite: ISO text), not parsed row by row into a date by
    # SQLAlchemy: the column is parsed once, as a whole, in `_typed_columns`.
    selected = [sa.type_coerce(_TABLE.c[name], sa.String) if name == "event_date" else _TABLE.c[name]
                for name in read]
    # In no order: sorted here, by date then id as ORDER BY event_date, id would. SQLite sorted
    # in a temporary B-tree (0.4 s of a 1.4 s read of 300,000 events), numpy sorts in 0.03 s.
    query = _filtered(sa.select(*selected), countries, start, until)
    with store.engine.connect() as connection, _collector_paused():
        # The driver's own tuples, not SQLAlchemy's rows: none of these columns has a result
        # processor, and wrapping 300,000 rows took half as long again as fetching them.
        rows = connection.execute(query).cursor.fetchall()
        # Into columns in one numpy pass (zip's tuples of 300,000 took two to four times as long).
        table = np.empty((len(rows), len(read)), dtype=object)
        if rows:
            table[:] = rows
        del rows
    frame = _typed_columns(read, [table[:, index] for index in range(len(read))])
    order = np.lexsort((frame["id"].to_numpy(dtype=np.int64), frame["event_date"].to_numpy()))
    return frame.take(order).drop(columns=extra).reset_index(drop=True)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector off while millions of objects that hold no cycles (a fetch's
    rows and values) are made: it would walk the whole heap again and again for nothing."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def monthly_counts(
    store: Store,
    by: list[str],
    *,
    countries: list[str] | None = None,
    until: dt.date | None = None,
    disorder_type: str = POLITICAL_VIOLENCE,
) -> pd.DataFrame:
    """Events and fatalities per month and per combination of the `by` columns, counted in SQL,
    of one disorder type (`forecasting.events.DISORDER_TYPES`; political violence by default:
    protests, riots and strategic developments are never mixed into it).

    Returns columns `by` + `year`, `month`, `events`, `fatalities`; months without events are
    absent (the series module zero-fills them).
    """
    keys = [_TABLE.c[name] for name in by] + [_TABLE.c.year, _TABLE.c.month]
    query = sa.select(
        *keys,
        sa.func.count().label("events"),
        sa.func.sum(_TABLE.c.fatalities).label("fatalities"),
    ).where(_TABLE.c.disorder_type == disorder_type).group_by(*keys)
    query = _filtered(query, countries, None, until)
    with store.engine.connect() as connection:
        frame = pd.read_sql_query(query, connection)
    return frame.astype({"year": "int64", "month": "int64", "events": "int64", "fatalities": "int64"})


def count_events(store: Store) -> int:
    """How many events the store holds."""
    with store.engine.connect() as connection:
        return connection.execute(sa.select(sa.func.count()).select_from(_TABLE)).scalar_one()


def holds_no_data(store: Store) -> bool:
    """Whether the store holds no events and no HDX aggregates (one row looked for in each, not
    counted: every command asks)."""
    with store.engine.connect() as connection:
        return not any(connection.execute(sa.select(sa.literal(1)).select_from(table).limit(1)).first()
                       for table in (_TABLE, HdxAggregate.__table__))


def data_cutoff(store: Store) -> dt.date | None:
    """The date of the newest stored event; for a store with HDX aggregates and no events, the
    last day of their newest month; None for an empty store."""
    return _data_edge(store, newest=True)


def event_span(store: Store, *, countries: list[str] | None = None) -> tuple[dt.date, dt.date] | None:
    """The first and newest stored event days (of these countries), or None without events."""
    query = _filtered(sa.select(sa.func.min(_TABLE.c.event_date), sa.func.max(_TABLE.c.event_date)), countries, None, None)
    with store.engine.connect() as connection:
        first, newest = connection.execute(query).one()
    if first is None:
        return None
    return pd.Timestamp(first).date(), pd.Timestamp(newest).date()


def data_start(store: Store) -> dt.date | None:
    """The date of the oldest stored event; for a store with HDX aggregates and no events, the
    first day of their oldest month; None for an empty store."""
    return _data_edge(store, newest=False)


def _data_edge(store: Store, *, newest: bool) -> dt.date | None:
    edge = sa.func.max if newest else sa.func.min
    with store.engine.connect() as connection:
        day = connection.execute(sa.select(edge(_TABLE.c.event_date))).scalar_one()
    if day is not None:
        return pd.Timestamp(day).date()
    months = aggregate_month_span(store)
    if months is None:
        return None
    return months[1].to_timestamp(how="end").date() if newest else months[0].to_timestamp(how="start").date()


def stored_countries(store: Store) -> list[str]:
    """The countries the store holds events or HDX aggregates for, sorted by name."""
    aggregates = HdxAggregate.__table__
    query = sa.union(sa.select(_TABLE.c.country).distinct(), sa.select(aggregates.c.country).distinct())
    with store.engine.connect() as connection:
        return sorted(connection.execute(query).scalars())


def source_counts(store: Store, *, countries: list[str] | None = None, until: dt.date | None = None) -> pd.DataFrame:
    """Events per source (`acled`, `ucdp`, ...), split by whether they are the shipped synthetic
    sample's: columns source, synthetic (bool), events, oldest and newest (dates). What a report
    credits, and how far back its data go."""
    synthetic = _TABLE.c.sources.like(SYNTHETIC_SOURCES_PREFIX + "%")
    flag = sa.case((synthetic, 1), else_=0).label("synthetic")
    query = sa.select(
        _TABLE.c.source, flag, sa.func.count().label("events"),
        sa.func.min(_TABLE.c.event_date).label("oldest"), sa.func.max(_TABLE.c.event_date).label("newest")
    ).group_by(_TABLE.c.source, flag)
    query = _filtered(query, countries, None, until)
    with store.engine.connect() as connection:
        frame = pd.read_sql_query(query, connection)
    frame["synthetic"] = frame["synthetic"].astype(bool)
    frame["oldest"] = pd.to_datetime(frame["oldest"]).dt.date
    frame["newest"] = pd.to_datetime(frame["newest"]).dt.date
    return frame.sort_values(["source", "synthetic"]).reset_index(drop=True)


def ingest_log(store: Store, limit: int = 50) -> pd.DataFrame:
    """The most recent loads, newest first."""
    table = IngestLog.__table__
    query = sa.select(table).order_by(table.c.id.desc()).limit(limit)
    with store.engine.connect() as connection:
        return pd.read_sql_query(query, connection)


def _filtered(query, countries, start, until):
    if countries:
        query = query.where(_TABLE.c.country.in_(countries))
    if start is not None:
        query = query.where(_TABLE.c.event_date >= start)
    if until is not None:
        query = query.where(_TABLE.c.event_date <= until)
    return query


def _typed_columns(names: list[str], columns: list) -> pd.DataFrame:
    """An event frame from the values of each of its columns: dates as datetime64[ns], integers
    as nullable Int64, floats, text as Python objects with None; each column built once in its
    type (reading it through pandas' SQL layer guessed each type, then converted it)."""
    typed = {}
    for name, values in zip(names, columns):
        if name == "event_date":
            typed[name] = pd.to_datetime(pd.Series(values, dtype=object)).astype("datetime64[ns]")
        elif name in INTEGER_COLUMNS:
            typed[name] = pd.array(values, dtype="Int64")
        elif name in FLOAT_COLUMNS:
            typed[name] = np.array(values, dtype="float64")
        else:
            typed[name] = pd.Series(values, dtype=object)
    return pd.DataFrame(typed, columns=names)


__all__ = [
    "SYNTHETIC_SOURCES_PREFIX",
    "LoadRecord",
    "SaveResult",
    "EventWriter",
    "count_events",
    "data_cutoff",
    "event_span",
    "event_writer",
    "ingest_log",
    "load_events",
    "monthly_counts",
    "source_counts",
    "stored_countries",
]
