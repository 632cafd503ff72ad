"""The count model: negative binomial months around a damped-trend level with seasonality,
fitted to thousands of series at once.

For each series:

- **seasonality**: a multiplicative factor per calendar month (the Sahel's rainy season slows
  operations), estimated from that series and shrunk toward the panel's pooled profile, strongly
  where the series has few events (a gamma-Poisson style pseudo-count);
- **level and trend**: damped-trend exponential smoothing of the deseasonalized counts (Holt,
  Gardner's damping), with the smoothing weights picked from a small grid by the in-sample
  Poisson deviance of one-month-ahead forecasts summed over every series of the level (one pair
  of weights per level: country, admin1, ...). Picked per series, a noisy region's weights
  chase its own spikes; pooled over the level, admin1 CRPS was 2.2 points better against
  trailing_mean on nine tuning worlds (docs/forecasting.md). With no trend this is the mean of
  Harvey and Fernandes' (1989) gamma-Poisson local-level model;
- **dispersion**: NB2 dispersion per series and per month ahead, by the method of moments on the
  in-sample forecast errors at that horizon (so intervals widen with the horizon as far as the
  series' own history says they should), shrunk toward the panel's pooled value.

Everything is numpy over a (series x months) matrix: one pass over the months per grid point,
whatever the number of series.
"""

from __future__ import annotations

from typing import Self

import numpy as np
import pandas as pd

from forecasting.models.base import Panel, chosen_path, forecast_frame, month_blocks, path_fits, sequential_sum
from forecasting.models.counts import negative_binomial_quantiles

SEASON = 12


class NegativeBinomialTrend:
    """Damped-trend negative binomial count model, vectorized over series (see module doc)."""

    name = "negbin"
    min_months = 6

    #: Level smoothing weights tried: from a long memory to following the last month.
    LEVEL_WEIGHTS = (0.05, 0.1, 0.2, 0.3, 0.45, 0.6, 0.8)
    #: Trend smoothing weights tried (0: no trend).
    TREND_WEIGHTS = (0.0, 0.1)
    #: Trend damping per month (Gardner & McKenzie): trends fade instead of running away.
    DAMPING = 0.8
    #: Months at the start of a series not scored (the level is still settling).
    BURN_IN = 6
    #: Seasonal pseudo-count: a series needs about this many events before its own calendar
    #: profile outweighs the panel's.
    SEASONAL_PRIOR = 60.0
    #: Horizons for which dispersion is estimated; further months reuse the last one.
    MAX_HORIZON = 12
    #: Residual months that weigh as much as the pooled dispersion.
    DISPERSION_PRIOR = 12.0

    def __init__(self, seasonal: bool = True):
        self.seasonal = seasonal

    def fit(self, panel: Panel) -> Self:
        self.panel = panel
        counts = panel.values
        months = panel.calendar_months()
        self.season = self.season_factors(counts, months) if self.seasonal else np.ones((len(panel), SEASON))
        factors = np.take_along_axis(self.season, months, axis=1)

        grid = [(a, b) for a in self.LEVEL_WEIGHTS for b in self.TREND_WEIGHTS]
        level_weight = np.array([a for a, _ in grid])[:, None] * np.ones((1, len(panel)))
        trend_weight = np.array([b for _, b in grid])[:, None] * np.ones((1, len(panel)))
        # Every grid point's path is kept where it fits in `PATH_BYTES`: the chosen weights' path
        # is then read from it rather than smoothed again (the same numbers: each series' path
        # depends only on its own weights).
        keep_path = path_fits(level_weight.shape, counts.shape[1])
        paths, trend_paths, deviance = self._smooth(counts, factors, level_weight, trend_weight, keep_path=keep_path)
        best = pooled_choice(deviance, panel.levels)
        chosen = np.arange(len(panel))
        self.level_weight = level_weight[best, chosen]
        self.trend_weight = trend_weight[best, chosen]
        if not keep_path:
            paths, trend_paths, _ = self._smooth(
                counts, factors, self.level_weight[None, :], self.trend_weight[None, :], keep_path=True
            )
            best = np.zeros(len(panel), dtype=int)
        levels, trends = chosen_path(paths, best), chosen_path(trend_paths, best)
        self.level = levels[:, -1]
        self.trend = trends[:, -1]
        self.dispersion = self._dispersion(counts, factors, levels, trends)
        return self

    def season_factors(self, counts: np.ndarray, months: np.ndarray) -> np.ndarray:
        """The month-of-year factors (series x 12): against the whole history's mean."""
        return seasonal_factors(counts, months, self.SEASONAL_PRIOR)

    def predict(self, horizon: int) -> pd.DataFrame:
        steps = np.arange(1, horizon + 1)
        damped = np.cumsum(self.DAMPING**steps)
        month = (self.panel.last_periods.astype(int) % SEASON)[:, None] + steps[None, :]
        factors = np.take_along_axis(self.season, month % SEASON, axis=1)
        mean = np.clip(self.level[:, None] + damped[None, :] * self.trend[:, None], 0.0, None) * factors
        dispersion = self.dispersion[:, np.minimum(steps, self.MAX_HORIZON) - 1]
        quantiles = negative_binomial_quantiles(mean, dispersion)
        return forecast_frame(self.panel, self.name, mean, quantiles)

    def _smooth(
        self,
        counts: np.ndarray,
        factors: np.ndarray,
        level_weight: np.ndarray,
        trend_weight: np.ndarray,
        keep_path: bool = False,
    ) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray]:
        """Run damped Holt smoothing for every (grid point x series) at once.

        Returns the level and trend after each month (months x grid points x series, only with
        `keep_path`) and the in-sample one-month-ahead Poisson deviance per grid point and series.
        """
        deseasonalized = counts / factors
        count, width = counts.shape
        first = width - self.panel.lengths
        # The level starts at the mean of the first year, so one odd first month does not dominate.
        columns = np.arange(width)[None, :]
        first_year = (columns >= first[:, None]) & (columns < first[:, None] + SEASON)
        start = np.nanmean(np.where(first_year, deseasonalized, np.nan), axis=1)
        starts = {int(t): np.flatnonzero(first == t) for t in np.unique(first[first < width])}

        shape = np.broadcast_shapes(level_weight.shape, (1, count))
        level = np.full(shape, np.nan)
        trend = np.zeros(shape)
        deviance = np.zeros(shape)
        levels = np.full((width, *shape), np.nan) if keep_path else None
        trends = np.zeros((width, *shape)) if keep_path else None
        active = ~np.isnan(deseasonalized)
        # Months without a count as 0, made once (not once a block of months).
        observed_counts = np.nan_to_num(counts)
        keep_level = 1.0 - level_weight
        keep_trend = (1.0 - trend_weight) * self.DAMPING
        # The loop only carries the level and trend forward; the deviance of each month's
        # one-month-ahead forecast is scored after it, a block of months at a time.
        block = month_blocks(shape, width)
        expected_block = np.empty((block, *shape))
        for t in range(width):
            if t in starts:
                level[:, starts[t]] = start[starts[t]]
                trend[:, starts[t]] = 0.0
            x = deseasonalized[:, t]
            expected_x = np.maximum(level + self.DAMPING * trend, 0.0, out=expected_block[t % block])
            new_level = np.maximum(level_weight * x + keep_level * expected_x, 0.0)
            new_trend = trend_weight * (new_level - level) + keep_trend * trend
            np.copyto(level, new_level, where=active[:, t])
            np.copyto(trend, new_trend, where=active[:, t])
            if keep_path:
                levels[t] = level
                trends[t] = trend
            if t % block == block - 1 or t == width - 1:
                months = slice(t - t % block, t + 1)
                deviance = self._deviance_added(
                    deviance, expected_block[: t % block + 1], factors[:, months], observed_counts[:, months],
                    active[:, months] & (columns[:, months] - first[:, None] >= self.BURN_IN),
                )
        return levels, trends, deviance

    @staticmethod
    def _deviance_added(
        deviance: np.ndarray, expected_x: np.ndarray, factors: np.ndarray, counts: np.ndarray, scored: np.ndarray
    ) -> np.ndarray:
        """`deviance` (grid points x series) plus the Poisson deviance of a block of months'
        one-month-ahead forecasts, month by month in order: `expected_x` (months x grid points x
        series) deseasonalized, `factors`, `counts` (no missing value) and `scored` (series x
        months)."""
        expected = np.maximum(expected_x * factors.T[:, None, :], 0.1)
        observed = counts.T[:, None, :]
        with np.errstate(divide="ignore", invalid="ignore"):
            term = np.where(observed > 0, observed * np.log(observed / expected), 0.0) - (observed - expected)
        return sequential_sum(deviance, np.where(scored.T[:, None, :], 2.0 * term, 0.0))

    def _dispersion(
        self, counts: np.ndarray, factors: np.ndarray, levels: np.ndarray, trends: np.ndarray
    ) -> np.ndarray:
        """(series x MAX_HORIZON) NB2 dispersion of the in-sample h-months-ahead errors."""
        count, width = counts.shape
        first = width - self.panel.lengths
        excess = np.zeros((count, self.MAX_HORIZON))
        scale = np.zeros((count, self.MAX_HORIZON))
        months = np.zeros((count, self.MAX_HORIZON))
        for h in range(1, self.MAX_HORIZON + 1):
            if h >= width:
                break
            damped = np.sum(self.DAMPING ** np.arange(1, h + 1))
            origin = slice(0, width - h)
            expected = np.clip(levels[:, origin] + damped * trends[:, origin], 0.0, None) * factors[:, h:]
            observed = counts[:, h:]
            usable = ~np.isnan(expected) & ~np.isnan(observed)
            usable &= (np.arange(width - h)[None, :] - first[:, None]) >= self.BURN_IN
            error = np.where(usable, (observed - expected) ** 2 - expected, 0.0)
            excess[:, h - 1] = error.sum(axis=1)
            scale[:, h - 1] = np.where(usable, expected**2, 0.0).sum(axis=1)
            months[:, h - 1] = usable.sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            own = np.clip(np.nan_to_num(excess / scale, nan=0.0, posinf=0.0), 0.0, 20.0)
            pooled = np.clip(excess.sum(axis=0) / scale.sum(axis=0), 0.0, 20.0)
        pooled = np.nan_to_num(pooled, nan=0.0)
        # A short history's squared errors say little; lean on the panel until it has a year or so.
        dispersion = (months * own + self.DISPERSION_PRIOR * pooled) / (months + self.DISPERSION_PRIOR)
        # Uncertainty does not shrink with the horizon, whatever a noisy estimate says.
        return np.maximum.accumulate(dispersion, axis=1)


def level_names(levels: np.ndarray) -> np.ndarray:
    """A panel's level of each series as text ("" where it has none), to group series by level."""
    return np.asarray(["" if level is None else str(level) for level in levels], dtype=object)


def pooled_choice(loss: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Per series, the grid point (row of `loss`, grid points x series) with the least loss summed
    over every series of its level (country, admin1, ...): one choice per level, not one per
    series (see module doc)."""
    names = level_names(levels)
    best = np.zeros(len(names), dtype=int)
    for name in np.unique(names):
        rows = names == name
        best[rows] = int(np.argmin(loss[:, rows].sum(axis=1)))
    return best


def seasonal_factors(counts: np.ndarray, months: np.ndarray, prior: float, *, level: np.ndarray | None = None) -> np.ndarray:
    """(series x 12) multiplicative month-of-year factors, each row averaging 1: a series' own
    profile shrunk toward the panel's pooled one with a pseudo-count of `prior` events. Each
    month is set against the series' whole history's mean, or against `level` (series x months;
    NaN: the month is left out) where given (`local_seasonal_factors`)."""
    present = ~np.isnan(counts) if level is None else ~np.isnan(counts) & ~np.isnan(level)
    average = np.nanmean(counts, axis=1)
    observed = np.zeros((len(counts), SEASON))
    expected = np.zeros((len(counts), SEASON))
    for month in range(SEASON):
        here = present & (months == month)
        observed[:, month] = np.where(here, counts, 0.0).sum(axis=1)
        expected[:, month] = here.sum(axis=1) * average if level is None else np.where(here, level, 0.0).sum(axis=1)
    pooled = (observed.sum(axis=0) + prior) / (expected.sum(axis=0) + prior)
    factors = (observed + prior * pooled) / (expected + prior)
    return factors / factors.mean(axis=1, keepdims=True)


def local_seasonal_factors(counts: np.ndarray, months: np.ndarray, prior: float) -> np.ndarray:
    """`seasonal_factors` with each month set against the series' level around it, the centred
    2x12 moving average of classical decomposition (months without six on either side are left
    out), not against the whole history's mean. A series growing for years has every calendar
    month's share rise through the year and the months of its last, partial year (its highest)
    stand above the others: against the overall mean, a series growing 3.5% a month with no
    season at all got June 1.19 and July 0.84 (docs/forecasting.md, "Tenth round")."""
    return seasonal_factors(counts, months, prior, level=centred_level(counts))


def centred_level(counts: np.ndarray) -> np.ndarray:
    """(series x months) centred 2x12 moving average: for each month, half of the months six
    before and after it and the eleven between; NaN where one of those is missing."""
    count, width = counts.shape
    weights = np.r_[0.5, np.ones(SEASON - 1), 0.5] / SEASON
    level = np.full((count, width), np.nan)
    if width <= SEASON:
        return level
    windows = np.lib.stride_tricks.sliding_window_view(counts, SEASON + 1, axis=1)
    level[:, SEASON // 2 : width - SEASON // 2] = windows @ weights
    return level


class LocalSeasonNegativeBinomial(NegativeBinomialTrend):
    """negbin with its month-of-year factors set against the level around each month
    (`local_seasonal_factors`): the ensemble's member for years-long escalations, where
    negbin's own factors read the growth as a season."""

    name = "negbin_local"

    def season_factors(self, counts: np.ndarray, months: np.ndarray) -> np.ndarray:
        return local_seasonal_factors(counts, months, self.SEASONAL_PRIOR)
