"""SIGTERM and SIGINT to a real `conflictwatch` process: `run`, `pull` and `ingest` stop cleanly
(the open load rolled back, the run closed as interrupted, the source's claim released), say so
in one line, exit 128 + the signal, and a rerun can start at once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from factories import ACLED_HEADER, acled_row
from fake_sources import ACLED_PASSWORD, ACLED_USERNAME, FakeSources, acled_event

from forecasting.store import events as stored_events
from forecasting.store import open_store
from forecasting.store import pulls
from forecasting.store import runs as run_log

REPOSITORY = Path(__file__).resolve().parents[2]


def start(tmp_path: Path, store_url: str, *args: str, env: dict | None = None) -> subprocess.Popen:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("CONFLICTWATCH_")}
    environment.update(PYTHONPATH=str(REPOSITORY), **(env or {}))
    return subprocess.Popen(
        [sys.executable, "-m", "jobs", "--db", store_url, *args],
        cwd=tmp_path, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def wait_for(condition, process: subprocess.Popen, what: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if process.poll() is not None:
            raise AssertionError(f"the command exited ({process.returncode}) before {what}: {process.stderr.read()}")
        if time.monotonic() > deadline:
            process.kill()
            raise AssertionError(f"timed out waiting until {what}")
        time.sleep(0.02)


def stop(process: subprocess.Popen, number: int) -> tuple[int, str]:
    process.send_signal(number)
    _stdout, stderr = process.communicate(timeout=120)
    return process.returncode, stderr


def last_line(stderr: str) -> str:
    return stderr.strip().splitlines()[-1]


def load_is_writing(store) -> bool:
    """Whether another connection holds an open write transaction on the events table."""
    with store.engine.connect() as connection:
        if store.dialect == "postgresql":
            return bool(connection.exec_driver_sql(
                "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                "WHERE c.relname = 'events' AND l.mode = 'RowExclusiveLock' AND l.pid <> pg_backend_pid()"
            ).scalar_one())
    # SQLite: a writer holds the database's one write lock; BEGIN IMMEDIATE fails at once then.
    probe = sa.create_engine(store.engine.url, connect_args={"timeout": 0})
    try:
        with probe.connect() as connection:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            connection.exec_driver_sql("ROLLBACK")
        return False
    except sa.exc.OperationalError:
        return True
    finally:
        probe.dispose()


@pytest.mark.slow
def test_sigterm_during_ingest_rolls_the_load_back_and_a_rerun_starts_at_once(store, store_url, tmp_path):
    # Large enough that the store writes for a few seconds (the signal lands while it does).
    rows = "\n".join(acled_row(f"BFA{i}") for i in range(40_000))
    big = tmp_path / "big.csv"
    big.write_text(ACLED_HEADER + "\n" + rows + "\n", encoding="utf-8")
    stored_events.count_events(store)  # the schema exists before the process starts

    process = start(tmp_path, store_url, "ingest", str(big))
    wait_for(lambda: load_is_writing(store), process, "the load was writing")
    code, stderr = stop(process, signal.SIGTERM)

    assert code == 128 + signal.SIGTERM
    assert last_line(stderr).startswith("error: interrupted by SIGTERM: stopped cleanly")
    assert "Traceback" not in stderr
    assert stored_events.count_events(store) == 0 and stored_events.ingest_log(store).empty
    assert not load_is_writing(store)
    small = tmp_path / "small.csv"
    small.write_text(ACLED_HEADER + "\n" + acled_row("BFA1") + "\n", encoding="utf-8")
    again = start(tmp_path, store_url, "ingest", str(small))
    _stdout, stderr = again.communicate(timeout=120)
    assert again.returncode == 0, stderr
    assert stored_events.count_events(store) == 1


@pytest.mark.slow
@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_to_run_closes_the_run_as_interrupted_so_a_rerun_can_start_at_once(store, store_url, tmp_path, number):
    stored_events.count_events(store)  # the schema exists before the process starts
    process = start(tmp_path, store_url, "run")

    def a_step_is_working() -> bool:
        record = run_log.get_run(store, "run", "manual:latest")
        return record is not None and any(step.state == "working" for step in record.steps)

    wait_for(a_step_is_working, process, "a step of the run was working")
    code, stderr = stop(process, number)

    assert code == 128 + number, stderr
    assert last_line(stderr).startswith(f"error: interrupted by {signal.Signals(number).name}: stopped cleanly")
    assert "Traceback" not in stderr
    record = run_log.get_run(store, "run", "manual:latest")
    assert record.state == "error"
    assert record.error.startswith(f"interrupted by {signal.Signals(number).name} during step ")
    assert "working" not in {step.state for step in record.steps}
    # Nothing is left working: the rerun claims the slot at once instead of waiting for
    # schedule.run_timeout_minutes.
    assert run_log.claim_run(store, "run", "manual:latest", trigger="manual", rerun=True) is not None


@pytest.mark.slow
def test_sigterm_during_a_pull_keeps_the_stored_pages_and_releases_the_source(tmp_path):
    # One store is enough here: what is tested is the unwinding, and a pull page is one
    # transaction on either (the pull tests run both).
    store_url = f"sqlite:///{tmp_path / 'conflictwatch.db'}"
    store = open_store(store_url)
    with FakeSources() as api:
        api.acled_events = [acled_event(i, timestamp=1_700_000_000 + i) for i in range(1, 26)]
        release = threading.Event()
        api.fail_page(2, ("hold", release))
        config = tmp_path / "config.yaml"
        config.write_text(
            "sources:\n  acled:\n    page_size: 10\n    enabled: true\n"
            f"    token_cache: {json.dumps(str(tmp_path / 'token.json'))}\n",
            encoding="utf-8",
        )
        env = dict(ACLED_USERNAME=ACLED_USERNAME, ACLED_PASSWORD=ACLED_PASSWORD, ACLED_BASE_URL=api.url)
        process = start(tmp_path, store_url, "--config", str(config), "pull", "acled", env=env)
        try:
            wait_for(lambda: (pulls.read_checkpoint(store, "acled") or NOTHING).pages_done == 1
                     and any(r.query.get("page") == "2" for r in api.seen("/api/acled/read")),
                     process, "page 1 was stored and page 2 asked for")
            code, stderr = stop(process, signal.SIGTERM)
        finally:
            api.fail_page(2, None)
            release.set()

        assert code == 128 + signal.SIGTERM, stderr
        assert last_line(stderr).startswith("error: interrupted by SIGTERM: stopped cleanly")
        assert "Traceback" not in stderr and ACLED_PASSWORD not in stderr
        checkpoint = pulls.read_checkpoint(store, "acled")
        assert checkpoint.pages_done == 1
        with store.engine.connect() as connection:  # the claim on the source is released, not left to expire
            owner = connection.exec_driver_sql("SELECT owner FROM pull_state WHERE source = 'acled'").scalar_one()
        assert owner is None
        assert stored_events.count_events(store) == 10

        again = start(tmp_path, store_url, "--config", str(config), "pull", "acled", env=env)
        _stdout, stderr = again.communicate(timeout=120)
        assert again.returncode == 0, stderr
    events = stored_events.load_events(store, columns=["source_id"])
    assert len(events) == 25 and not events["source_id"].duplicated().any()


class _Nothing:
    pages_done = 0


NOTHING = _Nothing()
