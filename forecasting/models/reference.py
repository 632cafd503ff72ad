"""The field's reference baselines: seasonal naive, the trailing 12-month mean, and
"conflictology" (VIEWS' benchmark: a bootstrap of the last 12 months); and the 6-month mean the
ensemble uses beside them.

All three are vectorized: one fit handles every series of a panel at once. They are the yardsticks
every other model must beat in `forecasting.backtest`.
"""

from __future__ import annotations

from typing import Self

import numpy as np
import pandas as pd

from forecasting.models.base import QUANTILES, Panel, forecast_frame
from forecasting.models.counts import moment_dispersion, negative_binomial_quantiles

SEASON = 12


class SeasonalNaive:
    """Next January is last January. Intervals from the spread of year-on-year changes.

    Point forecast for h months ahead: the value of the same calendar month in the last year.
    Quantiles: the point plus the empirical quantiles of the model's own recent errors, the
    series' year-on-year differences (y[t] - y[t-12]) over its last `residual_months` months,
    widened by sqrt(years ahead), clipped at zero. Recent ones only: over decades of quiet the
    differences are nearly all 0, which gave a 50% interval of 260-261 deaths in a war. Needs 13
    months.
    """

    name = "seasonal_naive"
    min_months = SEASON + 1

    def __init__(self, residual_months: int = 3 * SEASON):
        self.residual_months = residual_months

    def fit(self, panel: Panel) -> Self:
        self.panel = panel
        return self

    def predict(self, horizon: int) -> pd.DataFrame:
        values = self.panel.values
        steps = np.arange(horizon)
        source = values.shape[1] - SEASON + steps % SEASON
        point = values[:, source]
        changes = (values[:, SEASON:] - values[:, :-SEASON])[:, -self.residual_months :]
        with np.errstate(all="ignore"):
            spread = np.nanquantile(changes, QUANTILES, axis=1).T if changes.shape[1] else np.zeros((len(values), len(QUANTILES)))
        spread = np.nan_to_num(spread)
        widen = np.sqrt(steps // SEASON + 1.0)
        quantiles = point[:, :, None] + spread[:, None, :] * widen[None, :, None]
        return forecast_frame(self.panel, self.name, point, quantiles)


class TrailingMean:
    """The mean of the last 12 months, with negative binomial intervals.

    Mean: average of the last 12 months (fewer if the series is shorter). Quantiles: a negative
    binomial with that mean and the variance of those months (Poisson when they vary less than a
    Poisson would). The same for every month ahead. Works from one month of data.
    """

    name = "trailing_mean"
    min_months = 1

    def __init__(self, months: int = SEASON):
        self.months = months

    def fit(self, panel: Panel) -> Self:
        self.panel = panel
        return self

    def predict(self, horizon: int) -> pd.DataFrame:
        recent = self.panel.values[:, -self.months :]
        mean = np.nanmean(recent, axis=1)
        dispersion = moment_dispersion(recent)
        quantiles = negative_binomial_quantiles(mean, dispersion)
        return forecast_frame(
            self.panel,
            self.name,
            np.repeat(mean[:, None], horizon, axis=1),
            np.repeat(quantiles[:, None, :], horizon, axis=1),
        )


class RecentMean(TrailingMean):
    """The trailing mean of the last 6 months: half the lag of the 12-month mean after a regime
    changes, at about 1.4 times its noise. Not a benchmark of the field: an ensemble member
    (`forecasting.models.ensemble`), which weighs it where regimes have just changed. Needs the 6
    months it averages (shorter series fall back to the 12-month mean)."""

    name = "recent_mean"
    min_months = 6

    def __init__(self, months: int = 6):
        super().__init__(months)


class Conflictology:
    """VIEWS' "conflictology" benchmark: every month ahead is a draw from the last 12 months.

    The forecast distribution is a bootstrap (`draws` resamples, seeded) of the last 12 observed
    values; the mean is their average. The same distribution for every month ahead, as in VIEWS.
    """

    name = "conflictology"
    min_months = SEASON

    def __init__(self, seed: int = 0, draws: int = 1000):
        self.seed = seed
        self.draws = draws

    def fit(self, panel: Panel) -> Self:
        self.panel = panel
        return self

    def predict(self, horizon: int) -> pd.DataFrame:
        recent = self.panel.values[:, -SEASON:]
        rng = np.random.default_rng(self.seed)
        picks = rng.integers(0, recent.shape[1], size=(len(recent), self.draws))
        sample = np.take_along_axis(recent, picks, axis=1)
        quantiles = np.quantile(sample, QUANTILES, axis=1).T
        mean = recent.mean(axis=1)
        return forecast_frame(
            self.panel,
            self.name,
            np.repeat(mean[:, None], horizon, axis=1),
            np.repeat(quantiles[:, None, :], horizon, axis=1),
        )
