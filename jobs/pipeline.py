"""One pass of the pipeline: ingest, pull, detect, report, notify, recorded in the run log.

Each step is a plain function from domain inputs to domain outputs; `run_pipeline` wires them,
claims the (job, slot) row and records every step. A failing step keeps what the steps before it
produced (events stay ingested, a report stays written), skips the steps after it, marks the run
`error` with the reason and sends the administrator one notice. Running a slot again is
idempotent: ingest and pull upsert, detection stores alerts by their stable id, the report is
rewritten in the same folder, and the outbox never enqueues a message key twice.

The scheduler (`jobs.service`) and the `run` command call `run_pipeline`; neither this module
nor its steps know about the scheduler.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from forecasting.errors import ConflictwatchError
from forecasting.redaction import redact
from forecasting.store import Store
from forecasting.store import runs as run_log
from jobs.config import Config, Secrets
from jobs.shutdown import Interrupted, shielded

if TYPE_CHECKING:
    from forecasting.gazetteer import Gazetteer
    from jobs.notify import Notifications

log = logging.getLogger(__name__)

STEPS = ("ingest", "pull", "detect", "report", "notify")

# What each job does. `run` is the full pass analysts start by hand; the scheduled jobs are a
# daily pull (with detection, so critical alerts go out the day they are found), a weekly report
# and a monthly refit of the month just closed.
JOB_STEPS: dict[str, tuple[str, ...]] = {
    "run": STEPS,
    "pull": ("ingest", "pull", "detect", "notify"),
    "report": ("detect", "report", "notify"),
    "refit": STEPS,
}

# The jobs that email the report (and the digest of warnings) to every recipient. The monthly
# refit writes its report files but emails only critical alerts and resolved notices: its report
# would be a second report email that week, two on a Monday the 1st.
REPORT_EMAIL_JOBS = ("run", "report")

# Where a dry run writes its report, under report.out_dir.
DRY_RUN_FOLDER = "dry-run"


class RunFailedError(ConflictwatchError):
    """A pipeline run ended in error; the run log (`conflictwatch runs`) has the details."""


class SlotTakenError(ConflictwatchError):
    """The (job, slot) is already claimed, or is still being worked on."""


@dataclass(frozen=True)
class RunRequest:
    """What to run: a job for a slot. `as_of` None: chosen from the stored data (see `choose_as_of`).

    `slot` names the occasion: an ISO timestamp for a scheduled slot, `manual:<as_of>` for a run
    by hand. `rerun` lets a slot that already ran run again (a new attempt on the same row).
    """

    job: str
    slot: str
    trigger: str = "manual"
    as_of: str | None = None
    slot_time: dt.datetime | None = None
    rerun: bool = False
    dry_run: bool = False

    def __post_init__(self) -> None:
        if self.job not in JOB_STEPS:
            raise ConflictwatchError(f"unknown job {self.job!r}; one of {', '.join(JOB_STEPS)}")


@dataclass(frozen=True)
class StepOutcome:
    """What a step reports to the run log. `output` is the step's domain result."""

    state: str
    counts: dict[str, Any] = field(default_factory=dict)
    output: Any = None


@dataclass
class PipelineResult:
    """The outputs of a pass, including those of the steps before a failure."""

    run: run_log.RunRecord
    state: str = "working"
    as_of: str | None = None
    sample_used: bool = False
    detection: Any = None
    report: Any = None
    notifications: "Notifications | None" = None
    error: str | None = None
    steps: dict[str, StepOutcome] = field(default_factory=dict)


# --- steps: domain inputs in, domain outputs out --------------------------------------------


def ingest_step(store: Store, config: Config, gazetteer: Callable[[], "Gazetteer"]) -> StepOutcome:
    """Load the configured files (idempotent), and the synthetic sample if the store is still empty."""
    from forecasting.store import events as stored_events
    from jobs.ingest import event_bounds, ingest_files, ingest_sample_if_empty

    radius = config.gazetteer.seat_radius_km
    reports = []
    if config.data.files:
        paths = [config.resolve(name) for name in config.data.files]
        reports += ingest_files(store, paths, gazetteer(), seat_radius_km=radius, bounds=event_bounds(config.data))
    sample_used = False
    if config.data.sample_when_empty and stored_events.holds_no_data(store):
        reports += ingest_sample_if_empty(store, gazetteer(), seat_radius_km=radius)
        sample_used = True
    sample_used = sample_used or store_holds_sample(store)
    counts = {
        "files": len(reports),
        "inserted": sum(r.inserted for r in reports),
        "updated": sum(r.updated for r in reports),
        "events": stored_events.count_events(store),
        "synthetic": sample_used,
    }
    state = "success" if reports else "noop"
    return StepOutcome(state, counts, output=sample_used)


def store_holds_sample(store: Store) -> bool:
    """Whether the store holds events of the shipped synthetic sample."""
    from forecasting.store import events as stored_events

    return bool(stored_events.source_counts(store)["synthetic"].any())


def pull_step(store: Store, config: Config, secrets: Secrets, gazetteer: Callable[[], "Gazetteer"]) -> StepOutcome:
    """Download from every enabled live source; `skipped` when none is enabled."""
    from jobs.pull import enabled_sources, pull_source

    enabled = enabled_sources(config)
    if not enabled:
        return StepOutcome("skipped", {"sources": 0, "reason": "no source enabled in config.yaml"})

    counts: dict[str, Any] = {"sources": len(enabled)}
    results = {}
    for name in enabled:
        result = pull_source(store, config, secrets, name, gazetteer=gazetteer())
        results[name] = result
        counts[name] = _plain_counts(result)
    return StepOutcome("success", counts, output=results)


def detect_step(store: Store, config: Config, as_of: str, *, dry_run: bool = False) -> StepOutcome:
    """Fit the baselines and run the detectors for `as_of`, using no data after it. A dry run
    stores no alert, so it changes no alert's lifecycle."""
    from jobs.detect import run_detection

    detection = run_detection(store, config, as_of, save=not dry_run)
    by_severity = severity_counts(detection.alerts)
    counts = {"alerts": len(detection.alerts), **by_severity}
    return StepOutcome("success", counts, output=detection)


def report_step(store: Store, config: Config, as_of: str, detection: Any, *, dry_run: bool = False) -> StepOutcome:
    """Write the trend report (PDF, PNG charts, HTML, JSON) for `as_of` from the detection, into
    `<out_dir>/report-<as_of>/`; a dry run into `<out_dir>/dry-run/report-<as_of>/`, so it never
    replaces the files of the last real report."""
    from jobs.report import build_report

    out_dir = config.resolve(config.report.out_dir)
    if dry_run:
        out_dir = out_dir / DRY_RUN_FOLDER
    files = build_report(store, config, as_of, detection=detection, out_dir=out_dir)
    pdf = getattr(files, "pdf", None)
    return StepOutcome("success", {"pdf": str(pdf) if pdf else None}, output=files)


def notify_step(
    store: Store, config: Config, secrets: Secrets, request: RunRequest, run: run_log.RunRecord,
    as_of: str, detection: Any, report: Any,
) -> StepOutcome:
    """Enqueue the emails this pass calls for and try to send them (see jobs.notify). Only the
    jobs of REPORT_EMAIL_JOBS email the report and the digest. A critical incident's email is the
    one the report composed; a pass with no report (the daily pull) composes it when needed."""
    from jobs.notify import notify
    from jobs.report import build_incident_emails

    out_dir = config.resolve(config.report.out_dir) / (DRY_RUN_FOLDER if request.dry_run else "")
    if report is not None:
        def incident_emails():
            return report.incident_emails
    elif detection is not None:
        def incident_emails():
            return build_incident_emails(store, config, detection, out_dir=out_dir)
    else:
        incident_emails = None
    # Named as the report's folder is: detection settles a month the data end inside of as the
    # month so far (report-2025-05-19 beside emails-2025-05-19).
    period = detection.as_of.text if detection is not None else as_of
    notifications = notify(
        store, config, secrets, alerts=list(detection.alerts) if detection is not None else [],
        report=report if request.job in REPORT_EMAIL_JOBS else None, as_of=as_of, occasion=f"{request.job}:{request.slot}", run_id=run.id,
        dry_run=request.dry_run, incidents=list(detection.incidents) if detection is not None else [],
        eml_dir=out_dir / f"emails-{period}" if request.dry_run else None, incident_emails=incident_emails,
    )
    return StepOutcome(notifications.state, notifications.counts(), output=notifications)


# --- wiring ---------------------------------------------------------------------------------


def run_pipeline(
    store: Store,
    config: Config,
    secrets: Secrets,
    request: RunRequest,
    *,
    gazetteer: Callable[[], "Gazetteer"],
    stop: threading.Event | None = None,
) -> PipelineResult | None:
    """Claim the request's (job, slot), run its steps in order and record each; None if not ours.

    Returns None when another process holds the slot (or already ran it and `rerun` is off).
    Never raises for a failing step: the result says `error` and the run log has the reason.
    `stop`, when set, ends the pass between steps: the current step finishes, the rest are
    skipped and the run is marked `error` ("interrupted") so it is never left working.
    """
    if stop is not None and stop.is_set():
        return None  # stopping: leave the slot unclaimed for a process that is still running
    expire_stale_runs(store, config, secrets)
    trigger = "dry-run" if request.dry_run else request.trigger
    run = run_log.claim_run(store, request.job, request.slot, trigger=trigger, as_of=request.as_of,
                            rerun=request.rerun)
    if run is None:
        log.info("%s %s: already claimed by another run; nothing to do here", request.job, request.slot)
        return None
    log.info("%s %s: started (attempt %d)", request.job, request.slot, run.attempt)
    result = PipelineResult(run=run, as_of=request.as_of)
    steps = JOB_STEPS[request.job]
    position = 0
    try:
        # A stop signal may land anywhere in here, between steps as well as inside one: the
        # run is closed as interrupted whatever the place, never left working.
        for position, step in enumerate(steps):
            if stop is not None and stop.is_set():
                reason = f"interrupted by shutdown before step {step}; rerun the slot by hand to complete it"
                for remaining in steps[position:]:
                    run_log.finish_step(store, run, remaining, "skipped", error="interrupted")
                result.state, result.error = "error", reason
                run_log.finish_run(store, run, "error", counts=_run_counts(result), error=reason)
                log.warning("%s %s: %s", request.job, request.slot, reason)
                notify_administrator(store, config, secrets, run, reason)
                return result
            run_log.start_step(store, run, step)
            try:
                outcome = _run_step(step, store, config, secrets, request, run, result, gazetteer)
            except Exception as error:  # noqa: BLE001 - a failed step is recorded, not re-raised
                reason = _describe(error, secrets)
                if not isinstance(error, ConflictwatchError):
                    log.error("%s %s: step %s failed:\n%s", request.job, request.slot, step,
                              redact(traceback.format_exc(), secrets.values()))
                run_log.finish_step(store, run, step, "error", error=reason)
                for remaining in steps[position + 1:]:
                    run_log.finish_step(store, run, remaining, "skipped", error=f"not run: step {step} failed")
                result.state, result.error = "error", f"step {step} failed: {reason}"
                run_log.finish_run(store, run, "error", counts=_run_counts(result), error=result.error)
                log.error("%s %s: %s", request.job, request.slot, result.error)
                notify_administrator(store, config, secrets, run, result.error)
                return result
            result.steps[step] = outcome
            run_log.finish_step(store, run, step, outcome.state, counts=outcome.counts)
        result.state = _overall_state(result)
        run_log.finish_run(store, run, result.state, counts=_run_counts(result))
    except (Interrupted, KeyboardInterrupt) as interruption:
        _close_interrupted(store, config, secrets, run, steps[position:], interruption)
        raise
    log.info("%s %s: %s", request.job, request.slot, result.state)
    return result


def _close_interrupted(store: Store, config: Config, secrets: Secrets, run: run_log.RunRecord,
                       steps: tuple[str, ...], interruption: BaseException) -> None:
    """A signal stopped the run at `steps[0]` (in it, or as it began or ended): close the step
    and the run as interrupted (state error), mark the rest skipped, and queue the
    administrator's notice without sending it (an SMTP timeout would outlast the stop). The
    step's open transaction has already rolled back; what earlier steps committed stays. A rerun
    can start at once. Nothing to do if the run was closed already (it had just finished)."""
    name = getattr(interruption, "signal_name", "SIGINT")
    reason = f"interrupted by {name} during step {steps[0]}; rerun it to complete the pass"
    with shielded():
        if not run_log.interrupt_run(store, run, reason):
            return
        for remaining in steps[1:]:
            run_log.finish_step(store, run, remaining, "skipped", error="interrupted")
        log.warning("%s %s: %s", run.job, run.slot, reason)
        notify_administrator(store, config, secrets, run, reason, deliver=False)


def _run_step(step, store, config, secrets, request, run, result, gazetteer) -> StepOutcome:
    if step == "ingest":
        outcome = ingest_step(store, config, gazetteer)
        result.sample_used = bool(outcome.output)
        return outcome
    if step == "pull":
        return pull_step(store, config, secrets, gazetteer)
    if result.as_of is None:
        result.as_of = choose_as_of(store, request.job, request.slot_time)
    if step == "detect":
        outcome = detect_step(store, config, result.as_of, dry_run=request.dry_run)
        result.detection = outcome.output
        return outcome
    if step == "report":
        outcome = report_step(store, config, result.as_of, result.detection, dry_run=request.dry_run)
        result.report = outcome.output
        return outcome
    if step == "notify":
        outcome = notify_step(store, config, secrets, request, run, result.as_of, result.detection, result.report)
        result.notifications = outcome.output
        return outcome
    raise ValueError(f"unknown step {step!r}")


def choose_as_of(store: Store, job: str, slot_time: dt.datetime | None = None) -> str:
    """The period a job looks at, from the newest stored event (the data cut-off).

    A month (YYYY-MM) only when the data reach its last day; otherwise the day of the cut-off
    (YYYY-MM-DD, the month so far), so that a few days of data are never assessed as a whole
    month (spurious drops): the weekly report and `run` follow this rule; the daily pull always
    looks at the day.
    The monthly refit looks at a complete month: the month before its slot (or earlier if the
    data stop earlier); without a slot, the newest month the data cover to its last day.
    """
    from forecasting.store import events as stored_events
    from jobs.forecast import last_complete_day

    cutoff = stored_events.data_cutoff(store)
    if cutoff is None:
        raise ConflictwatchError(
            "the store holds no events: ingest a file (conflictwatch ingest FILE), enable a source in "
            "config.yaml, or set data.sample_when_empty: true"
        )
    if job == "pull":
        return cutoff.isoformat()  # always the day: a surge is caught before the month ends
    if job == "refit":
        if slot_time is not None:
            closed = (slot_time.date().replace(day=1) - dt.timedelta(days=1))
            return min(closed, cutoff).strftime("%Y-%m")
        return last_complete_day(cutoff).strftime("%Y-%m")
    if last_complete_day(cutoff) == cutoff:
        return cutoff.strftime("%Y-%m")
    return cutoff.isoformat()


def severity_counts(alerts) -> dict[str, int]:
    counts = {"critical": 0, "warning": 0, "info": 0}
    for alert in alerts:
        counts[alert.severity] = counts.get(alert.severity, 0) + 1
    return counts


def _overall_state(result: PipelineResult) -> str:
    states = {outcome.state for outcome in result.steps.values()}
    if "success" in states:
        return "success"
    if states <= {"skipped"}:
        return "skipped"
    return "noop"


def _run_counts(result: PipelineResult) -> dict[str, Any]:
    counts: dict[str, Any] = {"as_of": result.as_of, "synthetic": result.sample_used}
    detect = result.steps.get("detect")
    if detect is not None:
        counts.update({key: detect.counts[key] for key in ("alerts", "critical", "warning", "info")})
    notify = result.steps.get("notify")
    if notify is not None:
        counts["emails"] = notify.counts.get("enqueued", 0)
    return counts


def expire_stale_runs(store: Store, config: Config, secrets: Secrets) -> list[run_log.RunRecord]:
    """Close the runs still working after `schedule.run_timeout_minutes` (their process died) as
    error, and send the administrator the notice of each, as for a failing step. Returns them."""
    expired = run_log.expire_stale_runs(store, dt.timedelta(minutes=config.schedule.run_timeout_minutes))
    for run in expired:
        log.warning("%s %s was still working after the timeout: marked as error", run.job, run.slot)
        notify_administrator(store, config, secrets, run, run.error or "timed out")
    return expired


def notify_administrator(
    store: Store, config: Config, secrets: Secrets, run: run_log.RunRecord, reason: str, *, deliver: bool = True,
) -> None:
    """One notice to the administrator per failed attempt (the outbox key is job, slot and
    attempt, so it goes once however often this is called); none for a dry run. A failure to
    notify is only logged. `deliver` False only enqueues it (a process about to exit)."""
    if run.trigger == "dry-run":
        return
    try:
        from jobs.notify import notify_failure

        notify_failure(store, config, secrets, job=run.job, slot=run.slot, attempt=run.attempt,
                       reason=redact(reason, secrets.values()), run_id=run.id, deliver=deliver)
    except Exception as error:  # noqa: BLE001 - the run already failed; do not hide why
        log.error("could not notify the administrator: %s", _describe(error, secrets))


def _plain_counts(result: Any) -> Any:
    """A step result as JSON-friendly counts (dataclasses become dicts of their simple fields)."""
    import dataclasses

    if dataclasses.is_dataclass(result):
        return {
            key: value for key, value in dataclasses.asdict(result).items()
            if isinstance(value, (int, float, str, bool)) or value is None
        }
    return str(result)


def _describe(error: Exception, secrets: Secrets) -> str:
    text = str(error) if isinstance(error, ConflictwatchError) else f"{type(error).__name__}: {error}"
    return redact(text, secrets.values())
