"""Severity by human impact: critical needs significance and size (docs/detectors.md, Severity)."""

from __future__ import annotations

import dataclasses

import pytest

from forecasting.alerts import Alert, AlertRecord, LifecycleRules, apply_lifecycle
from forecasting.detectors.grading import grade
from jobs.config import DetectConfig

SETTINGS = DetectConfig().detection_settings("the watch area")
USUAL = {"Niger": 40.0, "Burkina Faso": 600.0, None: 900.0}


def alert(kind="surge", measure="fatalities", observed=71.0, expected=5.0, severity="critical", score=1e-6,
          country="Niger", admin1=None, admin2=None, actor=None, tier=None, **evidence) -> Alert:
    scope = {"country": country, "admin1": admin1, "admin2": admin2, "tier": tier, "actor": actor}
    return Alert(kind=kind, scope=scope, measure=measure, period="2019-12", observed=observed, expected=expected,
                 lower=0.0, upper=expected * 3, score=score, severity=severity, message="m.", evidence=evidence)


def test_a_ten_death_district_surge_against_almost_nothing_is_not_critical():
    district = alert(observed=10.0, expected=0.1, score=1e-9, admin1="Tillaberi", admin2="Ouallam")
    graded = grade(district, USUAL, SETTINGS)
    assert graded.severity == "info"
    assert graded.evidence["graded_by"] == "rests on few events or deaths"


def test_a_massacre_of_71_soldiers_is_critical():
    inates = grade(alert(admin1="Tillaberi", admin2="Ouallam"), USUAL, SETTINGS)
    assert inates.severity == "critical"
    assert inates.evidence["excess_fatalities"] == 66.0 and inates.evidence["critical_floor"] == 25.0


def test_the_floor_is_a_share_of_the_countrys_usual_month_when_that_is_larger():
    # Burkina Faso usually loses 600 a month: 60 more deaths is significant, not a national emergency.
    graded = grade(alert(country="Burkina Faso", observed=660.0, expected=600.0), USUAL, SETTINGS)
    assert graded.severity == "warning" and graded.evidence["critical_floor"] == 120.0
    assert grade(alert(country="Burkina Faso", observed=730.0, expected=600.0), USUAL, SETTINGS).severity == "critical"


def test_significance_is_needed_too():
    # Big but only an info by significance (a p-value that barely passed) stays info.
    assert grade(alert(severity="info", score=0.04), USUAL, SETTINGS).severity == "info"


@pytest.mark.parametrize(("actor", "units", "severity"), [
    # Four places hit is four events: information at most.
    ("JNIM", 9.0, "critical"), ("JNIM", 4.0, "info"), ("Protesters (Mali)", 17.0, "warning"),
])
def test_a_wave_of_armed_actors_across_five_admin2_units_is_critical(actor, units, severity):
    wave = alert(kind="synchronized", measure="events", observed=units, expected=1.5, actor=actor, severity="warning")
    assert grade(wave, USUAL, SETTINGS).severity == severity


def test_a_national_record_is_critical_and_a_pace_at_most_a_warning():
    record = alert(kind="record", observed=40.0, expected=20.0, severity="warning")
    assert grade(record, USUAL, SETTINGS).severity == "critical"
    pace = alert(kind="run_rate", observed=500.0, expected=100.0, tier="admin2_capital")
    assert grade(pace, USUAL, SETTINGS).severity == "warning"


def test_an_alert_about_five_events_is_info_at_most():
    spread = alert(kind="spread", measure="events", observed=5.0, expected=0.1, fatalities=0, admin1="Koulikoro")
    assert grade(spread, USUAL, SETTINGS).severity == "info"


def test_a_resolved_notice_is_never_critical():
    critical = alert(kind="spread", measure="events", observed=30.0, expected=0.2, fatalities=40, admin1="Koulikoro")
    assert grade(critical, USUAL, SETTINGS).severity == "critical"
    history = [AlertRecord(critical, "2019-12", critical.id)]
    outcome = apply_lifecycle([], history, "2020-03", LifecycleRules(suppression_days=180, resolve_after_months=2))
    (notice,) = outcome.reported
    assert notice.status == "resolved" and notice.severity == "info"
    assert grade(dataclasses.replace(notice, severity="critical"), USUAL, SETTINGS).severity == "info"
