"""De-duplication of the alerts the detectors raise: one story, one alert."""

from __future__ import annotations

from forecasting.alerts import Alert
from forecasting.detectors.pipeline import deduplicate


def alert(kind="run_rate", measure="fatalities", actor=None, tier="admin2_capital", observed=187.0,
          expected=75.0, severity="warning", period="2025-07", score=1e-4) -> Alert:
    scope = {"country": "Mali", "admin1": None, "admin2": None, "tier": tier, "actor": actor}
    who = f" by {actor}" if actor else ""
    return Alert(kind=kind, scope=scope, measure=measure, period=period, observed=observed, expected=expected,
                 lower=expected / 2, upper=expected * 2, score=score, severity=severity,
                 message=f"Reported {measure}{who} at provincial capitals of Mali: {observed:g}.",
                 evidence={"p_value": score})


def test_an_actor_familys_alert_is_told_within_the_same_alert_for_all_actors():
    everyone = alert(observed=1187.0, expected=75.0, severity="warning")
    jnim = alert(actor="JNIM", observed=1149.0, expected=28.9, severity="critical", score=1e-9)
    issp = alert(actor="ISSP", observed=20.0, expected=2.0, severity="info")
    (told,) = deduplicate([jnim, everyone, issp])

    assert told.id == everyone.id and told.observed == 1187 and told.expected == 75
    # The more severe of the two; the all-actors alert's own evidence kept.
    assert told.severity == "critical" and told.evidence["p_value"] == 1e-4
    assert told.evidence["actor_families"] == [
        {"actor": "JNIM", "observed": 1149.0, "expected": 28.9, "severity": "critical", "id": jnim.id,
         "message": jnim.message},
        {"actor": "ISSP", "observed": 20.0, "expected": 2.0, "severity": "info", "id": issp.id,
         "message": issp.message},
    ]
    assert told.message == ("Reported fatalities at provincial capitals of Mali: 1187."
                            " Of the 1,187, 1,149 by JNIM and 20 by ISSP.")


def test_a_less_severe_family_alert_does_not_lower_the_all_actors_alert():
    (told,) = deduplicate([alert(severity="critical"), alert(actor="JNIM", observed=149.0, severity="info")])
    assert told.severity == "critical" and told.message.endswith("Of the 187, 149 by JNIM.")


def test_only_the_same_kind_measure_period_and_scope_are_folded():
    everyone = alert()
    others = [
        alert(actor="JNIM", measure="events", observed=31.0),  # no all-actors alert of events
        alert(actor="JNIM", kind="tier_shift", observed=31.0),  # another kind
        alert(actor="JNIM", tier="admin1_capital", observed=12.0),  # another tier
        alert(actor="JNIM", period="2025-06", observed=130.0),  # another month
    ]
    by_id = {a.id: a for a in deduplicate([everyone, *others])}
    assert by_id == {a.id: a for a in [everyone, *others]}


def test_a_family_alert_alone_is_kept_as_it_is():
    jnim = alert(actor="JNIM", severity="critical")
    assert deduplicate([jnim]) == [jnim]


def test_a_change_point_is_folded_without_a_count_in_its_message():
    # A change point's observed value is a mean level over months that may differ between the two.
    everyone = alert(kind="change_point", observed=90.7)
    (told,) = deduplicate([everyone, alert(kind="change_point", actor="JNIM", observed=95.0, severity="critical")])
    assert told.message == everyone.message and told.severity == "critical"
    assert [f["actor"] for f in told.evidence["actor_families"]] == ["JNIM"]


def test_a_family_alert_over_another_window_is_not_folded():
    """A family's tier shift over the three months to July is no part of everyone's over July:
    folding it wrote "Of the 8, 22 by JNIM"."""
    import dataclasses

    everyone = alert(kind="tier_shift", measure="events", observed=8.0)
    everyone = dataclasses.replace(everyone, evidence={**everyone.evidence, "window_months": 1})
    jnim = alert(kind="tier_shift", measure="events", actor="JNIM", observed=22.0)
    jnim = dataclasses.replace(jnim, evidence={**jnim.evidence, "window_months": 3})
    assert {a.id: a for a in deduplicate([everyone, jnim])} == {everyone.id: everyone, jnim.id: jnim}
    same_window = dataclasses.replace(jnim, observed=7.0, evidence={**jnim.evidence, "window_months": 1})
    (told,) = deduplicate([everyone, same_window])
    assert told.message.endswith("Of the 8, 7 by JNIM.")


def test_a_surge_of_deaths_that_is_one_ordinary_attack_is_not_raised():
    """Deaths come in clumps: a district expecting almost none crosses its range with any one
    attack of a dozen deaths. Without its deadliest event a surge must still be out of range,
    unless that event is a massacre (25 or more: docs/detectors.md)."""
    import dataclasses

    import pandas as pd

    from forecasting.detectors.pipeline import one_ordinary_attack
    from jobs.config import DetectConfig

    settings = DetectConfig().detection_settings("the Central Sahel")

    def events(*deaths: int) -> pd.DataFrame:
        return pd.DataFrame({
            "source_id": [f"E{i}" for i in range(len(deaths))], "event_date": pd.Timestamp("2025-07-04"),
            "country": "Mali", "admin1": "Kayes", "admin2": "Nioro", "tier": "other", "actor1": "JNIM",
            "fatalities": list(deaths),
        })

    def surge(observed: float) -> Alert:
        return Alert(kind="surge", scope={"country": "Mali", "admin1": "Kayes", "admin2": "Nioro", "tier": None,
                                          "actor": None},
                     measure="fatalities", period="2025-07", observed=observed, expected=0.3, lower=0.0, upper=1.7,
                     score=1e-4, severity="warning", message="m.")

    assert one_ordinary_attack(surge(13), events(13), settings)  # one attack of 13
    assert one_ordinary_attack(surge(14), events(13, 1), settings)  # 1 without it: inside 0-1.7
    assert not one_ordinary_attack(surge(30), events(30), settings)  # a massacre
    assert not one_ordinary_attack(surge(14), events(5, 5, 4), settings)  # 9 without the deadliest: a change
    # A month no one event explains: 142 against 96 expected, 22 in the deadliest attack (less than
    # half the 46 above expected), though 120 without it is inside 78-132.
    country = dataclasses.replace(surge(142), expected=96.0, upper=132.0)
    assert not one_ordinary_attack(country, events(22, *[10] * 12), settings)
    # Deaths at provincial capitals, 10 of 35 in the month against 4% usually: one attack of 8 at
    # a capital makes the share; without it 2 of 27 is inside the usual 0-10%.
    shift = dataclasses.replace(surge(10), kind="tier_shift", expected=1.4, upper=3.5,
                                scope={**surge(10).scope, "admin1": None, "admin2": None, "tier": "admin2_capital"},
                                evidence={"total": 35.0, "baseline_upper_share": 0.1})
    at_capital = events(8, 2).assign(tier="admin2_capital")
    assert one_ordinary_attack(shift, at_capital, settings)
    massacre = dataclasses.replace(shift, observed=32.0, evidence={"total": 57.0, "baseline_upper_share": 0.1})
    assert not one_ordinary_attack(massacre, events(30, 2).assign(tier="admin2_capital"), settings)
    events_alert = dataclasses.replace(surge(13), measure="events")
    assert not one_ordinary_attack(events_alert, events(13), settings)  # only deaths come in clumps


def test_a_rise_of_deaths_without_more_attacks_or_a_massacre_is_not_raised():
    """Deaths of a tier, a district or a pace rise with no more attacks than usual there (the
    same test of its events found nothing, for all actors or any family) and no attack of 25
    deaths or more: deadlier attacks by chance, not a change (docs/detectors.md)."""
    import dataclasses

    import pandas as pd

    from forecasting.detectors.pipeline import _story_key, deadlier_attacks_only
    from jobs.config import DetectConfig

    settings = DetectConfig().detection_settings("the Central Sahel")
    scope = {"country": "Mali", "admin1": None, "admin2": None, "tier": "admin2_capital", "actor": None}

    def events(*deaths: int) -> pd.DataFrame:
        return pd.DataFrame({
            "source_id": [f"E{i}" for i in range(len(deaths))], "event_date": pd.Timestamp("2025-07-04"),
            "country": "Mali", "admin1": "Kayes", "admin2": "Nioro", "tier": "admin2_capital", "actor1": "JNIM",
            "fatalities": list(deaths),
        })

    shift = Alert(kind="tier_shift", scope=scope, measure="fatalities", period="2025-07", observed=36.0,
                  expected=4.0, lower=0.0, upper=9.0, score=1e-3, severity="warning", message="m.")
    assert deadlier_attacks_only(shift, set(), events(12, 12, 12), settings)
    assert not deadlier_attacks_only(shift, set(), events(30, 6), settings)  # a massacre
    # More attacks there: the same shift of events is a candidate, for all actors or for JNIM.
    attacks = dataclasses.replace(shift, measure="events")
    assert not deadlier_attacks_only(shift, {_story_key(attacks)}, events(12, 12, 12), settings)
    jnim = dataclasses.replace(attacks, scope={**scope, "actor": "JNIM"})
    assert not deadlier_attacks_only(shift, {_story_key(jnim, actor=None)}, events(12, 12, 12), settings)
    # Only rises of deaths of these kinds: not events, not a fall, not a record.
    assert not deadlier_attacks_only(dataclasses.replace(shift, measure="events"), set(), events(12, 12, 12), settings)
    assert not deadlier_attacks_only(dataclasses.replace(shift, observed=2.0), set(), events(1, 1), settings)
    assert not deadlier_attacks_only(dataclasses.replace(shift, kind="record"), set(), events(12, 12, 12), settings)
