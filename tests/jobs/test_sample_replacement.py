"""Real data replace the shipped synthetic sample whole: its events and everything made from them
(alerts, run-log rows, queued emails) go in the same transaction, and the log says so. Until then,
everything made from the sample says it is synthetic. On SQLite and PostgreSQL."""

from __future__ import annotations

import logging
from email import message_from_bytes, policy

import pytest
from factories import acled_row

from forecasting.events import InvalidEventsError
from forecasting.gazetteer import load_gazetteer
from forecasting.store import alerts as stored_alerts
from forecasting.store import outbox
from forecasting.store import runs as run_log
from forecasting.store.events import holds_synthetic_sample
from jobs.commands.alerts import marked_synthetic
from jobs.config import Config, EmailConfig, Recipient, Secrets
from jobs.detect import run_detection
from jobs.ingest import ingest_files, ingest_sample_if_empty
from jobs.notify import SYNTHETIC_NOTICE, notify

GAZETTEER = load_gazetteer()


@pytest.fixture
def sample_store(store):
    """A store that holds the sample, the alerts of July 2025 made from it, a finished run that
    recorded them as synthetic, a queued alert email and a failure notice to the administrator."""
    ingest_sample_if_empty(store, GAZETTEER, seat_radius_km=5.0)
    detection = run_detection(store, Config(), "2025-07")
    assert detection.alerts
    run = run_log.claim_run(store, "run", "manual:2025-07", trigger="manual", as_of="2025-07")
    run_log.finish_run(store, run, "success", counts={"as_of": "2025-07", "synthetic": True})
    for kind, key in (("alert", "alert:x:analyst@example.org"), ("failure", "failure:run:1")):
        outbox.enqueue(store, [outbox.NewMessage(key=key, kind=kind, recipient="analyst@example.org",
                                                 subject=f"[conflictwatch] {kind}", content=b"Subject: x\r\n\r\nbody\r\n")],
                       message_id_domain="example.org")
    return store


@pytest.mark.slow  # loads the sample and detects on it: about 40 s a database
def test_the_sample_says_it_is_synthetic_until_real_data_remove_it_and_all_it_made(sample_store, write_acled, caplog):
    # One store for the three stages: loading the sample and detecting on it takes a while.
    store = sample_store
    assert holds_synthetic_sample(store)

    # 1. Emails made from the sample say so, in the subject and at the top of the body.
    config = Config(email=EmailConfig(enabled=True, port=9, recipients=(Recipient("desk@example.org", min_severity="info"),)))
    alerts = [alert for alert in run_detection(store, config, "2025-07", save=False).alerts if alert.severity == "critical"]
    assert alerts
    assert {alert["synthetic"] for alert in marked_synthetic(store, [alert.to_json() for alert in alerts])} == {True}
    notifications = notify(store, config, Secrets(), alerts=alerts, report=None, as_of="2025-07", occasion="test",
                           dry_run=True)
    assert notifications.planned
    for planned in notifications.planned:
        assert planned.subject.startswith("[conflictwatch] SYNTHETIC DATA: ")
        parsed = message_from_bytes(planned.message.as_bytes(), policy=policy.default)
        assert parsed["Subject"] == planned.subject
        assert parsed.get_body(("plain",)).get_content().startswith(SYNTHETIC_NOTICE)

    # 2. A real load that fails leaves the sample and what it made as they were.
    alerts_before = len(stored_alerts.list_alerts(store, include_suppressed=True))
    bad = write_acled("bad.csv", [acled_row("BFA1"), acled_row("BFA2", fatalities="-1")])
    with pytest.raises(InvalidEventsError):
        ingest_files(store, [bad], GAZETTEER, seat_radius_km=5.0)
    assert holds_synthetic_sample(store)
    assert len(stored_alerts.list_alerts(store, include_suppressed=True)) == alerts_before > 0
    assert len(run_log.list_runs(store)) == 1
    assert len(outbox.list_messages(store)) == 2

    # 3. Real data arrive: the sample's events, alerts, finished runs and queued email go together.
    export = write_acled("real.csv", [acled_row("BFA1", "2025-05-14"), acled_row("BFA2", "2025-06-02")])
    with caplog.at_level(logging.INFO):
        (report,) = ingest_files(store, [export], GAZETTEER, seat_radius_km=5.0)
    assert report.inserted == 2
    assert not holds_synthetic_sample(store)
    assert stored_alerts.list_alerts(store, include_suppressed=True) == []
    assert run_log.list_runs(store) == []
    assert marked_synthetic(store, [alerts[0].to_json()])[0]["synthetic"] is False
    # The administrator's failure notice is not made from the sample's data: it stays.
    assert [(message.kind, message.state) for message in outbox.list_messages(store)] == [("failure", "pending")]
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "removing what the SYNTHETIC sample made, with its events:" in logged
    assert "1 runs" in logged and "1 outbox" in logged and " alerts" in logged
