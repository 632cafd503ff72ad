"""Prophet on log1p counts, with yearly seasonality once a series has two years.

Non-negative treatment: Prophet fits log1p(count), its predictive samples are mapped back with
expm1 and clipped at zero, and the quantiles and mean come from those samples; so no forecast or
interval goes below zero, and spikes do not drag the trend as much as on the raw scale.
Prophet and CmdStan are silenced to WARNING in every process that runs them.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from forecasting.models.base import QUANTILES
from forecasting.models.per_series import PerSeriesModel, SeriesForecast

#: Predictive samples per forecast (Prophet's default is 1000; 300 keep the quantiles stable
#: to well under a count at these levels and cost a third).
SAMPLES = 300


def prophet_forecast(values: np.ndarray, last_period: np.datetime64, horizon: int, seed: int) -> SeriesForecast:
    """One series' Prophet forecast on the count scale: mean (horizon,), quantiles (horizon x 7)."""
    _quiet_prophet()
    from prophet import Prophet

    months = pd.date_range(end=pd.Timestamp(last_period), periods=len(values), freq="MS")
    history = pd.DataFrame({"ds": months, "y": np.log1p(values.astype(float))})
    model = Prophet(
        yearly_seasonality=len(values) >= 24,
        weekly_seasonality=False,
        daily_seasonality=False,
        uncertainty_samples=SAMPLES,
    )
    model.fit(history)
    future = pd.DataFrame({"ds": pd.date_range(months[-1] + pd.offsets.MonthBegin(1), periods=horizon, freq="MS")})
    # Prophet draws its trend and noise samples from numpy's global generator; seeding it here,
    # right before sampling, makes the forecast a function of the data and the seed.
    np.random.seed(seed % 2**32)
    samples = model.predictive_samples(future)["yhat"]
    counts = np.clip(np.expm1(np.clip(samples, None, 12.0)), 0.0, None)
    return counts.mean(axis=1), np.quantile(counts, QUANTILES, axis=1).T


def _quiet_prophet() -> None:
    """Prophet and CmdStan speak only about problems, in every process that runs them.

    CmdStanPy sets its logger to DEBUG with its own INFO handler the first time it is used,
    unless that logger already has a handler (where the CLI configured logging, the root one
    counts): so ask for it once here, then turn it down.
    """
    from cmdstanpy.utils import get_logger

    get_logger().setLevel(logging.WARNING)
    logging.getLogger("prophet").setLevel(logging.WARNING)
    # Prophet logs an ERROR when plotly (interactive plots, unused here) is missing.
    logging.getLogger("prophet.plot").setLevel(logging.CRITICAL)


class ProphetLog(PerSeriesModel):
    """Prophet on log1p counts, one fit per series (see module doc)."""

    name = "prophet"
    min_months = 12
    forecaster = staticmethod(prophet_forecast)
