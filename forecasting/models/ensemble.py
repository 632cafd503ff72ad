"""The ensemble: member forecasts averaged quantile by quantile, with weights per level chosen by
a rolling-origin backtest on the training months themselves.

Averaging quantiles (Vincentization) keeps every quantile non-negative and in order, and in
forecasting competitions and in VIEWS it is the combination that is hard to beat. The weights
are those, on a grid of step 0.1 over the simplex, that minimize the members' combined CRPS at
each level (country, admin1, ...) over the last `origins` months of the training data: a level
where one member is clearly better leans on it, and a level with no history to judge by gets
equal weights. Nothing after the training months is used, so the ensemble is as honest in a
backtest as its members.
"""

from __future__ import annotations

import itertools
import logging
from typing import Self

import numpy as np
import pandas as pd

from forecasting.models.base import QUANTILE_COLUMNS, Panel

log = logging.getLogger(__name__)

#: Members: the negative binomial count model and the two strongest reference baselines.
MEMBERS = ("negbin", "conflictology", "trailing_mean")
_NUMBERS = ["mean", *QUANTILE_COLUMNS]


class Ensemble:
    """Weighted quantile average of `members` (model names), weights per level (see module doc)."""

    name = "ensemble"
    min_months = 12

    def __init__(self, members: tuple[str, ...] = MEMBERS, *, seed: int = 0, origins: int = 6, horizons: int = 3, run: dict | None = None):
        self.members = members
        self.seed = seed
        self.origins = origins
        self.horizons = horizons
        self.run = run or {}

    def fit(self, series: pd.DataFrame | Panel) -> Self:
        from forecasting.backtest import backtest_forecasts
        from forecasting.models import make_model

        panel = series if isinstance(series, Panel) else Panel.from_series(series)
        self.panel = panel
        cells = backtest_forecasts(
            panel, list(self.members), origins=self.origins, horizons=self.horizons, seed=self.seed, **self.run
        )
        self.weights = self._weights_per_level(cells)
        self.fitted = [make_model(name, seed=self.seed, **self.run).fit(panel) for name in self.members]
        return self

    def predict(self, horizon: int) -> pd.DataFrame:
        frames = [model.predict(horizon) for model in self.fitted]
        base = frames[0]
        levels = pd.Series(self.panel.levels, index=self.panel.series_ids)
        equal = np.full(len(self.members), 1.0 / len(self.members))
        weights = np.stack(
            [self.weights.get(level, equal) for level in levels.reindex(base["series_id"]).to_numpy()]
        ) if len(base) else np.zeros((0, len(self.members)))
        combined = sum(weights[:, [k]] * frame[_NUMBERS].to_numpy(dtype=float) for k, frame in enumerate(frames))
        result = base.copy()
        result[_NUMBERS] = combined
        result["model"] = self.name
        # A member that fell back on a series says so; the simplest account is the first one found.
        fallbacks = pd.concat([frame["fallback"] for frame in frames], axis=1)
        result["fallback"] = fallbacks.bfill(axis=1).iloc[:, 0]
        return result

    def _weights_per_level(self, cells: pd.DataFrame) -> dict[str, np.ndarray]:
        """Per level, the member weights (grid of 0.1) that give the lowest mean backtest CRPS."""
        from forecasting.backtest import quantile_crps

        if cells.empty:
            return {}
        grid = np.array(
            [w for w in itertools.product(range(11), repeat=len(self.members)) if sum(w) == 10], dtype=float
        ) / 10.0
        # Among equally good weightings prefer the most even one (the least tuned to noise).
        grid = grid[np.argsort(np.abs(grid - 1.0 / len(self.members)).sum(axis=1), kind="stable")]
        key = ["series_id", "origin", "period"]
        weights = {}
        for level, at_level in cells.groupby("level", sort=True):
            per_member = [
                at_level[at_level["model"] == name].set_index(key).sort_index() for name in self.members
            ]
            if per_member[0].empty or any(not frame.index.equals(per_member[0].index) for frame in per_member):
                continue
            stacked = np.stack([frame[list(QUANTILE_COLUMNS)].to_numpy(dtype=float) for frame in per_member])
            combined = np.tensordot(grid, stacked, axes=1)  # (weightings x forecasts x quantiles)
            crps = quantile_crps(per_member[0]["observed"].to_numpy(dtype=float)[None, :], combined).mean(axis=1)
            best = grid[int(np.argmin(crps))]
            weights[level] = best
            log.debug("ensemble weights at %s: %s", level, dict(zip(self.members, best.tolist())))
        return weights
