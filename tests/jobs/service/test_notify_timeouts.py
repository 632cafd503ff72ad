"""Bounded email delivery: a mail server that accepts connections and never answers costs one
timeout per pass, not one per queued message; nothing is lost, nothing is sent twice."""

from __future__ import annotations

import dataclasses
import datetime as dt
import socket
import threading

import pytest

from forecasting.store import outbox
from jobs.config import Secrets
from jobs.notify import deliver_outbox

NOW = dt.datetime(2025, 6, 2, 6, 0, tzinfo=dt.timezone.utc)
QUEUED = 21  # the probe: 21 messages took 10.5 minutes behind a hanging server


class SilentSmtpServer:
    """A TCP server on 127.0.0.1 that accepts every connection and never says a word (or, with
    `greet`, only the 220 greeting: it then hangs on EHLO). Counts the connections it accepted."""

    def __init__(self, greet: bool = False):
        self.greet = greet
        self.connections: list[socket.socket] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _address = self._listener.accept()
            except OSError:
                return  # closed
            if self.greet:
                connection.sendall(b"220 silent.test ESMTP\r\n")
            self.connections.append(connection)

    def close(self) -> None:
        self._listener.close()
        for connection in self.connections:
            connection.close()


@pytest.fixture
def silent_server():
    servers = []

    def start(greet: bool = False) -> SilentSmtpServer:
        servers.append(SilentSmtpServer(greet))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def queue_messages(store, count: int) -> None:
    outbox.enqueue(
        store,
        [
            outbox.NewMessage(key=f"alert:{index}:ops", kind="alert", recipient="ops@sahel-desk.test",
                              subject=f"alert {index}",
                              content=f"Subject: alert {index}\r\nMessage-ID: <m{index}@sahel-desk.test>\r\n\r\nbody {index}\r\n".encode())
            for index in range(count)
        ],
        message_id_domain="sahel-desk.test",
        now=NOW,
    )


def fast_timeouts(email, **budget):
    return dataclasses.replace(email, connect_timeout_seconds=0.5, login_timeout_seconds=0.5,
                               send_timeout_seconds=0.5, **budget)


@pytest.mark.parametrize("greet", [False, True], ids=["silent after accept", "silent after the greeting"])
def test_a_server_that_never_answers_costs_one_timeout_and_the_queue_waits_for_the_next_pass(
    store, silent_server, start_smtp_server, email_config, greet
):
    hanging = silent_server(greet=greet)
    queue_messages(store, QUEUED)
    email = fast_timeouts(email_config(hanging.port))

    result = deliver_outbox(store, email, Secrets(), now=NOW)

    assert (result.sent, result.failed_attempts, result.remaining) == (0, 1, QUEUED)
    assert len(hanging.connections) == 1  # the other 20 were not tried
    messages = outbox.list_messages(store, limit=None)
    assert sorted(message.attempts for message in messages) == [0] * (QUEUED - 1) + [1]
    (tried,) = [message for message in messages if message.attempts == 1]
    phase = "logging in" if greet else "connecting"
    assert tried.last_error.startswith(f"the SMTP server 127.0.0.1:{hanging.port} did not answer within 0.5 s while {phase}")

    # The server comes back: the next passes send every message once, the one that timed out
    # after its retry delay, and nothing twice.
    working = start_smtp_server()
    email = dataclasses.replace(email, port=working.port)
    assert deliver_outbox(store, email, Secrets(), now=NOW + dt.timedelta(seconds=1)).sent == QUEUED - 1
    assert deliver_outbox(store, email, Secrets(), now=NOW + dt.timedelta(hours=1)).sent == 1
    assert deliver_outbox(store, email, Secrets(), now=NOW + dt.timedelta(hours=2)).sent == 0
    subjects = sorted(item.message["Subject"] for item in working.received)
    assert subjects == sorted(f"alert {index}" for index in range(QUEUED))


def test_one_pass_stops_when_its_budget_is_spent_and_the_rest_go_next_time(store, start_smtp_server, email_config):
    slow = start_smtp_server()
    answered = threading.Event()
    # Each message takes 0.3 s to be answered: a 0.5 s budget lets one or two through.
    slow.before_reply = lambda: answered.wait(0.3)
    queue_messages(store, 6)
    email = fast_timeouts(email_config(slow.port), delivery_budget_seconds=0.5)

    first = deliver_outbox(store, email, Secrets(), now=NOW)

    assert 1 <= first.sent < 6 and first.failed_attempts == 0
    assert first.remaining == 6 - first.sent
    untried = [message for message in outbox.list_messages(store, limit=None) if message.state == "pending"]
    assert all(message.attempts == 0 for message in untried)  # waiting, not failed

    slow.before_reply = None
    email = dataclasses.replace(email, delivery_budget_seconds=60)
    assert deliver_outbox(store, email, Secrets(), now=NOW).sent == 6 - first.sent
    assert sorted(item.message["Subject"] for item in slow.received) == sorted(f"alert {index}" for index in range(6))
