"""The heavy-tail-robust member: a local level that one massacre does not move for a year.

A trailing mean that takes in a month with one event of 150 deaths forecasts about 12 more deaths
a month for the next year, in a district that saw 5. This model smooths the months exponentially,
but a month far above (or below) what was expected enters only up to `HUBER_K` robust standard
deviations from it (robust exponential smoothing, Gelper, Fried and Croux 2010: the Huber psi
function on the one-step error, with the scale itself smoothed robustly). A lasting change gets
through within a few months, because the expected value and the scale follow it; a single spike
does not. The smoothing weight is picked per series from a small grid by the in-sample mean
absolute one-month-ahead error (absolute, not squared, so spikes do not pick it either).

The forecast is a negative binomial around the level, the same for every month ahead, with the
dispersion of the series' cleaned months (spikes pulled in) over the last `DISPERSION_MONTHS`,
shrunk toward the panel's pooled value. The ensemble's conformal calibration then sets how heavy
the tails really are.
"""

from __future__ import annotations

from typing import Self

import numpy as np
import pandas as pd

from forecasting.models.base import Panel, chosen_path, forecast_frame, month_blocks, path_fits, sequential_sum
from forecasting.models.counts import moment_dispersion, negative_binomial_quantiles


class RobustLevel:
    """Huber-robust exponentially smoothed level with negative binomial months (see module doc)."""

    name = "robust_level"
    min_months = 6

    #: Smoothing weights tried per series.
    WEIGHTS = (0.1, 0.2, 0.35, 0.5, 0.7)
    #: Errors beyond this many robust standard deviations are pulled in (Huber's usual 2).
    HUBER_K = 2.0
    #: Weight of the newest month in the smoothed scale.
    SCALE_WEIGHT = 0.1
    #: Months of cleaned history the dispersion is estimated from, and their weight against the pool.
    DISPERSION_MONTHS = 36
    DISPERSION_PRIOR = 12.0

    def __init__(self, huber_k: float = HUBER_K):
        self.huber_k = huber_k

    def fit(self, panel: Panel) -> Self:
        self.panel = panel
        values = panel.values
        weights = np.asarray(self.WEIGHTS)[:, None] * np.ones((1, len(panel)))
        # Every weight's cleaned months are kept where they fit in `PATH_BYTES`, and the chosen
        # weight's read from them rather than smoothed again (the same numbers).
        keep_cleaned = path_fits(weights.shape, values.shape[1])
        level, cleaned, error = self._smooth(values, weights, keep_cleaned=keep_cleaned)
        best = np.argmin(error, axis=0)
        if not keep_cleaned:
            chosen = weights[best, np.arange(len(panel))]
            level, cleaned, _ = self._smooth(values, chosen[None, :], keep_cleaned=True)
            best = np.zeros(len(panel), dtype=int)
        self.level = level[best, np.arange(len(panel))]
        cleaned = chosen_path(cleaned, best)
        #: Excess of each month over what the smoother took in (series x months, NaN before a
        #: series starts): the part of a spike beyond `huber_k` robust scales.
        self.excess = values - cleaned
        recent = cleaned[:, -self.DISPERSION_MONTHS :]
        own = moment_dispersion(recent)
        months = np.sum(~np.isnan(recent), axis=1)
        pooled = float(np.median(own)) if len(own) else 0.0
        self.dispersion = (months * own + self.DISPERSION_PRIOR * pooled) / (months + self.DISPERSION_PRIOR)
        return self

    def predict(self, horizon: int) -> pd.DataFrame:
        # The same distribution every month ahead: its quantiles are worked out once.
        quantiles = negative_binomial_quantiles(self.level, self.dispersion)
        return forecast_frame(
            self.panel,
            self.name,
            np.repeat(self.level[:, None], horizon, axis=1),
            np.repeat(quantiles[:, None, :], horizon, axis=1),
        )

    def _smooth(
        self, values: np.ndarray, weight: np.ndarray, keep_cleaned: bool = False
    ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
        """Run the robust smoother for every (weight x series) at once: the final level
        (weights x series), the cleaned months (months x weights x series, only with
        `keep_cleaned`), and the in-sample mean absolute one-month-ahead error (weights x series)."""
        count, width = values.shape
        first = width - self.panel.lengths
        # Start from the median of the first six months, and their mean absolute deviation + 1.
        opening = opening_months(values, self.panel.lengths)
        with np.errstate(all="ignore"):
            start = np.nan_to_num(np.nanmedian(opening, axis=1))
            start_scale = np.nan_to_num(np.nanmean(np.abs(opening - start[:, None]), axis=1)) + 1.0
        shape = np.broadcast_shapes(weight.shape, (1, count))
        level = np.broadcast_to(start, shape).copy()
        scale = np.broadcast_to(start_scale, shape).copy()
        total = np.zeros(shape)
        cleaned = np.full((width, *shape), np.nan) if keep_cleaned else None
        columns = np.arange(width)[None, :]
        active = ~np.isnan(values) & (columns >= first[:, None])
        counted = active & (columns >= first[:, None] + 6)
        # Months without a value as 0, made once (not once a month: the loop runs for every fit).
        filled = np.nan_to_num(values)
        # The loop carries the level and scale forward; the errors it keeps are summed after it,
        # a block of months at a time.
        block = month_blocks(shape, width)
        errors = np.empty((block, *shape))
        for t in range(width):
            error = np.subtract(filled[:, t], level, out=errors[t % block])
            bound = self.huber_k * scale
            clipped = np.minimum(np.maximum(error, -bound), bound)
            if keep_cleaned:
                # The month as the smoother took it in: the expected value plus the bounded error.
                cleaned[t] = np.where(active[:, t], np.maximum(level + clipped, 0.0), np.nan)
            new_level = np.maximum(level + weight * clipped, 0.0)
            # Scale: a robust running mean absolute error (errors beyond the bound count as the bound).
            new_scale = (1.0 - self.SCALE_WEIGHT) * scale + self.SCALE_WEIGHT * np.abs(clipped) * 1.25
            np.copyto(level, new_level, where=active[:, t])
            np.copyto(scale, np.maximum(new_scale, 0.5), where=active[:, t])
            if t % block == block - 1 or t == width - 1:
                months = slice(t - t % block, t + 1)
                total = sequential_sum(total, np.where(counted[:, months].T[:, None, :], np.abs(errors[: t % block + 1]), 0.0))
        scored = counted.sum(axis=1).astype(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            error = np.where(scored > 0, total / scored, np.inf)
        return level, cleaned, error


def opening_months(values: np.ndarray, lengths: np.ndarray, months: int = 6) -> np.ndarray:
    """Each series' first `months` months (series x months, right-aligned as in a `Panel`, NaN
    elsewhere): what the robust smoothers (this one, `forecasting.models.trend`) start from."""
    first = values.shape[1] - lengths
    columns = np.arange(values.shape[1])[None, :]
    return np.where((columns >= first[:, None]) & (columns < first[:, None] + months), values, np.nan)
