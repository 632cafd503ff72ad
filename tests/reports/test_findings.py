"""headline_findings: three to five sentences, alerts first, filled from the report's own
series and forecasts when alerts are few."""

from __future__ import annotations

import dataclasses

import pandas as pd

from reports.findings import headline_findings
from reports.selection import forecast_rows, series_rows
from forecasting.wording import number

AREA = {"country": None, "admin1": None, "admin2": None, "tier": None, "actor": None}


def fatalities(inputs, month: str, **scope) -> float:
    rows = series_rows(inputs.series, "fatalities", {**AREA, **scope})
    return rows[rows["period"] == pd.Timestamp(month)]["value"].iloc[0]


def country_sentence(inputs, country: str) -> str:
    """The sentence as a reader expects it, built from the inputs' own numbers."""
    rows = series_rows(inputs.series, "fatalities", {**AREA, "country": country})
    observed = fatalities(inputs, "2025-05-01", country=country)
    forecast = forecast_rows(inputs.forecasts, rows["series_id"].iloc[0], "fatalities")
    may = forecast[forecast["period"] == pd.Timestamp("2025-05-01")].iloc[0]
    position = "above" if observed > may["q95"] else "below" if observed < may["q05"] else "within"
    return (f"In {country}, {number(observed)} fatalities were reported in May 2025, {position} the 90% expected "
            f"range of {number(may['q05'])} to {number(may['q95'])}.")


def test_without_alerts_each_country_against_its_range_fills_the_findings(make_inputs):
    inputs = make_inputs(alerts=[])

    findings = headline_findings(inputs)

    assert len(findings) == 5
    assert findings[0].startswith("In May 2025, ") and "across Central Sahel (Burkina Faso, Mali and Niger)" in findings[0]
    # Countries outside their range first, the deadliest first among them.
    deadliest = sorted(inputs.countries, key=lambda country: -fatalities(inputs, "2025-05-01", country=country))
    assert findings[1:4] == [country_sentence(inputs, country) for country in deadliest]
    assert findings[1] == "In Mali, 253 fatalities were reported in May 2025, above the 90% expected range of 38 to 154."
    assert findings[4] == "The detectors raised no alert for May 2025."


def test_one_country_and_only_info_alerts_still_give_three_findings(make_inputs):
    info = [alert for alert in make_inputs().alerts if alert.severity == "info"]
    inputs = make_inputs(alerts=info, countries=("Mali",))

    findings = headline_findings(inputs)

    assert findings == [
        findings[0],
        country_sentence(inputs, "Mali"),
        f"A year earlier, in May 2024, {number(fatalities(inputs, '2024-05-01'))} fatalities were reported across Central Sahel.",
        "The detectors raised 1 alert for May 2025: 1 for information.",
    ]


def test_alerts_come_before_the_country_findings_and_a_country_is_not_told_twice(make_inputs):
    alerts = make_inputs().alerts
    record = next(alert for alert in alerts if alert.kind == "record")  # Burkina Faso's own fatalities, critical
    warning = next(alert for alert in alerts if alert.severity == "warning" and alert.measure == "fatalities")
    inputs = make_inputs(alerts=[warning, record])

    findings = headline_findings(inputs)

    assert findings[1:3] == [record.message, warning.message]
    assert findings[3] == country_sentence(inputs, "Mali")  # Burkina Faso's is the record alert already
    assert not any(finding.startswith("In Burkina Faso,") for finding in findings)
    assert len(findings) == 5 and findings[-1].startswith("The detectors raised 2 alerts")


def test_many_alerts_leave_no_room_for_context(report_inputs):
    findings = headline_findings(report_inputs)
    assert len(findings) == 5
    assert not any(finding.startswith(("In Mali,", "In Niger,", "In Burkina Faso,", "A year earlier")) for finding in findings)


def test_a_month_so_far_compares_with_the_whole_month_before_not_a_forecast(make_inputs):
    inputs = make_inputs(alerts=[], as_of="2025-05-14")

    findings = headline_findings(inputs)

    mali = number(fatalities(inputs, "2025-05-01", country="Mali"))
    april = number(fatalities(inputs, "2025-04-01", country="Mali"))
    assert f"In Mali, {mali} fatalities were reported from 1 to 14 May 2025, against {april} in all of April 2025." in findings
    assert not any("expected range" in finding or "A year earlier" in finding for finding in findings)
    assert 3 <= len(findings) <= 5


def test_without_any_series_the_alert_count_is_still_said(make_inputs):
    inputs = dataclasses.replace(make_inputs(alerts=[]), series=make_inputs().series.iloc[0:0])
    assert headline_findings(inputs) == ["The detectors raised no alert for May 2025."]
