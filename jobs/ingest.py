"""The ingest step: files -> validated, tiered events -> the store, all or nothing."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from importlib import resources
from pathlib import Path


from forecasting.events import InvalidEventsError
from forecasting.gazetteer import Gazetteer, assign_tiers
from forecasting.sources.files import EventFile, read_event_file
from forecasting.store import Store
from forecasting.store import events as stored_events

log = logging.getLogger(__name__)

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
) -> list[IngestReport]:
    """Load event files into the store in one transaction.

    Every file is read and validated before anything is written. If a file has invalid rows,
    nothing at all is written and `InvalidEventsError` names the file and its bad lines, unless
    `skip_invalid`, in which case the valid rows are loaded and the rejected ones are written with
    their reasons to `<file>.rejected.csv` beside it.
    """
    started_at = dt.datetime.now(dt.timezone.utc)
    files = [read_event_file(path) for path in paths]
    if not skip_invalid:
        for event_file in files:
            if not event_file.validated.rejects.empty:
                raise InvalidEventsError(str(event_file.path), event_file.validated.rejects)

    loads = []
    for event_file in files:
        events = event_file.validated.events
        events["tier"] = assign_tiers(events, gazetteer, seat_radius_km=seat_radius_km)
        record = stored_events.LoadRecord(
            file=str(event_file.path),
            format=event_file.format,
            rows_read=event_file.rows_read,
            rejected=len(event_file.validated.rejects),
            started_at=started_at,
        )
        loads.append((events, record))
    saved = stored_events.save_events(store, loads)

    reports = []
    for event_file, result in zip(files, saved):
        rejects_file = _write_rejects(event_file) if skip_invalid else None
        reports.append(
            IngestReport(
                file=event_file.path,
                format=event_file.format,
                rows_read=event_file.rows_read,
                inserted=result.inserted,
                updated=result.updated,
                unchanged=result.unchanged,
                rejected=len(event_file.validated.rejects),
                rejects_file=rejects_file,
            )
        )
        log.info(
            "%s: %d rows read, %d inserted, %d updated, %d unchanged, %d rejected",
            event_file.path, event_file.rows_read, result.inserted, result.updated,
            result.unchanged, len(event_file.validated.rejects),
        )
    return reports


def _write_rejects(event_file: EventFile) -> Path | None:
    rejects = event_file.validated.rejects
    if rejects.empty:
        return None
    name = event_file.path.name.removesuffix(".gz").removesuffix(".csv")
    target = event_file.path.with_name(f"{name}.rejected.csv")
    rejects.to_csv(target, index=False, encoding="utf-8")
    log.warning("%s: %d rejected rows written to %s", event_file.path, len(rejects), target)
    return target


def ingest_sample_if_empty(store: Store, gazetteer: Gazetteer, *, seat_radius_km: float) -> list[IngestReport]:
    """Load the shipped synthetic sample into an empty store (so a fresh clone runs end to end)."""
    if stored_events.count_events(store) > 0:
        return []
    log.warning("the store is empty: loading the shipped SYNTHETIC sample (not real ACLED data)")
    return ingest_files(store, [sample_path()], gazetteer, seat_radius_km=seat_radius_km)


