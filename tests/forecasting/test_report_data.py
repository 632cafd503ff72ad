"""forecasting.report_data: what the brief ranks, tells and maps, from hand-made alerts and events."""

from __future__ import annotations

import pandas as pd

from forecasting.alerts import Alert
from forecasting.as_of import parse_as_of
from forecasting.report_data import driving_events, month_events, previous_year_events, stories

SCOPE = {"country": None, "admin1": None, "admin2": None, "tier": None, "actor": None}


def alert(kind="surge", severity="warning", observed=10.0, expected=2.0, period="2025-07", measure="fatalities", score=0.01, **scope):
    return Alert(kind=kind, scope={**SCOPE, **scope}, measure=measure, period=period, observed=observed, expected=expected,
                 lower=0.0, upper=expected * 2, score=score, severity=severity, message=f"{kind} in {scope}")


def events() -> pd.DataFrame:
    rows = [  # date, country, admin1, admin2, deaths, disorder
        ("2025-07-01", "Mali", "Kayes", "Kayes", 12, "Political violence"),
        ("2025-07-01", "Mali", "Kayes", "Nioro", 30, "Political violence"),
        ("2025-07-20", "Mali", "Kayes", "Diema", 5, "Political violence"),
        ("2025-06-30", "Mali", "Kayes", "Kayes", 99, "Political violence"),  # the month before
        ("2025-07-03", "Mali", "Segou", "Segou", 50, "Political violence"),
        ("2025-07-04", "Mali", "Kayes", "Kayes", 0, "Demonstrations"),
    ]
    return pd.DataFrame([{
        "source": "acled", "source_id": f"MLI{index}", "event_date": pd.Timestamp(date), "disorder_type": disorder,
        "country": country, "admin1": admin1, "admin2": admin2, "location": admin2, "tier": "other",
        "actor1": "JNIM: Group for Support of Islam and Muslims", "actor": "JNIM", "latitude": 14.0, "longitude": -11.0,
        "fatalities": deaths, "notes": "x" * 300,
    } for index, (date, country, admin1, admin2, deaths, disorder) in enumerate(rows)])


def test_driving_events_are_the_scope_and_period_deadliest_first_with_a_note_excerpt():
    found = driving_events(events(), alert(country="Mali", admin1="Kayes"))
    assert [event.event_id for event in found] == ["MLI1", "MLI0", "MLI2"]  # not June's 99, Segou or a demonstration
    assert found[0].place == "Nioro, Kayes, Mali" and found[0].fatalities == 30 and found[0].date == "2025-07-01"
    assert len(found[0].note) == 200 and found[0].note.endswith("\u2026")
    assert found[1].place == "Kayes, Mali"  # the town of Kayes in Kayes region: never "Kayes, Kayes"
    # A day's alert (a wave) takes that day's events only.
    assert [event.event_id for event in driving_events(events(), alert(kind="synchronized", period="2025-07-01", country="Mali"))] == ["MLI1", "MLI0"]


def test_the_report_and_the_alerts_pick_the_same_driving_events():
    """One selection (forecasting.incidents.driving_event_rows) behind the alert's JSON, its
    email and its report page."""
    from forecasting.incidents import driving_events as alert_driving_events

    for found in (alert(country="Mali", admin1="Kayes"), alert(country="Mali", actor="JNIM"),
                  alert(kind="run_rate", country="Mali", period="2025-07")):
        assert [event.event_id for event in driving_events(events(), found)] == [
            event["event_id"] for event in alert_driving_events(found, events(), 6)
        ]


def test_an_incidents_story_is_led_by_the_incidents_lead_the_wave():
    """The 1 July wave leads its incident's page, not the JNIM surge in Mali it explains (though
    that surge has more deaths above expected)."""
    import dataclasses

    wave = dataclasses.replace(
        alert(kind="synchronized", severity="critical", measure="events", observed=9, expected=1.4, period="2025-07-01",
              country="Mali", actor="JNIM"),
        incident="incident-1", evidence={"admin2_units": ["Kayes", "Nioro"], "countries": ["Mali"],
                                         "first_day": "2025-07-01", "last_day": "2025-07-01"})
    surge = dataclasses.replace(alert(severity="critical", observed=251, expected=94, country="Mali", actor="JNIM"),
                                incident="incident-1")
    (story,) = stories([surge, wave], events())
    assert story.lead == wave and story.members == (wave, surge)
    # The wave's own events first (its day), then the members' (the surge's month holds Segou's 50).
    assert [event.event_id for event in story.events] == ["MLI1", "MLI0", "MLI4", "MLI2"]


def test_a_district_and_its_region_are_one_story_led_by_the_most_severe():
    region = alert(kind="record", severity="critical", observed=47, expected=3, country="Mali", admin1="Kayes")
    district = alert(severity="warning", observed=30, expected=0.5, country="Mali", admin1="Kayes", admin2="Nioro")
    elsewhere = alert(severity="critical", observed=50, expected=45, country="Mali", admin1="Segou")

    told = stories([district, region, elsewhere], events())

    kayes = next(story for story in told if story.lead == region)
    assert kayes.members == (region, district)
    # Ranked by human impact: Segou's deadliest event (50 deaths) outweighs Kayes's 44 deaths
    # above expected, though Segou's month was near its expected 45.
    assert [story.lead for story in told] == [elsewhere, region]
    assert kayes.excess_deaths == 44 and kayes.deadliest == 30 and kayes.impact == 44
    assert told[0].deadliest == 50 and told[0].impact == 50


def test_resolved_stories_come_last_and_events_alerts_count_their_deadliest_event():
    resolved = Alert(**{**alert(severity="warning", observed=300, expected=1, country="Niger").__dict__, "status": "resolved"})
    shift = alert(kind="tier_shift", measure="events", observed=31, expected=11, country="Mali", tier="admin2_capital")
    told = stories([resolved, shift], events())
    assert [story.lead for story in told] == [shift, resolved]
    assert told[0].excess_deaths == 0


def test_a_year_to_date_pace_is_ranked_by_its_months_events_not_an_earlier_massacre():
    # The pace's driving events go back to January and include June's 99 deaths (listed on its
    # page), but July's page 1 ranks it by July: its deadliest July event has 30.
    pace = alert(kind="run_rate", observed=400, expected=380, period="2025-07", country="Mali", admin1="Kayes")
    surge = alert(observed=60, expected=10, country="Mali", admin1="Segou")
    told = stories([pace, surge], events())
    (kayes,) = [story for story in told if story.lead == pace]
    assert 99 in [event.fatalities for event in kayes.events]
    assert kayes.deadliest == 30
    assert [story.lead for story in told] == [surge, pace]


def test_the_map_takes_the_months_political_violence_and_the_twelve_months_before():
    as_of = parse_as_of("2025-07")
    assert list(month_events(events(), as_of)["source_id"]) == ["MLI0", "MLI1", "MLI2", "MLI4"]
    assert list(previous_year_events(events(), as_of)["source_id"]) == ["MLI3"]


def test_monthly_tier_shares_are_of_located_events_only():
    """Events not located at their place (ACLED geo_precision 2-3) are in no tier share: the chart
    shares the detector's denominator (the May 2025 report failed on an `unlocated` tier)."""
    from forecasting.report_data import monthly_tier_shares

    month = pd.Timestamp("2025-05-01")
    series = pd.DataFrame({
        "level": "tier", "measure": "events", "country": "Mali", "period": month,
        "tier": ["admin1_capital", "other", "unlocated"], "value": [1, 3, 6],
    })
    shares = monthly_tier_shares(series, ["Mali"]).set_index("tier")["share"]
    assert shares.to_dict() == {"admin1_capital": 0.25, "other": 0.75}


def test_series_rows_picks_exactly_one_scope_in_month_order_and_forgets_a_frame_that_is_gone():
    import gc

    from forecasting import report_data

    rows = []  # months out of order, None and a tier in the scope keys, both measures
    for month in ("2025-03", "2025-01", "2025-02"):
        for measure, level, country, admin1, tier, value in (
            ("fatalities", "country", "Mali", None, None, 1), ("events", "country", "Mali", None, None, 2),
            ("fatalities", "admin1", "Mali", "Kayes", None, 3), ("fatalities", "tier", "Mali", None, "other", 4),
            ("fatalities", "country", "Niger", None, None, 5),
        ):
            rows.append({"series_id": f"{measure}|{level}|{country}|{admin1}|{tier}", "level": level, "measure": measure,
                         "country": country, "admin1": admin1, "admin2": None, "tier": tier, "actor": None,
                         "period": pd.Timestamp(month + "-01"), "value": value + int(month[-1]) * 10})
    series = pd.DataFrame(rows)
    mali = report_data.series_rows(series, "fatalities", {"country": "Mali"})
    assert list(mali["value"]) == [11, 21, 31] and list(mali["period"].dt.month) == [1, 2, 3]
    assert list(mali.index) == [5, 10, 0]  # the frame's own rows
    assert list(report_data.series_rows(series, "events", {"country": "Mali"})["value"]) == [12, 22, 32]
    assert list(report_data.series_rows(series, "fatalities", {"country": "Mali", "tier": "other"})["value"]) == [14, 24, 34]
    assert list(report_data.series_rows(series, "fatalities", {"country": "Mali", "admin1": "Kayes"})["value"]) == [13, 23, 33]
    missing = report_data.series_rows(series, "events", {"country": "Niger"})
    assert missing.empty and list(missing.columns) == list(series.columns)
    assert id(series) in report_data._SERIES_INDEXES
    key = id(series)
    del series, mali
    gc.collect()
    assert key not in report_data._SERIES_INDEXES
