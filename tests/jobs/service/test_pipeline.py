"""A pipeline pass on a small event file: steps recorded, reruns idempotent, failures kept."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from factories import acled_row

from forecasting.store import alerts as stored_alerts
from forecasting.store import events as stored_events
from forecasting.store import outbox
from forecasting.store import runs as run_log
from jobs.config import DataConfig, ForecastConfig, ReportConfig, Secrets
from jobs.pipeline import RunRequest, run_pipeline

NO_SECRETS = Secrets()


@pytest.fixture
def events_file(write_acled):
    """Two and a half years of a few deaths a month in Gourma (few alerts: the report renders fast)."""
    rows = []
    months = [(year, month) for year in (2023, 2024) for month in range(1, 13)] + [(2025, m) for m in range(1, 6)]
    for number, (year, month) in enumerate(months):
        for day, fatalities in ((5, 2), (19, 3)):
            rows.append(acled_row(f"BFA{number:03d}{day}", f"{year}-{month:02d}-{day:02d}", fatalities=str(fatalities)))
    return write_acled("gourma.csv", rows)


@pytest.fixture
def small_config(service_config, events_file, tmp_path, email_config, smtp_server):
    return service_config(
        data=DataConfig(sample_when_empty=False, files=(str(events_file),)),
        forecast=ForecastConfig(executor="serial", model="default"),
        report=ReportConfig(out_dir=str(tmp_path / "out")),
        email=email_config(smtp_server.port),
    )


def gazetteer():
    from forecasting.gazetteer import load_gazetteer

    return load_gazetteer([])


def test_a_pass_records_every_step_and_running_the_slot_again_changes_nothing(store, small_config, smtp_server):
    request = RunRequest(job="run", slot="manual:2025-05", as_of="2025-05", rerun=True)

    first = run_pipeline(store, small_config, NO_SECRETS, request, gazetteer=gazetteer)

    assert first.state == "success", first.error
    recorded = run_log.get_run(store, "run", "manual:2025-05")
    assert [(s.step, s.state) for s in recorded.steps] == [
        ("ingest", "success"), ("pull", "skipped"), ("detect", "success"), ("report", "success"), ("notify", "success"),
    ]
    assert recorded.steps[0].counts["inserted"] == 58
    assert first.report.pdf.is_file()
    alerts = {alert.id for alert in first.detection.alerts}
    messages = outbox.list_messages(store)
    received = len(smtp_server.received)
    assert received == len(messages) > 0

    second = run_pipeline(store, small_config, NO_SECRETS, request, gazetteer=gazetteer)

    assert second.state == "success" and second.run.attempt == 2
    again = run_log.get_run(store, "run", "manual:2025-05")
    assert again.steps[0].counts["inserted"] == 0 and stored_events.count_events(store) == 58
    assert {alert.id for alert in second.detection.alerts} == alerts
    assert len(stored_alerts.list_alerts(store)) == len(stored_alerts.list_alerts(store, include_suppressed=False))
    assert len(outbox.list_messages(store)) == len(messages) and len(smtp_server.received) == received
    assert again.steps[-1].state == "noop"  # nothing new to send


def test_a_failing_step_keeps_what_came_before_and_tells_the_administrator_once(store, small_config, smtp_server, tmp_path):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the report folder should be")
    config = dataclasses.replace(small_config, report=ReportConfig(out_dir=str(blocked)))
    request = RunRequest(job="refit", slot="2025-06-01T05:00:00+00:00", trigger="schedule",
                         slot_time=dt.datetime(2025, 6, 1, 5, tzinfo=dt.timezone.utc))

    result = run_pipeline(store, config, NO_SECRETS, request, gazetteer=gazetteer)

    assert result.state == "error" and result.error.startswith("step report failed: ")
    recorded = run_log.get_run(store, "refit", request.slot)
    assert [(s.step, s.state) for s in recorded.steps] == [
        ("ingest", "success"), ("pull", "skipped"), ("detect", "success"), ("report", "error"), ("notify", "skipped"),
    ]
    assert recorded.state == "error" and recorded.error == result.error
    # What the steps before the failure did is kept; the refit looked at the month just closed.
    assert stored_events.count_events(store) == 58 and result.as_of == "2025-05"
    notices = smtp_server.to("ops@sahel-desk.test")
    assert len(notices) == 1 and "step report failed" in notices[0].message.get_content()
    # The scheduler firing the same slot again does nothing; a rerun by hand is a new attempt,
    # and its failure a new notice.
    assert run_pipeline(store, config, NO_SECRETS, request, gazetteer=gazetteer) is None
    again = run_pipeline(store, config, NO_SECRETS, dataclasses.replace(request, rerun=True), gazetteer=gazetteer)
    assert (again.state, again.run.attempt) == ("error", 2)
    assert len(smtp_server.to("ops@sahel-desk.test")) == 2


def test_a_stopping_service_leaves_the_slot_unclaimed(store, small_config):
    import threading

    stop = threading.Event()
    stop.set()
    request = RunRequest(job="pull", slot="2025-06-02T04:00:00+00:00", trigger="schedule")
    assert run_pipeline(store, small_config, NO_SECRETS, request, gazetteer=gazetteer, stop=stop) is None
    assert run_log.get_run(store, "pull", request.slot) is None


def test_a_dry_run_sends_queues_and_stores_no_alert(store, small_config, write_acled, events_file, smtp_server, tmp_path,
                                                   capsys):
    """It plans the emails and writes the report to look at, but a later real pass must find the
    alerts new and send them: a dry run leaves the alerts, the outbox and the real report as they were."""
    from jobs.commands.service import print_summary

    surge = write_acled("surge.csv", [acled_row(f"BFA9{day:02d}", f"2025-05-{day:02d}", fatalities="40") for day in range(1, 11)])
    config = dataclasses.replace(small_config, data=DataConfig(sample_when_empty=False, files=(str(events_file), str(surge))))
    request = RunRequest(job="run", slot="dry-run:manual:2025-05", as_of="2025-05", rerun=True, dry_run=True)

    dry = run_pipeline(store, config, NO_SECRETS, request, gazetteer=gazetteer)

    assert dry.state == "success", dry.error
    assert any(alert.severity == "critical" for alert in dry.detection.alerts)
    assert {message.kind for message in dry.notifications.planned} >= {"alert", "report"}
    assert stored_alerts.list_alerts(store) == [] and outbox.list_messages(store) == []
    assert smtp_server.received == []
    assert run_log.get_run(store, "run", "dry-run:manual:2025-05").trigger == "dry-run"
    assert dry.report.pdf.parent == tmp_path / "out" / "dry-run" / "report-2025-05-19"  # May so far: the data end on 19 May
    assert dry.report.pdf.is_file() and not (tmp_path / "out" / "report-2025-05-19").exists()
    print_summary(dry, config)
    assert f"Report (dry run, the real report folder is untouched): {dry.report.pdf}" in capsys.readouterr().out
    _assert_the_emails_written_are_the_rich_ones(tmp_path / "out" / "dry-run" / "emails-2025-05-19", dry)

    real = run_pipeline(store, config, NO_SECRETS, dataclasses.replace(request, slot="manual:2025-05", dry_run=False),
                        gazetteer=gazetteer)

    assert {alert.status for alert in real.detection.alerts} == {"new"}
    assert len(stored_alerts.list_alerts(store)) >= len(real.detection.alerts)
    assert len(smtp_server.received) == len(dry.notifications.planned)
    assert real.report.pdf.parent == tmp_path / "out" / "report-2025-05-19"
    real_files = {path: path.read_bytes() for path in real.report.pdf.parent.iterdir() if path.is_file()}

    again = run_pipeline(store, config, NO_SECRETS, request, gazetteer=gazetteer)

    assert again.state == "success", again.error
    assert {path: path.read_bytes() for path in real.report.pdf.parent.iterdir() if path.is_file()} == real_files


def _assert_the_emails_written_are_the_rich_ones(folder, dry) -> None:
    """Each critical incident's .eml is the report's incident email (subject within 78
    characters, chart inline, plain-text alternative); the weekly one carries the brief's first
    page as HTML and the PDF attached."""
    import email
    from email import policy

    opened = {path.name: email.message_from_bytes(path.read_bytes(), policy=policy.default) for path in folder.glob("*.eml")}
    alerts = [message for name, message in opened.items() if "-alert-" in name]
    assert alerts and len(opened) == len(dry.notifications.planned)
    composed = {message.subject: message for message in dry.report.incident_emails}
    for message in alerts:
        assert len(message["Subject"]) <= 78 and message["Subject"] in composed
        incident = composed[message["Subject"]]
        assert message.get_body(("plain",)).get_content().replace("\r\n", "\n") == incident.text
        html = message.get_body(("html",)).get_content()
        images = [part for part in message.walk() if part.get_content_type() == "image/png"]
        assert [part["Content-ID"] for part in images] == [f"<{incident.chart.content_id}>"]
        assert f'src="cid:{incident.chart.content_id}"' in html and images[0].get_content() == incident.chart.path.read_bytes()
        assert "Driving events, deadliest first" in html
    weekly = [message for name, message in opened.items() if "-report-" in name]
    assert len(weekly) == 3  # one a recipient
    for message in weekly:
        assert "The month in five lines" in message.get_body(("html",)).get_content()
        assert [(part.get_filename(), part.get_content()) for part in message.iter_attachments()] == [
            (dry.report.pdf.name, dry.report.pdf.read_bytes())]


def test_the_daily_pull_emails_a_critical_incident_as_the_report_would_with_its_chart(
    store, small_config, write_acled, events_file, smtp_server, tmp_path
):
    surge = write_acled("surge.csv", [acled_row(f"BFA9{day:02d}", f"2025-05-{day:02d}", fatalities="40") for day in range(1, 11)])
    config = dataclasses.replace(small_config, data=DataConfig(sample_when_empty=False, files=(str(events_file), str(surge))))
    request = RunRequest(job="pull", slot="manual:pull", as_of="2025-05-19", rerun=True)

    result = run_pipeline(store, config, NO_SECRETS, request, gazetteer=gazetteer)

    assert result.state == "success", result.error and result.report is None
    sent = [item.message for item in smtp_server.received]
    assert sent and all(message["X-Conflictwatch-Key"].strip().startswith(("alert:", "incident:")) for message in sent)
    for message in sent:
        assert len(message["Subject"]) <= 78 and message["Subject"].startswith("Critical: ")
        (image,) = [part for part in message.walk() if part.get_content_type() == "image/png"]
        # The chart was drawn for this pass, beside the other files of a report-less pass.
        assert (tmp_path / "out" / "incidents-2025-05-19" / image.get_filename()).read_bytes() == image.get_content()
        assert "The next weekly report tells it" in message.get_body(("plain",)).get_content()


def _store_events_until(store, write_acled, last_day: str) -> None:
    from jobs.ingest import ingest_files

    rows = [acled_row("BFA0001", "2023-04-05"), acled_row("BFA0002", last_day)]
    ingest_files(store, [write_acled("until.csv", rows)], gazetteer(), seat_radius_km=5.0)


@pytest.mark.parametrize(
    ("last_day", "job", "slot_time", "expected"),
    [
        # A few days of June are the month so far, never the whole of June.
        ("2025-06-03", "report", None, "2025-06-03"),
        ("2025-06-03", "run", None, "2025-06-03"),
        ("2025-06-03", "pull", None, "2025-06-03"),
        # Data to the month's last day: the whole month.
        ("2025-05-31", "report", None, "2025-05"),
        ("2024-02-29", "run", None, "2024-02"),
        ("2025-05-31", "pull", None, "2025-05-31"),
        # The refit looks at the month just closed, a complete month.
        ("2025-06-03", "refit", dt.datetime(2025, 6, 1, 5, tzinfo=dt.timezone.utc), "2025-05"),
        ("2025-06-03", "refit", None, "2025-05"),
        ("2025-05-31", "refit", None, "2025-05"),
    ],
)
def test_the_as_of_is_a_day_unless_the_data_reach_the_end_of_the_month(store, write_acled, last_day, job, slot_time, expected):
    from jobs.pipeline import choose_as_of

    _store_events_until(store, write_acled, last_day)
    assert choose_as_of(store, job, slot_time) == expected


def test_the_weekly_report_of_a_partial_month_is_the_month_so_far(store, small_config, write_acled, events_file, smtp_server):
    """Data to 3 June (the daily pull ran before Monday's report): the report is of June so far."""
    early_june = write_acled("june.csv", [acled_row("BFA9001", "2025-06-03", fatalities="1")])
    config = dataclasses.replace(small_config, data=DataConfig(sample_when_empty=False, files=(str(events_file), str(early_june))))
    run_pipeline(store, config, NO_SECRETS, RunRequest(job="pull", slot="2025-06-04T04:00:00+00:00", trigger="schedule"),
                 gazetteer=gazetteer)
    request = RunRequest(job="report", slot="2025-06-09T06:00:00+00:00", trigger="schedule",
                         slot_time=dt.datetime(2025, 6, 9, 6, tzinfo=dt.timezone.utc))

    result = run_pipeline(store, config, NO_SECRETS, request, gazetteer=gazetteer)

    assert result.state == "success", result.error
    assert result.as_of == "2025-06-03"
    assert result.report.pdf.parent.name == "report-2025-06-03"
    assert run_log.get_run(store, "report", request.slot).counts["as_of"] == "2025-06-03"
    assert not [alert for alert in result.detection.alerts if alert.kind == "drop"]
    reports = [item for item in smtp_server.received if item.message["X-Conflictwatch-Key"].strip().startswith("report:")]
    assert reports and all(item.message["Subject"] == "[conflictwatch] trend report 2025-06-03" for item in reports)


def test_the_monthly_refit_writes_its_report_but_emails_only_critical_alerts(store, small_config, write_acled, events_file,
                                                                             smtp_server):
    surge = write_acled("surge.csv", [acled_row(f"BFA9{day:02d}", f"2025-05-{day:02d}", fatalities="40") for day in range(1, 11)])
    config = dataclasses.replace(small_config, data=DataConfig(sample_when_empty=False, files=(str(events_file), str(surge))))
    request = RunRequest(job="refit", slot="2025-06-01T05:00:00+00:00", trigger="schedule",
                         slot_time=dt.datetime(2025, 6, 1, 5, tzinfo=dt.timezone.utc))

    result = run_pipeline(store, config, NO_SECRETS, request, gazetteer=gazetteer)

    assert result.state == "success", result.error
    # The report files are written (of May so far: the data end on 19 May).
    assert result.report.pdf.is_file() and result.report.pdf.parent.name == "report-2025-05-19"
    assert any(alert.severity == "critical" for alert in result.detection.alerts)
    assert any(alert.severity != "critical" for alert in result.detection.alerts)  # digest material
    kinds = {message.kind for message in outbox.list_messages(store)}
    assert kinds == {"alert"}
    keys = [item.message["X-Conflictwatch-Key"].strip() for item in smtp_server.received]
    # Critical alerts go out as their incidents: one message per incident and recipient.
    assert keys and all(key.startswith(("alert:", "incident:")) for key in keys)
    assert len(keys) == len(set(keys))


def test_a_run_expired_by_the_timeout_or_interrupted_tells_the_administrator_once(store, small_config, smtp_server):
    import threading

    admin = "ops@sahel-desk.test"
    started = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=small_config.schedule.run_timeout_minutes + 5)
    stale = run_log.claim_run(store, "report", "2025-06-02T06:00:00+00:00", trigger="schedule", now=started)
    dry = run_log.claim_run(store, "run", "dry-run:manual:latest", trigger="dry-run", now=started)
    stop = threading.Event()

    def gazetteer_then_stop():
        stop.set()  # SIGTERM arrives while the ingest step runs
        return gazetteer()

    request = RunRequest(job="pull", slot="2025-06-03T04:00:00+00:00", trigger="schedule")
    result = run_pipeline(store, small_config, NO_SECRETS, request, gazetteer=gazetteer_then_stop, stop=stop)

    assert run_log.get_run(store, "report", stale.slot).state == "error"
    assert run_log.get_run(store, "run", dry.slot).state == "error"
    assert result.state == "error" and result.error.startswith("interrupted by shutdown before step pull")
    notices = {item.message["Subject"]: item.message.get_content() for item in smtp_server.to(admin)}
    assert set(notices) == {
        "[conflictwatch] job report failed (2025-06-02T06:00:00+00:00)",
        "[conflictwatch] job pull failed (2025-06-03T04:00:00+00:00)",
    }  # none for the dry run
    assert "Reason: timed out: still working after 120 minutes" in notices["[conflictwatch] job report failed (2025-06-02T06:00:00+00:00)"]
    assert "Reason: interrupted by shutdown before step pull" in notices["[conflictwatch] job pull failed (2025-06-03T04:00:00+00:00)"]

    # Once per attempt: the next pass expires nothing new and notifies nobody again.
    from jobs.pipeline import expire_stale_runs, notify_administrator

    assert expire_stale_runs(store, small_config, NO_SECRETS) == []
    notify_administrator(store, small_config, NO_SECRETS, run_log.get_run(store, "report", stale.slot), "timed out")
    assert len(smtp_server.to(admin)) == 2
