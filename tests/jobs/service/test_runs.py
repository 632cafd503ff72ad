"""The run log on SQLite and PostgreSQL: claims, attempts, steps, timeouts."""

from __future__ import annotations

import datetime as dt

from forecasting.store import runs as run_log

T0 = dt.datetime(2025, 8, 4, 6, 0, tzinfo=dt.timezone.utc)


def test_a_slot_is_claimed_once_and_a_rerun_starts_a_new_attempt(store):
    first = run_log.claim_run(store, "report", "2025-08-04T06:00:00+00:00", trigger="schedule", now=T0)
    assert first is not None and first.state == "working" and first.attempt == 1
    # A second scheduler firing the same slot gets nothing, whether the first is working or done.
    assert run_log.claim_run(store, "report", "2025-08-04T06:00:00+00:00", trigger="schedule") is None
    assert run_log.claim_run(store, "report", "2025-08-04T06:00:00+00:00", trigger="manual", rerun=True) is None
    run_log.start_step(store, first, "detect", now=T0)
    run_log.finish_step(store, first, "detect", "success", counts={"alerts": 3}, now=T0)
    assert run_log.finish_run(store, first, "success", counts={"alerts": 3}, now=T0 + dt.timedelta(minutes=2))
    assert run_log.claim_run(store, "report", "2025-08-04T06:00:00+00:00", trigger="schedule") is None

    again = run_log.claim_run(store, "report", "2025-08-04T06:00:00+00:00", trigger="manual", rerun=True)
    assert again is not None and again.id == first.id and again.attempt == 2 and again.steps == ()
    run_log.finish_step(store, again, "detect", "error", error="ValueError: broken")
    run_log.finish_run(store, again, "error", error="step detect failed: ValueError: broken")

    stored = run_log.get_run(store, "report", "2025-08-04T06:00:00+00:00")
    assert (stored.state, stored.attempt, stored.trigger) == ("error", 2, "manual")
    assert [(s.step, s.state, s.error) for s in stored.steps] == [("detect", "error", "ValueError: broken")]
    # Another job may use the same slot time.
    assert run_log.claim_run(store, "pull", "2025-08-04T06:00:00+00:00", trigger="schedule") is not None
    assert [r.job for r in run_log.list_runs(store)] == ["pull", "report"]
    assert [r.job for r in run_log.list_runs(store, state="error")] == ["report"]


def test_a_run_left_working_past_the_timeout_is_marked_error(store):
    stale = run_log.claim_run(store, "pull", "2025-08-04T04:00:00+00:00", trigger="schedule", now=T0)
    run_log.start_step(store, stale, "ingest", now=T0)
    fresh = run_log.claim_run(store, "pull", "2025-08-05T04:00:00+00:00", trigger="schedule", now=T0 + dt.timedelta(minutes=100))

    expired = run_log.expire_stale_runs(store, dt.timedelta(minutes=120), now=T0 + dt.timedelta(minutes=121))

    assert [run.slot for run in expired] == ["2025-08-04T04:00:00+00:00"]
    old = run_log.get_run(store, "pull", stale.slot)
    assert old.state == "error" and "timed out" in old.error
    assert [(s.step, s.state) for s in old.steps] == [("ingest", "error")]
    assert run_log.get_run(store, "pull", fresh.slot).state == "working"
    # A late finish of the expired attempt does not overwrite the verdict.
    assert not run_log.finish_run(store, stale, "success")
    assert run_log.get_run(store, "pull", stale.slot).state == "error"


def test_an_interrupted_run_is_closed_with_the_reason(store):
    run = run_log.claim_run(store, "refit", "2025-09-01T05:00:00+00:00", trigger="schedule")
    run_log.start_step(store, run, "detect")
    assert run_log.interrupt_run(store, run, "interrupted by SIGTERM")
    stored = run_log.get_run(store, "refit", run.slot)
    assert (stored.state, stored.error) == ("error", "interrupted by SIGTERM")
    assert [(s.step, s.state) for s in stored.steps] == [("detect", "error")]
