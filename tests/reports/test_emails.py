"""Incident emails: subject within 78 characters, the narrative, the chart inline, the driving
events, the report named; a plain-text alternative; a .eml a mail client opens."""

from __future__ import annotations

import email
from email import policy

from reports.emails import SUBJECT_LIMIT, incident_subject


def test_each_incident_with_a_page_and_each_critical_one_gets_an_email_in_the_report_folder(rendered, report_inputs):
    paged, unpaged = rendered.incident_emails[: rendered.alert_pages], rendered.incident_emails[rendered.alert_pages:]
    assert rendered.alert_pages == 4 and all(message.chart is not None for message in paged)
    # The critical incidents the brief had no room for are emailed too, without a chart.
    severities = {story.id: story.severity for story in report_inputs.stories}
    assert len(unpaged) == 2 and all(message.chart is None and severities[message.story_id] == "critical" for message in unpaged)
    emls = sorted(rendered.out_dir.glob("*-incident-*.eml"))
    assert [path.name for path in emls] == [f"central-sahel-2025-05-incident-{number:02d}.eml" for number in range(1, 7)]


def test_an_incident_email_has_text_html_and_its_chart_inline(rendered):
    first = rendered.incident_emails[0]
    assert len(first.subject) <= SUBJECT_LIMIT
    assert first.subject == "SYNTHETIC Critical: Central Sahel \u2014 1,210 deaths in May 2025"
    message = email.message_from_bytes((rendered.out_dir / "central-sahel-2025-05-incident-01.eml").read_bytes(), policy=policy.default)
    assert message["Subject"] == first.subject
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "Central Sahel fatalities reached 1,210 in May 2025, well above the expected 640." in text
    assert "Chance of this by luck alone: p < 0.001" in text
    assert "The full report is the PDF central-sahel-2025-05.pdf" in text and "central-sahel-2025-05.pdf" in html
    # The chart is the incident page's chart cut from its PNG, inline under the Content-ID the
    # HTML refers to: the page's own sentence, facts and events are the email's text.
    images = [part for part in message.walk() if part.get_content_type() == "image/png"]
    assert len(images) == 1 and f'src="cid:{first.chart.content_id}"' in html
    assert images[0]["Content-ID"] == f"<{first.chart.content_id}>"
    assert images[0].get_content() == first.chart.path.read_bytes()


def test_an_incident_emails_chart_is_the_chart_of_its_page_not_the_whole_page(rendered):
    from PIL import Image

    paged = rendered.incident_emails[: rendered.alert_pages]
    page_pngs = {chart.path.name: chart for chart in rendered.charts}
    for message in paged:
        page = page_pngs[message.chart.path.name.replace("-email.png", ".png")]
        with Image.open(message.chart.path) as cut, Image.open(page.path) as whole:
            assert (cut.width, cut.height) == (message.chart.width, message.chart.height)
            # Most of the page's width (the chart and its labels), well under half its height.
            assert 0.55 * whole.width < cut.width < whole.width and 0.2 * whole.height < cut.height < 0.5 * whole.height
            assert len(cut.convert("RGB").getcolors(maxcolors=1 << 20)) > 50  # a drawn chart, not a blank strip


def test_the_est_email_lists_its_driving_events(rendered):
    est = next(message for message in rendered.incident_emails if "Est" in message.subject)
    assert "2025-05-04, Fada N'gourma, Est, Burkina Faso, JNIM: Group for Support of Islam and Muslims: 60 deaths" in est.text
    assert "<th" in est.html and "Fada N&#39;gourma, Est, Burkina Faso" in est.html


def test_long_place_names_keep_the_subject_within_78_characters(report_inputs):
    import dataclasses

    story = report_inputs.stories[0]
    long_scope = {**story.lead.scope, "country": "Burkina Faso", "admin1": "Boucle du Mouhoun " * 4}
    lead = dataclasses.replace(story.lead, scope=long_scope)
    subject = incident_subject(report_inputs, dataclasses.replace(story, lead=lead))
    assert len(subject) == SUBJECT_LIMIT and subject.endswith("\u2026")
