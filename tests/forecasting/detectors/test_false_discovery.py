"""Benjamini-Hochberg and the size of each detector's family of hypotheses, on values worked by hand.

The textbook example in test_detectors.py is already in order after scaling (p * m / rank rises
with the rank), so it cannot tell a step-up procedure from a plain rescaling; these examples can.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from forecasting.detectors import parse_as_of
from forecasting.detectors.change_point import detect_change_points
from forecasting.detectors.findings import (
    Finding, Findings, benjamini_hochberg, control_false_discoveries, is_headline, severity,
)
from forecasting.detectors.predictive import month_against_forecast
from forecasting.detectors.spread import detect_spread
from forecasting.detectors.surge import detect_surges_and_drops
from jobs.config import DetectConfig

SETTINGS = DetectConfig().detection_settings("the Central Sahel")


def test_benjamini_hochberg_steps_up_where_scaling_alone_is_not_monotone():
    # Sorted: 0.01, 0.03, 0.0375, 0.5 out of 4 tests. p * 4 / rank = 0.04, 0.06, 0.05, 0.5:
    # the second ratio is above the third, so its q-value is the third's (step-up).
    p = np.array([0.0375, 0.5, 0.01, 0.03])
    assert benjamini_hochberg(p, 4) == pytest.approx([0.05, 0.5, 0.04, 0.05])
    # Six untested hypotheses more (family of 10): ratios 0.1, 0.15, 0.125, 1.25 -> 0.1, 0.125, 0.125, and 1
    # (a probability is at most 1).
    assert benjamini_hochberg(p, 10) == pytest.approx([0.125, 1.0, 0.1, 0.125])
    # A family smaller than the candidates given is a caller's slip: the candidates are the family.
    assert benjamini_hochberg(p, 2) == pytest.approx(benjamini_hochberg(p, 4))
    assert benjamini_hochberg(np.array([]), 5).size == 0


def test_ties_share_one_q_value_whatever_their_order():
    p = np.array([0.02, 0.01, 0.02, 0.02])
    # Ratios in sorted order: 0.04, 0.04, 0.02667, 0.02 -> every q-value is 0.02.
    assert benjamini_hochberg(p, 4) == pytest.approx([0.02, 0.02, 0.02, 0.02])


def _finding(p_value: float, admin1: str) -> Finding:
    scope = {"country": "Mali", "admin1": admin1, "admin2": None, "tier": None, "actor": None}
    return Finding(kind="surge", scope=scope, measure="fatalities", period="2025-05", observed=90, expected=20,
                   lower=10, upper=32, p_value=p_value, size=4.5, message=f"{admin1} rose.")


def test_false_discovery_control_keeps_a_finding_only_the_step_up_lets_through():
    found = Findings([_finding(0.0375, "Kayes"), _finding(0.5, "Mopti"), _finding(0.01, "Segou"),
                      _finding(0.03, "Gao")], tested=4)
    kept = {alert.scope["admin1"]: alert for alert in control_false_discoveries(found, 0.05)}
    # Gao's own ratio (0.06) is above 0.05; it passes only because Kayes, ranked after it, does.
    assert sorted(kept) == ["Gao", "Kayes", "Segou"]
    assert (kept["Gao"].score, kept["Kayes"].score, kept["Segou"].score) == (0.05, 0.05, 0.04)
    assert kept["Gao"].evidence["p_value"] == 0.03 and kept["Gao"].evidence["tests_this_month"] == 4
    # At 0.045 only Segou (q 0.04) is left.
    assert [alert.scope["admin1"] for alert in control_false_discoveries(found, 0.045)] == ["Segou"]


def _three_series(last_values: list[int]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Three admin1 fatality series, 24 months at 20 then the as-of month; their forecasts (20, 10-32)."""
    periods = pd.date_range("2023-01", periods=25, freq="MS")
    frames, forecasts = [], []
    for admin1, last in zip(("Kayes", "Mopti", "Segou"), last_values):
        series_id = f"fatalities|admin1|Mali|{admin1}"
        frames.append(pd.DataFrame({"series_id": series_id, "level": "admin1", "measure": "fatalities", "country": "Mali",
                                    "admin1": admin1, "admin2": None, "tier": None, "actor": None, "period": periods,
                                    "value": [20] * 24 + [last]}))
        forecasts.append({"series_id": series_id, "period": periods[-1], "model": "test", "fallback": None,
                          "mean": 20.0, "q05": 10.0, "q50": 20.0, "q95": 32.0})
    return pd.concat(frames, ignore_index=True), pd.DataFrame(forecasts)


def test_surge_and_drop_count_two_hypotheses_per_series_candidates_or_not():
    as_of = parse_as_of("2025-01")
    series, forecasts = _three_series([95, 20, 19])
    found = detect_surges_and_drops(month_against_forecast(series, forecasts, as_of), as_of, SETTINGS)
    assert [finding.scope["admin1"] for finding in found.candidates] == ["Kayes"]
    assert found.tested == 6  # up and down for each of three series
    quiet = detect_surges_and_drops(month_against_forecast(*_three_series([20, 20, 20]), as_of), as_of, SETTINGS)
    assert (quiet.candidates, quiet.tested) == ([], 6)
    (alert,) = control_false_discoveries(found, 0.05)
    assert alert.evidence["tests_this_month"] == 6
    assert alert.score == float(f"{min(found.candidates[0].p_value * 6, 1.0):.3g}")


def test_change_points_count_one_hypothesis_per_series_with_enough_history():
    as_of = parse_as_of("2025-01")
    series, _ = _three_series([20, 20, 20])
    short = series[series["admin1"] == "Segou"].tail(10).assign(series_id="fatalities|admin1|Mali|Gao", admin1="Gao")
    found = detect_change_points(pd.concat([series, short]), as_of, SETTINGS)
    assert (found.candidates, found.tested) == ([], 3)  # Gao's 10 months are too few to be tested


def test_spread_counts_only_the_quiet_units_it_tests():
    # Two and a half years of data (spread needs two years of a country's history to judge "quiet").
    periods = pd.date_range("2023-01", periods=30, freq="MS")
    rows = []
    # Kayes quiet then 5 events; Mopti busy (4 a month); Segou quiet and still quiet.
    for admin1, values in (("Kayes", [0] * 29 + [5]), ("Mopti", [4] * 30), ("Segou", [0] * 30)):
        for measure in ("events", "fatalities"):
            rows.append(pd.DataFrame({"series_id": f"{measure}|admin1|Mali|{admin1}", "level": "admin1",
                                      "measure": measure, "country": "Mali", "admin1": admin1, "admin2": None,
                                      "tier": None, "actor": None, "period": periods, "value": values}))
    found = detect_spread(pd.concat(rows, ignore_index=True), parse_as_of("2025-06"), SETTINGS)
    assert [finding.scope["admin1"] for finding in found.candidates] == ["Kayes"]
    assert found.tested == 2  # Kayes and Segou; busy Mopti is no hypothesis of spread


def test_a_q_value_equal_to_the_rate_passes_and_the_alert_carries_the_finding_over():
    # 0.0625 * 4 / 1 = 0.25 exactly (binary fractions): "at most the rate" keeps it.
    finding = _finding(0.0625, "Kayes")
    (alert,) = control_false_discoveries(Findings([finding, _finding(0.9, "Mopti")], tested=4), 0.25)
    assert (alert.kind, alert.scope, alert.measure, alert.period) == ("surge", finding.scope, "fatalities", "2025-05")
    assert (alert.observed, alert.expected, alert.lower, alert.upper) == (90, 20, 10, 32)
    assert (alert.score, alert.message, alert.severity) == (0.25, "Kayes rose.", "info")
    assert control_false_discoveries(Findings([finding], tested=5), 0.25) == []  # 0.3125


def test_severity_thresholds_are_inclusive():
    assert severity(0.001, 2.0) == "critical"
    assert severity(0.0011, 2.0) == "warning"
    assert severity(0.001, 1.99) == "warning"
    assert severity(0.01, 1.5) == "warning"
    assert severity(0.011, 1.5) == "info"
    assert severity(0.01, 1.49) == "info"


@pytest.mark.parametrize("narrower", ["admin1", "admin2", "tier", "actor"])
def test_only_an_area_or_country_record_is_a_headline(narrower):
    def record(**scope):
        where = {"country": "Mali", "admin1": None, "admin2": None, "tier": None, "actor": None, **scope}
        return Finding(kind="record", scope=where, measure="fatalities", period="2025-05", observed=870, expected=654,
                       lower=496, upper=830, p_value=0.004, size=1.3, message="m")

    assert is_headline(record()) and is_headline(record(country=None))
    assert not is_headline(record(**{narrower: "Kayes"}))
    assert not is_headline(dataclasses.replace(record(), kind="surge"))
