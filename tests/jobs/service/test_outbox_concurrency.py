"""Two processes delivering the outbox at once send every message exactly once (real SMTP server
on 127.0.0.1, real SQLite and PostgreSQL)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import sqlalchemy as sa
import yaml

import forecasting
from forecasting.store import outbox
from jobs.config import Secrets
from jobs.notify import deliver_outbox, enqueue, plan_messages

NOW = dt.datetime(2025, 6, 2, 6, 0, tzinfo=dt.timezone.utc)
MESSAGES = 8


def _wait_until(condition, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout:.0f} s waiting until {what}")
        time.sleep(0.05)


def test_two_senders_at_once_deliver_every_message_exactly_once(
    store, store_url, smtp_server, email_config, service_config, make_alert, tmp_path
):
    """On PostgreSQL the test holds a KEY SHARE lock on the outbox rows while both senders start:
    it lets both count their attempt on the first message (an UPDATE of non-key columns) but
    keeps both waiting for the row lock they send under. Whichever gets it first sends and marks
    the row sent; the other must see that and skip it. That is the one interleaving where only
    the "still pending" re-check under the lock stands between the analyst and a second copy.
    SQLite serialises every write transaction, so there the two simply race."""
    email = email_config(smtp_server.port, recipients=email_config(0).recipients[2:])  # all@: every alert
    alerts = [make_alert(country="Mali", period=f"2024-{month:02d}", severity="critical") for month in range(1, MESSAGES + 1)]
    enqueue(store, email, plan_messages(store, email, alerts, report=None, as_of="2025-05", occasion="pull:1", now=NOW),
            run_id=None, now=NOW)
    queued = outbox.list_messages(store)
    assert len(queued) == MESSAGES and {message.state for message in queued} == {"pending"}
    first = min(message.id for message in queued)

    config = tmp_path / "config.yaml"
    document = {"email": {key: value for key, value in dataclasses.asdict(email).items() if key != "recipients"}}
    config.write_text(yaml.safe_dump(document), encoding="utf-8")
    environment = {key: value for key, value in os.environ.items() if not key.startswith("CONFLICTWATCH_")}
    # The senders import the very code this test imported (under mutation testing, the mutant).
    environment["PYTHONPATH"] = os.pathsep.join([str(Path(forecasting.__file__).parents[1]), environment.get("PYTHONPATH", "")])
    if environment.get("MUTANT_UNDER_TEST") == "stats":
        del environment["MUTANT_UNDER_TEST"]  # mutmut's coverage pass cannot record a child's calls
    command = [sys.executable, "-m", "jobs", "--db", store_url, "--config", str(config), "outbox", "send"]

    def attempts_on_first() -> int:
        with store.engine.connect() as connection:
            return connection.execute(sa.text("SELECT attempts FROM outbox WHERE id = :id"), {"id": first}).scalar_one()

    gate = None
    if store.dialect == "postgresql":
        gate = store.engine.connect()
        gate.begin()
        gate.execute(sa.text("SELECT id FROM outbox FOR KEY SHARE"))
    try:
        senders = [subprocess.Popen(command, cwd=tmp_path, env=environment, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True) for _ in range(2)]
        if gate is not None:
            _wait_until(lambda: attempts_on_first() == 2, "both senders counted an attempt on the first message")
    finally:
        if gate is not None:
            gate.rollback()
            gate.close()
    outputs = [sender.communicate(timeout=120) for sender in senders]

    for sender, (stdout, stderr) in zip(senders, outputs):
        assert sender.returncode == 0, stderr
    sent_counts = [int(stdout.split(" sent")[0]) for stdout, _ in outputs]
    assert sum(sent_counts) == MESSAGES, outputs
    received = Counter(item.message["Message-ID"] for item in smtp_server.received)
    assert received == Counter({message.message_id: 1 for message in queued})
    delivered = outbox.list_messages(store)
    assert {message.state for message in delivered} == {"sent"}
    if gate is not None:
        assert {message.id: message.attempts for message in delivered}[first] == 2
    # A message queued since goes out with the next pass (here, in this process), and nothing
    # of the earlier ones again.
    late = make_alert(country="Niger", period="2024-12", severity="critical")
    enqueue(store, email, plan_messages(store, email, [late], report=None, as_of="2025-05", occasion="pull:2", now=NOW),
            run_id=None, now=NOW)
    assert deliver_outbox(store, email, Secrets()).sent == 1 and len(smtp_server.received) == MESSAGES + 1
