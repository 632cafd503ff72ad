"""The trend member follows an escalation ramp where the level models lag it, does not take one
massacre for a trend, and picks one set of weights per level."""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecasting.models import forecast
from forecasting.models.base import Panel
from forecasting.models.trend import DampedTrend

PERIODS = pd.date_range("2014-01-01", periods=96, freq="MS")


def frame(values: dict[str, np.ndarray], level: str = "admin1") -> pd.DataFrame:
    return pd.concat(
        [pd.DataFrame({"series_id": name, "period": PERIODS[: len(v)], "value": v, "level": level}) for name, v in values.items()],
        ignore_index=True,
    )


def ramp_panel(rng: np.random.Generator) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Eight regions flat at 10 deaths a month for five years, then growing 6% a month for three."""
    months = np.arange(96)
    rate = 10.0 * np.exp(0.06 * np.clip(months - 60, 0, None))
    series = {f"R{i}": rng.negative_binomial(10, 10 / (10 + rate)) for i in range(8)}
    return frame(series), {"rate": rate}


def test_on_a_ramp_the_trend_is_nearer_the_truth_than_the_level_models():
    rng = np.random.default_rng(3)
    series, truth = ramp_panel(rng)
    ahead = 10.0 * np.exp(0.06 * (np.arange(96, 102) - 60))
    errors = {}
    for model in ("damped_trend", "trailing_mean", "robust_level"):
        predicted = forecast(series, model, horizon=6).groupby("period")["mean"].mean().to_numpy()
        errors[model] = np.abs(predicted - ahead).mean()
    # The level models lag a 6%-a-month ramp by months; the trend follows it.
    assert errors["damped_trend"] < 0.5 * errors["trailing_mean"], errors
    assert errors["damped_trend"] < 0.7 * errors["robust_level"], errors
    # And it does not run away: damped, six months ahead it stays below the undamped path.
    predicted = forecast(series, "damped_trend", horizon=6)
    assert (predicted.groupby("period")["mean"].mean().to_numpy()[-1] < 1.3 * ahead[-1])


def test_one_massacre_does_not_start_a_trend():
    rng = np.random.default_rng(5)
    calm = {f"D{i}": rng.poisson(5.0, 96).astype(float) for i in range(6)}
    hit = calm["D0"].copy()
    hit[-2] += 150.0
    before = forecast(frame(calm, "admin2"), "damped_trend", horizon=6)
    after = forecast(frame({**calm, "D0": hit}, "admin2"), "damped_trend", horizon=6)
    moved = after[after["series_id"] == "D0"]["mean"].to_numpy() - before[before["series_id"] == "D0"]["mean"].to_numpy()
    # A trailing 12-month mean would rise by 12.5 deaths a month for a year.
    assert (moved < 4.0).all(), moved
    # And no rising path: six months ahead is not above one month ahead.
    path = after[after["series_id"] == "D0"]["mean"].to_numpy()
    assert path[-1] <= path[0] * 1.05, path


def test_one_choice_of_weights_per_level():
    rng = np.random.default_rng(8)
    series, _ = ramp_panel(rng)
    calm = frame({f"D{i}": rng.poisson(3.0, 96).astype(float) for i in range(5)}, "admin2")
    model = DampedTrend().fit(Panel.from_series(pd.concat([series, calm], ignore_index=True)))
    levels = Panel.from_series(pd.concat([series, calm], ignore_index=True)).levels
    for level in ("admin1", "admin2"):
        at = levels == level
        for weights in (model.alpha, model.beta, model.phi):
            assert len(set(weights[at])) == 1, level
    # The ramps' level picks a weight on the trend; its spread grows with the months ahead.
    assert (model.spread[:, 1:] >= model.spread[:, :-1]).all()
