"""The forecast frame and the protocol every baseline model follows.

A forecast frame has one row per series and month ahead:

    series_id  period  model  fallback  mean  q05  q10  q25  q50  q75  q90  q95

`period` is a month start (datetime64), `model` the model asked for, `fallback` the model that
actually produced the row when the asked-for one could not (all-zero, very short or constant
series), else missing. Every number is non-negative and the quantiles never decrease.
"""

from __future__ import annotations

from typing import Protocol, Self

import numpy as np
import pandas as pd

QUANTILES = (0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95)
QUANTILE_COLUMNS = tuple(f"q{round(level * 100):02d}" for level in QUANTILES)
FORECAST_COLUMNS = ("series_id", "period", "model", "fallback", "mean", *QUANTILE_COLUMNS)


class Model(Protocol):
    """A baseline: fit on a series frame (many series at once), then predict months ahead."""

    name: str

    def fit(self, series: pd.DataFrame) -> Self:
        """Learn from a series frame (see forecasting.series); returns the fitted model."""
        ...

    def predict(self, horizon: int) -> pd.DataFrame:
        """A forecast frame for the `horizon` months after each series' last month."""
        ...


def validate_forecast(frame: pd.DataFrame) -> pd.DataFrame:
    """Check the forecast-frame contract; raise ValueError (a bug) where it is broken."""
    missing = [name for name in FORECAST_COLUMNS if name not in frame]
    if missing:
        raise ValueError(f"forecast frame lacks columns {missing}")
    numbers = frame[["mean", *QUANTILE_COLUMNS]].to_numpy(dtype=float)
    if np.isnan(numbers).any() or (numbers < 0).any():
        raise ValueError("forecasts must be present and non-negative")
    if (np.diff(numbers[:, 1:], axis=1) < -1e-9).any():
        raise ValueError("forecast quantiles must not decrease")
    return frame


def next_periods(last: pd.Timestamp, horizon: int) -> pd.DatetimeIndex:
    """The `horizon` month starts after `last`."""
    return pd.date_range(pd.Timestamp(last) + pd.offsets.MonthBegin(1), periods=horizon, freq="MS")
