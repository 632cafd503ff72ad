"""The trend member: a robust damped local-linear trend on the square-root scale, for escalations
that build up over years.

Real escalations are ramps (Burkina Faso's monthly deaths grew about tenfold from 2017 to 2020,
month after month), and every level model lags a ramp: a 12-month mean sits about six months
behind, so at 5% growth a month it forecasts about a third too few deaths one month ahead and
half too few six months ahead. This model follows the growth itself:

- the months are deseasonalized by the panel's pooled month-of-year factors (as the count model,
  `forecasting.models.negbin`, works them out, with no series' own profile), then taken to the square-root scale,
  where a count's noise is about the same at every level;
- a damped local-linear trend (Holt's method in error-correction form, Gardner's damping) runs
  over them, each one-month-ahead error entering only up to `HUBER_K` robust standard deviations
  (robust exponential smoothing, Gelper, Fried and Croux 2010), so a massacre neither lifts the
  level for long nor starts a trend; the damping makes a trend fade over the months ahead
  instead of running past a peak;
- the level weight, trend weight and damping are picked per level (country, admin1, ...: one
  triple for all series of a level, as negbin picks its weights) from a small grid, by the mean
  absolute error on the square-root scale of the in-sample forecasts 1 to `HORIZONS` months
  ahead over the last `SCORED_MONTHS` months;
- months ahead: on the square-root scale the forecast is normal around the damped trend's path,
  with the standard deviation of the series' own in-sample errors at that many months ahead
  (robust: 1.25 times their mean absolute value, shrunk toward the level's pooled value, never
  decreasing with the horizon); counts are its square, times the month's seasonal factor, the
  mean including the variance term (E[y] = m^2 + s^2).
"""

from __future__ import annotations

from typing import Self

import numpy as np
import pandas as pd

from forecasting.models.base import QUANTILES, Panel, forecast_frame
from forecasting.models.negbin import SEASON, level_names, pooled_choice, seasonal_factors
from forecasting.models.robust import opening_months

#: Standard normal quantiles at `QUANTILES`.
_Z = np.array([-1.6448536, -1.2815516, -0.6744898, 0.0, 0.6744898, 1.2815516, 1.6448536])


class DampedTrend:
    """Robust damped local-linear trend on the square-root scale (see module doc)."""

    name = "damped_trend"
    min_months = 12

    #: Grid of (level weight, trend weight as a share of the level weight, damping per month).
    LEVEL_WEIGHTS = (0.1, 0.2, 0.35, 0.5)
    TREND_WEIGHTS = (0.05, 0.15, 0.3)
    DAMPINGS = (0.85, 0.93, 0.98)
    #: Errors beyond this many robust standard deviations are pulled in.
    HUBER_K = 2.0
    #: Weight of the newest month in the robust scale, and its floor (square-root scale).
    SCALE_WEIGHT = 0.1
    SCALE_FLOOR = 0.25
    #: Months ahead the grid is judged on, the months scored, and the months not scored at the
    #: start of a series (the level is still settling).
    HORIZONS = 6
    SCORED_MONTHS = 60
    BURN_IN = 6
    #: Seasonal pseudo-count (events): so large that every series takes the panel's pooled
    #: month-of-year profile (a region's own profile over 14 years is mostly its massacres: one
    #: in a March must not make every March a high month).
    SEASONAL_PRIOR = 1e12
    #: Scored months that weigh as much as the level's pooled spread.
    SPREAD_PRIOR = 12.0

    def fit(self, panel: Panel) -> Self:
        self.panel = panel
        counts = panel.values
        months = panel.calendar_months()
        self.season = seasonal_factors(counts, months, self.SEASONAL_PRIOR)
        factors = np.take_along_axis(self.season, months, axis=1)
        x = np.sqrt(np.clip(counts, 0.0, None) / factors)
        grid = [(a, b, phi) for a in self.LEVEL_WEIGHTS for b in self.TREND_WEIGHTS for phi in self.DAMPINGS]
        alpha, beta, phi = (np.array([point[i] for point in grid])[:, None] * np.ones((1, len(panel))) for i in range(3))
        errors, counted, _, _ = self._smooth(x, alpha, beta, phi)
        loss = errors.sum(axis=2) / np.maximum(counted.sum(axis=2), 1)
        best = pooled_choice(loss, panel.levels)
        rows = np.arange(len(panel))
        self.alpha, self.beta, self.phi = alpha[best, rows], beta[best, rows], phi[best, rows]
        errors, counted, level, trend = self._smooth(x, self.alpha[None], self.beta[None], self.phi[None])
        self.level, self.trend = level[0], trend[0]
        # Spread per series and months ahead: 1.25 x the mean absolute error, shrunk to the pool.
        errors, counted = errors[0], counted[0]
        with np.errstate(divide="ignore", invalid="ignore"):
            own = np.nan_to_num(1.25 * errors / counted)
        names = level_names(panel.levels)
        spread = np.zeros_like(own)
        for name in np.unique(names):
            at = names == name
            pooled = 1.25 * errors[at].sum(axis=0) / np.maximum(counted[at].sum(axis=0), 1)
            spread[at] = (counted[at] * own[at] + self.SPREAD_PRIOR * pooled) / (counted[at] + self.SPREAD_PRIOR)
        self.spread = np.maximum.accumulate(np.maximum(spread, self.SCALE_FLOOR), axis=1)
        return self

    def predict(self, horizon: int) -> pd.DataFrame:
        steps = np.arange(1, horizon + 1)
        damped = np.cumsum(self.phi[:, None] ** steps[None, :], axis=1)
        path = np.clip(self.level[:, None] + damped * self.trend[:, None], 0.0, None)
        spread = self.spread[:, np.minimum(steps, self.HORIZONS) - 1]
        month = (self.panel.last_periods.astype(int) % SEASON)[:, None] + steps[None, :]
        factors = np.take_along_axis(self.season, month % SEASON, axis=1)
        mean = (path**2 + spread**2) * factors
        roots = np.clip(path[:, :, None] + spread[:, :, None] * _Z[None, None, :], 0.0, None)
        quantiles = roots**2 * factors[:, :, None]
        return forecast_frame(self.panel, self.name, mean, quantiles)

    def _smooth(self, x: np.ndarray, alpha: np.ndarray, beta: np.ndarray, phi: np.ndarray):
        """Run the robust damped trend for every (grid point x series) at once. Returns the
        summed absolute errors and their counts per (grid point, series, months ahead) over the
        scored months, and the final level and trend (grid points x series)."""
        count, width = x.shape
        first = width - self.panel.lengths
        columns = np.arange(width)[None, :]
        opening = opening_months(x, self.panel.lengths)
        with np.errstate(all="ignore"):
            start = np.nan_to_num(np.nanmean(opening, axis=1))
            start_scale = np.nan_to_num(np.nanmean(np.abs(opening - start[:, None]), axis=1)) + self.SCALE_FLOOR
        shape = np.broadcast_shapes(alpha.shape, (1, count))
        level = np.broadcast_to(start, shape).copy()
        trend = np.zeros(shape)
        scale = np.broadcast_to(start_scale, shape).copy()
        horizons = self.HORIZONS
        steps = np.arange(1, horizons + 1)
        # Forecast paths made after each of the last `horizons` months (a ring: slot t % horizons
        # holds the path made after month t), for the h-months-ahead errors.
        damped = np.cumsum(phi[None] ** steps[:, None, None], axis=0)
        paths = np.zeros((horizons, horizons, *shape))
        errors = np.zeros((horizons, *shape))
        counted = np.zeros((horizons, count))
        scored_from = max(width - self.SCORED_MONTHS, 0)
        present = ~np.isnan(x) & (columns >= first[:, None])
        values = np.nan_to_num(x)
        for t in range(width):
            active = present[:, t]
            observed = values[:, t]
            if t >= scored_from:
                for h in steps:
                    made = t - h
                    scored = active & (made - first >= self.BURN_IN)
                    if scored.any():
                        errors[h - 1] += np.abs(observed - paths[made % horizons, h - 1]) * scored
                        counted[h - 1] += scored
            error = observed - (level + phi * trend)
            bound = self.HUBER_K * scale
            clipped = np.clip(error, -bound, bound)
            new_level = np.clip(level + phi * trend + alpha * clipped, 0.0, None)
            new_trend = phi * trend + alpha * beta * clipped
            new_scale = np.maximum((1.0 - self.SCALE_WEIGHT) * scale + self.SCALE_WEIGHT * 1.25 * np.abs(clipped), self.SCALE_FLOOR)
            level = np.where(active, new_level, level)
            trend = np.where(active, new_trend, trend)
            scale = np.where(active, new_scale, scale)
            if t >= scored_from - horizons - 1:
                paths[t % horizons] = np.clip(level[None] + damped * trend[None], 0.0, None)
        errors = np.moveaxis(errors, 0, -1)
        counted = np.broadcast_to(np.moveaxis(counted, 0, -1)[None], errors.shape)
        return errors, counted, level, trend


assert len(_Z) == len(QUANTILES)
