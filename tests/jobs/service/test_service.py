"""The scheduler: cron slots, catch-up after downtime, and two real `schedule` processes sharing a
database running each slot exactly once, then stopping cleanly on SIGTERM."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time

import pytest
import sqlalchemy as sa
import yaml
from factories import acled_row

from forecasting.store import runs as run_log
from jobs.config import ConfigError, ScheduleConfig
from jobs.service import cron_trigger, jobs_to_catch_up, latest_slot, schedule_triggers, slot_name

UTC = dt.timezone.utc


def test_the_latest_slot_is_the_last_cron_time_not_after_now():
    weekly = cron_trigger("0 6 * * mon", "UTC", "report")
    # Wednesday 2025-08-06: the slot is Monday 06:00.
    assert latest_slot(weekly, dt.datetime(2025, 8, 6, 12, 0, tzinfo=UTC)) == dt.datetime(2025, 8, 4, 6, 0, tzinfo=UTC)
    assert latest_slot(weekly, dt.datetime(2025, 8, 4, 6, 0, tzinfo=UTC)) == dt.datetime(2025, 8, 4, 6, 0, tzinfo=UTC)
    monthly = cron_trigger("0 5 1 * *", "Africa/Ouagadougou", "refit")
    assert latest_slot(monthly, dt.datetime(2025, 9, 30, tzinfo=UTC)) == dt.datetime(2025, 9, 1, 5, 0, tzinfo=UTC)
    # Six fields: seconds first.
    every_three_seconds = cron_trigger("*/3 * * * * *", "UTC", "pull")
    assert latest_slot(every_three_seconds, dt.datetime(2025, 8, 4, 6, 0, 7, 500, tzinfo=UTC)) == dt.datetime(2025, 8, 4, 6, 0, 6, tzinfo=UTC)
    # The time zone is explicit: 06:00 in Bamako (UTC+0) vs Niamey (UTC+1).
    niamey = cron_trigger("0 6 * * *", "Africa/Niamey", "pull")
    assert slot_name(latest_slot(niamey, dt.datetime(2025, 8, 4, 12, 0, tzinfo=UTC))) == "2025-08-04T05:00:00+00:00"


@pytest.mark.parametrize(
    ("expression", "timezone", "message"),
    [
        ("0 6 * *", "UTC", "schedule.report '0 6 * *' must have 5 cron fields"),
        ("0 25 * * *", "UTC", "schedule.report '0 25 * * *' is not a valid cron expression"),
        ("0 6 * * mon", "Sahel/Nowhere", "schedule.timezone 'Sahel/Nowhere' is not a time zone name"),
    ],
)
def test_a_bad_schedule_names_its_key(expression, timezone, message):
    with pytest.raises(ConfigError, match=message.replace("*", r"\*")):
        cron_trigger(expression, timezone, "report")


def test_after_downtime_each_job_behind_catches_up_once(store):
    triggers = schedule_triggers(ScheduleConfig(refit=None))
    assert set(triggers) == {"pull", "report"}
    now = dt.datetime(2025, 8, 11, 9, 0, tzinfo=UTC)  # a week after the last run
    run = run_log.claim_run(store, "pull", "2025-08-11T04:00:00+00:00", trigger="schedule")
    run_log.finish_run(store, run, "success")
    # Pull ran today; the report missed Monday 06:00 (and the Mondays before): one catch-up.
    assert jobs_to_catch_up(store, triggers, now) == ["report"]


def _schedule_config(path, events_file, every_seconds: int) -> None:
    document = {
        "data": {"sample_when_empty": False, "files": [str(events_file)]},
        "forecast": {"executor": "serial"},
        "schedule": {
            "timezone": "UTC",
            "pull": f"*/{every_seconds} * * * * *",
            "report": None,
            "refit": None,
            "shutdown_grace_seconds": 20,
        },
    }
    path.write_text(yaml.safe_dump(document), encoding="utf-8")


def test_two_services_on_one_database_run_each_slot_once_and_stop_cleanly(store, store_url, tmp_path, write_acled):
    events_file = write_acled("niger.csv", [
        acled_row(f"NER{day:02d}", f"2025-05-{day:02d}", country="Niger", admin1="Tillaberi", admin2="Tera",
                  admin3="Tera", location="Tera", latitude="14.01", longitude="0.75", fatalities="3")
        for day in range(1, 21)
    ])
    config = tmp_path / "config.yaml"
    _schedule_config(config, events_file, every_seconds=3)
    environment = {key: value for key, value in os.environ.items() if not key.startswith("CONFLICTWATCH_")}
    logs = [tmp_path / f"service-{number}.log" for number in (1, 2)]
    services = [
        subprocess.Popen(
            [sys.executable, "-m", "jobs", "--db", store_url, "--config", str(config), "schedule"],
            cwd=tmp_path, env=environment, stdout=log.open("w"), stderr=subprocess.STDOUT,
        )
        for log in logs
    ]
    engine = sa.create_engine(store_url)
    try:
        # On a loaded machine one service can start late and find the first slots already run;
        # wait (boundedly) until the two have met on a slot as well as until three runs ended.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with engine.connect() as connection:
                finished = connection.exec_driver_sql("SELECT count(*) FROM runs WHERE state <> 'working'").scalar_one()
            met = any("already claimed by another run" in log.read_text() for log in logs)
            if finished >= 3 and met:
                break
            time.sleep(0.5)
        for service in services:
            service.send_signal(signal.SIGTERM)
        codes = [service.wait(timeout=40) for service in services]
    finally:
        for service in services:
            if service.poll() is None:
                service.kill()
        engine.dispose()
    output = "\n".join(log.read_text() for log in logs)
    assert codes == [0, 0], output

    engine = sa.create_engine(store_url)
    with engine.connect() as connection:
        runs = connection.exec_driver_sql("SELECT job, slot, state, pid, error FROM runs ORDER BY slot").all()
        loads = connection.exec_driver_sql("SELECT count(*) FROM ingest_log").scalar_one()
        ingested = connection.exec_driver_sql(
            "SELECT count(*) FROM run_steps WHERE step = 'ingest' AND state = 'success'"
        ).scalar_one()
        events = connection.exec_driver_sql("SELECT count(*) FROM events").scalar_one()
    engine.dispose()
    slots = [run.slot for run in runs]
    assert len(runs) >= 3, output
    assert len(slots) == len(set(slots))
    # Nothing left working after SIGTERM: finished, or closed as interrupted.
    assert {run.state for run in runs} <= {"success", "error"}, runs
    # On a loaded machine a run may still be going in each process when SIGTERM comes; those
    # are the only ones allowed to end otherwise than in success, and they say why.
    unfinished = [run for run in runs if run.state != "success"]
    assert len(unfinished) <= len(services), output
    assert all("interrupted" in run.error for run in unfinished), unfinished
    assert all(run.state == "success" for run in runs[: -len(services)]), output
    # Each slot's side effects happened once: one load per run that got through its ingest step.
    assert loads == ingested >= len(runs) - len(services)
    assert events == 20
    # Both services fired the same slots; the database gave each slot to one of them.
    assert "already claimed by another run" in output
    assert all(int(slot[17:19]) % 3 == 0 for slot in slots)
    assert "scheduler stopped cleanly" in output


def test_a_run_interrupted_at_shutdown_queues_one_notice_to_the_administrator(store, service_config, email_config,
                                                                              unused_port):
    from forecasting.store import outbox
    from jobs.config import Secrets
    from jobs.service import interrupt_working_runs

    config = service_config(email=email_config(unused_port))
    run = run_log.claim_run(store, "refit", "2025-06-01T05:00:00+00:00", trigger="schedule")

    interrupted = interrupt_working_runs(store, config, Secrets(), "SIGTERM")

    assert [item.slot for item in interrupted] == [run.slot]
    stored = run_log.get_run(store, "refit", run.slot)
    assert stored.state == "error" and stored.error.startswith("interrupted by SIGTERM")
    # Queued, not sent: the process is about to exit; the next delivery sends it.
    [notice] = outbox.list_messages(store)
    assert (notice.kind, notice.recipient, notice.state) == ("failure", "ops@sahel-desk.test", "pending")
    assert notice.subject == "[conflictwatch] job refit failed (2025-06-01T05:00:00+00:00)"
    assert interrupt_working_runs(store, config, Secrets(), "SIGTERM") == []
    assert len(outbox.list_messages(store)) == 1
