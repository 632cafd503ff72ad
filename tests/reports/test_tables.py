"""The report's tables print an alert's numbers as its sentence prints them."""

from __future__ import annotations

from forecasting.alerts import Alert
from reports.pages import ALERT_COLUMNS, alert_row


def test_the_alert_table_prints_numbers_as_the_finding_does(report_inputs):
    # The sentence says '8.7 a month' and 'almost none expected (90% range 0–2.3)'; the table
    # said '9' and '0 (0–2.3)'.
    alert = Alert(kind="change_point", scope={"country": "Burkina Faso", "admin1": "Centre-Nord", "admin2": None, "tier": None, "actor": None},
                  measure="events", period="2025-05", observed=8.7, expected=0.03, lower=0.0, upper=2.3, score=0.0004,
                  severity="info", message="Political-violence events in Centre-Nord (Burkina Faso) ...")

    row = dict(zip(ALERT_COLUMNS, alert_row(report_inputs, alert)))

    assert row["Observed"] == "8.7"
    assert row["Expected (90% range)"] == "almost none (0\u20132.3)"


def test_the_pdf_html_and_email_call_a_story_an_incident_alike(make_inputs, tmp_path):
    """Page 1 counts 'incidents' and the email lists 'Other alerts of this incident': the
    incident pages and the HTML say the same, never 'story'."""
    import dataclasses
    import email
    from email import policy

    from pypdf import PdfReader

    from reports.render import render_report

    surge = Alert(kind="surge", scope={"country": "Burkina Faso", "admin1": "Est", "admin2": None, "tier": None, "actor": None},
                  measure="fatalities", period="2025-05", observed=140, expected=31, lower=14, upper=56, score=0.0002,
                  severity="critical", message="Fatalities in Est (Burkina Faso) rose to 140 in May 2025.")
    record = dataclasses.replace(surge, kind="record", severity="warning", message="May 2025 was the deadliest month in Est.")
    files = render_report(make_inputs(alerts=[surge, record], countries=("Burkina Faso",)), tmp_path)

    pages = [" ".join(page.extract_text().split()) for page in PdfReader(files.pdf).pages]
    html = files.html.read_text(encoding="utf-8")
    mails = [email.message_from_bytes(path.read_bytes(), policy=policy.default).get_body(("html",)).get_content()
             for path in tmp_path.glob("*-incident-*.eml")]

    assert any("Other alerts of this incident (1)" in page for page in pages)
    assert "Other alerts of this incident" in html and mails and all("Other alerts of this incident" in mail for mail in mails)
    assert not any("this story" in text for text in [*pages, html, *mails])
