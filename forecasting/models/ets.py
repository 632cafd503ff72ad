"""ETS on log1p counts (statsmodels' ETSModel): additive errors, damped additive trend, and
additive seasonality once a series has three years.

Working on log1p(count) makes a multiplicative model of the counts that cannot go below zero
after the way back (expm1 of the quantiles: quantiles survive any increasing transformation).
The mean on the count scale is the lognormal mean, exp(mu + variance / 2) - 1.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats

from forecasting.models.base import QUANTILES
from forecasting.models.per_series import PerSeriesModel, SeriesForecast

_Z = stats.norm.ppf(QUANTILES)


def ets_forecast(values: np.ndarray, last_period: np.datetime64, horizon: int, seed: int) -> SeriesForecast:
    """One series' ETS forecast on the count scale: mean (horizon,), quantiles (horizon x 7)."""
    from statsmodels.tools.sm_exceptions import ConvergenceWarning
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    months = pd.date_range(end=pd.Timestamp(last_period), periods=len(values), freq="MS")
    logged = pd.Series(np.log1p(values.astype(float)), index=months)
    seasonal = "add" if len(values) >= 36 else None
    with warnings.catch_warnings():
        # Short, flat or spiky conflict series often leave the optimizer at a boundary; the fit is
        # still usable, and the backtest says how good it is.
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        model = ETSModel(
            logged,
            error="add",
            trend="add",
            damped_trend=True,
            seasonal=seasonal,
            seasonal_periods=12 if seasonal else None,
        )
        fitted = model.fit(disp=False)
        prediction = fitted.get_prediction(start=len(values), end=len(values) + horizon - 1)
        center = np.asarray(prediction.predicted_mean, dtype=float)
        variance = np.asarray(prediction.forecast_variance, dtype=float)
    if not (np.isfinite(center).all() and np.isfinite(variance).all()):
        raise ValueError("ETS forecast is not finite")
    spread = np.sqrt(np.clip(variance, 0.0, None))
    # Beyond e^12 (~160,000 deaths a month) a log-scale forecast has lost touch with the data.
    logged_quantiles = np.clip(center[:, None] + spread[:, None] * _Z[None, :], None, 12.0)
    mean = np.expm1(np.clip(center + variance / 2.0, None, 12.0))
    return mean, np.expm1(logged_quantiles)


class ETSLog(PerSeriesModel):
    """ETS on log1p counts, one statsmodels fit per series (see module doc)."""

    name = "ets"
    min_months = 24
    forecaster = staticmethod(ets_forecast)
