"""Each detector on small hand-built inputs whose answer is known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.detectors import parse_as_of
from forecasting.detectors.change_point import detect_change_points
from forecasting.detectors.findings import Finding, Findings, benjamini_hochberg, control_false_discoveries, severity
from forecasting.detectors.predictive import month_against_forecast
from forecasting.detectors.record import detect_monthly_records
from forecasting.detectors.run_rate import detect_run_rates
from forecasting.detectors.spread import detect_spread
from forecasting.detectors.surge import detect_surges_and_drops
from forecasting.detectors.synchronized import detect_synchronized
from forecasting.detectors.tier_shift import detect_tier_shifts
from forecasting.detectors.settings import InvalidAsOfError
from forecasting.series import series_from_events
from jobs.config import DetectConfig

SETTINGS = DetectConfig().detection_settings("the Central Sahel")


def forecast_for(series: pd.DataFrame, month: str, mean: float, q05: float, q95: float) -> pd.DataFrame:
    ids = series["series_id"].unique()
    return pd.DataFrame({"series_id": ids, "period": pd.Timestamp(month), "model": "test", "fallback": None,
                         "mean": mean, "q05": q05, "q10": q05, "q25": mean, "q50": mean, "q75": mean,
                         "q90": q95, "q95": q95})


def monthly_series(values: list[int], level="admin1", measure="fatalities", start="2023-01") -> pd.DataFrame:
    periods = pd.date_range(start, periods=len(values), freq="MS")
    return pd.DataFrame({"series_id": f"{measure}|{level}|Mali|Kayes", "level": level, "measure": measure,
                         "country": "Mali", "admin1": "Kayes", "admin2": None, "tier": None, "actor": None,
                         "period": periods, "value": values})


def events(rows) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["event_date", "country", "admin1", "admin2", "actor1", "fatalities", "tier"])
    frame["event_date"] = pd.to_datetime(frame["event_date"])
    frame["source_id"] = [f"E{i}" for i in range(len(frame))]
    return frame


def test_as_of_parses_months_and_days_and_rejects_the_rest():
    month, day = parse_as_of("2025-05"), parse_as_of("2025-07-10")
    assert (month.day.isoformat(), month.is_day, month.share_of_month) == ("2025-05-31", False, 1.0)
    assert (day.month_text, day.is_day, round(day.share_of_month, 3)) == ("2025-07", True, round(10 / 31, 3))
    with pytest.raises(InvalidAsOfError, match="YYYY-MM"):
        parse_as_of("May 2025")


def test_benjamini_hochberg_matches_the_textbook_example():
    p = np.array([0.01, 0.04, 0.03, 0.005])
    assert benjamini_hochberg(p, 4) == pytest.approx([0.02, 0.04, 0.04, 0.02])
    # Untested hypotheses still count in the family size.
    assert benjamini_hochberg(np.array([0.001]), 100)[0] == pytest.approx(0.1)


def test_severity_needs_both_evidence_and_size():
    assert severity(0.0001, 3.0) == "critical"
    assert severity(0.0001, 1.2) == "info"
    assert severity(0.005, 1.6) == "warning"
    assert severity(0.04, 5.0) == "info"


def test_an_area_record_and_a_wave_are_at_least_warnings_when_they_pass_the_false_discovery_control():
    def finding(kind, **scope):
        where = {"country": None, "admin1": None, "admin2": None, "tier": None, "actor": None, **scope}
        return Finding(kind=kind, scope=where, measure="fatalities", period="2025-05", observed=870, expected=654,
                       lower=496, upper=830, p_value=0.004, size=1.3, message="m")

    found = Findings([finding("record"), finding("record", country="Mali", admin1="Kayes"),
                      finding("synchronized", country="Mali"), finding("surge", country="Mali")], tested=4)
    graded = {(a.kind, a.scope["admin1"]): a.severity for a in control_false_discoveries(found, 0.05)}
    assert graded == {("record", None): "warning", ("record", "Kayes"): "info",
                      ("synchronized", None): "warning", ("surge", None): "info"}


def test_surge_is_flagged_with_its_tail_probability_and_a_readable_message():
    series = monthly_series([20] * 24 + [95])
    as_of = parse_as_of("2025-01")
    predictive = month_against_forecast(series, forecast_for(series, "2025-01", 20, 10, 32), as_of)
    (finding,) = detect_surges_and_drops(predictive, as_of, SETTINGS).candidates
    assert finding.kind == "surge" and finding.observed == 95 and finding.expected == 20
    assert finding.evidence["forecast_model"] == "test" and "forecast_fallback" not in finding.evidence
    assert finding.p_value < 1e-6
    assert finding.message == (
        "Reported fatalities in Kayes (Mali) rose to 95 in January 2025, against 20 expected "
        "(90% range 10\u201332): 4.8 times the expected level."
    )


def test_the_count_floor_holds_in_a_partial_month_too():
    """On the 1st of a month the expected count is a thirtieth of a month's; 5 deaths are above
    its range but under the floor of 10, so they are no surge; 12 are."""
    series = monthly_series([1] * 24 + [5])
    as_of = parse_as_of("2025-01-01")
    forecast = forecast_for(series, "2025-01", 1.0, 0, 3)
    assert detect_surges_and_drops(month_against_forecast(series, forecast, as_of), as_of, SETTINGS).candidates == []
    series.loc[series.index[-1], "value"] = 12
    (finding,) = detect_surges_and_drops(month_against_forecast(series, forecast, as_of), as_of, SETTINGS).candidates
    assert finding.kind == "surge" and finding.observed == 12


def test_an_alert_on_a_fallback_forecast_names_the_fallback():
    series = monthly_series([0] * 24 + [40])
    as_of = parse_as_of("2025-01")
    forecast = forecast_for(series, "2025-01", 0.5, 0, 2).assign(fallback="zero")
    (finding,) = detect_surges_and_drops(month_against_forecast(series, forecast, as_of), as_of, SETTINGS).candidates
    assert (finding.evidence["forecast_model"], finding.evidence["forecast_fallback"]) == ("test", "zero")


def test_a_surge_from_almost_nothing_says_so_instead_of_a_multiple_of_nothing():
    series = monthly_series([0] * 24 + [24])
    as_of = parse_as_of("2025-01-05")
    predictive = month_against_forecast(series, forecast_for(series, "2025-01", 0.033, 0, 0), as_of)
    (finding,) = detect_surges_and_drops(predictive, as_of, SETTINGS).candidates
    assert finding.message == (
        "Reported fatalities in Kayes (Mali) rose to 24 in January 2025 (to 5 January), against almost none "
        "expected (90% range 0)."
    )


def test_zero_to_three_deaths_is_not_a_surge_but_a_drop_from_a_busy_month_is_a_drop():
    quiet = monthly_series([0] * 24 + [3])
    as_of = parse_as_of("2025-01")
    predictive = month_against_forecast(quiet, forecast_for(quiet, "2025-01", 0.1, 0, 0), as_of)
    assert detect_surges_and_drops(predictive, as_of, SETTINGS).candidates == []
    busy = monthly_series([60] * 24 + [4])
    predictive = month_against_forecast(busy, forecast_for(busy, "2025-01", 60, 40, 82), as_of)
    (finding,) = detect_surges_and_drops(predictive, as_of, SETTINGS).candidates
    assert finding.kind == "drop" and "93% below the expected level" in finding.message


def test_false_discovery_control_keeps_strong_findings_among_many_tests():
    series = monthly_series([20] * 24 + [95])
    as_of = parse_as_of("2025-01")
    predictive = month_against_forecast(series, forecast_for(series, "2025-01", 20, 10, 32), as_of)
    found = detect_surges_and_drops(predictive, as_of, SETTINGS)
    strong = control_false_discoveries(Findings(found.candidates, tested=1000), 0.05)
    assert [a.kind for a in strong] == ["surge"] and strong[0].severity == "critical"
    weak = Findings([type(found.candidates[0])(**{**found.candidates[0].__dict__, "p_value": 0.001})], tested=1000)
    assert control_false_discoveries(weak, 0.05) == []


def test_record_says_since_when():
    values = [50] * 12 + [300] + [100] * 11 + [260]  # Jan 2023 ... Jan 2025; Jan 2024 was higher
    series = monthly_series(values, level="area").assign(country=None, admin1=None)
    as_of = parse_as_of("2025-01")
    predictive = month_against_forecast(series, forecast_for(series, "2025-01", 110, 70, 160), as_of)
    (finding,) = detect_monthly_records(series, predictive, as_of, SETTINGS).candidates
    assert finding.evidence["highest_since"] == "2024-01" and finding.evidence["months_without_higher"] == 12
    assert finding.message.startswith("January 2025 was the deadliest month in the Central Sahel since January 2024: 260")
    assert finding.tested is False  # area deaths are a headline: judged by the tail alone


def test_spread_into_a_quiet_region_and_not_into_a_busy_one():
    # Mali's data start in June 2023: two years of history, enough to say "none before".
    rows = [("2023-06-05", "Mali", "Mopti", "Djenne", "JNIM", 1, "other")]
    rows += [("2024-09-05", "Mali", "Mopti", "Djenne", "JNIM", 1, "other")] * 30
    rows += [("2025-06-0%d" % d, "Mali", "Kayes", "Nioro", "JNIM", 2, "other") for d in range(1, 6)]
    rows += [("2025-06-0%d" % d, "Mali", "Mopti", "Djenne", "JNIM", 1, "other") for d in range(1, 6)]
    frame = events(rows)
    series = pd.concat([series_from_events(frame, level, measure, end="2025-06-01")
                        for level in ("admin1", "admin2") for measure in ("events", "fatalities")])
    series["series_id"] = series["measure"] + "|" + series["series_id"]
    found = detect_spread(series, parse_as_of("2025-06"), SETTINGS)
    places = sorted((f.scope["admin1"], f.scope["admin2"] or "") for f in found.candidates)
    assert places == [("Kayes", ""), ("Kayes", "Nioro")]
    kayes = next(f for f in found.candidates if f.scope["admin2"] is None)
    assert kayes.observed == 5 and kayes.evidence["fatalities"] == 10
    assert "where none had been recorded before" in kayes.message
    # A year of data cannot say what is new: no spread at all.
    assert detect_spread(series[series["period"] >= "2024-07-01"], parse_as_of("2025-06"), SETTINGS).candidates == []


def test_synchronized_wave_against_a_quiet_history():
    rng = np.random.default_rng(3)
    days = pd.date_range("2022-07-01", "2025-06-30", freq="D")
    rows = [(str(day.date()), "Mali", "Mopti", f"C{rng.integers(0, 12)}", "JNIM", 1, "other")
            for day in days if rng.random() < 0.5]
    rows += [("2025-07-01", "Mali", "Kayes", f"K{i}", "JNIM", 2, "other") for i in range(9)]
    found = detect_synchronized(events(rows), parse_as_of("2025-07"), SETTINGS)
    (finding,) = found.candidates
    assert finding.period == "2025-07-01" and finding.observed == 9 and finding.scope["actor"] == "JNIM"
    assert finding.p_value < 1e-3
    assert finding.message.startswith("JNIM struck 9 admin2 units of Mali on 1 July 2025")


def test_change_point_needs_a_lasting_shift():
    lasting = monthly_series([20, 24, 18, 22] * 6 + [60, 55, 58])
    found = detect_change_points(lasting, parse_as_of("2025-03"), SETTINGS)
    (finding,) = found.candidates
    assert finding.evidence["new_level_since"] == "2025-01" and finding.p_value < 0.001
    assert "p < 0.001" in finding.message
    spike = monthly_series([20, 24, 18, 22] * 6 + [150, 21, 20])
    assert detect_change_points(spike, parse_as_of("2025-03"), SETTINGS).candidates == []


def _tier_events(share_2025: float, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for month in pd.date_range("2023-01-01", "2025-06-01", freq="MS"):
        share = share_2025 if month.year == 2025 else 0.08
        for i in range(30):
            tier = "admin2_capital" if rng.random() < share else "other"
            rows.append((str((month + pd.Timedelta(days=i % 28)).date()), "Burkina Faso", "Est", "Gourma", "JNIM", 3, tier))
    return events(rows)


def test_tier_shift_toward_provincial_capitals_with_its_shares():
    frame = _tier_events(0.3)
    found = detect_tier_shifts(frame, parse_as_of("2025-02"), SETTINGS)
    shifted = [f for f in found.candidates if f.scope["tier"] == "admin2_capital" and f.measure == "events"
               and f.scope["actor"] is None]
    assert shifted and shifted[0].p_value < 1e-3
    # The shares counted here: the baseline is the 24 months before the longest window (December
    # 2024 to February 2025); February alone departs most, so it is the window reported.
    def share_at_capitals(start, end):
        dated = frame[(frame["event_date"] >= start) & (frame["event_date"] < end)]
        return round(float((dated["tier"] == "admin2_capital").mean()), 4)

    evidence = shifted[0].evidence
    assert evidence["baseline_share"] == share_at_capitals("2022-12-01", "2024-12-01")
    assert (evidence["window_months"], evidence["share"]) == (1, share_at_capitals("2025-02-01", "2025-03-01"))
    assert "shifted toward provincial capitals" in shifted[0].message
    assert detect_tier_shifts(_tier_events(0.08), parse_as_of("2025-02"), SETTINGS).candidates == []


def test_run_rate_against_two_earlier_years_combined():
    found = detect_run_rates(_tier_events(0.3), parse_as_of("2025-06"), SETTINGS)
    (finding,) = [f for f in found.candidates if f.scope["tier"] == "admin2_capital" and f.measure == "fatalities"
                  and f.scope["actor"] is None]
    assert finding.evidence["ratio_to_combined"] > 1.5
    assert finding.message.startswith("Reported fatalities at provincial capitals of Burkina Faso are on pace for")
    assert "2023 and 2024 combined" in finding.message


def test_tier_shift_and_run_rate_count_unplaced_events_only_area_wide():
    placed = _tier_events(0.3)
    # Events whose source named no country, actor or tier; and one dated after the as-of month.
    unplaced = events([("2025-03-10", None, None, None, None, 50, None)] * 40)
    late = events([("2025-08-02", "Burkina Faso", "Est", "Gourma", "JNIM", 500, "admin2_capital")])
    both = pd.concat([placed, unplaced, late], ignore_index=True)
    as_of = parse_as_of("2025-06")
    # In March (its window January to March holds the unplaced events) the 2025 shift is found.
    shifts = detect_tier_shifts(placed, parse_as_of("2025-03"), SETTINGS)
    assert {f.scope["tier"] for f in shifts.candidates} == {"admin2_capital"}
    assert detect_tier_shifts(both, parse_as_of("2025-03"), SETTINGS) == shifts

    def by_scope(found):
        return {(tuple(f.scope.values()), f.measure): f for f in found.candidates}

    alone = by_scope(detect_run_rates(placed, as_of, SETTINGS))
    together = by_scope(detect_run_rates(both, as_of, SETTINGS))
    area = together.pop(((None,) * 5, "fatalities"))
    assert area.observed == 30 * 6 * 3 + 40 * 50
    assert together == alone


def predictive_rows(*rows: dict) -> pd.DataFrame:
    """A `month_against_forecast` frame of Kayes fatality rows with these values."""
    base = {"series_id": "fatalities|admin1|Mali|Kayes", "level": "admin1", "measure": "fatalities", "country": "Mali",
            "admin1": "Kayes", "admin2": None, "tier": None, "actor": None, "observed": 0.0, "expected": 0.0,
            "lower": 0.0, "upper": 0.0, "size": np.inf, "p_upper": 1.0, "p_lower": 1.0, "model": "test", "fallback": None}
    return pd.DataFrame([{**base, **row} for row in rows])


def test_surge_and_drop_candidates_at_their_boundaries():
    as_of = parse_as_of("2025-01")
    def kinds(**row):
        return [f.kind for f in detect_surges_and_drops(predictive_rows(row), as_of, SETTINGS).candidates]

    # Above the range (not at its top), at least the floor (10 deaths, 5 events), p at most 0.05.
    assert kinds(observed=10, expected=2, lower=0, upper=9, p_upper=0.05) == ["surge"]
    assert kinds(observed=10, expected=2, lower=0, upper=10, p_upper=0.001) == []
    assert kinds(observed=9, expected=2, lower=0, upper=8, p_upper=0.001) == []
    assert kinds(observed=10, expected=2, lower=0, upper=9, p_upper=0.0501) == []
    assert kinds(observed=5, expected=1, lower=0, upper=4, p_upper=0.01, measure="events") == ["surge"]
    assert kinds(observed=4, expected=1, lower=0, upper=3, p_upper=0.01, measure="events") == []
    # Below the range (not at its bottom), expected at least the floor, p at most 0.05.
    assert kinds(observed=2, expected=10, lower=3, upper=18, p_lower=0.05) == ["drop"]
    assert kinds(observed=3, expected=10, lower=3, upper=18, p_lower=0.001) == []
    assert kinds(observed=2, expected=9.9, lower=3, upper=18, p_lower=0.001) == []
    assert kinds(observed=2, expected=10, lower=1, upper=18, p_lower=0.001) == []
    assert kinds(observed=2, expected=10, lower=3, upper=18, p_lower=0.0501) == []
    assert kinds(observed=0, expected=5, lower=1, upper=9, p_lower=0.01, measure="events") == ["drop"]
    # Nothing to judge: no candidates, no hypotheses.
    empty = detect_surges_and_drops(predictive_rows().iloc[:0], as_of, SETTINGS)
    assert (empty.candidates, empty.tested) == ([], 0)


def test_surge_and_drop_findings_carry_their_numbers():
    as_of = parse_as_of("2025-01-10")
    rows = predictive_rows(dict(observed=95, expected=20.46, lower=10, upper=32, p_upper=1e-7, p_lower=1.0, admin2=np.nan),
                           dict(observed=4, expected=60, lower=40, upper=82, p_upper=1.0, p_lower=2e-9, admin1="Gao",
                                series_id="fatalities|admin1|Mali|Gao"),
                           dict(observed=0, expected=12, lower=5, upper=20, p_upper=1.0, p_lower=0.01, admin1="Mopti",
                                series_id="fatalities|admin1|Mali|Mopti", level="admin1", model=None),
                           dict(observed=12, expected=0.3, lower=0, upper=2, p_upper=1e-5, level="area",
                                series_id="fatalities|area", country=None, admin1=None))
    found = {f.scope["admin1"] or "area": f for f in detect_surges_and_drops(rows, as_of, SETTINGS).candidates}
    surge, drop, empty, area = found["Kayes"], found["Gao"], found["Mopti"], found["area"]
    assert (surge.kind, surge.measure, surge.period, surge.observed, surge.expected, surge.lower, surge.upper) == (
        "surge", "fatalities", "2025-01", 95.0, 20.5, 10.0, 32.0)
    assert (surge.p_value, surge.size) == (1e-7, pytest.approx(95 / 20.46))
    assert surge.scope == {"country": "Mali", "admin1": "Kayes", "admin2": None, "tier": None, "actor": None}
    assert surge.evidence == {"series_id": "fatalities|admin1|Mali|Kayes", "level": "admin1",
                              "partial_month_through": "2025-01-10", "forecast_model": "test"}
    assert (drop.kind, drop.p_value, drop.size) == ("drop", 2e-9, 15.0)
    assert drop.message == ("Reported fatalities in Gao (Mali) fell to 4 in January 2025 (to 10 January), against 60 "
                            "expected (90% range 40\u201382): 93% below the expected level.")
    assert (empty.size, empty.evidence.get("forecast_model")) == (12.0, None)
    assert empty.message.endswith(": 100% below the expected level.")
    assert area.size == 12.0  # against at least one expected, not a multiple of 0.3
    assert area.message.startswith("Reported fatalities in the Central Sahel rose to 12")
    whole_month = detect_surges_and_drops(rows.iloc[:1], parse_as_of("2025-01"), SETTINGS).candidates[0]
    assert "partial_month_through" not in whole_month.evidence and "(to " not in whole_month.message


def test_a_month_without_forecasts_gives_the_documented_empty_frame():
    series = monthly_series([20] * 25)
    frame = month_against_forecast(series, forecast_for(series, "2025-02", 20, 10, 32), parse_as_of("2025-01"))
    assert frame.empty and list(frame.columns) == [
        "series_id", "level", "measure", "country", "admin1", "admin2", "tier", "actor", "observed", "expected",
        "lower", "upper", "size", "p_upper", "p_lower", "model", "fallback"]


def test_a_whole_month_keeps_the_forecasts_own_range_and_a_partial_one_thins_the_distribution():
    series = monthly_series([20] * 24 + [31])
    # An asymmetric forecast range: a whole month is judged against it as it is.
    (row,) = month_against_forecast(series, forecast_for(series, "2025-01", 20, 2, 30), parse_as_of("2025-01")).itertuples()
    assert (row.lower, row.upper, row.expected, row.observed) == (2.0, 30.0, 20.0, 31.0)
    # Mean 31 with variance 31 + 31**2 (size 1), on the 1st of January (a 31st of the month):
    # the geometric distribution of mean 1, P(X <= k) = 1 - 2**-(k + 1): 90% range 0 to 4.
    wide = 2 * 1.6448536269514722 * np.sqrt(31 + 31**2)
    forecast = forecast_for(series, "2025-01", 31, 0, wide)
    (row,) = month_against_forecast(series, forecast, parse_as_of("2025-01-01")).itertuples()
    assert (row.size, row.expected, row.lower, row.upper) == (pytest.approx(1.0), pytest.approx(1.0), 0.0, 4.0)
    assert row.p_upper == pytest.approx(2.0**-31) and row.p_lower == pytest.approx(1.0)
    # The Poisson of mean 1 where the forecast is no wider than a Poisson's: 90% range 0 to 3.
    (row,) = month_against_forecast(series, forecast_for(series, "2025-01", 31, 25, 37), parse_as_of("2025-01-01")).itertuples()
    assert (row.size, row.lower, row.upper) == (np.inf, 0.0, 3.0)


def test_forecasts_without_model_columns_and_duplicated_forecasts():
    series = monthly_series([20] * 24 + [95])
    as_of = parse_as_of("2025-01")
    bare = forecast_for(series, "2025-01", 20, 10, 32).drop(columns=["model", "fallback"])
    (finding,) = detect_surges_and_drops(month_against_forecast(series, bare, as_of), as_of, SETTINGS).candidates
    assert "forecast_model" not in finding.evidence and "forecast_fallback" not in finding.evidence
    named = forecast_for(series, "2025-01", 20, 10, 32).drop(columns=["fallback"])
    (finding,) = detect_surges_and_drops(month_against_forecast(series, named, as_of), as_of, SETTINGS).candidates
    assert finding.evidence["forecast_model"] == "test" and "forecast_fallback" not in finding.evidence
    unnamed = forecast_for(series, "2025-01", 20, 10, 32).assign(model=None, fallback="")
    (finding,) = detect_surges_and_drops(month_against_forecast(series, unnamed, as_of), as_of, SETTINGS).candidates
    assert "forecast_model" not in finding.evidence and "forecast_fallback" not in finding.evidence
    twice = pd.concat([forecast_for(series, "2025-01", 20, 10, 32)] * 2)
    with pytest.raises(pd.errors.MergeError):
        month_against_forecast(series, twice, as_of)


def test_a_level_reached_by_a_steady_rise_is_not_a_change_point():
    """Deaths rising by two a month for two years (10 to 56), then holding there: against the
    24 months' mean (33) the last three (58 a month) are 1.8 times the old level, but against
    the 12 just before them (45) they are where the rise led (docs/detectors.md)."""
    rising = monthly_series(list(range(10, 58, 2)) + [58, 60, 57])
    assert detect_change_points(rising, parse_as_of("2025-03"), SETTINGS).candidates == []
    # The same baseline with the last three months well above where the rise led is a change.
    jump = monthly_series(list(range(10, 58, 2)) + [110, 115, 108])
    (finding,) = detect_change_points(jump, parse_as_of("2025-03"), SETTINGS).candidates
    assert finding.evidence["recent_level"] == pytest.approx(45.0) and finding.evidence["recent_months"] == 12


def test_a_pace_that_carries_on_last_years_growth_is_not_a_run_rate():
    """20 deaths a month in 2023, 40 in 2024 and 80 so far in 2025: on pace for more than 2023
    and 2024 combined, but where last year's growth (twice) leads. The same 2025 after two flat
    years is a run rate."""
    def pace(first: int, second: int, third: int) -> list:
        rows = []
        for month in pd.date_range("2023-01-01", "2025-05-01", freq="MS"):
            deaths = {2023: first, 2024: second, 2025: third}[month.year]
            rows += [(str((month + pd.Timedelta(days=day)).date()), "Mali", "Kayes", "Nioro", "JNIM", deaths // 10,
                      "other") for day in range(10)]
        return detect_run_rates(events(rows), parse_as_of("2025-05"), SETTINGS).candidates

    def country_deaths(found):
        return [f for f in found if f.scope == {"country": "Mali", "admin1": None, "admin2": None, "tier": None,
                                                "actor": None} and f.measure == "fatalities"]

    assert country_deaths(pace(20, 40, 80)) == []
    (flat,) = country_deaths(pace(30, 30, 80))
    assert flat.evidence["expected_at_trend"] == pytest.approx(30 * 5) and flat.expected == pytest.approx(30 * 5)


def test_drops_are_tested_only_where_the_forecast_reaches_the_floor():
    """A series expected under the floor can never be a drop: it is no hypothesis of the
    month's family (10 deaths: one of these three rows)."""
    rows = predictive_rows(dict(expected=12.0), dict(expected=3.0, series_id="fatalities|admin1|Mali|Gao"),
                           dict(expected=0.2, series_id="fatalities|admin1|Mali|Kidal"))
    assert detect_surges_and_drops(rows, parse_as_of("2025-01"), SETTINGS).tested == 3 + 1


def test_a_record_inside_its_forecasts_range_is_no_record():
    values = [50] * 12 + [300] + [100] * 11 + [150]
    series = monthly_series(values, level="area").assign(country=None, admin1=None)
    as_of = parse_as_of("2025-01")
    # 150 is the highest in 12 months and its tail is 0.04, but the range printed is 70-160.
    predictive = month_against_forecast(series, forecast_for(series, "2025-01", 110, 70, 160), as_of)
    predictive["p_upper"] = 0.04
    assert detect_monthly_records(series, predictive, as_of, SETTINGS).candidates == []
    predictive["upper"] = 140.0
    assert len(detect_monthly_records(series, predictive, as_of, SETTINGS).candidates) == 1
