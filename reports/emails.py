"""Email bodies: one per incident (its subject, narrative, chart, driving events, a pointer to the
report; HTML with a plain-text alternative), written with the report so that the notify step
only addresses and sends them. The weekly email's body is reports.html.weekly_email.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from forecasting.report_data import Story
from forecasting.wording import SEVERITY_LABELS, count, day_name, month_name, place, tier_name
from reports.brief import EVENT_COLUMNS, event_cells, member_lines, story_facts
from reports.findings import story_sentence
from reports.inputs import SYNTHETIC_NOTICE, Chart, ReportInputs

#: How an incident email made from the shipped sample begins its subject.
SYNTHETIC_SUBJECT_PREFIX = "SYNTHETIC "

#: RFC 5322's recommended line length: a subject this long shows whole in a mail client.
SUBJECT_LIMIT = 78


@dataclass(frozen=True)
class IncidentEmail:
    """One incident's email body. `chart` is attached inline under its content_id (the HTML's
    `cid:`); `alert_ids` are the incident's alerts (the lead first); `incident_id` the incident
    the detection told them in (`forecasting.incidents`; the lead's id for an alert of none), as
    jobs.notify keys its messages."""

    story_id: str
    incident_id: str
    alert_ids: tuple[str, ...]
    subject: str
    text: str
    html: str
    chart: Chart | None


def incident_subject(inputs: ReportInputs, story: Story) -> str:
    """`Critical: Kayes (Mali) — 9 places attacked on 1 July 2025`, at most SUBJECT_LIMIT characters."""
    alert = story.lead
    where = place(alert.scope, inputs.watch_area)
    if alert.scope.get("tier"):
        where = alert.scope.get("country") or inputs.watch_area
    what = {
        "synchronized": lambda: f"{count(alert.observed)} places attacked on {_day(alert.period)}",
        "record": lambda: f"deadliest month on record, {count(alert.observed)} deaths"
        if alert.measure == "fatalities" else f"most events on record, {count(alert.observed)}",
        "surge": lambda: f"{count(alert.observed)} deaths in {month_name(alert.period)}"
        if alert.measure == "fatalities" else f"{count(alert.observed)} events in {month_name(alert.period)}",
        "run_rate": lambda: f"on pace for {count(alert.evidence.get('projected_year_total', alert.observed))} "
                            f"{'deaths' if alert.measure == 'fatalities' else 'events'} this year",
        "tier_shift": lambda: f"shift toward {tier_name(alert.scope.get('tier') or '')}",
        "spread": lambda: f"violence spreads, {count(alert.observed)} events",
        "change_point": lambda: f"new level, {count(alert.observed)} a month",
        "drop": lambda: f"fall to {count(alert.observed)}",
    }.get(alert.kind, lambda: month_name(alert.period))()
    subject = f"{SEVERITY_LABELS[alert.severity]}: {where} \u2014 {what}"
    if inputs.synthetic:
        subject = SYNTHETIC_SUBJECT_PREFIX + subject
    return subject if len(subject) <= SUBJECT_LIMIT else subject[: SUBJECT_LIMIT - 1].rstrip() + "\u2026"


def incident_email(inputs: ReportInputs, story: Story, chart: Chart | None, *, report_name: str | None) -> IncidentEmail:
    """The email of one incident; `report_name` is the report PDF's file name (None: a pass that
    writes no report, the daily pull)."""
    from reports.html import environment

    facts = story_facts(inputs, story)
    events = [event_cells(event) for event in story.events]
    members = member_lines(inputs, story)
    narrative = story_sentence(story)
    notice = SYNTHETIC_NOTICE if inputs.synthetic else None
    lines = [notice, ""] if notice else []
    lines += [narrative, ""]
    lines += [f"{label}: {value}" for label, value in facts]
    if members:
        lines += ["", "Other alerts of this incident:"] + [f"- {line}" for line in members]
    if events:
        lines += ["", "Driving events, deadliest first:"]
        lines += [f"- {date}, {where}, {actor}: {deaths} deaths (source id {source_id}). {note}"
                  for date, where, actor, deaths, source_id, note in events]
    pointer = (f"The full report is the PDF {report_name}, sent with the weekly report email." if report_name
               else "The next weekly report tells it with the month's other incidents.")
    lines += ["", pointer]
    html = environment(keep_trailing_newline=False).get_template("incident_email.html.j2").render(
        subject=incident_subject(inputs, story), notice=notice, narrative=narrative, facts=facts, members=members,
        event_columns=EVENT_COLUMNS, events=events, pointer=pointer, severity=story.severity,
        chart={"src": f"cid:{chart.content_id}", "title": chart.title} if chart else None,
    )
    return IncidentEmail(story_id=story.id, incident_id=story.lead.incident or story.lead.id,
                         alert_ids=tuple(alert.id for alert in story.members),
                         subject=incident_subject(inputs, story), text="\n".join(lines) + "\n", html=html, chart=chart)


def write_eml(path: Path, email: IncidentEmail, *, sender: str = "conflictwatch@localhost",
              recipient: str = "analyst@localhost", pdf: Path | None = None) -> Path:
    """`email` as a .eml file to open in a mail client (plain text, HTML with its chart inline,
    the PDF attached when given)."""
    message = as_message(email, sender=sender, recipient=recipient, pdf=pdf)
    path.write_bytes(bytes(message))
    return path


def as_message(email: IncidentEmail, *, sender: str, recipient: str, pdf: Path | None = None) -> EmailMessage:
    """An EmailMessage from `sender` to `recipient` (see `fill_message`)."""
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, recipient, email.subject
    return fill_message(message, email, pdf=pdf)


def fill_message(message: EmailMessage, email: IncidentEmail, *, pdf: Path | None = None) -> EmailMessage:
    """`message` (its headers set) with `email`'s body: text/plain, then text/html with the chart
    as an inline related part, then the PDF attached when given. jobs.notify sends these."""
    message.set_content(email.text)
    message.add_alternative(email.html, subtype="html")
    if email.chart is not None:
        message.get_payload()[-1].add_related(Path(email.chart.path).read_bytes(), maintype="image", subtype="png",
                                              cid=f"<{email.chart.content_id}>", filename=Path(email.chart.path).name,
                                              disposition="inline")
    if pdf is not None:
        message.add_attachment(Path(pdf).read_bytes(), maintype="application", subtype="pdf", filename=Path(pdf).name)
    return message


def _day(period: str) -> str:
    return day_name(period) if len(period) == 10 else month_name(period)
