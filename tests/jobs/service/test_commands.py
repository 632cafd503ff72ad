"""`conflictwatch runs` and `conflictwatch alerts approve` as users run them (real processes)."""

from __future__ import annotations

from factories import conflictwatch

from forecasting.store import runs as run_log


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


def test_outbox_shows_what_a_held_report_waits_for_and_approve_releases_it_when_nothing_is_left(
    tmp_path, smtp_server, email_config, make_alert, report_files
):
    import dataclasses
    import datetime as dt

    import yaml

    from forecasting.alerts import AlertRecord
    from forecasting.store import alerts as stored_alerts
    from forecasting.store import open_store
    from jobs.notify import enqueue, plan_messages

    url = f"sqlite:///{tmp_path / 'cw.db'}"
    store = open_store(url)
    email = email_config(smtp_server.port, require_review=True, recipients=email_config(0).recipients[1:2])
    surge = make_alert(country="Mali", severity="warning")
    spread = make_alert(kind="spread", country="Mali", severity="info")
    stored_alerts.save_detection(store, "2025-05", [AlertRecord(alert, "2025-05", alert.id) for alert in (surge, spread)], [])
    now = dt.datetime(2025, 6, 2, 6, 0, tzinfo=dt.timezone.utc)
    report = report_files(alert_ids=(surge.id, spread.id))
    planned = plan_messages(store, email, [surge, spread], report=report, as_of="2025-05", occasion="report:1", now=now)
    enqueue(store, email, planned, run_id=None, now=now)
    store.engine.dispose()
    config = tmp_path / "config.yaml"
    document = {"email": {key: value for key, value in dataclasses.asdict(email).items() if key != "recipients"}}
    config.write_text(yaml.safe_dump(document), encoding="utf-8")

    def waits_for() -> list[str]:
        listed = conflictwatch("--db", url, "--config", str(config), "outbox", "--state", "held", cwd=tmp_path)
        assert listed.returncode == 0, listed.stderr
        header, *rows = listed.stdout.splitlines()
        column = header.split("\t").index("waits_for")
        return [row.split("\t")[column] for row in rows]

    assert waits_for() == [f"{surge.id} {spread.id}"]
    first = conflictwatch("--db", url, "--config", str(config), "alerts", "approve", surge.id, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert f"{surge.id}: approved; 0 held message(s) released" in first.stdout
    assert waits_for() == [spread.id] and smtp_server.received == []

    second = conflictwatch("--db", url, "--config", str(config), "alerts", "approve", spread.id, cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert f"{spread.id}: approved; 1 held message(s) released" in second.stdout
    assert waits_for() == []
    assert [item.message["Subject"] for item in smtp_server.to("mali@sahel-desk.test")] == ["[conflictwatch] trend report 2025-05"]
