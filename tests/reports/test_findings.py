"""month_lines: the month in five lines, stories first by human impact, filled from the
report's own series and forecasts when stories are few."""

from __future__ import annotations

import dataclasses

import pandas as pd

from reports.findings import month_lines
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


def texts(inputs) -> list[str]:
    return [text for text, _story in month_lines(inputs)]


def test_without_alerts_each_country_against_its_range_fills_the_five_lines(make_inputs):
    inputs = make_inputs(alerts=[])

    lines = month_lines(inputs)

    assert len(lines) == 5 and all(story is None for _text, story in lines)
    assert lines[0][0].startswith("In May 2025, ") and "across Central Sahel (Burkina Faso, Mali and Niger)" in lines[0][0]
    # Countries outside their range first, the deadliest first among them.
    deadliest = sorted(inputs.countries, key=lambda country: -fatalities(inputs, "2025-05-01", country=country))
    assert texts(inputs)[1:4] == [country_sentence(inputs, country) for country in deadliest]
    assert texts(inputs)[1] == "In Mali, 253 fatalities were reported in May 2025, above the 90% expected range of 38 to 154."
    assert texts(inputs)[4] == f"A year earlier, in May 2024, {number(fatalities(inputs, '2024-05-01'))} fatalities were reported across Central Sahel."


def test_stories_come_first_by_human_impact_and_a_country_is_not_told_twice(make_inputs):
    alerts = make_inputs().alerts
    record = next(alert for alert in alerts if alert.kind == "record")  # Burkina Faso: 700 against 380
    warning = next(alert for alert in alerts if alert.severity == "warning" and alert.measure == "fatalities")  # Ségou: 120 against 30
    inputs = make_inputs(alerts=[warning, record])

    lines = month_lines(inputs)

    assert [text for text, _story in lines[:2]] == [record.message, warning.message]
    assert [story.lead for _text, story in lines[:2]] == [record, warning]
    assert lines[2][0].startswith("In May 2025, ")  # then context
    assert country_sentence(inputs, "Mali") in texts(inputs)
    assert not any(text.startswith("In Burkina Faso,") for text in texts(inputs))  # the record tells it already
    assert len(lines) == 5


def test_many_stories_leave_no_room_for_context(report_inputs):
    lines = month_lines(report_inputs)
    assert len(lines) == 5 and all(story is not None for _text, story in lines)


def test_a_month_so_far_compares_with_the_whole_month_before_not_a_forecast(make_inputs):
    inputs = make_inputs(alerts=[], as_of="2025-05-14")

    lines = texts(inputs)

    mali = number(fatalities(inputs, "2025-05-01", country="Mali"))
    april = number(fatalities(inputs, "2025-04-01", country="Mali"))
    assert f"In Mali, {mali} fatalities were reported from 1 to 14 May 2025, against {april} in all of April 2025." in lines
    assert not any("expected range" in line or "A year earlier" in line for line in lines)


def test_without_any_series_or_alert_there_is_nothing_to_say(make_inputs):
    inputs = dataclasses.replace(make_inputs(alerts=[]), series=make_inputs().series.iloc[0:0])
    assert month_lines(inputs) == []


def test_the_areas_record_told_within_a_places_story_is_a_line_in_its_own_words(make_inputs):
    """May 2025 on the sample: the Djibo assault's story leads with Sahel's record, the area's
    record among its members. Page 1 says it was the deadliest month on record across the area,
    not only that its count was above its range."""
    alerts = make_inputs().alerts
    est = next(alert for alert in alerts if alert.scope.get("admin1") == "Est")
    area = dataclasses.replace(next(alert for alert in alerts if alert.kind == "surge" and alert.scope == AREA),
                               kind="record", observed=700.0,
                               message="May 2025 was the deadliest month in the Central Sahel on record.")
    told = [dataclasses.replace(alert, incident="incident-2025-05-1") for alert in (est, area)]

    lines = texts(make_inputs(alerts=told))

    assert lines[0] == est.message
    assert lines[1] == "May 2025 was the deadliest month in the Central Sahel on record."
    assert not any("were reported across Central Sahel (" in line for line in lines)
    # April's record, told resolved in May, is not May's news: the area's count against its range is.
    april = [dataclasses.replace(alert, status="resolved", period="2025-04") if alert.kind == "record" else alert
             for alert in told]
    assert texts(make_inputs(alerts=april))[1].startswith("In May 2025, ")
