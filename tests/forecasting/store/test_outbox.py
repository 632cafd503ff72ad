"""The outbox's own rules, on SQLite and PostgreSQL: retries and giving up, approvals, digests.

`deliver` takes the function that hands a message to the mail server; here that function is a
real one that refuses (as a server that is down would) or keeps what it is given.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from forecasting.store import outbox

T0 = dt.datetime(2025, 6, 2, 6, 0, tzinfo=dt.timezone.utc)


def message(key: str, *, kind: str = "alert", recipient: str = "desk@sahel.test", alert_ids=(), held=False):
    return outbox.NewMessage(key=key, kind=kind, recipient=recipient, subject=f"subject {key}",
                             content=f"Message-ID: <{key}>\r\n\r\nbody\r\n".encode(), alert_ids=tuple(alert_ids), held=held)


def refuse(message_id: str, recipient: str, content: bytes) -> None:
    raise ConnectionRefusedError("the SMTP server is down")


def test_a_failing_message_backs_off_doubling_to_an_hour_and_gives_up_after_fifty_attempts(store):
    outbox.enqueue(store, [message("a"), message("b")], message_id_domain="sahel.test", now=T0)

    first = outbox.deliver(store, refuse, now=T0)
    assert (first.sent, first.failed_attempts, first.remaining) == (0, 2, 2)
    waiting = {stored.key: stored for stored in outbox.list_messages(store)}
    assert waiting["a"].next_attempt_at == T0 + dt.timedelta(seconds=60)  # the default first wait
    assert waiting["a"].last_error == "the SMTP server is down"
    with store.engine.connect() as connection:
        attempted = connection.execute(sa.text("SELECT last_attempt_at FROM outbox WHERE key = 'a'")).scalar_one()
    attempted = dt.datetime.fromisoformat(attempted) if isinstance(attempted, str) else attempted  # SQLite: text
    assert attempted.replace(tzinfo=attempted.tzinfo or dt.timezone.utc) == T0

    now = T0
    for attempt in range(2, 51):
        now = outbox.list_messages(store)[0].next_attempt_at
        outbox.deliver(store, refuse, now=now)
        if attempt == 8:  # 60 s * 2**7 = 7680 s: capped at an hour
            assert outbox.list_messages(store)[0].next_attempt_at == now + dt.timedelta(seconds=3600)
    given_up = outbox.list_messages(store)
    assert {(stored.state, stored.attempts) for stored in given_up} == {("failed", 50)}
    assert outbox.deliver(store, refuse, now=now + dt.timedelta(days=1)).failed_attempts == 0


def test_messages_go_out_in_the_order_they_were_queued_and_a_later_pass_sends_nothing(store):
    outbox.enqueue(store, [message(key) for key in "cab"], message_id_domain="sahel.test", now=T0)
    sent = []

    result = outbox.deliver(store, lambda message_id, recipient, content: sent.append(content), now=T0)

    assert (result.sent, result.failed_attempts, result.remaining) == (3, 0, 0)
    assert [content.split(b">")[0] for content in sent] == [b"Message-ID: <c", b"Message-ID: <a", b"Message-ID: <b"]
    assert outbox.deliver(store, lambda *arguments: sent.append(arguments), now=T0 + dt.timedelta(hours=1)).sent == 0
    assert len(sent) == 3


def test_approving_releases_a_message_only_once_every_alert_it_waits_for_is_approved(store):
    outbox.enqueue(store, [message("report", kind="report", alert_ids=("A1", "A2"), held=True)],
                   message_id_domain="sahel.test", now=T0)
    later = T0 + dt.timedelta(hours=5)

    assert outbox.approve_alert(store, "A1", "analyst", now=later) == 0
    (held,) = outbox.list_messages(store)
    assert (held.state, held.waiting_for) == ("held", ("A2",))
    assert outbox.deliver(store, refuse, now=later).failed_attempts == 0  # held is never sent

    # A name longer than the column is cut to it (PostgreSQL would refuse a longer one).
    assert outbox.approve_alert(store, "A2", "a" * 300, now=later) == 1
    (released,) = outbox.list_messages(store)
    assert (released.state, released.next_attempt_at, released.waiting_for) == ("pending", later, ())
    with store.engine.connect() as connection:
        approvers = connection.execute(sa.text("SELECT approved_by FROM alert_approvals ORDER BY alert_id")).scalars().all()
    assert approvers == ["analyst", "a" * 255]
    assert outbox.approve_alert(store, "A2", "analyst", now=later) == 0  # nothing left waiting


def test_only_earlier_digests_to_the_same_recipient_count_as_digested(store):
    outbox.enqueue(
        store,
        [
            message("alert", kind="alert", alert_ids=("CRITICAL1",)),
            message("digest", kind="digest", alert_ids=("W1", "W2")),
            message("other", kind="digest", recipient="other@sahel.test", alert_ids=("W3",)),
        ],
        message_id_domain="sahel.test",
        now=T0,
    )
    assert outbox.alerts_already_digested(store, "desk@sahel.test") == {"W1", "W2"}
    assert outbox.alerts_told(store, "desk@sahel.test") == {"CRITICAL1", "W1", "W2"}


def test_two_senders_at_once_send_every_message_exactly_once(store):
    """Two senders in threads of one process, each with its own connections. On PostgreSQL a
    KEY SHARE lock held here lets both count their attempt on every message but keeps both
    waiting for the row lock they send under; whichever gets it second must see the row sent
    and skip it. On SQLite the write lock serialises them and they simply race."""
    import threading
    import time

    outbox.enqueue(store, [message(f"m{number}") for number in range(4)], message_id_domain="sahel.test", now=T0)
    sent: list[str] = []
    gate = None
    if store.dialect == "postgresql":
        gate = store.engine.connect()
        gate.begin()
        gate.execute(sa.text("SELECT id FROM outbox FOR KEY SHARE"))
    results = []
    senders = [threading.Thread(target=lambda: results.append(
        outbox.deliver(store, lambda message_id, recipient, content: sent.append(message_id), now=T0))) for _ in range(2)]
    for sender in senders:
        sender.start()
    if gate is not None:
        deadline = time.monotonic() + 30
        query = sa.text("SELECT attempts FROM outbox ORDER BY id LIMIT 1")
        while True:
            with store.engine.connect() as connection:
                if connection.execute(query).scalar_one() >= 2:
                    break
            assert time.monotonic() < deadline, "both senders should have counted an attempt on the first message"
            time.sleep(0.02)
        gate.rollback()
        gate.close()
    for sender in senders:
        sender.join(60)
    assert sorted(sent) == sorted(outbox.message_id_for(f"m{number}", "sahel.test") for number in range(4))
    assert sum(result.sent for result in results) == 4 and [result.remaining for result in results] == [0, 0]
    assert {stored.state for stored in outbox.list_messages(store)} == {"sent"}


def test_enqueue_stores_each_key_once_with_its_stable_message_id_and_state(store):
    first = outbox.enqueue(store, [message("a", alert_ids=("A1", "A2")), message("b", held=True)],
                           message_id_domain="sahel.test", run_id=7, now=T0)
    again = outbox.enqueue(store, [message("b"), message("c")], message_id_domain="sahel.test", now=T0)
    assert (first, again) == (["a", "b"], ["c"])
    # The Message-ID: the first 32 hex digits of the key's SHA-256 (sha256(b"a") begins ca978112ca1bbdca...).
    assert outbox.message_id_for("a", "sahel.test") == "<conflictwatch.ca978112ca1bbdcafac231b39a23dc4d@sahel.test>"
    with store.engine.connect() as connection:
        rows = connection.execute(sa.text(
            "SELECT key, message_id, kind, recipient, subject, alert_ids, state, attempts, failures, run_id, "
            "sent_at, last_error FROM outbox ORDER BY key")).all()
    assert [tuple(row) for row in rows] == [
        ("a", outbox.message_id_for("a", "sahel.test"), "alert", "desk@sahel.test", "subject a", "A1 A2", "pending",
         0, 0, 7, None, None),
        ("b", outbox.message_id_for("b", "sahel.test"), "alert", "desk@sahel.test", "subject b", "", "held", 0, 0, 7,
         None, None),
        ("c", outbox.message_id_for("c", "sahel.test"), "alert", "desk@sahel.test", "subject c", "", "pending", 0, 0,
         None, None, None),
    ]
    (stored,) = [m for m in outbox.list_messages(store) if m.key == "c"]
    assert (stored.created_at, stored.next_attempt_at) == (T0, T0)
    assert outbox.known_keys(store, ["a", "c", "z"]) == {"a", "c"} and outbox.known_keys(store, []) == set()


def test_a_message_is_due_at_its_time_not_before_and_held_or_failed_ones_never(store):
    outbox.enqueue(store, [message("due"), message("held", held=True)], message_id_domain="sahel.test", now=T0)
    outbox.enqueue(store, [message("later")], message_id_domain="sahel.test", now=T0 + dt.timedelta(seconds=1))
    sent = []
    result = outbox.deliver(store, lambda message_id, recipient, content: sent.append(content), now=T0)
    assert (result.sent, result.remaining, len(sent)) == (1, 1, 1)
    assert sent[0].startswith(b"Message-ID: <due>")
    with store.engine.begin() as connection:
        connection.execute(sa.text("UPDATE outbox SET state = 'failed' WHERE key = 'later'"))
    assert outbox.deliver(store, refuse, now=T0 + dt.timedelta(days=1)) == outbox.DeliveryResult(0, 0, 0)


def test_a_pass_out_of_time_or_facing_a_silent_server_leaves_the_rest_untried(store):
    outbox.enqueue(store, [message(key) for key in "abc"], message_id_domain="sahel.test", now=T0)
    calls = []

    def out_of_time():
        calls.append(1)
        return len(calls) > 1  # time runs out after the first message

    sent = []
    result = outbox.deliver(store, lambda *arguments: sent.append(arguments), now=T0, out_of_time=out_of_time)
    assert (result.sent, result.failed_attempts, result.remaining, len(sent)) == (1, 0, 2, 1)

    def silent(message_id, recipient, content):
        raise TimeoutError("no answer")

    result = outbox.deliver(store, silent, now=T0, ends_pass=lambda error: isinstance(error, TimeoutError))
    assert (result.sent, result.failed_attempts, result.remaining) == (0, 1, 2)
    with store.engine.connect() as connection:
        attempts = dict(connection.execute(sa.text("SELECT key, attempts FROM outbox")).all())
    assert attempts == {"a": 1, "b": 1, "c": 0}  # c was never tried


def test_a_permanent_error_fails_at_once_with_its_description_and_the_last_allowed_attempt_too(store):
    outbox.enqueue(store, [message("a"), message("b")], message_id_domain="sahel.test", now=T0)
    result = outbox.deliver(store, refuse, now=T0, is_permanent=lambda error: isinstance(error, ConnectionRefusedError),
                            describe=lambda error: f"described: {error}", max_attempts=5)
    assert (result.sent, result.failed_attempts, result.remaining) == (0, 2, 0)
    stored = outbox.list_messages(store)
    assert {(m.state, m.attempts, m.last_error) for m in stored} == {("failed", 1, "described: the SMTP server is down")}
    outbox.enqueue(store, [message("c")], message_id_domain="sahel.test", now=T0)
    outbox.deliver(store, refuse, now=T0, max_attempts=2, retry_base_seconds=10)
    (c,) = [m for m in outbox.list_messages(store) if m.key == "c"]
    assert (c.state, c.next_attempt_at) == ("pending", T0 + dt.timedelta(seconds=10))
    outbox.deliver(store, refuse, now=c.next_attempt_at, max_attempts=3, retry_base_seconds=10, retry_max_seconds=25)
    (c,) = [m for m in outbox.list_messages(store) if m.key == "c"]
    assert (c.state, c.attempts, c.next_attempt_at) == ("pending", 2, T0 + dt.timedelta(seconds=10 + 20))
    outbox.deliver(store, refuse, now=c.next_attempt_at, max_attempts=3, retry_base_seconds=10, retry_max_seconds=25)
    (c,) = [m for m in outbox.list_messages(store) if m.key == "c"]
    assert (c.state, c.attempts, c.next_attempt_at) == ("failed", 3, T0 + dt.timedelta(seconds=10 + 20 + 25))


def test_a_sent_message_records_when_and_clears_the_last_error(store):
    outbox.enqueue(store, [message("a")], message_id_domain="sahel.test", now=T0)
    outbox.deliver(store, refuse, now=T0)
    later = T0 + dt.timedelta(minutes=5)
    handed = []
    assert outbox.deliver(store, lambda *arguments: handed.append(arguments), now=later).sent == 1
    (sent,) = outbox.list_messages(store)
    assert (sent.state, sent.sent_at, sent.last_error, sent.attempts) == ("sent", later, None, 2)
    assert handed == [(outbox.message_id_for("a", "sahel.test"), "desk@sahel.test", message("a").content)]


def test_a_message_whose_sender_stopped_while_sending_is_logged_as_a_possible_duplicate(store, caplog):
    """More attempts than recorded failures: an earlier sender counted its attempt and never
    came back (it may have delivered the message). A retry after a recorded failure is not one."""
    outbox.enqueue(store, [message("a")], message_id_domain="sahel.test", now=T0)
    outbox.deliver(store, refuse, now=T0)  # attempt 1, failure 1
    caplog.set_level("WARNING", logger="forecasting.store.outbox")
    outbox.deliver(store, refuse, now=T0 + dt.timedelta(hours=1))  # attempt 2 after failure 1: a retry
    assert "may have been delivered already" not in caplog.text
    with store.engine.begin() as connection:  # attempt 3 counted by a sender that then died
        connection.execute(sa.text("UPDATE outbox SET attempts = attempts + 1"))
    outbox.deliver(store, lambda *arguments: None, now=T0 + dt.timedelta(hours=2))
    assert "may have been delivered already, re-sending with the same Message-ID" in caplog.text


def test_only_released_alert_and_digest_messages_count_as_told(store):
    outbox.enqueue(store, [message("pending", alert_ids=("P",)), message("held", alert_ids=("H",), held=True),
                           message("report", kind="report", alert_ids=("R",)),
                           message("failed", alert_ids=("F",)), message("sent", kind="digest", alert_ids=("S1", "S2")),
                           message("elsewhere", recipient="other@sahel.test", alert_ids=("O",))],
                   message_id_domain="sahel.test", now=T0)
    with store.engine.begin() as connection:
        connection.execute(sa.text("UPDATE outbox SET state = 'failed' WHERE key = 'failed'"))
        connection.execute(sa.text("UPDATE outbox SET state = 'sent' WHERE key = 'sent'"))
    assert outbox.alerts_told(store, "desk@sahel.test") == {"P", "S1", "S2"}
    assert outbox.alerts_already_digested(store, "desk@sahel.test") == {"S1", "S2"}


def test_approving_one_alert_releases_only_the_messages_it_completes(store):
    outbox.enqueue(store, [message("one", alert_ids=("A1",), held=True), message("both", alert_ids=("A1", "A2"), held=True),
                           message("other", alert_ids=("A3",), held=True)], message_id_domain="sahel.test", now=T0)
    later = T0 + dt.timedelta(hours=1)
    assert outbox.approve_alert(store, "A1", "analyst", now=later) == 1
    states = {m.key: (m.state, m.waiting_for) for m in outbox.list_messages(store)}
    assert states == {"one": ("pending", ()), "both": ("held", ("A2",)), "other": ("held", ("A3",))}
    with store.engine.connect() as connection:
        approved = connection.execute(sa.text("SELECT alert_id, approved_at FROM alert_approvals")).all()
    assert [(alert_id, str(at)[:16]) for alert_id, at in approved] == [("A1", "2025-06-02 07:00")]
    # Approving again changes nothing and keeps the first approval.
    assert outbox.approve_alert(store, "A1", "someone else", now=later + dt.timedelta(hours=1)) == 0
    assert outbox.approved_alerts(store, ["A1", "A2"]) == {"A1"} and outbox.approved_alerts(store, []) == set()
    assert outbox.approve_alert(store, "A2", "analyst", now=later) == 1
