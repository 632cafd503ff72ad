"""Alert and report emails: who gets what, composed once, queued in the outbox, sent by SMTP.

- Alerts are told as incidents (`forecasting.incidents`: the alerts of a month that tell one
  story; an alert without an incident is its own). A critical incident is emailed as soon as a
  pass finds it: one message per incident and recipient, however many alerts it holds and
  however many passes find it again. The message is the incident email the report composes
  (reports.emails: a subject within 78 characters, the narrative, the incident page's chart
  inline, the driving events, a plain-text alternative); plain text only when none was composed.
- Warnings (and info, for recipients who ask for it) wait for the weekly digest, one entry per
  incident; each alert is digested once per recipient.
- The weekly report email carries the PDF attached and the charts inline (only when a report is
  passed in: the pipeline passes none for the monthly refit).
- A resolved incident (its last alert resolved) is told once to each recipient who was told
  about it; a resolved notice is information, never critical.
- A failed run (a failing step, an interruption, or a run expired by the run timeout) sends one
  notice per attempt to the administrator.

Recipients choose countries (empty: all) and a minimum severity. With `require_review`, alert
messages are stored `held` until an analyst runs `conflictwatch alerts approve ID`; unapproved
warnings stay out of digests until approved; a report email whose report shows unapproved alerts
is held until every one of them is approved (its outbox row lists them in `alert_ids`).

Every message is stored in the outbox (forecasting.store.outbox) under a key that says what it
is about before any attempt to send it, so a rerun of the same slot enqueues nothing new and the
outbox retries what the SMTP server did not take.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import getpass
import logging
import re
import smtplib
import ssl
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from email import policy as email_policy
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from forecasting import wording
from forecasting.alerts import SEVERITY_ORDER, Alert
from forecasting.errors import ConflictwatchError
from forecasting.redaction import redact
from forecasting.store import Store
from forecasting.store import outbox
from forecasting.store.events import holds_synthetic_sample
from reports.filenames import safe_filename
from jobs.config import Config, EmailConfig, Recipient, Secrets

if TYPE_CHECKING:
    from forecasting.incidents import Incident
    from reports.emails import IncidentEmail
    from reports.inputs import ReportFiles

#: Composes the incident emails of a pass (reports.emails.IncidentEmail), called only when a
#: critical incident is to be told: drawing its chart costs a second or two.
ComposeIncidentEmails = Callable[[], "Iterable[IncidentEmail]"]

log = logging.getLogger(__name__)


class EmailSetupError(ConflictwatchError):
    """The email section of config.yaml cannot work as written."""


class StarttlsNotOfferedError(ConflictwatchError):
    """`email.security: starttls`, but the SMTP server does not offer STARTTLS."""


class SmtpTimeoutError(ConflictwatchError):
    """The SMTP server did not answer in time; the delivery pass stops, the queue waits."""


@dataclass(frozen=True)
class PlannedMessage:
    """A message this pass calls for (before the outbox de-duplicates it)."""

    key: str
    kind: str
    recipient: str
    subject: str
    message: EmailMessage = field(repr=False)
    alert_ids: tuple[str, ...] = ()
    held: bool = False


@dataclass
class Notifications:
    """What the notify step did. `planned` holds only messages new to the outbox."""

    planned: list[PlannedMessage] = field(default_factory=list)
    enqueued: list[str] = field(default_factory=list)
    delivery: outbox.DeliveryResult | None = None
    dry_run: bool = False
    reason: str | None = None

    @property
    def state(self) -> str:
        return "success" if self.planned else "noop"

    def counts(self) -> dict[str, Any]:
        kinds: dict[str, int] = {}
        for message in self.planned:
            kinds[message.kind] = kinds.get(message.kind, 0) + 1
        counts: dict[str, Any] = {
            "planned": len(self.planned),
            "enqueued": len(self.enqueued),
            "held": sum(message.held for message in self.planned),
            "dry_run": self.dry_run,
            **kinds,
        }
        if self.delivery is not None:
            counts.update(sent=self.delivery.sent, pending=self.delivery.remaining)
        if self.reason:
            counts["reason"] = self.reason
        return counts


# --- who gets what ----------------------------------------------------------------------------


def wants(recipient: Recipient, alert: Alert) -> bool:
    """Whether an alert is for this recipient: severity at least theirs, and one of their countries
    (alerts about the whole area, with no country, go to everyone)."""
    if SEVERITY_ORDER[alert.severity] < SEVERITY_ORDER[recipient.min_severity]:
        return False
    country = alert.scope.get("country")
    return not recipient.countries or country is None or country in recipient.countries


@dataclass(frozen=True)
class Story:
    """What one message tells: an incident (or an alert of none), from this pass's alerts.

    `alerts`: its new and ongoing alerts, lead first; `notices`: its resolved notices;
    `incident`: the Incident the detection formed, when the caller passed it."""

    id: str
    alerts: list[Alert]
    notices: list[Alert]
    incident: "Incident | None" = None

    @property
    def lead(self) -> Alert:
        if self.incident is not None:
            return self.incident.lead
        return (self.alerts or self.notices)[0]

    @property
    def severity(self) -> str:
        if not self.alerts:
            return "info"
        return max((alert.severity for alert in self.alerts), key=SEVERITY_ORDER.__getitem__)

    @property
    def resolved(self) -> bool:
        if self.incident is not None:
            return self.incident.status == "resolved"
        return not self.alerts

    @property
    def grouped(self) -> bool:
        """An incident of the detection (not one alert told alone)."""
        return self.id != self.lead.id

    @property
    def message(self) -> str:
        return self.incident.message if self.incident is not None else self.lead.message

    @property
    def members(self) -> list[Alert]:
        return [*self.alerts, *self.notices]


def stories(alerts: list[Alert], incidents: "Iterable[Incident]" = ()) -> list[Story]:
    """This pass's alerts as the stories to tell: grouped by their `incident`, most severe first;
    an alert without an incident is a story of its own."""
    known = {incident.id: incident for incident in incidents}
    grouped: dict[str, list[Alert]] = {}
    for alert in alerts:
        grouped.setdefault(alert.incident or alert.id, []).append(alert)
    told = []
    for key, members in grouped.items():
        incident = known.get(key)
        active = [alert for alert in members if alert.status != "resolved"]
        if incident is not None:
            active.sort(key=lambda alert: alert.id != incident.lead.id)
        else:
            active.sort(key=lambda alert: (-SEVERITY_ORDER[alert.severity], alert.score, alert.id))
        told.append(Story(key, active, [alert for alert in members if alert.status == "resolved"], incident))
    return sorted(told, key=lambda story: (-SEVERITY_ORDER[story.severity], story.lead.score, story.id))


def wants_story(recipient: Recipient, story: Story) -> bool:
    """Whether a story is for this recipient: its severity at least theirs, and one of its alerts
    about one of their countries (or about the whole area)."""
    if SEVERITY_ORDER[story.severity] < SEVERITY_ORDER[recipient.min_severity]:
        return False
    return any(wants(recipient, dataclasses.replace(alert, severity=story.severity)) for alert in story.members)


def plan_messages(
    store: Store,
    email: EmailConfig,
    alerts: list[Alert],
    *,
    report: "ReportFiles | None",
    as_of: str,
    occasion: str,
    now: dt.datetime,
    incidents: "Iterable[Incident]" = (),
    incident_emails: ComposeIncidentEmails | None = None,
) -> list[PlannedMessage]:
    """Every message this pass calls for that the outbox does not hold yet. `incidents`: the
    detection's incidents, for their summaries (alerts name theirs in `alert.incident`).
    `incident_emails`: composes the critical incidents' emails (called once, and only when one
    of them is not in the outbox yet)."""
    shown = report.alert_ids if report is not None else ()
    approved = outbox.approved_alerts(store, [alert.id for alert in alerts] + list(shown)) if email.require_review else set()
    # The report shows every alert of the month (table, findings, charts, PDF): with review on,
    # its email waits for the ones not approved yet, the same for every recipient.
    report_waits_for = tuple(dict.fromkeys(alert_id for alert_id in shown if alert_id not in approved)) if email.require_review else ()
    planned: list[PlannedMessage] = []
    told_stories = stories(alerts, incidents)
    critical = [(recipient.address, story) for recipient in email.recipients for story in told_stories
                if story.severity == "critical" and story.alerts and wants_story(recipient, story)]
    already_sent = outbox.known_keys(store, [_alert_key(story, address) for address, story in critical])
    composed: dict[str, IncidentEmail] = {}
    if incident_emails is not None and any(_alert_key(story, address) not in already_sent for address, story in critical):
        try:
            composed = {message.incident_id: message for message in incident_emails()}
        except Exception as error:  # noqa: BLE001 - a critical incident goes out even when its chart cannot be drawn
            log.error("could not compose the incident emails (%s: %s): sending them as plain text",
                      type(error).__name__, error)
    for recipient in email.recipients:
        mine = [story for story in told_stories if wants_story(recipient, story)]
        told = outbox.alerts_told(store, recipient.address)
        for story in mine:
            if story.severity == "critical" and story.alerts:
                held = email.require_review and story.lead.id not in approved
                planned.append(_alert_message(email, recipient.address, story, composed.get(story.id), held=held, now=now))
        # A resolved incident is information, but whoever was told about it hears that it ended.
        for story in told_stories:
            if story.resolved and (
                any(alert.id in told for alert in story.members)
                or (story.grouped and _was_told(store, story, recipient.address))
            ):
                planned.append(_resolved_message(email, recipient.address, story, now=now))
        if report is not None:
            already = outbox.alerts_already_digested(store, recipient.address)
            waiting = [
                story for story in mine
                if story.alerts and story.severity != "critical" and not {alert.id for alert in story.alerts} <= already
            ]
            digest = [story for story in waiting if not email.require_review or story.lead.id in approved]
            if digest:
                planned.append(_digest_message(email, recipient.address, digest, as_of=as_of, occasion=occasion,
                                               awaiting_review=len(waiting) - len(digest), now=now))
            planned.append(_report_message(email, recipient.address, report, as_of=as_of, occasion=occasion,
                                           waits_for=report_waits_for, now=now))
    known = outbox.known_keys(store, [message.key for message in planned])
    return [message for message in planned if message.key not in known]


def notify(
    store: Store,
    config: Config,
    secrets: Secrets,
    *,
    alerts: list[Alert],
    report: "ReportFiles | None",
    as_of: str,
    occasion: str,
    run_id: int | None = None,
    dry_run: bool = False,
    now: dt.datetime | None = None,
    eml_dir: Path | None = None,
    incidents: "Iterable[Incident]" = (),
    incident_emails: ComposeIncidentEmails | None = None,
) -> Notifications:
    """Plan, enqueue and try to send this pass's emails. `dry_run`: plan and log only, and write
    each message as a .eml file to `eml_dir` when given. `incidents`: the detection's incidents
    (`DetectionResult.incidents`), for their summaries; `incident_emails`: composes the critical
    incidents' emails (see plan_messages)."""
    email = config.email
    if not email.enabled:
        return Notifications(dry_run=dry_run, reason="email is disabled (email.enabled: false)")
    if not email.recipients:
        return Notifications(dry_run=dry_run, reason="no recipients in email.recipients")
    current = now or dt.datetime.now(dt.timezone.utc)
    planned = plan_messages(store, email, alerts, report=report, as_of=as_of, occasion=occasion, now=current,
                            incidents=incidents, incident_emails=incident_emails)
    if holds_synthetic_sample(store):
        planned = [marked_synthetic(message) for message in planned]
    if dry_run:
        for number, message in enumerate(planned, start=1):
            log.info("dry run: would send %s to %s: %s%s", message.kind, message.recipient, message.subject,
                     " (held for review)" if message.held else "")
            if eml_dir is not None:
                # Each message as it would go, to open in a mail client.
                eml_dir.mkdir(parents=True, exist_ok=True)
                name = f"{number:02d}-{safe_filename(message.kind)}-{safe_filename(message.recipient, limit=40)}.eml"
                (eml_dir / name).write_bytes(message.message.as_bytes(policy=email_policy.SMTP))
        return Notifications(planned=planned, dry_run=True)
    enqueued = enqueue(store, email, planned, run_id=run_id, now=current)
    delivery = deliver_outbox(store, email, secrets, now=current)
    return Notifications(planned=planned, enqueued=enqueued, delivery=delivery)


def notify_failure(
    store: Store, config: Config, secrets: Secrets, *, job: str, slot: str, attempt: int, reason: str,
    run_id: int | None = None, now: dt.datetime | None = None, deliver: bool = True,
) -> bool:
    """Enqueue and try to send the one notice of a failed attempt to the administrator.

    False when email is disabled or no administrator is configured (the run log still says why).
    `deliver` False only enqueues it (a process about to exit): the next delivery sends it.
    """
    email = config.email
    if not email.enabled or not email.administrator:
        return False
    current = now or dt.datetime.now(dt.timezone.utc)
    key = f"failure:{job}:{slot}:{attempt}"
    subject = f"[conflictwatch] job {job} failed ({slot})"
    text = (
        f"The conflictwatch job {job!r} for slot {slot} (attempt {attempt}) failed.\n\n"
        f"Reason: {reason}\n\n"
        "The steps before the failure kept their outputs. See `conflictwatch runs` for the run log, "
        f"and rerun the slot by hand with:\n\n    conflictwatch run --job {job} --slot {slot} --rerun\n"
    )
    message = _new_message(email, email.administrator, subject, key, now=current)
    message.set_content(text)
    planned = PlannedMessage(key=key, kind="failure", recipient=email.administrator, subject=subject, message=message)
    added = enqueue(store, email, [planned], run_id=run_id, now=current)
    if deliver:
        deliver_outbox(store, email, secrets, now=current)
    return bool(added)


def enqueue(store: Store, email: EmailConfig, planned: Iterable[PlannedMessage], *, run_id: int | None,
            now: dt.datetime) -> list[str]:
    return outbox.enqueue(
        store,
        [
            outbox.NewMessage(
                key=message.key, kind=message.kind, recipient=message.recipient, subject=message.subject,
                # CRLF line ends, as SMTP wants them: smtplib sends bytes as they are.
                content=message.message.as_bytes(policy=email_policy.SMTP), alert_ids=message.alert_ids, held=message.held,
            )
            for message in planned
        ],
        message_id_domain=_domain(email),
        run_id=run_id,
        now=now,
    )


# --- sending ----------------------------------------------------------------------------------


def deliver_outbox(store: Store, email: EmailConfig, secrets: Secrets, *, now: dt.datetime | None = None,
                   retry_base_seconds: float = 60.0) -> outbox.DeliveryResult:
    """Send every due message of the outbox through the configured SMTP server.

    One pass starts no message after `email.delivery_budget_seconds` (so it ends at most one
    message's timeouts later), and stops at the first server timeout: the messages not tried
    yet stay queued, due, with no attempt counted, for the next pass. None is lost; a message
    is never cut short by the budget, since a server may hold one it has not yet acknowledged."""
    deadline = time.monotonic() + email.delivery_budget_seconds
    return outbox.deliver(
        store,
        smtp_sender(email, secrets),
        now=now,
        retry_base_seconds=retry_base_seconds,
        is_permanent=_is_permanent,
        describe=lambda error: _describe_smtp_error(error, email, secrets),
        out_of_time=lambda: time.monotonic() >= deadline,
        ends_pass=lambda error: isinstance(error, SmtpTimeoutError),
    )


def smtp_sender(email: EmailConfig, secrets: Secrets) -> Callable[[str, str, bytes], None]:
    """A function that hands one stored message to the SMTP server of config.yaml. Each phase
    (connect, log in, send) waits at most its own timeout of config.yaml's email section; a
    server that does not answer in time raises `SmtpTimeoutError`."""
    if email.username and not secrets.smtp_password:
        raise EmailSetupError(
            f"email.username is set but the environment variable {email.password_env} (email.password_env) "
            "is empty: export the SMTP password there"
        )

    context = _tls_context(email) if email.security != "none" else None

    def send(message_id: str, recipient: str, content: bytes) -> None:
        phase, timeout = "connecting", email.connect_timeout_seconds
        try:
            if email.security == "ssl":
                connection = smtplib.SMTP_SSL(email.host, email.port, timeout=timeout, context=context)
            else:
                connection = smtplib.SMTP(email.host, email.port, timeout=timeout)
            with connection as smtp:
                phase, timeout = "logging in", email.login_timeout_seconds
                smtp.sock.settimeout(timeout)
                smtp.ehlo_or_helo_if_needed()
                if email.security == "starttls":
                    try:
                        smtp.starttls(context=context)
                    except smtplib.SMTPNotSupportedError:
                        # Raised after EHLO only: no login and no message went out in plain text.
                        raise StarttlsNotOfferedError(
                            f"the SMTP server {email.host}:{email.port} does not offer STARTTLS (email.security: "
                            "starttls); nothing was sent in plain text. Check email.port (465 is usually ssl, "
                            "587 starttls) and email.security"
                        ) from None
                if email.username:
                    smtp.login(email.username, secrets.smtp_password or "")
                phase, timeout = "sending", email.send_timeout_seconds
                smtp.sock.settimeout(timeout)
                smtp.sendmail(email.sender, [recipient], content)
        except (TimeoutError, smtplib.SMTPServerDisconnected) as error:
            # smtplib reports a reply that never came as a disconnection caused by the timeout.
            if isinstance(error, TimeoutError) or isinstance(error.__context__, TimeoutError):
                raise SmtpTimeoutError(
                    f"the SMTP server {email.host}:{email.port} did not answer within {timeout:.3g} s while "
                    f"{phase}; the messages not sent yet wait for the next delivery pass"
                ) from None
            raise

    return send


def _tls_context(email: EmailConfig) -> ssl.SSLContext:
    """Checks the server's certificate and host name: against email.ca_file, else the system's CAs."""
    if email.ca_file is None:
        return ssl.create_default_context()
    ca_file = Path(email.ca_file).expanduser()
    if not ca_file.is_absolute():
        raise EmailSetupError(f"email.ca_file must be an absolute path, not {email.ca_file!r}")
    try:
        return ssl.create_default_context(cafile=str(ca_file))
    except OSError as error:  # ssl.SSLError too: not PEM, or no certificate in it
        raise EmailSetupError(
            f"email.ca_file: cannot load CA certificates from {ca_file} ({error}): give a PEM file "
            "with the certificate of the CA that signed the SMTP server's certificate"
        ) from None


def _is_permanent(error: Exception) -> bool:
    """A recipient the server refuses for good (5xx) will not be accepted by retrying."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _text in error.recipients.values())
    return False


def _describe_smtp_error(error: Exception, email: EmailConfig, secrets: Secrets) -> str:
    server = f"{email.host}:{email.port}"
    if isinstance(error, ssl.SSLCertVerificationError):
        text = (
            f"the certificate of the SMTP server {server} could not be verified ({error.verify_message}): "
            "check email.host, or set email.ca_file to the CA that signed it"
        )
    elif isinstance(error, (ConnectionError, TimeoutError, OSError)) and not isinstance(error, smtplib.SMTPException):
        text = f"cannot reach the SMTP server {server} ({type(error).__name__}: {error})"
    elif isinstance(error, smtplib.SMTPAuthenticationError):
        text = (
            f"the SMTP server {server} refused the login of {email.username!r}: check the password in the "
            f"environment variable {email.password_env} (email.password_env)"
        )
    elif isinstance(error, ConflictwatchError):
        text = str(error)
    else:
        text = f"{type(error).__name__}: {error}"
    return redact(text, secrets.values())


# --- composing --------------------------------------------------------------------------------


def _new_message(email: EmailConfig, recipient: str, subject: str, key: str, *, now: dt.datetime) -> EmailMessage:
    message = EmailMessage()
    message["From"] = email.sender
    message["To"] = recipient
    message["Subject"] = subject
    message["Date"] = format_datetime(now)
    # Derived from the key: the same message keeps the same Message-ID on every attempt.
    message["Message-ID"] = outbox.message_id_for(key, _domain(email))
    message["X-Conflictwatch-Key"] = key
    return message


def _alert_lines(alert: Alert) -> list[str]:
    """One alert in plain text, every number as `forecasting.wording` prints it."""
    lines = [alert.message, "", f"Where: {wording.place_name(alert.scope, 'the whole watched area')}",
             f"Period: {wording.period_label(alert.period)}",
             f"Observed {alert.measure}: {wording.count(alert.observed)}"]
    if alert.expected is not None:
        band = ""
        if alert.lower is not None and alert.upper is not None:
            band = f" ({wording.interval(alert.lower, alert.upper)})"
        lines.append(f"Expected: {wording.count(alert.expected)}{band}")
    lines.append(f"Kind: {wording.kind_label(alert.kind)}; severity: {alert.severity}; alert id: {alert.id}")
    return lines


def _story_lines(story: Story) -> list[str]:
    """An incident in plain text: its sentence, its lead alert, the related alerts beneath and
    its driving events (so the source can be checked in a minute)."""
    if not story.grouped:
        lines = _alert_lines(story.lead)
    else:
        lines = [story.message, "", f"Incident: {story.id} ({story.severity}, {story.incident.status if story.incident else 'new'})",
                 "", "Lead alert:", *(f"  {line}" for line in _alert_lines(story.lead) if line)]
        others = [alert for alert in story.members if alert.id != story.lead.id]
        if others:
            lines += ["", f"Related alerts ({len(others)}):"]
            lines += [f"  - [{alert.severity}, {alert.status}] {alert.message}" for alert in others]
    events = story.incident.driving_events if story.incident is not None else story.lead.driving_events
    if events:
        lines += ["", "Driving events:"]
        lines += [f"  - {_event_line(event)}" for event in events]
    return lines


def _event_line(event: dict) -> str:
    where = wording.event_place(event.get("location"), event.get("admin2"), event.get("admin1"), event.get("country"))
    deaths = int(event.get("fatalities") or 0)
    text = (f"{wording.day_name(event['date'])}, {where}: {event.get('actor') or 'unknown actor'}, "
            f"{wording.count(deaths)} reported fatalit{'y' if deaths == 1 else 'ies'} (source id {event.get('event_id')})")
    note = (event.get("note") or "").strip()
    return f"{text}. {note}" if note else text


def _was_told(store: Store, story: Story, recipient: str) -> bool:
    """Whether this recipient was sent the incident's critical email."""
    return bool(outbox.known_keys(store, [f"incident:{story.id}:{recipient}"]))


def _alert_key(story: Story, recipient: str) -> str:
    # One message per incident and recipient: the key does not change as the incident goes on.
    return f"incident:{story.id}:{recipient}" if story.grouped else f"alert:{story.lead.id}:{recipient}"


def _alert_message(email: EmailConfig, recipient: str, story: Story, composed: "IncidentEmail | None", *, held: bool,
                   now: dt.datetime) -> PlannedMessage:
    """The incident email the report composed (`composed`), else the incident in plain text."""
    key = _alert_key(story, recipient)
    if composed is not None:
        from reports.emails import fill_message

        subject = composed.subject
        message = fill_message(_new_message(email, recipient, subject, key, now=now), composed)
        return PlannedMessage(key=key, kind="alert", recipient=recipient, subject=subject, message=message,
                              alert_ids=tuple(alert.id for alert in story.alerts), held=held)
    subject = f"[conflictwatch] CRITICAL: {_one_line(story.lead.message)}"
    message = _new_message(email, recipient, subject, key, now=now)
    message.set_content("\n".join(_story_lines(story)) + "\n")
    return PlannedMessage(key=key, kind="alert", recipient=recipient, subject=subject, message=message,
                          alert_ids=tuple(alert.id for alert in story.alerts), held=held)


def _resolved_message(email: EmailConfig, recipient: str, story: Story, *, now: dt.datetime) -> PlannedMessage:
    key = f"resolved:{story.id}:{recipient}"
    subject = f"[conflictwatch] resolved: {_one_line(story.message)}"
    message = _new_message(email, recipient, subject, key, now=now)
    what = "incident" if story.grouped else "alert"
    message.set_content(
        f"This {what} is resolved: what it described is back within its expected range, or has not recurred.\n\n"
        + "\n".join(_story_lines(story)) + "\n"
    )
    return PlannedMessage(key=key, kind="resolved", recipient=recipient, subject=subject, message=message,
                          alert_ids=tuple(alert.id for alert in story.notices))


def _digest_message(email: EmailConfig, recipient: str, told: list[Story], *, as_of: str, occasion: str,
                    awaiting_review: int, now: dt.datetime) -> PlannedMessage:
    key = f"digest:{occasion}:{recipient}"
    noun = "incident" if any(story.grouped for story in told) else "alert"
    subject = f"[conflictwatch] weekly digest: {len(told)} {noun}{'s' if len(told) != 1 else ''} ({as_of})"
    blocks = [f"{index}. [{story.severity}] " + "\n   ".join(_story_lines(story))
              for index, story in enumerate(told, start=1)]
    footer = f"\n{awaiting_review} more alert(s) await review (conflictwatch alerts approve ID).\n" if awaiting_review else ""
    message = _new_message(email, recipient, subject, key, now=now)
    message.set_content(f"Alerts found up to {as_of}, not sent before:\n\n" + "\n\n".join(blocks) + "\n" + footer)
    return PlannedMessage(key=key, kind="digest", recipient=recipient, subject=subject, message=message,
                          alert_ids=tuple(alert.id for story in told for alert in story.alerts))


def _report_message(email: EmailConfig, recipient: str, report: "ReportFiles", *, as_of: str, occasion: str,
                    waits_for: tuple[str, ...], now: dt.datetime) -> PlannedMessage:
    """The report's email body with its charts inline (cid:) and the PDF attached; held while
    `waits_for` names alerts it shows that are not approved yet (email.require_review)."""
    key = f"report:{occasion}:{as_of}:{recipient}"
    subject = f"[conflictwatch] trend report {as_of}"
    message = _new_message(email, recipient, subject, key, now=now)
    headlines = "".join(f"- {line}\n" for line in report.headline_findings)
    message.set_content(
        f"The conflictwatch trend report for {as_of} is attached as a PDF; the HTML version of this "
        f"email shows the charts.\n\n{headlines}"
    )
    message.add_alternative(report.html_body, subtype="html")
    html_part = message.get_payload()[-1]
    for chart in report.inline_charts:
        html_part.add_related(Path(chart.path).read_bytes(), maintype="image", subtype="png",
                              cid=f"<{chart.content_id}>", filename=Path(chart.path).name,
                              disposition="inline")
    message.add_attachment(Path(report.pdf).read_bytes(), maintype="application", subtype="pdf",
                           filename=Path(report.pdf).name)
    return PlannedMessage(key=key, kind="report", recipient=recipient, subject=subject, message=message,
                          alert_ids=waits_for, held=bool(waits_for))


#: Where an email made from the shipped sample says so: subject, and the top of every text part.
SYNTHETIC_SUBJECT = "SYNTHETIC DATA"
SYNTHETIC_NOTICE = ("SYNTHETIC: made from conflictwatch's shipped synthetic sample, not from real ACLED"
                    " or UCDP data. Nothing in it happened.")


def marked_synthetic(planned: PlannedMessage) -> PlannedMessage:
    """The same message with "SYNTHETIC DATA" in its subject and a notice at the top of its plain
    text and HTML bodies (attachments untouched): for every email made from the sample. An
    incident email the report composed from the sample says so already (subject and bodies)."""
    from reports.emails import SYNTHETIC_SUBJECT_PREFIX

    if planned.subject.startswith(SYNTHETIC_SUBJECT_PREFIX):
        return planned
    subject = planned.subject.replace("[conflictwatch] ", f"[conflictwatch] {SYNTHETIC_SUBJECT}: ", 1)
    if subject == planned.subject:
        subject = f"{SYNTHETIC_SUBJECT}: {subject}"
    message = planned.message
    del message["Subject"]
    message["Subject"] = subject
    for part in message.walk():
        if part.is_multipart() or part.get_content_disposition() == "attachment":
            continue
        if part.get_content_type() == "text/plain":
            part.set_content(f"{SYNTHETIC_NOTICE}\n\n{part.get_content()}")
        elif part.get_content_type() == "text/html":
            notice = f'<p style="font-weight:bold;color:#b00">{SYNTHETIC_NOTICE}</p>'
            html = part.get_content()
            body = re.search(r"<body[^>]*>", html, flags=re.IGNORECASE)
            html = html[: body.end()] + notice + html[body.end():] if body else notice + html
            part.set_content(html, subtype="html")
    return dataclasses.replace(planned, subject=subject, message=message)


def _one_line(text: str, limit: int = 140) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _domain(email: EmailConfig) -> str:
    return email.sender.rpartition("@")[2] or "localhost"


def reviewer_name() -> str:
    """Who approves, for the approvals table: the login name of the person at the keyboard."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
