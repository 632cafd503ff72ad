"""The ensemble: member forecasts averaged quantile by quantile, with weights per level chosen by
a rolling-origin backtest on the training months themselves.

Averaging quantiles (Vincentization) keeps every quantile non-negative and in order, and in
forecasting competitions and in VIEWS it is the combination that is hard to beat. The weights
are those, on a grid of step 0.1 over the simplex, that minimize the members' combined CRPS at
each level (country, admin1, ...) over the last `origins` months of the training data: a level
where one member is clearly better leans on it, and a level with no history to judge by gets
equal weights. Nothing after the training months is used, so the ensemble is as honest in a
backtest as its members.

The weights are judged on at most `max_series_per_level` series of each level (a seeded sample
where a level has more): at 10,000 admin2 units the backtest of every series would cost ten times
the forecast itself, and a few thousand series x origins x months ahead already pin a grid of
step 0.1 down. Levels smaller than that (every level of the shipped sample) use all their series.
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
#: Series per level the weights are judged on (see the module doc).
MAX_SERIES_PER_LEVEL = 1000
_NUMBERS = ["mean", *QUANTILE_COLUMNS]
#: Backtest forecasts scored at once. Small blocks keep the (weightings x forecasts x quantiles)
#: array in cache (it was gigabytes at 10,000 series) and the product below on one BLAS thread:
#: bigger blocks wake OpenBLAS's threads, which cost ten times the arithmetic in CPU time.
_CHUNK = 256


class Ensemble:
    """Weighted quantile average of `members` (model names), weights per level (see module doc)."""

    name = "ensemble"
    min_months = 12

    def __init__(
        self,
        members: tuple[str, ...] = MEMBERS,
        *,
        seed: int = 0,
        origins: int = 6,
        horizons: int = 3,
        max_series_per_level: int = MAX_SERIES_PER_LEVEL,
        run: dict | None = None,
    ):
        self.members = members
        self.seed = seed
        self.origins = origins
        self.horizons = horizons
        self.max_series_per_level = max_series_per_level
        self.run = run or {}

    def fit(self, series: pd.DataFrame | Panel) -> Self:
        from forecasting.backtest import backtest_forecasts
        from forecasting.models import make_model

        panel = series if isinstance(series, Panel) else Panel.from_series(series)
        self.panel = panel
        cells = backtest_forecasts(
            self._judged_series(panel),
            list(self.members),
            origins=self.origins,
            horizons=self.horizons,
            seed=self.seed,
            **self.run,
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

    def _judged_series(self, panel: Panel) -> Panel:
        """The series the weights are judged on: all of a level's, or a seeded sample of
        `max_series_per_level` of them where it has more. The panel itself when no level does."""
        levels = pd.Series(panel.levels, dtype=object).fillna("")
        sizes = levels.value_counts()
        if sizes.empty or sizes.max() <= self.max_series_per_level:
            return panel
        rng = np.random.default_rng(self.seed)
        keep = np.zeros(len(panel), dtype=bool)
        for level in sorted(sizes.index):
            rows = np.flatnonzero(levels.to_numpy() == level)
            if len(rows) > self.max_series_per_level:
                rows = rng.choice(rows, size=self.max_series_per_level, replace=False)
            keep[rows] = True
        log.debug("ensemble weights judged on %d of %d series", int(keep.sum()), len(panel))
        return panel.subset(keep)

    def _weights_per_level(self, cells: pd.DataFrame) -> dict[str, np.ndarray]:
        """Per level, the member weights (grid of 0.1) that give the lowest mean backtest CRPS.

        A level is judged only where every member forecast the same (series, origin, month)
        cells; they are scored in that key's order, in chunks of `_CHUNK` forecasts."""
        from forecasting.backtest import quantile_crps

        if cells.empty:
            return {}
        grid = np.array(
            [w for w in itertools.product(range(11), repeat=len(self.members)) if sum(w) == 10], dtype=float
        ) / 10.0
        # Among equally good weightings prefer the most even one (the least tuned to noise).
        grid = grid[np.argsort(np.abs(grid - 1.0 / len(self.members)).sum(axis=1), kind="stable")]
        # One sort of all cells by level, member, series, origin and month (numpy on integer
        # codes: a pandas sort per level and member cost more than the scoring itself).
        level_codes, level_names = pd.factorize(cells["level"], sort=True)
        member_codes = pd.Index(self.members).get_indexer(cells["model"])
        series_codes = pd.factorize(cells["series_id"], sort=True)[0]
        origins = cells["origin"].to_numpy(dtype="datetime64[ns]").view("int64")
        periods = cells["period"].to_numpy(dtype="datetime64[ns]").view("int64")
        order = np.lexsort((periods, origins, series_codes, member_codes, level_codes))
        order = order[(level_codes[order] >= 0) & (member_codes[order] >= 0)]
        keys = np.stack([series_codes[order], origins[order], periods[order]], axis=1)
        quantiles = cells[list(QUANTILE_COLUMNS)].to_numpy(dtype=float)[order]
        observed = cells["observed"].to_numpy(dtype=float)[order]
        blocks = level_codes[order] * len(self.members) + member_codes[order]
        bounds = np.searchsorted(blocks, np.arange(len(level_names) * len(self.members) + 1))
        weights = {}
        for code, level in enumerate(level_names):
            rows = [slice(bounds[code * len(self.members) + k], bounds[code * len(self.members) + k + 1])
                    for k in range(len(self.members))]
            first = rows[0]
            if first.stop == first.start or any(not np.array_equal(keys[part], keys[first]) for part in rows):
                continue
            stacked = np.stack([quantiles[part] for part in rows])  # (members x forecasts x quantiles)
            outcome = observed[first]
            total = np.zeros(len(grid))
            for start in range(0, len(outcome), _CHUNK):
                part = slice(start, start + _CHUNK)
                combined = np.tensordot(grid, stacked[:, part], axes=1)  # (weightings x forecasts x quantiles)
                total += quantile_crps(outcome[None, part], combined).sum(axis=1)
            best = grid[int(np.argmin(total / len(outcome)))]
            weights[level] = best
            log.debug("ensemble weights at %s: %s", level, dict(zip(self.members, best.tolist())))
        return weights
