"""`conflictwatch runs` and `conflictwatch alerts approve` as users run them (real processes)."""

from __future__ import annotations

import os
import subprocess
import sys

from forecasting.store import runs as run_log


def conflictwatch(*args: str, cwd) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("CONFLICTWATCH_")}
    return subprocess.run([sys.executable, "-m", "jobs", *args], cwd=cwd, env=environment,
                          capture_output=True, text=True, timeout=60)


def test_runs_lists_the_run_log_and_a_slot_shows_its_steps(tmp_path):
    from forecasting.store import open_store

    url = f"sqlite:///{tmp_path / 'cw.db'}"
    store = open_store(url)
    run = run_log.claim_run(store, "report", "2025-08-04T06:00:00+00:00", trigger="schedule")
    run_log.finish_step(store, run, "detect", "success", counts={"alerts": 4})
    run_log.finish_step(store, run, "report", "error", error="NotADirectoryError: out")
    run_log.finish_run(store, run, "error", error="step report failed: NotADirectoryError: out")
    store.engine.dispose()

    listed = conflictwatch("--db", url, "runs", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    header, row = listed.stdout.splitlines()
    assert header.split("\t")[:4] == ["job", "slot", "state", "attempt"]
    assert row.split("\t")[:5] == ["report", "2025-08-04T06:00:00+00:00", "error", "1", "schedule"]

    steps = conflictwatch("--db", url, "runs", "--job", "report", "--slot", "2025-08-04T06:00:00+00:00", cwd=tmp_path)
    lines = steps.stdout.splitlines()
    assert lines[0].startswith("report 2025-08-04T06:00:00+00:00: error, attempt 1")
    assert [line.split("\t")[:2] for line in lines[3:]] == [["detect", "success"], ["report", "error"]]

    again = conflictwatch("--db", url, "run", "--job", "report", "--slot", "2025-08-04T06:00:00+00:00", cwd=tmp_path)
    assert again.returncode == 1
    assert "report 2025-08-04T06:00:00+00:00 is error; add --rerun to run it again" in again.stderr


def test_approving_an_unknown_alert_says_where_to_find_ids(tmp_path):
    result = conflictwatch("--db", f"sqlite:///{tmp_path / 'cw.db'}", "alerts", "approve", "surge-2025-05-0000000000", cwd=tmp_path)
    assert result.returncode == 1
    assert "no stored alert with id surge-2025-05-0000000000; `conflictwatch alerts` lists them" in result.stderr
