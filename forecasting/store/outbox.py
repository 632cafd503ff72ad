"""The email outbox: every message is stored here before it is sent, and marked sent once.

A message is identified by a `key` that says what it is about (for example
`alert:<alert id>:<recipient>`): enqueuing the same key again does nothing, which is what makes
reruns of a slot send no second email. Each message carries a stable Message-ID derived from
its key, written into the stored RFC 5322 bytes, so a copy re-sent after a crash is recognisable
as the same message by mail clients.

States: `held` (waits for an analyst's approval of every alert in its `alert_ids`), `pending` (to send, at
`next_attempt_at`), `sent`, `failed` (given up after too many attempts; never retried by itself).

Sending (`deliver`) happens inside one transaction per message that locks the row, re-checks it
is still pending, hands the message to the SMTP server and marks it sent: two processes never
send the same row, and a message is marked sent only if it went out. The one window left is a
crash after the server accepted the message and before the commit: the row stays pending and is
sent again, with the same Message-ID, on the next pass (at most one duplicate per crash). The
attempt counter is committed before the send, so that case is logged as a possible duplicate.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from forecasting.store.base import Base, Store

log = logging.getLogger(__name__)


class OutboxMessage(Base):
    __tablename__ = "outbox"
    __table_args__ = (sa.UniqueConstraint("key"), sa.UniqueConstraint("message_id"), sa.Index(None, "state"))

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(400))
    message_id: Mapped[str] = mapped_column(sa.String(255))
    kind: Mapped[str] = mapped_column(sa.String(16))
    recipient: Mapped[str] = mapped_column(sa.String(320))
    subject: Mapped[str] = mapped_column(sa.Text)
    content: Mapped[bytes] = mapped_column(sa.LargeBinary)
    alert_ids: Mapped[str] = mapped_column(sa.Text)
    state: Mapped[str] = mapped_column(sa.String(16))
    attempts: Mapped[int]
    failures: Mapped[int]
    next_attempt_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True))
    last_attempt_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True))
    sent_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))
    run_id: Mapped[int | None]


class AlertApproval(Base):
    """An analyst's go-ahead for one alert (email.require_review)."""

    __tablename__ = "alert_approvals"

    alert_id: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    approved_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True))
    approved_by: Mapped[str] = mapped_column(sa.String(255))


_OUTBOX = OutboxMessage.__table__
_APPROVALS = AlertApproval.__table__


@dataclass(frozen=True)
class NewMessage:
    """A message to enqueue. `content` is the whole RFC 5322 message, Message-ID included."""

    key: str
    kind: str
    recipient: str
    subject: str
    content: bytes
    alert_ids: tuple[str, ...] = ()
    held: bool = False


@dataclass(frozen=True)
class StoredMessage:
    id: int
    key: str
    message_id: str
    kind: str
    recipient: str
    subject: str
    alert_ids: tuple[str, ...]
    state: str
    attempts: int
    next_attempt_at: dt.datetime
    last_error: str | None
    created_at: dt.datetime
    sent_at: dt.datetime | None
    waiting_for: tuple[str, ...] = ()  # held: the alerts of alert_ids not approved yet


@dataclass(frozen=True)
class DeliveryResult:
    sent: int
    failed_attempts: int
    remaining: int


def message_id_for(key: str, domain: str) -> str:
    """The stable Message-ID of the message with this key: same key, same Message-ID, forever."""
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
    return f"<conflictwatch.{digest}@{domain}>"


def enqueue(store: Store, messages: Iterable[NewMessage], *, message_id_domain: str, run_id: int | None = None,
            now: dt.datetime | None = None) -> list[str]:
    """Store messages whose key is not in the outbox yet; returns the keys that were new.

    Idempotent: a key seen before (whatever its state) is never stored or sent again.
    """
    created = now or _now()
    added = []
    with store.engine.begin() as connection:
        for message in messages:
            values = dict(
                key=message.key,
                message_id=message_id_for(message.key, message_id_domain),
                kind=message.kind,
                recipient=message.recipient,
                subject=message.subject,
                content=message.content,
                alert_ids=" ".join(message.alert_ids),
                state="held" if message.held else "pending",
                attempts=0,
                failures=0,
                next_attempt_at=created,
                last_attempt_at=None,
                last_error=None,
                created_at=created,
                sent_at=None,
                run_id=run_id,
            )
            statement = (
                _insert(store.dialect).values(**values)
                .on_conflict_do_nothing(index_elements=["key"]).returning(_OUTBOX.c.id)
            )
            # RETURNING, not rowcount: psycopg reports no row count for INSERT ... ON CONFLICT.
            if connection.execute(statement).first() is not None:
                added.append(message.key)
    return added


def known_keys(store: Store, keys: Iterable[str]) -> set[str]:
    """Which of these keys are already in the outbox."""
    wanted = list(keys)
    if not wanted:
        return set()
    with store.engine.connect() as connection:
        return set(connection.execute(sa.select(_OUTBOX.c.key).where(_OUTBOX.c.key.in_(wanted))).scalars())


def alerts_already_digested(store: Store, recipient: str) -> set[str]:
    """Alert ids that earlier digests to this recipient carried (so a warning is digested once)."""
    with store.engine.connect() as connection:
        rows = connection.execute(
            sa.select(_OUTBOX.c.alert_ids).where(_OUTBOX.c.kind == "digest", _OUTBOX.c.recipient == recipient)
        ).scalars()
        return {alert_id for row in rows for alert_id in row.split()}


def alerts_told(store: Store, recipient: str) -> set[str]:
    """Alert ids this recipient was told about (alert or digest messages released for sending)."""
    with store.engine.connect() as connection:
        rows = connection.execute(
            sa.select(_OUTBOX.c.alert_ids).where(
                _OUTBOX.c.kind.in_(("alert", "digest")),
                _OUTBOX.c.recipient == recipient,
                _OUTBOX.c.state.in_(("pending", "sent")),
            )
        ).scalars()
        return {alert_id for row in rows for alert_id in row.split()}


def deliver(
    store: Store,
    send: Callable[[str, str, bytes], None],
    *,
    now: dt.datetime | None = None,
    retry_base_seconds: float = 60.0,
    retry_max_seconds: float = 3600.0,
    max_attempts: int = 50,
    is_permanent: Callable[[Exception], bool] = lambda error: False,
    describe: Callable[[Exception], str] = str,
    out_of_time: Callable[[], bool] = lambda: False,
    ends_pass: Callable[[Exception], bool] = lambda error: False,
) -> DeliveryResult:
    """Send every pending message that is due; returns what happened.

    `send(message_id, recipient, content)` hands one message to the mail server and raises on
    failure. A failed message waits `retry_base_seconds * 2**(attempts-1)` (at most
    `retry_max_seconds`) before the next try, and is marked `failed` after `max_attempts` or
    on an error `is_permanent` says retrying cannot fix. `describe` turns an error into the
    text stored in `last_error` (the caller makes sure it holds no secret).

    The pass stops early, leaving the messages not tried yet pending and due (no attempt
    counted), when `out_of_time()` says so before a message, or when a failure is one that
    `ends_pass` says the next message would meet too (a server that does not answer).
    """
    current = now or _now()
    sent = failed = 0
    with store.engine.connect() as connection:
        due = connection.execute(
            sa.select(_OUTBOX.c.id)
            .where(_OUTBOX.c.state == "pending", _OUTBOX.c.next_attempt_at <= current)
            .order_by(_OUTBOX.c.id)
        ).scalars().all()
    for position, message_id in enumerate(due):
        if out_of_time():
            log.warning("outbox: the delivery pass ran out of time; %d messages wait for the next pass",
                        len(due) - position)
            break
        outcome = _deliver_one(store, message_id, send, current, retry_base_seconds, retry_max_seconds,
                               max_attempts, is_permanent, describe, ends_pass)
        sent += outcome == "sent"
        failed += outcome in ("failed", "ends pass")
        if outcome == "ends pass":
            log.warning("outbox: the mail server did not answer; %d more messages wait for the next pass",
                        len(due) - position - 1)
            break
    with store.engine.connect() as connection:
        remaining = connection.execute(
            sa.select(sa.func.count()).select_from(_OUTBOX).where(_OUTBOX.c.state == "pending")
        ).scalar_one()
    return DeliveryResult(sent=sent, failed_attempts=failed, remaining=remaining)


def _deliver_one(store, row_id, send, now, retry_base, retry_max, max_attempts, is_permanent, describe,
                 ends_pass=lambda error: False) -> str:
    # Count the attempt in its own committed transaction first: if this process dies while
    # sending, the next pass sees more attempts than recorded failures and logs a possible duplicate.
    with store.engine.begin() as connection:
        claimed = connection.execute(
            sa.update(_OUTBOX)
            .where(_OUTBOX.c.id == row_id, _OUTBOX.c.state == "pending")
            .values(attempts=_OUTBOX.c.attempts + 1, last_attempt_at=now)
        )
        if claimed.rowcount != 1:
            return "skipped"
    with store.engine.begin() as connection:
        query = sa.select(_OUTBOX).where(_OUTBOX.c.id == row_id)
        if store.dialect == "postgresql":
            query = query.with_for_update()  # SQLite: BEGIN IMMEDIATE already holds the write lock
        row = connection.execute(query).first()
        if row is None or row.state != "pending":
            return "skipped"  # another process sent it while we waited for the lock
        if row.attempts - 1 > row.failures:
            log.warning(
                "outbox message %s to %s: an earlier attempt stopped while sending; it may have been "
                "delivered already, re-sending with the same Message-ID %s",
                row.id, row.recipient, row.message_id,
            )
        try:
            send(row.message_id, row.recipient, row.content)
        except Exception as error:  # noqa: BLE001 - every failure is recorded and retried
            permanent = is_permanent(error) or row.attempts >= max_attempts
            delay = min(retry_base * 2 ** (row.attempts - 1), retry_max)
            reason = describe(error)
            connection.execute(
                sa.update(_OUTBOX)
                .where(_OUTBOX.c.id == row_id)
                .values(
                    state="failed" if permanent else "pending",
                    failures=_OUTBOX.c.failures + 1,
                    last_error=reason,
                    next_attempt_at=now + dt.timedelta(seconds=delay),
                )
            )
            if permanent:
                log.error("outbox message %s to %s failed for good after %d attempts: %s",
                          row.id, row.recipient, row.attempts, reason)
            else:
                log.warning("outbox message %s to %s not sent (attempt %d, next in %ds): %s",
                            row.id, row.recipient, row.attempts, delay, reason)
            return "ends pass" if ends_pass(error) else "failed"
        connection.execute(
            sa.update(_OUTBOX).where(_OUTBOX.c.id == row_id).values(state="sent", sent_at=now, last_error=None)
        )
        log.info("sent %s to %s (%s)", row.kind, row.recipient, row.subject)
        return "sent"


def approve_alert(store: Store, alert_id: str, approved_by: str, *, now: dt.datetime | None = None) -> int:
    """Record an analyst's approval and release the held messages that waited for that alert and
    now wait for no other (an alert email waits for its alert, a report email for every
    unapproved alert its report shows); returns how many were released."""
    approved = now or _now()
    with store.engine.begin() as connection:
        statement = _insert_into(store.dialect, _APPROVALS).values(
            alert_id=alert_id, approved_at=approved, approved_by=approved_by[:255]
        ).on_conflict_do_nothing(index_elements=["alert_id"])
        connection.execute(statement)
        # Lock the held rows before reading the approvals: of two analysts approving the two
        # alerts a report waits for at once, the second waits here and then sees the first's.
        query = sa.select(_OUTBOX.c.id, _OUTBOX.c.alert_ids).where(_OUTBOX.c.state == "held").order_by(_OUTBOX.c.id)
        if store.dialect == "postgresql":
            query = query.with_for_update()
        held = {row.id: set(row.alert_ids.split()) for row in connection.execute(query)}
        waiting = {row_id: alert_ids for row_id, alert_ids in held.items() if alert_id in alert_ids}
        if not waiting:
            return 0
        wanted = set().union(*waiting.values())
        done = set(connection.execute(sa.select(_APPROVALS.c.alert_id).where(_APPROVALS.c.alert_id.in_(wanted))).scalars())
        ready = [row_id for row_id, alert_ids in waiting.items() if alert_ids <= done]
        if not ready:
            return 0
        released = connection.execute(
            sa.update(_OUTBOX)
            .where(_OUTBOX.c.state == "held", _OUTBOX.c.id.in_(ready))
            .values(state="pending", next_attempt_at=approved)
        )
        return released.rowcount


def approved_alerts(store: Store, alert_ids: Iterable[str]) -> set[str]:
    """Which of these alerts an analyst approved."""
    wanted = list(alert_ids)
    if not wanted:
        return set()
    with store.engine.connect() as connection:
        return set(
            connection.execute(sa.select(_APPROVALS.c.alert_id).where(_APPROVALS.c.alert_id.in_(wanted))).scalars()
        )


def list_messages(store: Store, *, state: str | None = None, limit: int | None = 50) -> list[StoredMessage]:
    """Outbox messages, newest first."""
    query = sa.select(*[c for c in _OUTBOX.c if c.name != "content"]).order_by(_OUTBOX.c.id.desc())
    if state is not None:
        query = query.where(_OUTBOX.c.state == state)
    if limit is not None:
        query = query.limit(limit)
    with store.engine.connect() as connection:
        rows = connection.execute(query).all()
    approved = approved_alerts(store, {alert_id for row in rows if row.state == "held" for alert_id in row.alert_ids.split()})
    return [
        StoredMessage(
            id=row.id, key=row.key, message_id=row.message_id, kind=row.kind, recipient=row.recipient,
            subject=row.subject, alert_ids=tuple(row.alert_ids.split()), state=row.state, attempts=row.attempts,
            next_attempt_at=_aware(row.next_attempt_at), last_error=row.last_error,
            created_at=_aware(row.created_at), sent_at=_aware(row.sent_at),
            waiting_for=tuple(alert_id for alert_id in row.alert_ids.split() if alert_id not in approved)
            if row.state == "held" else (),
        )
        for row in rows
    ]


def message_content(store: Store, key: str) -> bytes | None:
    """The stored RFC 5322 bytes of one message."""
    with store.engine.connect() as connection:
        return connection.execute(sa.select(_OUTBOX.c.content).where(_OUTBOX.c.key == key)).scalar_one_or_none()


def _insert(dialect: str):
    return _insert_into(dialect, _OUTBOX)


def _insert_into(dialect: str, table: sa.Table):
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.timezone.utc)
    return value


__all__ = [
    "DeliveryResult",
    "NewMessage",
    "StoredMessage",
    "alerts_already_digested",
    "alerts_told",
    "approve_alert",
    "approved_alerts",
    "deliver",
    "enqueue",
    "known_keys",
    "list_messages",
    "message_content",
    "message_id_for",
]
