"""A regional drop: a region's attacks of one month far below its own past year, where the
forecast's range (wide for a region whose level moved for years) cannot tell it."""

from __future__ import annotations

import pandas as pd
import pytest
from scipy import stats

from forecasting.detectors import parse_as_of
from forecasting.detectors.findings import control_false_discoveries
from forecasting.detectors.predictive import month_against_forecast
from forecasting.detectors.regional_drop import detect_regional_drops
from forecasting.detectors.surge import detect_surges_and_drops
from jobs.config import DetectConfig

SETTINGS = DetectConfig().detection_settings("the Central Sahel")
AS_OF = parse_as_of("2025-06")
#: A steady region: 11 to 17 attacks every month of the past year.
STEADY = [12, 15, 13, 16, 14, 11, 15, 14, 13, 16, 12, 17]
#: A region of campaigns: months of 2 to 31 attacks.
NOISY = [2, 30, 5, 28, 3, 25, 8, 31, 4, 27, 6, 19]


def region(past: list[int], month: int, *, measure: str = "events", admin1: str = "Kayes") -> pd.DataFrame:
    values = [*past, month]
    return pd.DataFrame({
        "series_id": f"{measure}|admin1|Mali|{admin1}", "level": "admin1", "measure": measure, "country": "Mali",
        "admin1": admin1, "admin2": None, "tier": None, "actor": None,
        "period": pd.date_range(end=AS_OF.month, periods=len(values), freq="MS"), "value": values,
    })


def wide_forecast(series: pd.DataFrame, mean: float = 14.0, q05: float = 7.0, q95: float = 35.0) -> pd.DataFrame:
    """The forecast of a region whose level rose for years: right about the mean, wide."""
    ids = series["series_id"].unique()
    return pd.DataFrame({"series_id": ids, "period": AS_OF.month, "model": "test", "fallback": None, "mean": mean,
                         "q05": q05, "q10": q05, "q25": mean, "q50": mean, "q75": mean, "q90": q95, "q95": q95})


def regional_drops(series: pd.DataFrame, forecasts: pd.DataFrame, as_of=AS_OF):
    return detect_regional_drops(series, month_against_forecast(series, forecasts, as_of), as_of, SETTINGS)


def test_a_steady_region_falling_to_one_attack_is_a_drop_that_its_wide_forecast_range_misses():
    series = region(STEADY, 1)
    forecasts = wide_forecast(series)
    found = regional_drops(series, forecasts)
    assert found.tested == 1 and len(found.candidates) == 1
    drop = found.candidates[0]
    assert (drop.kind, drop.observed, drop.expected) == ("drop", 1.0, 14.0)
    assert drop.p_value < 1e-4
    assert drop.evidence["past_lowest"] == 11 and drop.evidence["forecast_lower"] == 7.0
    # The past year's 90% range is that of the negative binomial the month was judged against
    # (mean 14, variance 3.5: less than Poisson's, so Poisson), printed as such.
    assert (drop.lower, drop.upper) == (stats.poisson.ppf(0.05, 14.0), stats.poisson.ppf(0.95, 14.0)) == (8.0, 20.0)
    assert "(90% range 8–20; from 11 to 17)" in drop.message
    assert "fell to 1 in June 2025, against 14 a month in the 12 months before" in drop.message
    assert "from 11 to 17" in drop.message and "93% below the past year's level" in drop.message
    # Against the forecast alone the same month is p of about 0.01: among a month's hundreds of
    # surge and drop tests, nothing.
    against_forecast = detect_surges_and_drops(month_against_forecast(series, forecasts, AS_OF), AS_OF, SETTINGS)
    assert against_forecast.candidates[0].p_value > 0.005
    # In the regional family (a few dozen places, here 30) it stays an alert.
    family = type(found)(found.candidates, tested=30)
    assert [alert.kind for alert in control_false_discoveries(family, SETTINGS.false_discovery_rate)] == ["drop"]


def test_a_single_quiet_month_in_a_noisy_region_is_not_a_drop():
    series = region(NOISY, 2)
    found = regional_drops(series, wide_forecast(series, mean=16.0, q05=3.0, q95=38.0))
    assert found.tested == 1 and found.candidates == []
    # The same month in the steady region is one.
    assert len(regional_drops(region(STEADY, 2), wide_forecast(region(STEADY, 2))).candidates) == 1


def test_a_drop_must_be_large_below_the_forecast_and_of_attacks_in_a_whole_month():
    # Half the usual month: unlikely against a steady year, but not a fall to a third.
    assert regional_drops(region(STEADY, 6), wide_forecast(region(STEADY, 6), q05=5.0)).candidates == []
    # Within the forecast's range (a forecast that expected a low month): no drop.
    low = region(STEADY, 3)
    assert regional_drops(low, wide_forecast(low, mean=5.0, q05=2.0, q95=10.0)).candidates == []
    # Deaths alone are not judged here: fewer deaths is not fewer attacks.
    deaths = region([40, 45, 38, 50, 42, 39, 47, 44, 41, 46, 43, 48], 0, measure="fatalities")
    assert regional_drops(deaths, wide_forecast(deaths, mean=44.0, q05=20.0, q95=90.0)).tested == 0
    # A month so far is no month: a fortnight of quiet is not a fall.
    steady = region(STEADY, 1)
    assert regional_drops(steady, wide_forecast(steady), parse_as_of("2025-06-15")).tested == 0
    # A place without a whole past year, or whose year is below the floor, is not tested.
    assert regional_drops(region(STEADY[-6:], 1), wide_forecast(region(STEADY[-6:], 1))).tested == 0
    sparse = region([3, 4, 2, 5, 3, 4, 3, 2, 4, 3, 5, 4], 0)
    assert regional_drops(sparse, wide_forecast(sparse, mean=5.0, q05=1.0, q95=10.0)).tested == 0


@pytest.mark.parametrize("share, found", [(0.33, 1), (0.05, 0)])
def test_the_share_of_the_past_year_is_the_configured_one(share, found):
    import dataclasses

    settings = dataclasses.replace(SETTINGS, regional_drop_share=share)
    series = region(STEADY, 1)
    forecasts = wide_forecast(series)
    drops = detect_regional_drops(series, month_against_forecast(series, forecasts, AS_OF), AS_OF, settings)
    assert len(drops.candidates) == found
