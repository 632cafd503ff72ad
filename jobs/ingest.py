"""The ingest step: files -> validated, tiered events -> the store, all or nothing."""

from __future__ import annotations

import datetime as dt
import logging
import queue
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TypeVar

import pandas as pd

from forecasting.events import EventBounds, InvalidEventsError
from forecasting.gazetteer import Gazetteer, assign_tiers
from forecasting.safe_csv import write_csv
from forecasting.sources.files import EventFile, open_event_file
from forecasting.sources.hdx import is_hdx_file
from forecasting.store import Store
from forecasting.store import events as stored_events
from jobs.config import DataConfig

log = logging.getLogger(__name__)
T = TypeVar("T")

SAMPLE_FILE = "acled_sahel_synthetic.csv.gz"


@dataclass(frozen=True)
class IngestReport:
    """What happened to one file."""

    file: Path
    format: str
    rows_read: int
    inserted: int
    updated: int
    unchanged: int
    rejected: int
    rejects_file: Path | None


def event_bounds(data: DataConfig, today: dt.date | None = None) -> EventBounds:
    """The validation contract of config.yaml's `data` section, for a load on `today` (default:
    today in UTC, read here: the jobs layer owns the clock, the domain is handed the day)."""
    today = today or dt.datetime.now(dt.timezone.utc).date()
    return EventBounds(today=today, future_days=data.future_days, max_fatalities=data.max_fatalities)


def sample_path() -> Path:
    """The shipped synthetic sample (ACLED export format; not real ACLED data)."""
    return Path(str(resources.files("forecasting.sample").joinpath(SAMPLE_FILE)))


def ingest_files(
    store: Store,
    paths: list[Path],
    gazetteer: Gazetteer,
    *,
    seat_radius_km: float,
    skip_invalid: bool = False,
    bounds: EventBounds | None = None,
) -> list[IngestReport]:
    """Load event files into the store in one transaction.

    Every row is checked against `bounds` (default: config.yaml's defaults, as of today) before
    anything is written: see docs/validation.md.

    Files are read block by block (memory stays flat however large the export). If any row of
    any file is invalid, nothing at all is written and `InvalidEventsError` names the file and
    its bad lines, unless `skip_invalid`: then the valid rows are loaded and the rejected ones are
    written with their reasons to `FILE.rejected.csv` beside it (see `rejects_path`).

    Real data (events not from the shipped synthetic sample, or HDX aggregates) replaces the
    sample: its rows are deleted in the same transaction, with a warning once committed.
    """
    from forecasting.sources.hdx import read_hdx_file

    started_at = dt.datetime.now(dt.timezone.utc)
    bounds = bounds or event_bounds(DataConfig(), started_at.date())
    # ACLED's HDX admin2-month aggregates are counts, not events: they are stored apart, but in
    # the same transaction, and read and validated whole before anything is written.
    aggregates = [read_hdx_file(path, bounds) for path in paths if is_hdx_file(path)]
    # Recognise every event file before writing anything: a wrong path fails fast and whole.
    files = [open_event_file(path) for path in paths if not is_hdx_file(path)]
    for event_file in files:
        _log_layout(event_file)
    loaded, sample_removed = [], 0
    with _arrow_memory_for_loads(), stored_events.event_writer(store) as writer:
        if any(len(aggregate.cells) for aggregate in aggregates):
            # Series come from aggregates only when no events are stored: the sample would hide them.
            sample_removed += writer.drop_synthetic_sample()
        saved_aggregates = writer.save_aggregates([(aggregate.cells, str(aggregate.path)) for aggregate in aggregates])
        # Every file is read, validated and staged first, then each is merged: SQLite's staged
        # events are written in C while the next block is validated (see EventWriter.stage).
        staged = []
        for number, event_file in enumerate(files):
            began = time.perf_counter()
            rows_read, rejects = 0, []
            # The text stays in Arrow from the file to the writer, which stages it (SQLite) or
            # encodes it for COPY (PostgreSQL) as it is.
            blocks = event_file.blocks(bounds, arrow_text=True)
            for rows, validated in _read_ahead(blocks):
                rows_read += rows
                if not validated.rejects.empty:
                    rejects.append(validated.rejects)
                if rejects and not skip_invalid:
                    continue  # the load will be rolled back; read on only to list every bad row
                # Tiers here, not in the read-ahead thread: reading and validating take it longer
                # than the store takes to write a block, so this thread has the time to spare.
                validated.events["tier"] = assign_tiers(validated.events, gazetteer, seat_radius_km=seat_radius_km)
                writer.stage(validated.events, number)
            rejected = pd.concat(rejects, ignore_index=True) if rejects else None
            if rejected is not None and not skip_invalid:
                raise InvalidEventsError(str(event_file.path), rejected)
            record = stored_events.LoadRecord(
                file=str(event_file.path),
                format=event_file.format,
                rows_read=rows_read,
                rejected=0 if rejected is None else len(rejected),
                started_at=started_at,
            )
            staged.append((number, event_file, record, rejected, time.perf_counter() - began))
        for number, event_file, record, rejected, seconds in staged:
            began = time.perf_counter()
            result = writer.merge_staged(number)
            sample_removed += result.synthetic_removed
            writer.log(record, result, seconds + time.perf_counter() - began)
            loaded.append((event_file, record, result, rejected))
    if sample_removed:
        log.warning(
            "removed the %d events of the shipped SYNTHETIC sample from the store: real data has"
            " arrived, and the two are never kept together",
            sample_removed,
        )

    reports = []
    for event_file, record, result, rejected in loaded:
        rejects_file = _write_rejects(event_file.path, rejected) if rejected is not None else None
        reports.append(
            IngestReport(
                file=event_file.path,
                format=event_file.format,
                rows_read=record.rows_read,
                inserted=result.inserted,
                updated=result.updated,
                unchanged=result.unchanged,
                rejected=record.rejected,
                rejects_file=rejects_file,
            )
        )
        log.info(
            "%s: %d rows read, %d inserted, %d updated, %d unchanged, %d rejected",
            event_file.path, record.rows_read, result.inserted, result.updated, result.unchanged,
            record.rejected,
        )
    reports += [
        IngestReport(
            file=aggregate.path, format="hdx-admin2-month", rows_read=aggregate.rows_read,
            inserted=result.inserted, updated=result.updated, unchanged=0, rejected=0, rejects_file=None,
        )
        for aggregate, result in zip(aggregates, saved_aggregates)
    ]
    return reports


def _log_layout(event_file: EventFile) -> None:
    """Say how a file was read and which optional columns it lacks (left empty, or derived)."""
    log.info("%s: %s export, %s", event_file.path, event_file.format.upper(), event_file.layout.describe())
    if event_file.absent_columns:
        absent = ", ".join(event_file.absent_columns)
        how = ("disorder_type derived from event_type, the others left empty"
               if "disorder_type" in event_file.absent_columns else "left empty")
        log.info("%s: no column %s; %s", event_file.path, absent, how)


@contextmanager
def _arrow_memory_for_loads() -> Iterator[None]:
    """Arrow allocates from jemalloc while a load runs, where pyarrow has it (its Linux and
    macOS builds), and from its default allocator again after. The default, mimalloc, commits
    its arenas in huge pages where the system hands them out on request: every block's buffers,
    freed and taken again, had the kernel zero whole 2 MiB pages, about a quarter of a
    PostgreSQL ingest's client CPU (0.5-0.8 s of system CPU for 300,000 rows against 0.23-0.32 s;
    docs/benchmarks.md, the ingest's seventh pass)."""
    import pyarrow as pa

    try:
        pool = pa.jemalloc_memory_pool()
    except NotImplementedError:  # a build without it (Windows): the default as it is
        pool = None
    default = pa.default_memory_pool()
    if pool is not None:
        pa.set_memory_pool(pool)
    try:
        yield
    finally:
        pa.set_memory_pool(default)


def _read_ahead(blocks: Iterator[T], depth: int = 1) -> Iterator[T]:
    """`blocks`, produced by a background thread up to `depth` ahead of the consumer: the next
    block is read and validated while the store writes this one. An error in the
    producer is raised here, in order; leaving early stops the producer at its next block."""
    ready: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def hand_over(item) -> bool:
        """Queue `item` for the consumer; False once it has left (nobody will take it)."""
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for block in blocks:
                if not hand_over((block, None)):
                    return
            hand_over((done, None))
        except BaseException as error:  # noqa: BLE001 - handed to the consumer, raised there
            hand_over((done, error))

    producer = threading.Thread(target=produce, name="ingest-read-ahead", daemon=True)
    producer.start()
    try:
        while True:
            block, error = ready.get()
            if error is not None:
                raise error
            if block is done:
                return
            yield block
    finally:
        stop.set()
        producer.join()


def rejects_path(path: Path) -> Path:
    """Where the rejected rows of FILE go: FILE.rejected.csv beside it (`mixed.csv` ->
    `mixed.csv.rejected.csv`), the name the docs give, whatever FILE's own extension."""
    return path.with_name(f"{path.name}.rejected.csv")


def _write_rejects(path: Path, rejects: pd.DataFrame) -> Path:
    target = rejects_path(path)
    write_csv(rejects, target, encoding="utf-8")
    log.warning("%s: %d rejected rows written to %s", path, len(rejects), target)
    return target


def ingest_sample_if_empty(store: Store, gazetteer: Gazetteer, *, seat_radius_km: float) -> list[IngestReport]:
    """Load the shipped synthetic sample into an empty store (so a fresh clone runs end to end).
    A store with only HDX aggregates is not empty: its series are used as they are."""
    if not stored_events.holds_no_data(store):
        return []
    log.warning("the store is empty: loading the shipped SYNTHETIC sample (not real ACLED data)")
    return ingest_files(store, [sample_path()], gazetteer, seat_radius_km=seat_radius_km)


