"""Measured on labelled synthetic data as rough as real conflict data: every kind injected,
detection month by month, alerts credited to an injection only where it explains them
(`labelled.explains`, strict: a run rate at commune seats does not explain district surges).

Targets: at least 90% of injected stories found in their first detectable month or the next
(issue 11). False new alerts (not explained by any injection) are measured and bounded at what
the detectors do on these seeds, so that a change making them noisier fails here; the figures
on held-out seeds are in docs/benchmarks.md. These seeds (`labelled.TUNING_SEEDS`) are the ones
the defaults were developed on.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location("labelled", Path(__file__).with_name("labelled.py"))
labelled = importlib.util.module_from_spec(_spec)
sys.modules["labelled"] = labelled  # dataclasses look their module up while the file runs
_spec.loader.exec_module(labelled)

SEEDS = labelled.TUNING_SEEDS
#: False new alerts a month on these seeds, at most (measured 3.67 when the strict matcher and the
#: rough worlds came in, 0.96 since the trend-aware paces and level changes and the rule on
#: deadlier attacks: docs/benchmarks.md). Grouping alerts into incidents is what brings the
#: burden an analyst sees down; this bounds the raw alerts.
MAX_FALSE_NEW_ALERTS_A_MONTH = 1.5
#: New incidents a month that no injection explains, at most: issue 11's target is 1; measured
#: 0.38 on these seeds (9 in 24 months; 0.33 with issue 16's forecasts of 2026-11-30 07:30, 0.42
#: with af5d704's narrower interval ends, 0.33 again as landed at 10:51, d3100f1), 0.28 on the
#: held-out ones (0.31 with regional drops and d3100f1; docs/benchmarks.md).
MAX_FALSE_NEW_INCIDENTS_A_MONTH = 0.5


@pytest.fixture(scope="module")
def measured():
    results = []
    for seed in SEEDS:
        world = labelled.make_world(seed)
        found, new, told = labelled.detect_month_by_month(world)
        results.append((world, {**found, **{("new", month): alerts for month, alerts in new.items()},
                                **{("told", month): incidents for month, incidents in told.items()}}))
    return results


def test_worlds_differ_by_seed_and_are_rough(measured):
    places = [frozenset((i.kind, i.country, i.admin1, i.admin2, i.onset) for i in world.injections) for world, _ in measured]
    assert len(set(places)) == len(SEEDS)
    assert all({i.kind for i in world.injections} == set(labelled.FINDS) for world, _ in measured)
    for world, _ in measured:
        events = world.events
        assert 0.15 <= (events["geo_precision"] != 1).mean() <= 0.25
        assert (events["disorder_type"] == "Demonstrations").sum() > 1_000
        assert (events["disorder_type"] == "Strategic developments").sum() > 200
        assert (events["fatalities"] >= 100).sum() >= 4  # three historical massacres and the injected one


def test_recall_within_one_month_of_onset(measured):
    missed = [
        (injection.kind, injection.country, injection.first_month.strftime("%Y-%m"))
        for world, reported in measured
        for injection in world.injections
        if labelled.found_in(injection, reported) is None
    ]
    total = sum(len(world.injections) for world, _ in measured)
    # Issue 11's target is 90%: the tuning seeds give 26 of 27 since regional drops are also
    # judged against the region's own past year (24 of 27 before: two Niger drops were inside
    # their wide forecast ranges; a district surge is still missed, see docs/benchmarks.md).
    assert (total - len(missed)) / total >= 0.9, f"missed {missed} of {total}"


def test_every_injected_regional_drop_is_found(measured):
    """A region's attacks cut to a tenth for one month: found against the region's own past
    year where the forecast's range, wide after years of rising levels, hid two of the three."""
    found = [labelled.found_in(injection, reported) is not None
             for world, reported in measured for injection in world.injections if injection.kind == "drop"]
    assert found == [True] * len(SEEDS)


def test_false_new_alerts_are_bounded(measured):
    false, months = 0, 0
    for world, reported in measured:
        for month in labelled.EVALUATED_MONTHS:
            months += 1
            false += sum(
                not any(labelled.explains(injection, alert) for injection in world.injections)
                for alert in reported[("new", month)]
            )
    assert false / months <= MAX_FALSE_NEW_ALERTS_A_MONTH, f"{false} false new alerts in {months} months"


def test_false_new_incidents_are_at_most_the_target(measured):
    """An incident is false when none of its alerts is explained by an injection: the burden of
    stories that are not there (issue 11: at most 1 a month)."""
    false, months = 0, 0
    for world, reported in measured:
        for month in labelled.EVALUATED_MONTHS:
            months += 1
            false += sum(
                incident.status == "new"
                and not any(labelled.explains(i, a) for i in world.injections for a in incident.members)
                for incident in reported[("told", month)]
            )
    assert false / months <= MAX_FALSE_NEW_INCIDENTS_A_MONTH, f"{false} false new incidents in {months} months"


def test_no_alert_about_protests_riots_or_unlocated_events(measured):
    """The worlds hold a day of protests across twelve districts, riots and a massacre coded to a
    provincial capital: no alert names protesters or rioters, no tier alert is about events not
    located at their place, and the massacre raises no tier alert in its country that its
    injection would not explain."""
    for world, reported in measured:
        alerts = [alert for month in labelled.EVALUATED_MONTHS for alert in reported[month]]
        assert not [a for a in alerts if (a.scope.get("actor") or "").startswith(("Protesters", "Rioters"))]
        assert not [a for a in alerts if a.scope.get("tier") == "unlocated"]
        massacre = next(i for i in world.injections if i.kind == "massacre")
        tier_injections = [i for i in world.injections if i.kind in ("tier_shift", "run_rate")]
        assert not [
            a for a in alerts
            if a.kind == "tier_shift" and a.scope.get("country") == massacre.country
            and a.period[:7] == massacre.onset.strftime("%Y-%m") and a.measure == "fatalities"
            and not any(labelled.explains(i, a) for i in tier_injections)
            and a.scope.get("tier") == "admin2_capital"
        ]
