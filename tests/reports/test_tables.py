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
