"""The run log: one row per (job, scheduled slot), one row per pipeline step of each attempt.

A row is claimed by inserting it: the unique (job, slot) constraint lets exactly one process
win a slot, whichever database holds the log (SQLite or PostgreSQL). A slot can be run again
by hand (`claim_run(..., rerun=True)`), which starts a new attempt on the same row unless an
attempt is still working.

States, as in Superset's alerts & reports log: `working`, `success`, `error`, `noop` (nothing
to do), `skipped` (not applicable, e.g. a source that is not enabled, or a step after an
interruption).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
from dataclasses import dataclass, field
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from forecasting.store.base import Base, Store

State = Literal["working", "success", "error", "noop", "skipped"]
STATES = ("working", "success", "error", "noop", "skipped")


class Run(Base):
    __tablename__ = "runs"
    __table_args__ = (sa.UniqueConstraint("job", "slot"), sa.Index(None, "state"))

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(sa.String(32))
    slot: Mapped[str] = mapped_column(sa.String(64))
    trigger: Mapped[str] = mapped_column(sa.String(16))
    as_of: Mapped[str | None] = mapped_column(sa.String(10))
    state: Mapped[str] = mapped_column(sa.String(16))
    attempt: Mapped[int]
    started_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True))
    finished_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))
    counts: Mapped[str] = mapped_column(sa.Text)
    error: Mapped[str | None] = mapped_column(sa.Text)
    host: Mapped[str] = mapped_column(sa.String(255))
    pid: Mapped[int]


class RunStep(Base):
    __tablename__ = "run_steps"
    __table_args__ = (sa.UniqueConstraint("run_id", "attempt", "step"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("runs.id", ondelete="CASCADE"))
    attempt: Mapped[int]
    step: Mapped[str] = mapped_column(sa.String(32))
    state: Mapped[str] = mapped_column(sa.String(16))
    started_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True))
    finished_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))
    counts: Mapped[str] = mapped_column(sa.Text)
    error: Mapped[str | None] = mapped_column(sa.Text)


_RUNS = Run.__table__
_STEPS = RunStep.__table__


@dataclass(frozen=True)
class StepRecord:
    step: str
    state: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    counts: dict[str, Any]
    error: str | None


@dataclass(frozen=True)
class RunRecord:
    """One row of the run log (with the steps of its latest attempt when asked for)."""

    id: int
    job: str
    slot: str
    trigger: str
    as_of: str | None
    state: str
    attempt: int
    started_at: dt.datetime
    finished_at: dt.datetime | None
    counts: dict[str, Any]
    error: str | None
    host: str
    pid: int
    steps: tuple[StepRecord, ...] = field(default=())


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def claim_run(
    store: Store,
    job: str,
    slot: str,
    *,
    trigger: str,
    as_of: str | None = None,
    rerun: bool = False,
    now: dt.datetime | None = None,
) -> RunRecord | None:
    """Claim (job, slot) for this process and mark it working; None if it is not ours to run.

    Without `rerun`, the first process to insert the row wins and every other gets None, even
    after the winner finished: that is the exactly-once guarantee of scheduled slots. With
    `rerun` (a slot run again by hand), an existing row that is not working starts a new
    attempt; a row still working returns None.
    """
    started = now or now_utc()
    values = dict(
        trigger=trigger, as_of=as_of, state="working", started_at=started, finished_at=None,
        counts="{}", error=None, host=socket.gethostname()[:255], pid=os.getpid(),
    )
    with store.engine.begin() as connection:
        existing = connection.execute(
            sa.select(_RUNS.c.id, _RUNS.c.state).where(_RUNS.c.job == job, _RUNS.c.slot == slot)
        ).first()
        if existing is None:
            inserted = _insert_ignoring_conflict(connection, store.dialect, dict(job=job, slot=slot, attempt=1, **values))
            if not inserted:
                return None
        elif not rerun or existing.state == "working":
            return None
        else:
            # Conditional on the state read above: a concurrent rerun of the same slot loses here.
            updated = connection.execute(
                sa.update(_RUNS)
                .where(_RUNS.c.id == existing.id, _RUNS.c.state == existing.state)
                .values(attempt=_RUNS.c.attempt + 1, **values)
            )
            if updated.rowcount != 1:
                return None
    return get_run(store, job, slot)


def _insert_ignoring_conflict(connection: sa.Connection, dialect: str, values: dict) -> bool:
    """Insert a run row; False if another process already holds (job, slot)."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = (
        insert(_RUNS).values(**values).on_conflict_do_nothing(index_elements=["job", "slot"]).returning(_RUNS.c.id)
    )
    # RETURNING, not rowcount: psycopg reports no row count for INSERT ... ON CONFLICT here.
    return connection.execute(statement).first() is not None


def start_step(store: Store, run: RunRecord, step: str, *, now: dt.datetime | None = None) -> None:
    """Record that a step of the run's current attempt began (state working)."""
    with store.engine.begin() as connection:
        connection.execute(
            sa.insert(_STEPS).values(
                run_id=run.id, attempt=run.attempt, step=step, state="working",
                started_at=now or now_utc(), finished_at=None, counts="{}", error=None,
            )
        )


def finish_step(
    store: Store,
    run: RunRecord,
    step: str,
    state: State,
    *,
    counts: dict[str, Any] | None = None,
    error: str | None = None,
    now: dt.datetime | None = None,
) -> None:
    """Record how a step ended. A step that never started (e.g. skipped) gets a row here."""
    _check_state(state)
    finished = now or now_utc()
    values = dict(state=state, finished_at=finished, counts=_dump(counts), error=error)
    with store.engine.begin() as connection:
        updated = connection.execute(
            sa.update(_STEPS)
            .where(_STEPS.c.run_id == run.id, _STEPS.c.attempt == run.attempt, _STEPS.c.step == step)
            .values(**values)
        )
        if updated.rowcount == 0:
            connection.execute(
                sa.insert(_STEPS).values(run_id=run.id, attempt=run.attempt, step=step, started_at=finished, **values)
            )


def finish_run(
    store: Store,
    run: RunRecord,
    state: State,
    *,
    counts: dict[str, Any] | None = None,
    error: str | None = None,
    now: dt.datetime | None = None,
) -> bool:
    """Close the run's current attempt. False if it was no longer working (e.g. expired meanwhile)."""
    _check_state(state)
    with store.engine.begin() as connection:
        updated = connection.execute(
            sa.update(_RUNS)
            .where(_RUNS.c.id == run.id, _RUNS.c.attempt == run.attempt, _RUNS.c.state == "working")
            .values(state=state, finished_at=now or now_utc(), counts=_dump(counts), error=error)
        )
        return updated.rowcount == 1


def interrupt_run(store: Store, run: RunRecord, reason: str, *, now: dt.datetime | None = None) -> bool:
    """Mark a working attempt and its working steps as error with `reason` (e.g. a signal)."""
    finished = now or now_utc()
    with store.engine.begin() as connection:
        connection.execute(
            sa.update(_STEPS)
            .where(_STEPS.c.run_id == run.id, _STEPS.c.attempt == run.attempt, _STEPS.c.state == "working")
            .values(state="error", finished_at=finished, error=reason)
        )
        updated = connection.execute(
            sa.update(_RUNS)
            .where(_RUNS.c.id == run.id, _RUNS.c.attempt == run.attempt, _RUNS.c.state == "working")
            .values(state="error", finished_at=finished, error=reason)
        )
        return updated.rowcount == 1


def expire_stale_runs(store: Store, timeout: dt.timedelta, *, now: dt.datetime | None = None) -> list[RunRecord]:
    """Mark runs still working longer than `timeout` as error (their process died). Returns them."""
    current = now or now_utc()
    cutoff = current - timeout
    minutes = int(timeout.total_seconds() // 60)
    reason = (
        f"timed out: still working after {minutes} minutes (the process probably died); "
        "rerun the slot by hand if its outputs are needed"
    )
    with store.engine.begin() as connection:
        stale = connection.execute(
            sa.select(_RUNS.c.id, _RUNS.c.attempt).where(_RUNS.c.state == "working", _RUNS.c.started_at < cutoff)
        ).all()
        for row in stale:
            connection.execute(
                sa.update(_STEPS)
                .where(_STEPS.c.run_id == row.id, _STEPS.c.attempt == row.attempt, _STEPS.c.state == "working")
                .values(state="error", finished_at=current, error=reason)
            )
            connection.execute(
                sa.update(_RUNS)
                .where(_RUNS.c.id == row.id, _RUNS.c.state == "working")
                .values(state="error", finished_at=current, error=reason)
            )
    return [run for run in list_runs(store, limit=None) if run.id in {row.id for row in stale}]


def get_run(store: Store, job: str, slot: str) -> RunRecord | None:
    """The run of (job, slot) with the steps of its latest attempt, or None."""
    with store.engine.connect() as connection:
        row = connection.execute(sa.select(_RUNS).where(_RUNS.c.job == job, _RUNS.c.slot == slot)).first()
        if row is None:
            return None
        steps = connection.execute(
            sa.select(_STEPS)
            .where(_STEPS.c.run_id == row.id, _STEPS.c.attempt == row.attempt)
            .order_by(_STEPS.c.id)
        ).all()
    return _run_record(row, steps)


def list_runs(
    store: Store, *, job: str | None = None, state: str | None = None, limit: int | None = 50
) -> list[RunRecord]:
    """Runs, newest first (without their steps)."""
    query = sa.select(_RUNS).order_by(_RUNS.c.started_at.desc(), _RUNS.c.id.desc())
    if job is not None:
        query = query.where(_RUNS.c.job == job)
    if state is not None:
        query = query.where(_RUNS.c.state == state)
    if limit is not None:
        query = query.limit(limit)
    with store.engine.connect() as connection:
        return [_run_record(row, []) for row in connection.execute(query).all()]


def _run_record(row, steps) -> RunRecord:
    return RunRecord(
        id=row.id, job=row.job, slot=row.slot, trigger=row.trigger, as_of=row.as_of, state=row.state,
        attempt=row.attempt, started_at=_aware(row.started_at), finished_at=_aware(row.finished_at),
        counts=json.loads(row.counts or "{}"), error=row.error, host=row.host, pid=row.pid,
        steps=tuple(
            StepRecord(
                step=step.step, state=step.state, started_at=_aware(step.started_at),
                finished_at=_aware(step.finished_at), counts=json.loads(step.counts or "{}"), error=step.error,
            )
            for step in steps
        ),
    )


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite hands back naive datetimes; everything stored here is UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.timezone.utc)
    return value


def _dump(counts: dict[str, Any] | None) -> str:
    return json.dumps(counts or {}, sort_keys=True, default=str)


def _check_state(state: str) -> None:
    if state not in STATES:
        raise ValueError(f"unknown run state {state!r}; one of {', '.join(STATES)}")


__all__ = [
    "RunRecord",
    "StepRecord",
    "claim_run",
    "expire_stale_runs",
    "finish_run",
    "finish_step",
    "get_run",
    "interrupt_run",
    "list_runs",
    "start_step",
]
