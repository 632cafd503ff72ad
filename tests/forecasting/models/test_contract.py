"""The contract every model must keep, run over every model conflictwatch has (sktime-style).

Each model forecasts the same small panel: ordinary overdispersed series, an all-zero one, a very
short one, a constant one, and one that ends a month earlier than the others.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.models import QUANTILE_COLUMNS, available_models, forecast, validate_forecast

HORIZON = 4


def panel_frame() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    periods = pd.date_range("2019-01-01", "2024-12-01", freq="MS")
    frames = []
    for index in range(3):
        mean = 8.0 * (index + 1) * np.exp(np.linspace(0.0, 0.8, len(periods)))
        values = rng.negative_binomial(2, 2 / (2 + mean))
        frames.append(pd.DataFrame({"series_id": f"admin1|Burkina Faso|R{index}", "period": periods, "value": values}))
    frames.append(pd.DataFrame({"series_id": "admin1|Mali|Quiet", "period": periods, "value": 0}))
    frames.append(pd.DataFrame({"series_id": "admin1|Mali|New", "period": periods[-3:], "value": [2, 9, 4]}))
    frames.append(pd.DataFrame({"series_id": "admin1|Niger|Steady", "period": periods, "value": 5}))
    frames.append(
        pd.DataFrame({"series_id": "admin1|Niger|Earlier", "period": periods[:-1], "value": rng.poisson(6, len(periods) - 1)})
    )
    frame = pd.concat(frames, ignore_index=True)
    frame["level"] = "admin1"
    return frame


@pytest.fixture(scope="module")
def series() -> pd.DataFrame:
    return panel_frame()


@pytest.fixture(scope="module", params=available_models())
def forecasts(request, series) -> tuple[str, pd.DataFrame]:
    return request.param, forecast(series, request.param, HORIZON, seed=11)


def rows(frame: pd.DataFrame, series_id: str) -> pd.DataFrame:
    return frame[frame["series_id"] == series_id]


def test_forecasts_are_non_negative_with_non_decreasing_quantiles(forecasts):
    _, frame = forecasts
    validate_forecast(frame)
    numbers = frame[["mean", *QUANTILE_COLUMNS]].to_numpy(dtype=float)
    assert (numbers >= 0).all()
    assert (np.diff(frame[list(QUANTILE_COLUMNS)].to_numpy(dtype=float), axis=1) >= 0).all()
    # Not degenerate: the busy series get intervals with some width.
    busy = rows(frame, "admin1|Burkina Faso|R2")
    assert (busy["q95"] > busy["q05"]).all()
    assert (busy["mean"] > 0).all()


def test_each_series_gets_the_horizon_months_after_its_own_last_month(forecasts, series):
    _, frame = forecasts
    assert sorted(frame["series_id"].unique()) == sorted(series["series_id"].unique())
    assert frame.groupby("series_id").size().eq(HORIZON).all()
    last = series.groupby("series_id")["period"].max()
    for series_id, months in frame.groupby("series_id")["period"]:
        expected = pd.date_range(last[series_id] + pd.offsets.MonthBegin(1), periods=HORIZON, freq="MS")
        assert list(months) == list(expected), series_id


def test_all_zero_short_and_constant_series_name_their_fallback(forecasts):
    name, frame = forecasts
    quiet = rows(frame, "admin1|Mali|Quiet")
    assert (quiet["fallback"] == "zero").all()
    assert (quiet[["mean", *QUANTILE_COLUMNS]].to_numpy() == 0).all()

    new = rows(frame, "admin1|Mali|New")
    steady = rows(frame, "admin1|Niger|Steady")
    if name == "trailing_mean":
        assert new["fallback"].isna().all() and steady["fallback"].isna().all()
    else:
        assert (new["fallback"] == "trailing_mean").all()
        assert (steady["fallback"] == "trailing_mean").all()
    assert new["mean"].iloc[0] == pytest.approx(5.0)
    assert steady["mean"].iloc[0] == pytest.approx(5.0)
    assert steady["q05"].iloc[0] < 5 < steady["q95"].iloc[0]

    ordinary = rows(frame, "admin1|Burkina Faso|R0")
    assert ordinary["fallback"].isna().all()
    assert (frame["model"] != "default").all()


def test_the_same_seed_gives_the_same_numbers(forecasts, series):
    name, frame = forecasts
    again = forecast(series, name, HORIZON, seed=11)
    pd.testing.assert_frame_equal(frame, again)


def test_forecasts_follow_the_series_level(forecasts, series):
    """A series around 50 a month is forecast near 50, not near 5 or 500."""
    name, frame = forecasts
    recent = series[series["series_id"] == "admin1|Burkina Faso|R2"]["value"].tail(12).mean()
    first = rows(frame, "admin1|Burkina Faso|R2")["q50"].iloc[0]
    assert recent / 3 < first < recent * 3, (name, recent, first)


def test_models_are_fitted_on_a_panel_built_once_at_the_entry(forecasts, series):
    """`Model.fit(panel)`: the model built by the registry, fitted on the Panel `forecast()`
    builds, gives exactly what `forecast()` gives (no second conversion anywhere inside)."""
    from forecasting.models import make_model
    from forecasting.models.base import Panel

    name, frame = forecasts
    direct = make_model(name, seed=11).fit(Panel.from_series(series)).predict(HORIZON)
    pd.testing.assert_frame_equal(direct.reset_index(drop=True), frame.reset_index(drop=True))
