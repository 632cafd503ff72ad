"""Pull checkpoints and deletions.

A pull downloads a source page by page. After every page, the page's events and the checkpoint
(which page comes next) are written in one transaction, so a pull killed at any moment resumes
from the first page it had not stored: no event twice, none lost.

Only one pull per source runs at a time. A pull claims its source with a lease (owner, expiry);
a second pull finding a live lease stops with `PullInProgressError`. A lease whose holder died
(same host, process gone) or that expired is taken over, and its checkpoint resumed.

HDX aggregates (ACLED's admin2-month counts) are stored by `forecasting.store.aggregates`.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import uuid
from dataclasses import dataclass
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from forecasting.errors import ConflictwatchError
from forecasting.store.base import Base, Store, dialect_insert

from forecasting.store.events import Event, EventWriter, LoadRecord, SaveResult


class PullState(Base):
    __tablename__ = "pull_state"

    source: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    # Lease: who is pulling this source now, and until when the claim holds without renewal.
    owner: Mapped[str | None] = mapped_column(sa.String(200))
    lease_until: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))
    # The pull in progress: its frozen parameters (JSON), phase and next page. NULL when idle.
    query: Mapped[str | None] = mapped_column(sa.Text)
    phase: Mapped[str | None] = mapped_column(sa.String(16))
    next_page: Mapped[int | None]
    next_url: Mapped[str | None] = mapped_column(sa.Text)
    pages_done: Mapped[int] = mapped_column(default=0)
    events_received: Mapped[int] = mapped_column(default=0)
    inserted: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    newest_received: Mapped[int | None] = mapped_column(sa.BigInteger)
    started_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))
    # Watermarks carried from one completed pull to the next.
    timestamp_watermark: Mapped[int | None] = mapped_column(sa.BigInteger)
    deletions_since: Mapped[int | None] = mapped_column(sa.BigInteger)
    completed_query: Mapped[str | None] = mapped_column(sa.Text)
    completed_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))


class PullInProgressError(ConflictwatchError):
    """Another pull of the same source holds the lease."""


class PullLeaseLostError(ConflictwatchError):
    """This pull's lease was taken over (it stalled past its expiry); it stops without writing."""


@dataclass(frozen=True)
class Checkpoint:
    """Where a source's pulls stand: the pull in progress (if any) and the carried watermarks.

    `query` is None when no pull is in progress. `phase` is `pages` (reading pages; the next is
    `next_page`, or `next_url` for sources that hand out links) or `finishing` (all pages stored;
    deletions and bookkeeping remain). Counts are cumulative over every run of this pull.
    """

    source: str
    query: dict[str, Any] | None
    phase: str | None
    next_page: int | None
    next_url: str | None
    pages_done: int
    events_received: int
    inserted: int
    updated: int
    newest_received: int | None
    timestamp_watermark: int | None
    deletions_since: int | None
    completed_query: dict[str, Any] | None

    @property
    def watermark_countries(self) -> tuple[str, ...] | None:
        """The countries `timestamp_watermark` holds for: those of the last completed pull that
        advanced it (kept in `completed_query` under `watermark_countries`, so that a later
        `--since` pull does not lose them). None when no completed pull loaded them: then the
        watermark says nothing and the next pull is a first load."""
        countries = (self.completed_query or {}).get("watermark_countries")
        return tuple(countries) if countries is not None and self.timestamp_watermark is not None else None


_STATE = PullState.__table__
_EVENTS = Event.__table__


def new_owner() -> str:
    """An owner id for one pull: host and process (to detect a dead holder), plus a nonce."""
    return f"{socket.gethostname()}|{os.getpid()}|{uuid.uuid4().hex[:12]}"


def claim_source(store: Store, source: str, owner: str, lease: dt.timedelta) -> Checkpoint:
    """Take the lease on `source` for `owner` and return its checkpoint.

    Raises `PullInProgressError` when another live pull holds it. Atomic on both backends: the
    claim is a conditional UPDATE that only one of two racing pulls can win.
    """
    now = _now()
    with store.engine.begin() as connection:
        _ensure_row(connection, store.dialect, source)
        row = connection.execute(sa.select(_STATE).where(_STATE.c.source == source)).mappings().one()
        holder = row["owner"]
        if holder is not None and holder != owner and not _lease_is_dead(holder, row["lease_until"], now):
            raise PullInProgressError(_in_progress_message(source, holder, row["lease_until"]))
        claimed = connection.execute(
            sa.update(_STATE)
            .where(_STATE.c.source == source)
            .where(_STATE.c.owner.is_(None) if holder is None else _STATE.c.owner == holder)
            .values(owner=owner, lease_until=now + lease)
        ).rowcount
        if claimed != 1:
            raise PullInProgressError(_in_progress_message(source, "another process", None))
        row = connection.execute(sa.select(_STATE).where(_STATE.c.source == source)).mappings().one()
    return _checkpoint(row)


def start_pull(
    store: Store,
    source: str,
    owner: str,
    query: dict[str, Any],
    *,
    next_page: int | None = None,
    next_url: str | None = None,
) -> Checkpoint:
    """Begin a new pull with frozen parameters `query`, replacing any interrupted one."""
    values = dict(
        query=json.dumps(query, sort_keys=True),
        phase="pages",
        next_page=next_page,
        next_url=next_url,
        pages_done=0,
        events_received=0,
        inserted=0,
        updated=0,
        newest_received=None,
        started_at=_now(),
    )
    with store.engine.begin() as connection:
        _update_owned(connection, source, owner, values)
        row = connection.execute(sa.select(_STATE).where(_STATE.c.source == source)).mappings().one()
    return _checkpoint(row)


def save_pulled_page(
    store: Store,
    source: str,
    owner: str,
    events: pd.DataFrame,
    *,
    rows_received: int,
    next_page: int | None,
    next_url: str | None,
    last_page: bool,
    lease: dt.timedelta,
) -> SaveResult:
    """Store one page's events and move the checkpoint past it, in one transaction.

    `events` is a validated, tiered event frame. When `last_page` the pull moves to its
    finishing phase. Raises `PullLeaseLostError` (and writes nothing) if `owner` no longer
    holds the lease.
    """
    newest = int(events["timestamp"].max()) if len(events) else None
    with store.engine.begin() as connection:
        # Stored exactly as an ingested file is, but in the checkpoint's transaction.
        result = EventWriter(connection, store.dialect).save(events)
        values = dict(
            next_page=next_page,
            next_url=next_url,
            phase="finishing" if last_page else "pages",
            pages_done=_STATE.c.pages_done + 1,
            events_received=_STATE.c.events_received + rows_received,
            inserted=_STATE.c.inserted + result.inserted,
            updated=_STATE.c.updated + result.updated,
            lease_until=_now() + lease,
        )
        if newest is not None:
            values["newest_received"] = sa.case(
                (_STATE.c.newest_received.is_(None), newest),
                (_STATE.c.newest_received < newest, newest),
                else_=_STATE.c.newest_received,
            )
        _update_owned(connection, source, owner, values)
    return result


def finish_pull(
    store: Store,
    source: str,
    owner: str,
    *,
    deletions: list[tuple[str, int]],
    deletions_since: int | None,
    advance_watermark: bool,
    log_file: str,
    log_format: str,
) -> tuple[int, Checkpoint]:
    """Apply the source's deletions, close the pull and release the lease, in one transaction.

    `deletions` are (source_id, deleted_timestamp) pairs: a stored event is removed when its
    version is not newer than the deletion (an event republished after it stays). When
    `advance_watermark`, the next incremental pull of the same countries starts from the newest
    timestamp this pull received (`Checkpoint.watermark_countries` records which countries);
    otherwise the watermark and its countries stay as they were. One ingest-log line records the
    whole pull. Returns (events deleted, checkpoint as it was just before closing, with the
    pull's cumulative counts).
    """
    with store.engine.begin() as connection:
        row = connection.execute(sa.select(_STATE).where(_STATE.c.source == source)).mappings().one()
        if row["owner"] != owner:
            raise PullLeaseLostError(_lease_lost_message(source))
        before = _checkpoint(row)
        deleted = _delete_events(connection, source, deletions)
        watermark = row["timestamp_watermark"]
        completed = json.loads(row["query"]) if row["query"] else {}
        if advance_watermark:
            if row["newest_received"] is not None:
                watermark = max(watermark or 0, row["newest_received"])
            if watermark is not None:
                completed["watermark_countries"] = completed.get("countries")
        elif before.watermark_countries is not None:
            completed["watermark_countries"] = list(before.watermark_countries)
        started_at = _aware(row["started_at"]) or _now()
        EventWriter(connection, store.dialect).log(
            LoadRecord(file=log_file, format=log_format, rows_read=row["events_received"], rejected=0, started_at=started_at),
            SaveResult(
                inserted=row["inserted"],
                updated=row["updated"],
                unchanged=max(0, row["events_received"] - row["inserted"] - row["updated"]),
            ),
            (_now() - started_at).total_seconds(),
        )
        _update_owned(
            connection,
            source,
            owner,
            dict(
                query=None,
                phase=None,
                next_page=None,
                next_url=None,
                completed_query=json.dumps(completed, sort_keys=True) if completed else None,
                completed_at=_now(),
                timestamp_watermark=watermark,
                deletions_since=deletions_since,
                owner=None,
                lease_until=None,
            ),
        )
    return deleted, before


def release_source(store: Store, source: str, owner: str) -> None:
    """Give up the lease (the checkpoint stays, so the next pull resumes). No-op if not held."""
    with store.engine.begin() as connection:
        connection.execute(
            sa.update(_STATE)
            .where(_STATE.c.source == source, _STATE.c.owner == owner)
            .values(owner=None, lease_until=None)
        )


def read_checkpoint(store: Store, source: str) -> Checkpoint | None:
    """The checkpoint of `source`, or None if it was never pulled."""
    with store.engine.connect() as connection:
        row = connection.execute(sa.select(_STATE).where(_STATE.c.source == source)).mappings().first()
    return _checkpoint(row) if row is not None else None


def delete_events(store: Store, source: str, deletions: list[tuple[str, int]]) -> int:
    """Remove events of `source` by (source_id, deleted_timestamp); returns how many went."""
    with store.engine.begin() as connection:
        return _delete_events(connection, source, deletions)


def _delete_events(connection: sa.Connection, source: str, deletions: list[tuple[str, int]]) -> int:
    deleted = 0
    statement = sa.delete(_EVENTS).where(
        _EVENTS.c.source == source,
        _EVENTS.c.source_id == sa.bindparam("b_source_id"),
        _EVENTS.c.timestamp <= sa.bindparam("b_deleted"),
    )
    for start in range(0, len(deletions), 1000):
        chunk = deletions[start : start + 1000]
        result = connection.execute(statement, [{"b_source_id": sid, "b_deleted": ts} for sid, ts in chunk])
        deleted += max(result.rowcount, 0)
    return deleted


# --- internals ------------------------------------------------------------------------------


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _aware(moment: dt.datetime | None) -> dt.datetime | None:
    """SQLite hands back naive datetimes; every time stored here is UTC."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=dt.timezone.utc)
    return moment


def _ensure_row(connection: sa.Connection, dialect: str, source: str) -> None:
    insert = dialect_insert(dialect)(_STATE).values(source=source, pages_done=0, events_received=0, inserted=0, updated=0)
    connection.execute(insert.on_conflict_do_nothing(index_elements=["source"]))


def _update_owned(connection: sa.Connection, source: str, owner: str, values: dict) -> None:
    changed = connection.execute(
        sa.update(_STATE).where(_STATE.c.source == source, _STATE.c.owner == owner).values(**values)
    ).rowcount
    if changed != 1:
        raise PullLeaseLostError(_lease_lost_message(source))


def _lease_is_dead(holder: str, lease_until: dt.datetime | None, now: dt.datetime) -> bool:
    """A lease is dead when it expired, or when its holder ran on this host and has exited."""
    lease_until = _aware(lease_until)
    if lease_until is not None and lease_until < now:
        return True
    host, _, rest = holder.partition("|")
    pid_text = rest.partition("|")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, under another user
        return False
    return False


def _in_progress_message(source: str, holder: str, lease_until: dt.datetime | None) -> str:
    host, _, rest = holder.partition("|")
    pid = rest.partition("|")[0]
    who = f"process {pid} on {host}" if pid else holder
    until = f" (its claim runs until {_aware(lease_until):%Y-%m-%d %H:%M} UTC unless renewed)" if lease_until else ""
    return (
        f"a pull of {source.upper()} is already running: {who}{until}. This pull stopped without"
        " changing anything; run it again when that one has finished."
    )


def _lease_lost_message(source: str) -> str:
    return (
        f"this pull of {source.upper()} lost its claim to another pull (it stalled longer than the"
        " lease); it stopped without writing more. The other pull carries on from the checkpoint."
    )


def _checkpoint(row) -> Checkpoint:
    return Checkpoint(
        source=row["source"],
        query=json.loads(row["query"]) if row["query"] else None,
        phase=row["phase"],
        next_page=row["next_page"],
        next_url=row["next_url"],
        pages_done=row["pages_done"] or 0,
        events_received=row["events_received"] or 0,
        inserted=row["inserted"] or 0,
        updated=row["updated"] or 0,
        newest_received=row["newest_received"],
        timestamp_watermark=row["timestamp_watermark"],
        deletions_since=row["deletions_since"],
        completed_query=json.loads(row["completed_query"]) if row["completed_query"] else None,
    )


__all__ = [
    "Checkpoint",
    "PullInProgressError",
    "PullLeaseLostError",
    "claim_source",
    "delete_events",
    "finish_pull",
    "new_owner",
    "read_checkpoint",
    "release_source",
    "save_pulled_page",
    "start_pull",
]
