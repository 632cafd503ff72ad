"""Alert and report emails through the outbox to a real SMTP server on 127.0.0.1 (aiosmtpd)."""

from __future__ import annotations

import dataclasses
import datetime as dt

from forecasting.store import outbox
from jobs.config import Secrets
from jobs.notify import deliver_outbox, notify, notify_failure

NOW = dt.datetime(2025, 6, 2, 6, 0, tzinfo=dt.timezone.utc)
NO_SECRETS = Secrets()


def received_subjects(server, address):
    return sorted(item.message["Subject"] for item in server.to(address))


def test_critical_alerts_go_out_at_once_to_their_country_and_severity_and_only_once(
    store, smtp_server, email_config, service_config, make_alert
):
    config = service_config(email=email_config(smtp_server.port))
    burkina = make_alert(country="Burkina Faso", severity="critical")
    mali = make_alert(kind="record", country="Mali", severity="critical")
    warning = make_alert(kind="spread", country="Burkina Faso", severity="warning")

    first = notify(store, config, NO_SECRETS, alerts=[burkina, mali, warning], report=None,
                   as_of="2025-05", occasion="pull:2025-06-02T04:00:00+00:00", now=NOW)

    assert first.delivery.sent == 4 and first.delivery.remaining == 0
    assert [item.message["Subject"] for item in smtp_server.to("burkina@sahel-desk.test")] == [
        "[conflictwatch] CRITICAL: " + burkina.message
    ]
    assert len(smtp_server.to("mali@sahel-desk.test")) == 1  # Mali only, critical only
    assert len(smtp_server.to("all@sahel-desk.test")) == 2
    # Warnings wait for the weekly digest: none was sent.
    assert all("spread" not in item.message["Subject"] for item in smtp_server.received)
    sent = smtp_server.to("burkina@sahel-desk.test")[0].message
    assert sent["Message-ID"] == outbox.message_id_for(f"alert:{burkina.id}:burkina@sahel-desk.test", "sahel-desk.test")
    assert "850" in sent.get_body(("plain",)).get_content()

    # The next day's pass finds the same alerts (now ongoing): nothing new goes out.
    ongoing = [dataclasses.replace(alert, status="ongoing") for alert in (burkina, mali, warning)]
    second = notify(store, config, NO_SECRETS, alerts=ongoing, report=None, as_of="2025-05",
                    occasion="pull:2025-06-03T04:00:00+00:00", now=NOW + dt.timedelta(days=1))
    assert second.planned == [] and second.state == "noop"
    assert len(smtp_server.received) == 4


def test_the_weekly_report_email_has_the_pdf_attached_the_charts_inline_and_the_digest_once(
    store, smtp_server, email_config, service_config, make_alert, report_files
):
    config = service_config(email=email_config(smtp_server.port))
    warning = make_alert(kind="tier_shift", country="Burkina Faso", severity="warning")
    info = make_alert(kind="spread", country="Niger", severity="info")
    report = report_files(alert_ids=(warning.id, info.id))

    notify(store, config, NO_SECRETS, alerts=[warning, info], report=report, as_of="2025-05",
           occasion="report:2025-06-02T06:00:00+00:00", now=NOW)

    assert received_subjects(smtp_server, "burkina@sahel-desk.test") == [
        "[conflictwatch] trend report 2025-05", "[conflictwatch] weekly digest: 1 alert (2025-05)",
    ]
    assert received_subjects(smtp_server, "mali@sahel-desk.test") == ["[conflictwatch] trend report 2025-05"]
    assert received_subjects(smtp_server, "all@sahel-desk.test") == [
        "[conflictwatch] trend report 2025-05", "[conflictwatch] weekly digest: 2 alerts (2025-05)",
    ]
    (report_email,) = [item.message for item in smtp_server.to("mali@sahel-desk.test")]
    attachments = list(report_email.iter_attachments())
    assert [(part.get_filename(), part.get_content_type()) for part in attachments] == [
        ("conflictwatch-2025-05.pdf", "application/pdf")
    ]
    assert attachments[0].get_content() == report.pdf.read_bytes()
    html = report_email.get_body(("html",))
    assert 'src="cid:fatalities.2025-05@conflictwatch"' in html.get_content()
    inline = [part for part in report_email.walk() if part.get_content_type() == "image/png"]
    assert [part["Content-ID"] for part in inline] == ["<fatalities.2025-05@conflictwatch>"]
    assert inline[0].get_content() == report.pngs[0].read_bytes()
    digest = smtp_server.to("all@sahel-desk.test")
    digest_text = [item.message for item in digest if "digest" in item.message["Subject"]][0].get_content()
    assert warning.message in digest_text and info.message in digest_text

    # Next week: a new report email, but the same warnings are not digested a second time.
    notify(store, config, NO_SECRETS, alerts=[warning, info], report=report, as_of="2025-05",
           occasion="report:2025-06-09T06:00:00+00:00", now=NOW + dt.timedelta(days=7))
    assert received_subjects(smtp_server, "all@sahel-desk.test") == [
        "[conflictwatch] trend report 2025-05", "[conflictwatch] trend report 2025-05",
        "[conflictwatch] weekly digest: 2 alerts (2025-05)",
    ]


def test_a_resolved_notice_goes_once_to_those_who_were_told(store, smtp_server, email_config, service_config, make_alert):
    config = service_config(email=email_config(smtp_server.port))
    alert = make_alert(country="Burkina Faso", severity="critical")
    notify(store, config, NO_SECRETS, alerts=[alert], report=None, as_of="2025-05", occasion="pull:1", now=NOW)
    resolved = dataclasses.replace(alert, status="resolved")

    for day, occasion in ((1, "pull:2"), (2, "pull:3")):
        notify(store, config, NO_SECRETS, alerts=[resolved], report=None, as_of="2025-07", occasion=occasion,
               now=NOW + dt.timedelta(days=day))

    notices = [item for item in smtp_server.received if item.message["Subject"].startswith("[conflictwatch] resolved")]
    assert sorted(address for item in notices for address in item.recipients) == [
        "all@sahel-desk.test", "burkina@sahel-desk.test",
    ]


def test_with_review_alerts_wait_for_approval(store, smtp_server, email_config, service_config, make_alert):
    config = service_config(email=email_config(smtp_server.port, require_review=True))
    alert = make_alert(country="Mali", severity="critical")

    held = notify(store, config, NO_SECRETS, alerts=[alert], report=None, as_of="2025-05", occasion="pull:1", now=NOW)

    assert held.counts()["held"] == 2 and smtp_server.received == []
    assert {m.state for m in outbox.list_messages(store)} == {"held"}
    assert outbox.approve_alert(store, alert.id, "analyst", now=NOW) == 2
    assert deliver_outbox(store, config.email, NO_SECRETS, now=NOW).sent == 2
    assert sorted(r for item in smtp_server.received for r in item.recipients) == ["all@sahel-desk.test", "mali@sahel-desk.test"]
    # Approved once is approved: the alert found again is not held.
    assert outbox.approve_alert(store, alert.id, "analyst") == 0


def _report_subjects(server) -> list[str]:
    return [item.message["Subject"] for item in server.received if "trend report" in item.message["Subject"]]


def test_with_review_a_report_showing_unapproved_alerts_waits_until_each_is_approved_then_goes_once(
    store, smtp_server, email_config, service_config, make_alert, report_files
):
    recipients = email_config(0).recipients
    config = service_config(email=email_config(smtp_server.port, require_review=True, recipients=recipients[1:]))
    # Critical alerts (Burkina Faso's goes to no one here) and an info alert: the report shows all three.
    burkina = make_alert(country="Burkina Faso", severity="critical")
    mali = make_alert(kind="record", country="Mali", severity="critical")
    info = make_alert(kind="spread", country="Niger", severity="info")
    outbox.approve_alert(store, info.id, "analyst", now=NOW)  # approved before the report: not waited for
    report = report_files(alert_ids=(burkina.id, mali.id, info.id))
    alerts = [burkina, mali, info]

    notify(store, config, NO_SECRETS, alerts=alerts, report=report, as_of="2025-05", occasion="report:1", now=NOW)

    # Only the digest of the approved info alert went out.
    assert [item.message["Subject"] for item in smtp_server.received] == ["[conflictwatch] weekly digest: 1 alert (2025-05)"]
    held_reports = [m for m in outbox.list_messages(store) if m.kind == "report"]
    assert sorted(m.recipient for m in held_reports) == ["all@sahel-desk.test", "mali@sahel-desk.test"]
    assert {(m.state, m.alert_ids, m.waiting_for) for m in held_reports} == {
        ("held", (burkina.id, mali.id), (burkina.id, mali.id))
    }

    # One of the two approved: the alert emails of that alert go, the report still waits.
    assert outbox.approve_alert(store, mali.id, "analyst", now=NOW) == 2  # Mali's alert email, to two recipients
    deliver_outbox(store, config.email, NO_SECRETS, now=NOW)
    assert _report_subjects(smtp_server) == []
    assert {m.waiting_for for m in outbox.list_messages(store, state="held") if m.kind == "report"} == {(burkina.id,)}
    assert notify(store, config, NO_SECRETS, alerts=alerts, report=report, as_of="2025-05", occasion="report:1",
                  now=NOW).planned == []
    assert _report_subjects(smtp_server) == []

    # Both approved: released with Burkina Faso's alert email (one, to all@), and sent once.
    assert outbox.approve_alert(store, burkina.id, "analyst", now=NOW) == 3
    assert deliver_outbox(store, config.email, NO_SECRETS, now=NOW).sent == 3
    assert sorted(r for item in smtp_server.received if "trend report" in item.message["Subject"] for r in item.recipients) == [
        "all@sahel-desk.test", "mali@sahel-desk.test",
    ]
    assert {m.state for m in outbox.list_messages(store)} == {"sent"}

    # Reruns of the slot, approving again, delivering again: no second copy.
    rerun = notify(store, config, NO_SECRETS, alerts=alerts, report=report, as_of="2025-05", occasion="report:1",
                   now=NOW + dt.timedelta(hours=1))
    assert rerun.planned == [] and rerun.delivery.sent == 0
    assert outbox.approve_alert(store, burkina.id, "analyst") == 0
    assert deliver_outbox(store, config.email, NO_SECRETS).sent == 0
    assert len(_report_subjects(smtp_server)) == 2


def test_with_review_a_report_showing_only_approved_alerts_goes_out_at_once(
    store, smtp_server, email_config, service_config, make_alert, report_files
):
    config = service_config(email=email_config(smtp_server.port, require_review=True))
    warning = make_alert(kind="tier_shift", country="Burkina Faso", severity="warning")
    outbox.approve_alert(store, warning.id, "analyst", now=NOW)

    result = notify(store, config, NO_SECRETS, alerts=[warning], report=report_files(alert_ids=(warning.id,)),
                    as_of="2025-05", occasion="report:1", now=NOW)

    assert result.counts()["held"] == 0
    assert sorted(r for item in smtp_server.received if "trend report" in item.message["Subject"] for r in item.recipients) == [
        "all@sahel-desk.test", "burkina@sahel-desk.test", "mali@sahel-desk.test",
    ]
    reports = [m for m in outbox.list_messages(store) if m.kind == "report"]
    assert {(m.state, m.alert_ids) for m in reports} == {("sent", ())}


def test_a_dry_run_with_review_shows_the_report_email_held(store, smtp_server, email_config, service_config, make_alert,
                                                           report_files, caplog):
    config = service_config(email=email_config(smtp_server.port, require_review=True))
    warning = make_alert(kind="tier_shift", country="Burkina Faso", severity="warning")

    with caplog.at_level("INFO", logger="jobs.notify"):
        planned = notify(store, config, NO_SECRETS, alerts=[warning], report=report_files(alert_ids=(warning.id,)),
                         as_of="2025-05", occasion="report:1", dry_run=True, now=NOW)

    assert {(m.kind, m.held, m.alert_ids) for m in planned.planned} == {("report", True, (warning.id,))}
    assert "would send report to mali@sahel-desk.test: [conflictwatch] trend report 2025-05 (held for review)" in caplog.text
    assert smtp_server.received == [] and outbox.list_messages(store) == []


def test_a_dry_run_says_who_would_get_what_and_sends_nothing(store, smtp_server, email_config, service_config, make_alert):
    config = service_config(email=email_config(smtp_server.port))
    alert = make_alert(country="Burkina Faso", severity="critical")

    planned = notify(store, config, NO_SECRETS, alerts=[alert], report=None, as_of="2025-05", occasion="x", dry_run=True, now=NOW)

    assert sorted((m.kind, m.recipient) for m in planned.planned) == [
        ("alert", "all@sahel-desk.test"), ("alert", "burkina@sahel-desk.test"),
    ]
    assert smtp_server.received == [] and outbox.list_messages(store) == []


def test_a_dry_run_writes_each_message_as_an_eml_file(store, smtp_server, email_config, service_config, make_alert, tmp_path):
    import email as email_package
    from email import policy

    config = service_config(email=email_config(smtp_server.port))
    alert = make_alert(country="Burkina Faso", severity="critical")

    planned = notify(store, config, NO_SECRETS, alerts=[alert], report=None, as_of="2025-05", occasion="x", dry_run=True, now=NOW,
                     eml_dir=tmp_path / "emails")

    files = sorted((tmp_path / "emails").glob("*.eml"))
    # Numbered in the order planned, named by kind and recipient.
    assert [path.name for path in files] == [f"{number:02d}-alert-{message.recipient.split('@')[0]}-sahel-desk-test.eml"
                                             for number, message in enumerate(planned.planned, start=1)]
    assert len(files) == 2
    for path, message in zip(files, planned.planned):
        opened = email_package.message_from_bytes(path.read_bytes(), policy=policy.default)
        assert opened["Subject"] == message.subject and opened["To"] == message.recipient
    assert smtp_server.received == [] and outbox.list_messages(store) == []


def test_email_disabled_is_a_noop(store, service_config, make_alert):
    result = notify(store, service_config(), NO_SECRETS, alerts=[make_alert()], report=None, as_of="2025-05", occasion="x")
    assert (result.state, result.reason) == ("noop", "email is disabled (email.enabled: false)")
    assert outbox.list_messages(store) == []


def test_messages_wait_with_backoff_while_the_server_is_down_then_go_out_once(
    store, unused_port, start_smtp_server, email_config, service_config, make_alert
):
    config = service_config(email=email_config(unused_port, recipients=email_config(0).recipients[:1]))
    alert = make_alert(country="Burkina Faso", severity="critical")

    result = notify(store, config, NO_SECRETS, alerts=[alert], report=None, as_of="2025-05", occasion="pull:1", now=NOW)

    assert (result.delivery.sent, result.delivery.failed_attempts, result.delivery.remaining) == (0, 1, 1)
    (waiting,) = outbox.list_messages(store)
    assert (waiting.state, waiting.attempts) == ("pending", 1)
    assert waiting.next_attempt_at == NOW + dt.timedelta(seconds=60)
    assert f"cannot reach the SMTP server 127.0.0.1:{unused_port}" in waiting.last_error
    # Not due yet: no attempt.
    assert deliver_outbox(store, config.email, NO_SECRETS, now=NOW + dt.timedelta(seconds=30)).failed_attempts == 0
    # Still down: the wait doubles.
    later = NOW + dt.timedelta(seconds=61)
    assert deliver_outbox(store, config.email, NO_SECRETS, now=later).failed_attempts == 1
    (waiting,) = outbox.list_messages(store)
    assert (waiting.attempts, waiting.next_attempt_at) == (2, later + dt.timedelta(seconds=120))

    server = start_smtp_server(unused_port)
    back = later + dt.timedelta(seconds=121)
    assert deliver_outbox(store, config.email, NO_SECRETS, now=back).sent == 1
    assert deliver_outbox(store, config.email, NO_SECRETS, now=back + dt.timedelta(hours=1)).sent == 0
    assert len(server.received) == 1
    (sent,) = outbox.list_messages(store)
    assert (sent.state, sent.attempts, sent.sent_at) == ("sent", 3, back)


def test_a_failed_job_notifies_the_administrator_once_per_attempt(store, smtp_server, email_config, service_config):
    config = service_config(email=email_config(smtp_server.port))
    for _ in range(2):
        notify_failure(store, config, NO_SECRETS, job="report", slot="2025-06-02T06:00:00+00:00", attempt=1,
                       reason="step report failed: out of disk")
    notify_failure(store, config, NO_SECRETS, job="report", slot="2025-06-02T06:00:00+00:00", attempt=2,
                   reason="step report failed: out of disk")

    notices = smtp_server.to("ops@sahel-desk.test")
    assert len(notices) == 2
    text = notices[0].message.get_content()
    assert "out of disk" in text and "conflictwatch run --job report --slot 2025-06-02T06:00:00+00:00 --rerun" in text


def test_a_sender_killed_between_sending_and_marking_sends_one_copy_again_with_the_same_message_id(
    store, store_url, smtp_server, email_config, service_config, make_alert, tmp_path
):
    """The SMTP server has the message but the sender dies before its commit: the row stays
    pending, the next pass sends it again with the same Message-ID (mail clients drop the copy),
    and no pass after that sends it a third time."""
    import os
    import signal
    import subprocess
    import sys

    import yaml

    from jobs.notify import enqueue, plan_messages

    email = email_config(smtp_server.port, recipients=email_config(0).recipients[:1])
    alert = make_alert(country="Burkina Faso", severity="critical")
    planned = plan_messages(store, email, [alert], report=None, as_of="2025-05", occasion="pull:1", now=NOW)
    enqueue(store, email, planned, run_id=None, now=NOW)
    config = tmp_path / "config.yaml"
    document = {"email": {key: value for key, value in dataclasses.asdict(email).items() if key != "recipients"}}
    config.write_text(yaml.safe_dump(document), encoding="utf-8")
    environment = {key: value for key, value in os.environ.items() if not key.startswith("CONFLICTWATCH_")}
    command = [sys.executable, "-m", "jobs", "--db", store_url, "--config", str(config), "outbox", "send"]

    sender = subprocess.Popen(command, cwd=tmp_path, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    smtp_server.before_reply = lambda: (os.kill(sender.pid, signal.SIGKILL), sender.wait())
    sender.communicate(timeout=60)
    smtp_server.before_reply = None

    assert sender.returncode == -signal.SIGKILL
    assert len(smtp_server.received) == 1
    (unmarked,) = outbox.list_messages(store)
    assert (unmarked.state, unmarked.attempts) == ("pending", 1)

    again = subprocess.run(command, cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=60)
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith("1 sent")
    assert "may have been delivered already" in again.stderr
    first, second = (item.message["Message-ID"] for item in smtp_server.received)
    assert first == second == unmarked.message_id
    (sent,) = outbox.list_messages(store)
    assert (sent.state, sent.attempts) == ("sent", 2)

    assert deliver_outbox(store, email, NO_SECRETS).sent == 0 and len(smtp_server.received) == 2


def test_an_incident_is_one_email_per_recipient_with_its_alerts_and_driving_events_then_one_resolved_email(
    store, smtp_server, email_config, service_config, make_alert
):
    from forecasting.alerts import AlertRecord
    from forecasting.incidents import form_incidents

    config = service_config(email=email_config(smtp_server.port))
    driver = {"event_id": "MLI7298", "date": "2025-05-03", "location": "Diboli", "country": "Mali", "admin1": "Kayes",
              "admin2": "Kayes", "actor": "JNIM", "fatalities": 41, "note": "Border post attacked at dawn."}
    country = make_alert(country="Mali", severity="critical", driving_events=[driver])
    region = make_alert(country="Mali", admin1="Kayes", severity="critical", message="Kayes region: 500 deaths.",
                        driving_events=[driver])
    events = make_alert(country="Mali", admin1="Kayes", severity="warning", message="Kayes region: 40 events.")
    events = dataclasses.replace(events, measure="events")
    found = [country, region, events]
    told = form_incidents(found, {a.id: a.id for a in found}, [], "2025-05", explained_share=0.25,
                          area_name="the Central Sahel", driving_limit=5)
    (incident,) = told.incidents

    for day in (0, 1):  # the next pass finds the incident again: nothing new goes out
        notify(store, config, NO_SECRETS, alerts=told.alerts, incidents=told.incidents, report=None, as_of="2025-05",
               occasion=f"pull:{day}", now=NOW + dt.timedelta(days=day))
    assert len(smtp_server.to("mali@sahel-desk.test")) == 1 and len(smtp_server.to("all@sahel-desk.test")) == 1
    (message,) = [item.message for item in smtp_server.to("mali@sahel-desk.test")]
    assert message["Subject"] == "[conflictwatch] CRITICAL: " + incident.lead.message
    assert message["X-Conflictwatch-Key"] == f"incident:{incident.id}:mali@sahel-desk.test"
    body = message.get_body(("plain",)).get_content()
    assert incident.message in body and "Related alerts (2):" in body and "Kayes region: 40 events." in body
    assert "3 May 2025, Diboli, Kayes, Mali: JNIM, 41 reported fatalities (source id MLI7298). Border post" in body

    # Two months later its alerts are resolved: one resolved email to each who was told.
    history = [AlertRecord(alert, "2025-05", alert.id) for alert in told.alerts]
    notices = [dataclasses.replace(alert, status="resolved", severity="info", evidence={"episode": alert.id})
               for alert in told.alerts]
    closed = form_incidents(notices, {}, history, "2025-07", explained_share=0.25, area_name="the Central Sahel",
                            driving_limit=5)
    assert [(i.id, i.status, i.severity) for i in closed.incidents] == [(incident.id, "resolved", "info")]
    notify(store, config, NO_SECRETS, alerts=closed.alerts, incidents=closed.incidents, report=None, as_of="2025-07",
           occasion="pull:9", now=NOW + dt.timedelta(days=60))
    resolved = [item for item in smtp_server.received if item.message["Subject"].startswith("[conflictwatch] resolved")]
    assert sorted(address for item in resolved for address in item.recipients) == ["all@sahel-desk.test", "mali@sahel-desk.test"]


def test_a_critical_incident_goes_out_as_the_email_composed_for_it_composed_only_when_new(
    store, smtp_server, email_config, service_config, make_alert, report_files
):
    from reports.emails import IncidentEmail

    config = service_config(email=email_config(smtp_server.port))
    alert = make_alert(country="Mali", severity="critical")
    chart = report_files().charts[0]
    composed = IncidentEmail(story_id=alert.id, incident_id=alert.id, alert_ids=(alert.id,),
                             subject="Critical: Kayes (Mali) \u2014 850 deaths in May 2025", text="850 deaths in Kayes.\n",
                             html=f'<html><body><p>850 deaths</p><img src="cid:{chart.content_id}"></body></html>', chart=chart)
    calls = []

    def compose():
        calls.append(1)
        return [composed]

    for day in (0, 1):
        notify(store, config, NO_SECRETS, alerts=[alert], report=None, as_of="2025-05", occasion=f"pull:{day}",
               now=NOW + dt.timedelta(days=day), incident_emails=compose)

    assert calls == [1]  # the second pass has nothing new to tell: no chart is drawn for it
    (message,) = [item.message for item in smtp_server.to("mali@sahel-desk.test")]
    assert message["Subject"] == composed.subject
    assert message["X-Conflictwatch-Key"] == f"alert:{alert.id}:mali@sahel-desk.test"
    assert message.get_body(("plain",)).get_content().replace("\r\n", "\n") == composed.text  # SMTP line ends
    assert f'src="cid:{chart.content_id}"' in message.get_body(("html",)).get_content()
    (image,) = [part for part in message.walk() if part.get_content_type() == "image/png"]
    assert image["Content-ID"] == f"<{chart.content_id}>" and image.get_content() == chart.path.read_bytes()


def test_a_critical_incident_goes_out_in_plain_text_when_its_email_cannot_be_composed(
    store, smtp_server, email_config, service_config, make_alert, caplog
):
    config = service_config(email=email_config(smtp_server.port))
    alert = make_alert(country="Mali", severity="critical")

    def compose():
        raise OSError("No space left on device")

    notify(store, config, NO_SECRETS, alerts=[alert], report=None, as_of="2025-05", occasion="pull:0", now=NOW,
           incident_emails=compose)

    (message,) = [item.message for item in smtp_server.to("mali@sahel-desk.test")]
    assert message["Subject"] == "[conflictwatch] CRITICAL: " + alert.message
    assert "could not compose the incident emails (OSError: No space left on device)" in caplog.text
