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
