"""`run`, `runs` and `schedule`: the service commands.

Nothing slow is imported at module level (`jobs.cli` imports this module at every start-up).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Optional

import typer

from forecasting.errors import ConflictwatchError
from jobs.commands.options import choices
from jobs.commands.output import print_table, time_text
from jobs.config import SCHEDULED_JOBS
from jobs.session import session

if TYPE_CHECKING:
    from jobs.pipeline import PipelineResult

TOP_ALERTS = 5

app = typer.Typer()


# The states of a run in the run log (forecasting/store/runs.py STATES, which loads SQLAlchemy).
RunState = choices("RunState", ("working", "success", "error", "noop", "skipped"))
# `run` (every step) and the jobs the service schedules.
Job = choices("Job", ("run", *SCHEDULED_JOBS))


@app.command()
def run(
    context: typer.Context,
    as_of: Annotated[
        Optional[str],
        typer.Option("--as-of", help="Month (YYYY-MM) or day (YYYY-MM-DD) to look at; default: the month of the newest stored event if the data reach its last day, else that day (the month so far)."),
    ] = None,
    job: Annotated[Job, typer.Option("--job", help="Which steps: run (all), pull, report or refit, as the scheduler runs them.")] = Job.run,
    slot: Annotated[
        Optional[str],
        typer.Option("--slot", help="Run this scheduled slot (as `conflictwatch runs` lists it), e.g. to redo a failed one."),
    ] = None,
    rerun: Annotated[bool, typer.Option("--rerun", help="Run --slot again even if it already ran.")] = False,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Show which emails would go to whom; send and queue none, store no alert, "
                                       "write the report under <out_dir>/dry-run/."),
    ] = False,
) -> None:
    """One full pipeline pass: ingest, pull, fit and detect, report, notify; each step recorded."""
    import datetime as dt

    from jobs.pipeline import RunFailedError, RunRequest, SlotTakenError, run_pipeline

    current = session(context)
    slot_time = None
    if slot is None:
        # A run by hand is its own slot, keyed by what it looks at: running it again redoes it.
        slot, rerun = f"manual:{as_of or 'latest'}", True
    else:
        try:
            slot_time = dt.datetime.fromisoformat(slot)
        except ValueError:
            raise ConflictwatchError(f"--slot {slot!r} is not a slot time; copy one from `conflictwatch runs`") from None
    if dry_run:
        # A dry run must not use up a scheduled slot: it is logged under a slot of its own.
        slot, rerun = f"dry-run:{slot}", True
    request = RunRequest(job=job.value, slot=slot, trigger="manual", as_of=as_of, slot_time=slot_time,
                         rerun=rerun, dry_run=dry_run)
    result = run_pipeline(current.store, current.config, current.secrets, request, gazetteer=lambda: current.gazetteer)
    if result is None:
        from forecasting.store import runs as run_log

        existing = run_log.get_run(current.store, job.value, slot)
        state = existing.state if existing else "unknown"
        raise SlotTakenError(
            f"{job.value} {slot} is {state}"
            + ("; wait for it to finish" if state == "working" else "; add --rerun to run it again")
        )
    print_summary(result, current.config)
    if result.state == "error":
        raise RunFailedError(f"{result.error} (see `conflictwatch runs --job {job.value} --slot {slot}`)")


def print_summary(result: "PipelineResult", config) -> None:
    """A few lines an analyst reads after a pass: the data, where the report is, the alerts."""
    from jobs.pipeline import severity_counts

    echo = typer.echo
    run = result.run
    echo(f"{run.job} {run.slot} (attempt {run.attempt}): {result.state}" + (f", as of {result.as_of}" if result.as_of else ""))
    if result.sample_used:
        echo("Data: the shipped SYNTHETIC sample, not real ACLED data (configure data.files or sources for real data).")
    ingest = result.steps.get("ingest")
    if ingest is not None:
        echo(f"Events in the store: {ingest.counts.get('events')}")
    pull = result.steps.get("pull")
    if pull is not None and pull.state == "skipped":
        echo("Pull: skipped (no source enabled in config.yaml)")
    report = result.report
    if report is not None:
        location = getattr(report, "pdf", None) or getattr(report, "html", None)
        if result.run.trigger == "dry-run":
            echo(f"Report (dry run, the real report folder is untouched): {location}")
        else:
            echo(f"Report: {location}")
    if result.detection is not None:
        alerts = list(result.detection.alerts)
        by_severity = severity_counts(alerts)
        echo("Alerts: " + ", ".join(f"{count} {severity}" for severity, count in by_severity.items()))
        order = {"critical": 0, "warning": 1, "info": 2}
        for alert in sorted(alerts, key=lambda alert: (order.get(alert.severity, 3), alert.score))[:TOP_ALERTS]:
            echo(f"  [{alert.severity}] {alert.message}")
    notifications = result.notifications
    if notifications is not None:
        if notifications.reason:
            echo(f"Email: nothing sent: {notifications.reason}")
        elif notifications.dry_run:
            echo(f"Email (dry run, nothing sent): {len(notifications.planned)} message(s) would be sent")
            for message in notifications.planned:
                held = " [held for review]" if message.held else ""
                echo(f"  {message.kind} to {message.recipient}: {message.subject}{held}")
        else:
            delivery = notifications.delivery
            sent = delivery.sent if delivery else 0
            pending = delivery.remaining if delivery else 0
            held = sum(message.held for message in notifications.planned)
            echo(f"Email: {len(notifications.enqueued)} queued, {sent} sent, {pending} waiting to be sent, {held} held for review")
    if result.error:
        echo(f"Failed: {result.error}")


@app.command()
def runs(
    context: typer.Context,
    job: Annotated[Optional[Job], typer.Option("--job", help="Only this job.")] = None,
    state: Annotated[Optional[RunState], typer.Option("--state", help="Only runs in this state.")] = None,
    slot: Annotated[Optional[str], typer.Option("--slot", help="Show the steps of this slot's latest attempt (with --job).")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="How many runs to list, newest first.")] = 30,
) -> None:
    """The run log: one line per job and slot, newest first; with --slot, that run's steps."""
    from forecasting.store import runs as run_log

    current = session(context)
    if slot is not None:
        record = run_log.get_run(current.store, (job or Job.run).value, slot)
        if record is None:
            raise ConflictwatchError(f"no run of {(job or Job.run).value} for slot {slot!r}; see `conflictwatch runs`")
        typer.echo(f"{record.job} {record.slot}: {record.state}, attempt {record.attempt}, {record.trigger}, "
                   f"{record.host} pid {record.pid}" + (f"\nerror: {record.error}" if record.error else ""))
        print_table(
            ["step", "state", "started", "finished", "counts", "error"],
            [[s.step, s.state, time_text(s.started_at), time_text(s.finished_at), _counts(s.counts), s.error] for s in record.steps],
        )
        return
    records = run_log.list_runs(current.store, job=job.value if job else None, state=state.value if state else None, limit=limit)
    print_table(
        ["job", "slot", "state", "attempt", "trigger", "as_of", "started", "finished", "counts", "error"],
        [
            [r.job, r.slot, r.state, r.attempt, r.trigger, r.as_of or r.counts.get("as_of"), time_text(r.started_at),
             time_text(r.finished_at), _counts(r.counts), r.error]
            for r in records
        ],
        title="Runs",
    )


@app.command()
def schedule(context: typer.Context) -> None:
    """Start the scheduler service: daily pull, weekly report, monthly refit (cron in config.yaml).

    Stops cleanly on SIGTERM or Ctrl-C. Several copies may run on the same database: each slot
    still runs once.
    """
    from jobs.service import serve

    current = session(context)
    serve(current.store, current.config, current.secrets, gazetteer=lambda: current.gazetteer)


def _counts(counts: dict) -> str:
    return ", ".join(f"{key}={value}" for key, value in counts.items() if value not in (None, {}, False))

