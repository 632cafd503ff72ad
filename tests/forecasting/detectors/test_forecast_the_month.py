"""The forecast detection tests the month against: each measure's hierarchy, tiers and actors
apart, fitted on what was seen before the month, as `conflictwatch forecast --by` fits them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecasting.detectors import forecast_the_month, history_for_forecast, parse_as_of
from forecasting.detectors.pipeline import first_seen_history
from forecasting.models import forecast
from forecasting.series import series_for_levels

AS_OF = parse_as_of("2023-07")
LEVELS = ("area", "country", "admin1", "admin2", "tier")


def _counts() -> pd.DataFrame:
    """30 months of deaths and events in four districts of two countries, from 2021-01, and in
    July 2023 a fifth district hit for the first time (Diema); Kita has events but no deaths."""
    rng = np.random.default_rng(11)
    periods = pd.date_range("2021-01-01", "2023-07-01", freq="MS")
    rows = []
    for country, admin1, admin2, tier, rate in (
        ("Mali", "Kayes", "Nioro", "admin2_capital", 4.0), ("Mali", "Kayes", "Kita", "village", 0.0),
        ("Mali", "Mopti", "Djenne", "village", 9.0), ("Niger", "Tillaberi", "Torodi", "admin3_seat", 6.0),
    ):
        deaths = rng.negative_binomial(1.5, 1.5 / (1.5 + rate), size=len(periods)) if rate else np.zeros(len(periods))
        rows.append(pd.DataFrame({"country": country, "admin1": admin1, "admin2": admin2, "tier": tier,
                                  "year": periods.year, "month": periods.month, "fatalities": deaths.astype(int),
                                  "events": 1 + rng.poisson(2, size=len(periods))}))
    rows.append(pd.DataFrame({"country": "Mali", "admin1": "Kayes", "admin2": "Diema", "tier": "village",
                              "year": [2023], "month": [7], "fatalities": [12], "events": [3]}))
    return pd.concat(rows, ignore_index=True)


def _series() -> pd.DataFrame:
    return series_for_levels(_counts(), LEVELS, end=AS_OF.month)


def test_first_seen_places_are_left_out_of_the_history_and_places_with_events_but_no_deaths_are_not():
    series = _series()
    history, new = history_for_forecast(series, AS_OF), first_seen_history(series, AS_OF)

    diema = {"fatalities|admin2|Mali|Kayes|Diema", "events|admin2|Mali|Kayes|Diema"}
    assert set(new["series_id"]) == diema
    assert (new["value"] == 0).all() and new["period"].max() < AS_OF.month
    assert not diema & set(history["series_id"])
    # Kita never had a death, but it had events: its deaths series was seen (and is forecast).
    assert "fatalities|admin2|Mali|Kayes|Kita" in set(history["series_id"])
    assert history["period"].max() < AS_OF.month
    assert len(history) + len(new) == (series["period"] < AS_OF.month).sum()


def test_each_measures_hierarchy_and_its_tiers_are_forecast_as_they_would_be_alone():
    series = _series()
    got = forecast_the_month(series, AS_OF, seed=3).set_index("series_id")
    history = history_for_forecast(series, AS_OF)
    geographic = history["level"] != "tier"
    for part in (geographic & (history["measure"] == "fatalities"), geographic & (history["measure"] == "events"),
                 ~geographic & (history["measure"] == "fatalities")):
        alone = forecast(history[part], horizon=1, seed=3).set_index("series_id")
        pd.testing.assert_frame_equal(got.loc[alone.index], alone, check_exact=True)
    # Diema, first hit in July: a point mass at 0, outside Kayes's sum (which adds up without it).
    diema = got.loc["fatalities|admin2|Mali|Kayes|Diema"]
    assert diema["fallback"] == "zero" and diema["mean"] == diema["q95"] == 0
    districts = [name for name in got.index if name.startswith("fatalities|admin2|Mali|Kayes|")]
    assert np.isclose(got.loc[districts, "mean"].sum(), got.loc["fatalities|admin1|Mali|Kayes", "mean"])
    assert list(got.index) == sorted(got.index) and got.index.is_unique


def test_a_month_with_nothing_before_it_forecasts_nothing():
    # A store of a few days: every series starts in the as-of month.
    series = _series()
    first = series[series["period"] == AS_OF.month]
    assert history_for_forecast(first, AS_OF).empty and first_seen_history(first, AS_OF).empty
    assert forecast_the_month(first, AS_OF).empty
