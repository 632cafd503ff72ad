"""The scheduler service: APScheduler 3 calling plain job functions on cron slots from config.yaml.

- Jobs: a daily `pull`, a weekly `report`, a monthly `refit` (jobs.pipeline.JOB_STEPS says what
  each does), and an outbox delivery every `deliver_every_seconds` that retries unsent email.
- Slots: each firing works out its slot (the latest cron time not after now) and claims the
  (job, slot) row of the run log. The database's unique constraint makes exactly one process
  win, however many `schedule` processes share the database.
- Missed slots: jobs coalesce and have `misfire_grace_seconds`, so a process that was busy or
  suspended runs a late slot once, not once per missed firing. After downtime, the run log is
  the memory: at start-up, a job whose latest slot has no run fires once at once (one
  catch-up, whatever the number of slots missed).
- Stopping: SIGTERM or SIGINT stops the scheduler; the step that is running finishes (for up to
  `shutdown_grace_seconds`), the steps after it are skipped and the run is marked error
  ("interrupted"). A run whose step outlives the grace is marked interrupted before exiting.
  A run left working by a killed process is marked error once `run_timeout_minutes` passed.
  Each interrupted or expired attempt sends the administrator one notice, as a failing step does.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import socket
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from forecasting.store import Store
from forecasting.store import runs as run_log
# cron_trigger is re-exported: the triggers are parsed with the config, at load.
from jobs.config import SCHEDULED_JOBS, Config, Secrets, cron_trigger, schedule_triggers  # noqa: F401
from jobs.pipeline import RunRequest, expire_stale_runs, notify_administrator, run_pipeline

if TYPE_CHECKING:
    from apscheduler.triggers.cron import CronTrigger

    from forecasting.gazetteer import Gazetteer

log = logging.getLogger(__name__)

# Search windows for the latest slot, short first: a seconds-level test cron and a monthly cron
# both resolve in a handful of trigger evaluations.
_LOOKBACK = (
    dt.timedelta(minutes=2), dt.timedelta(hours=2), dt.timedelta(days=2),
    dt.timedelta(days=32), dt.timedelta(days=367),
)


def latest_slot(trigger: "CronTrigger", now: dt.datetime) -> dt.datetime | None:
    """The latest fire time of `trigger` not after `now` (None if none in the past year)."""
    for window in _LOOKBACK:
        fire = trigger.get_next_fire_time(None, now - window)
        if fire is None or fire > now:
            continue
        while True:
            following = trigger.get_next_fire_time(fire, fire + dt.timedelta(microseconds=1))
            if following is None or following > now:
                return fire
            fire = following
    return None


def slot_name(slot: dt.datetime) -> str:
    """How a slot is written in the run log: ISO 8601 in UTC, the same in every process."""
    return slot.astimezone(dt.timezone.utc).isoformat()


def run_scheduled_job(
    job: str,
    trigger: "CronTrigger",
    store: Store,
    config: Config,
    secrets: Secrets,
    *,
    gazetteer: Callable[[], "Gazetteer"],
    stop: threading.Event,
) -> None:
    """What the scheduler calls for a job: claim the current slot and run it, unless taken."""
    now = dt.datetime.now(dt.timezone.utc)
    slot = latest_slot(trigger, now)
    if slot is None:
        log.warning("%s: no slot at or before %s; nothing to run", job, now.isoformat())
        return
    request = RunRequest(job=job, slot=slot_name(slot), trigger="schedule", slot_time=slot)
    try:
        run_pipeline(store, config, secrets, request, gazetteer=gazetteer, stop=stop)
    except Exception:  # the scheduler must outlive a database hiccup; the next slot retries
        log.exception("%s %s: could not run", job, request.slot)


def deliver_due_email(store: Store, config: Config, secrets: Secrets) -> None:
    """What the scheduler calls every `deliver_every_seconds`: send the due outbox messages."""
    from jobs.notify import deliver_outbox

    try:
        result = deliver_outbox(store, config.email, secrets)
    except Exception:
        log.exception("outbox delivery failed")
        return
    if result.sent or result.failed_attempts:
        log.info("outbox: %d sent, %d failed attempts, %d waiting", result.sent, result.failed_attempts, result.remaining)


def jobs_to_catch_up(store: Store, triggers: dict[str, "CronTrigger"], now: dt.datetime) -> list[str]:
    """Jobs whose latest slot has no run: they fire once at start-up (one catch-up, not one per
    missed slot)."""
    behind = []
    for job, trigger in triggers.items():
        slot = latest_slot(trigger, now)
        if slot is not None and run_log.get_run(store, job, slot_name(slot)) is None:
            behind.append(job)
    return behind


def build_scheduler(
    store: Store,
    config: Config,
    secrets: Secrets,
    *,
    gazetteer: Callable[[], "Gazetteer"],
    stop: threading.Event,
    now: dt.datetime | None = None,
):
    """A configured (not started) BlockingScheduler with the pipeline jobs and outbox delivery."""
    from zoneinfo import ZoneInfo

    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.schedulers.blocking import BlockingScheduler
    from apscheduler.triggers.interval import IntervalTrigger

    schedule = config.schedule
    triggers = schedule_triggers(schedule)
    zone = ZoneInfo(schedule.timezone)
    scheduler = BlockingScheduler(
        timezone=zone,
        # One pipeline job at a time per process; email delivery beside it so it never waits
        # behind a long refit.
        executors={"pipeline": ThreadPoolExecutor(1), "default": ThreadPoolExecutor(1)},
        job_defaults={"coalesce": True, "misfire_grace_time": schedule.misfire_grace_seconds, "max_instances": 1},
    )
    started = now or dt.datetime.now(dt.timezone.utc)
    behind = set(jobs_to_catch_up(store, triggers, started))
    for job, trigger in triggers.items():
        extra = {"next_run_time": started.astimezone(zone)} if job in behind else {}
        scheduler.add_job(
            run_scheduled_job, trigger, args=(job, trigger, store, config, secrets),
            kwargs={"gazetteer": gazetteer, "stop": stop}, id=job, name=job, executor="pipeline", **extra,
        )
        if job in behind:
            log.info("%s: the latest slot has not run; catching up now", job)
    if config.email.enabled:
        scheduler.add_job(
            deliver_due_email, IntervalTrigger(seconds=schedule.deliver_every_seconds, timezone=zone),
            args=(store, config, secrets), id="outbox", name="outbox",
        )
    return scheduler


def serve(store: Store, config: Config, secrets: Secrets, *, gazetteer: Callable[[], "Gazetteer"]) -> None:
    """Run the scheduler until SIGTERM or SIGINT; then stop cleanly (see the module docstring)."""
    expire_stale_runs(store, config, secrets)
    stop = threading.Event()
    scheduler = build_scheduler(store, config, secrets, gazetteer=gazetteer, stop=stop)
    received: list[str] = []

    def on_signal(number, _frame) -> None:
        name = signal.Signals(number).name
        received.append(name)
        if stop.is_set():
            return
        log.info("%s received: stopping after the current step", name)
        stop.set()
        scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    for job in scheduler.get_jobs():
        log.info("scheduled %s: %s", job.name, job.trigger)
    log.info("scheduler started on %s (pid %d, store %s)", socket.gethostname(), os.getpid(), store.display_url)
    scheduler.start()
    _finish_running_work(store, config, secrets, received[0] if received else "shutdown")


def _finish_running_work(store: Store, config: Config, secrets: Secrets, signal_name: str) -> None:
    """Wait for the running step to end; mark this process's runs interrupted if it does not."""
    grace_seconds = config.schedule.shutdown_grace_seconds
    deadline = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=grace_seconds)
    while _working_runs_of_this_process(store):
        if dt.datetime.now(dt.timezone.utc) >= deadline:
            break
        threading.Event().wait(0.2)
    if not interrupt_working_runs(store, config, secrets, signal_name):
        log.info("scheduler stopped cleanly")
        return
    logging.shutdown()
    # The worker thread is still inside a step; do not let interpreter shutdown wait for it.
    os._exit(1)


def interrupt_working_runs(store: Store, config: Config, secrets: Secrets, signal_name: str) -> list[run_log.RunRecord]:
    """Close this process's runs still working as interrupted, and queue the administrator's
    notice of each. Queue only: the process is about to exit, and an SMTP timeout would outlast
    systemd's stop timeout; the outbox sends it at the next delivery (`outbox send`, or the
    service's next start)."""
    grace_seconds = config.schedule.shutdown_grace_seconds
    interrupted = []
    for run in _working_runs_of_this_process(store):
        reason = (f"interrupted by {signal_name}: the step did not finish within {grace_seconds} s of the stop "
                  "request; rerun the slot by hand")
        if run_log.interrupt_run(store, run, reason):
            log.warning("%s %s: interrupted by %s", run.job, run.slot, signal_name)
            notify_administrator(store, config, secrets, run, reason, deliver=False)
            interrupted.append(run)
    return interrupted


def _working_runs_of_this_process(store: Store) -> list[run_log.RunRecord]:
    host, pid = socket.gethostname()[:255], os.getpid()
    return [run for run in run_log.list_runs(store, state="working", limit=None) if run.host == host and run.pid == pid]
