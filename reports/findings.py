"""Headline findings: three to five plain sentences an analyst can forward as they are.

They restate what the inputs already hold: the watch area's count for the month against its
forecast range, the messages of the most severe alerts, and how many alerts there are.
"""

from __future__ import annotations

import pandas as pd

from reports.inputs import ReportInputs
from reports.selection import by_severity, forecast_rows, series_rows
from reports.wording import month_label, number

MAX_FINDINGS = 5
_AREA = {"country": None, "admin1": None, "admin2": None, "tier": None, "actor": None}


def headline_findings(inputs: ReportInputs) -> list[str]:
    """Up to five sentences, most important first (at least three when there is anything to
    say): the area's fatalities this month, the top alerts' messages, the alert count."""
    findings = []
    area = area_sentence(inputs)
    if area:
        findings.append(area)
    seen = set()
    for alert in by_severity(alert for alert in inputs.alerts if alert.severity != "info"):
        if len(findings) >= MAX_FINDINGS - 1:
            break
        message = _sentence(alert.message)
        if message not in seen:
            seen.add(message)
            findings.append(message)
    findings.append(alert_count_sentence(inputs))
    return findings[:MAX_FINDINGS]


def area_sentence(inputs: ReportInputs) -> str | None:
    """`In May 2025, 873 fatalities were reported across Central Sahel (Burkina Faso, Mali and
    Niger), above the 90% expected range of 420 to 690.` None without an area series."""
    rows = series_rows(inputs.series, "fatalities", _AREA)
    this_month = rows[rows["period"] == inputs.month]
    if this_month.empty:
        return None
    observed = this_month["value"].iloc[0]
    when = f"In {month_label(inputs.month)}"
    if inputs.partial_month:
        day = int(inputs.as_of[8:])
        when = f"From 1 to {day} {month_label(inputs.month)}"
    where = inputs.watch_area + (f" ({_listed(inputs.countries)})" if inputs.countries else "")
    sentence = f"{when}, {number(observed)} fatalities were reported across {where}"

    forecast = forecast_rows(inputs.forecasts, rows["series_id"].iloc[0], "fatalities")
    expected = forecast[forecast["period"] == inputs.month]
    if not expected.empty and not inputs.partial_month:
        low, high = expected["q05"].iloc[0], expected["q95"].iloc[0]
        position = "above" if observed > high else "below" if observed < low else "within"
        return f"{sentence}, {position} the 90% expected range of {number(low)} to {number(high)}."
    previous = rows[rows["period"] == inputs.month - pd.DateOffset(months=1)]
    if not previous.empty:
        return f"{sentence}, against {number(previous['value'].iloc[0])} in {month_label(previous['period'].iloc[0])}."
    return sentence + "."


def alert_count_sentence(inputs: ReportInputs) -> str:
    """`The detectors raised 12 alerts for May 2025: 3 critical, 5 warnings and 4 for information.`"""
    counts = {severity: sum(alert.severity == severity for alert in inputs.alerts) for severity in ("critical", "warning", "info")}
    total = sum(counts.values())
    month = month_label(inputs.month)
    if total == 0:
        return f"No series departed from its expected range in {month}: the detectors raised no alert."
    parts = []
    if counts["critical"]:
        parts.append(f"{counts['critical']} critical")
    if counts["warning"]:
        parts.append(f"{counts['warning']} warning{'s' if counts['warning'] != 1 else ''}")
    if counts["info"]:
        parts.append(f"{counts['info']} for information")
    noun = "alert" if total == 1 else "alerts"
    return f"The detectors raised {total} {noun} for {month}: {_listed(parts)}."


def _listed(items) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return text if text.endswith((".", "!", "?")) else text + "."
