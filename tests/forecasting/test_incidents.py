"""Incidents: the alerts of a month that tell one story, told once, with one lifecycle."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd

from forecasting.alerts import Alert, AlertRecord
from forecasting.incidents import driving_events, drivers_since, form_incidents, group_alerts, lead_alert, with_driving_events

MONTH = "2025-07"


def alert(kind="surge", measure="fatalities", observed=60.0, expected=10.0, country="Mali", admin1=None, admin2=None,
          actor=None, tier=None, severity="warning", status="new", period=MONTH, **evidence) -> Alert:
    scope = {"country": country, "admin1": admin1, "admin2": admin2, "tier": tier, "actor": actor}
    return Alert(kind=kind, scope=scope, measure=measure, period=period, observed=observed, expected=expected,
                 lower=0.0, upper=expected * 2, score=1e-5, severity=severity, status=status,
                 message=f"{kind} {measure} {admin2 or admin1 or country or 'area'} {actor or ''}.", evidence=evidence)


def wave_month() -> list[Alert]:
    """The shape of 1 July 2025: a wave, the surges of the places it hit, their region, country
    and area, deaths and events, a tier shift, and one unrelated district elsewhere."""
    wave = alert(kind="synchronized", measure="events", observed=9.0, expected=1.5, actor="JNIM", severity="critical",
                 period="2025-07-01", admin2_units=["Kayes", "Nioro", "Diema"], admin1_units=["Kayes"],
                 countries=["Mali"], units=[{"country": "Mali", "admin1": "Kayes", "admin2": name} for name in ("Kayes", "Nioro", "Diema")])
    return [
        wave,
        alert(admin1="Kayes", admin2="Nioro", observed=26.0, expected=2.0),
        alert(admin1="Kayes", admin2="Kayes", observed=18.0, expected=2.0),
        alert(admin1="Kayes", observed=66.0, expected=2.0, severity="critical"),
        alert(admin1="Kayes", measure="events", observed=12.0, expected=2.0),
        alert(observed=180.0, expected=100.0, severity="critical"),
        alert(country=None, observed=700.0, expected=600.0),
        alert(kind="tier_shift", tier="admin2_capital", observed=50.0, expected=10.0),
        alert(country="Niger", admin1="Dosso", admin2="Dosso", observed=14.0, expected=1.0),
    ]


def test_a_wave_and_the_surges_of_the_places_it_hit_are_one_incident_led_by_the_wave():
    groups = group_alerts(wave_month(), explained_share=0.25)
    assert sorted(len(group) for group in groups) == [1, 8]
    (wave_group,) = [group for group in groups if len(group) == 8]
    assert lead_alert(wave_group).kind == "synchronized"
    (elsewhere,) = [group for group in groups if len(group) == 1]
    # Dosso adds 13 deaths to the area's 100 above expected: a different story.
    assert elsewhere[0].scope["admin2"] == "Dosso"


def test_nested_places_join_when_the_narrower_explains_enough_of_the_wider():
    region = alert(admin1="Mopti", observed=130.0, expected=30.0)
    district = alert(admin1="Mopti", admin2="Bankass", observed=90.0, expected=10.0)  # 80 of 100
    small = alert(admin1="Mopti", admin2="Djenne", observed=25.0, expected=10.0)  # 15 of 100
    jnim = alert(admin1="Mopti", actor="JNIM", observed=100.0, expected=20.0)  # an actor family within all actors
    events = alert(admin1="Mopti", measure="events", observed=40.0, expected=10.0)  # the same place, events
    groups = group_alerts([region, district, small, jnim, events], explained_share=0.25)
    assert sorted(len(group) for group in groups) == [1, 4]
    big = max(groups, key=len)
    # The most specific place that explains most of the excess leads.
    assert lead_alert(big) is district
    assert small not in big


def test_a_pace_stays_out_of_a_months_story():
    pace = alert(kind="run_rate", tier="admin2_capital", observed=500.0, expected=100.0)
    country = alert(observed=180.0, expected=100.0)
    assert len(group_alerts([pace, country], 0.25)) == 2


def _records(outcome, month: str, episodes: dict[str, str]) -> list[AlertRecord]:
    return [AlertRecord(a, month, episodes.get(a.id, a.id)) for a in outcome.alerts if a.status != "resolved"]


def test_one_incident_new_then_ongoing_then_resolved_with_stable_ids():
    found = wave_month()
    episodes = {a.id: a.id for a in found}
    first = form_incidents(found, episodes, [], MONTH, explained_share=0.25, area_name="the Central Sahel", driving_limit=5)
    again = form_incidents(found, episodes, [], MONTH, explained_share=0.25, area_name="the Central Sahel", driving_limit=5)
    assert [i.to_json() for i in first.incidents] == [i.to_json() for i in again.incidents]  # a rerun changes nothing
    wave_incident = first.incidents[0]
    assert wave_incident.severity == "critical" and wave_incident.status == "new"
    assert wave_incident.lead.kind == "synchronized" and len(wave_incident.members) == 8
    assert {"Kayes district (Kayes, Mali)", "Nioro (Kayes, Mali)", "Diema (Kayes, Mali)", "Kayes (Mali)"} <= set(wave_incident.places)
    # Each place once, with the units that hold it: never "Kayes, Kayes" nor "Nioro, Kayes (Mali), Diema, ...".
    assert wave_incident.message.endswith(
        " Told with 7 related alerts about Nioro and Kayes district (Kayes, Mali); Kayes (Mali); provincial capitals of "
        "Mali; Mali; the Central Sahel."
    )
    assert all(a.incident == (wave_incident.id if a.scope["country"] != "Niger" else first.incidents[1].id) for a in first.alerts)
    history = _records(first, MONTH, episodes)

    # August: Kayes region still far above expected (its episode goes on): the same incident.
    kayes = dataclasses.replace(found[3], period="2025-08", status="ongoing")
    second = form_incidents([kayes], {kayes.id: found[3].id}, history, "2025-08", explained_share=0.25,
                            area_name="the Central Sahel", driving_limit=5)
    (ongoing,) = second.incidents
    assert ongoing.id == wave_incident.id and ongoing.status == "ongoing" and ongoing.opened == MONTH
    history += _records(second, "2025-08", {kayes.id: found[3].id})

    # October: the last open episodes are resolved; the incident is resolved, as information.
    open_episodes = {record.episode for record in history if record.incident == wave_incident.id}
    notices = [
        dataclasses.replace(record.alert, status="resolved", severity="info", evidence={"episode": record.episode})
        for record in history if record.incident == wave_incident.id and record.as_of == MONTH
    ]
    assert {n.evidence["episode"] for n in notices} == open_episodes
    third = form_incidents(notices, {}, history, "2025-10", explained_share=0.25, area_name="the Central Sahel",
                           driving_limit=5)
    (closed,) = third.incidents
    assert closed.id == wave_incident.id and closed.status == "resolved" and closed.severity == "info"


def test_a_new_wave_is_a_new_incident_even_while_its_countrys_surge_goes_on():
    country = alert(observed=180.0, expected=100.0, period="2025-06")
    history = [AlertRecord(dataclasses.replace(country, incident="incident-2025-06-x"), "2025-06", country.id)]
    found = [dataclasses.replace(a, status="ongoing") if a.scope == country.scope and a.kind == "surge" else a
             for a in wave_month()]
    episodes = {a.id: (country.id if a.scope == country.scope and a.kind == "surge" else a.id) for a in found}
    told = form_incidents(found, episodes, history, MONTH, explained_share=0.25, area_name="the Central Sahel",
                          driving_limit=5)
    assert told.incidents[0].lead.kind == "synchronized" and told.incidents[0].status == "new"


def test_driving_events_are_the_scopes_events_with_most_deaths_and_their_notes():
    events = pd.DataFrame({
        "source_id": ["MLI1", "MLI2", "MLI3", "MLI4", "BFA1"],
        "event_date": pd.to_datetime(["2025-07-01", "2025-07-01", "2025-07-02", "2025-06-30", "2025-07-01"]),
        "country": ["Mali", "Mali", "Mali", "Mali", "Burkina Faso"],
        "admin1": ["Kayes"] * 4 + ["Est"],
        "admin2": ["Nioro", "Kayes", "Kayes", "Kayes", "Gourma"],
        "location": ["Nioro", "Diboli", "Kayes", "Kayes", "Fada"],
        "actor1": ["JNIM: Group for Support of Islam and Muslims", "Katiba Macina", "Military Forces of Mali (2021-)",
                   "JNIM: Group for Support of Islam and Muslims", "JNIM: Group for Support of Islam and Muslims"],
        "fatalities": [12, 30, 50, 99, 80],
        "notes": ["x" * 300, "Border post attacked.", None, "June.", "Elsewhere."],
        "tier": ["admin2_capital"] * 5,
    })
    found = with_driving_events([alert(admin1="Kayes", actor="JNIM")], events, limit=5)
    drivers = found[0].driving_events
    # JNIM's family (Katiba Macina with it), July only, Kayes only: most deaths first.
    assert [event["event_id"] for event in drivers] == ["MLI2", "MLI1"]
    assert drivers[0] == {"event_id": "MLI2", "date": "2025-07-01", "location": "Diboli", "country": "Mali",
                          "admin1": "Kayes", "admin2": "Kayes", "actor": "Katiba Macina", "fatalities": 30,
                          "note": "Border post attacked."}
    assert drivers[1]["note"] == "x" * 200
    assert driving_events(alert(admin1="Kayes"), events, limit=1)[0]["event_id"] == "MLI3"
    assert drivers_since(dt.date(2025, 2, 10)) == dt.date(2024, 12, 1)
