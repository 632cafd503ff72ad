"""The ensemble: member forecasts averaged quantile by quantile, weights per level from the members'
recent rolling-origin record, then conformally calibrated per level and months ahead.

Forecasting runs one rolling-origin backtest of the members on the training months themselves (the
last `origins` months, 1 to `horizons` months ahead, or fewer where fewer are asked for; nothing
after the training months is used, so the ensemble is as honest in a backtest as its members),
and uses it twice:

- **weights** (`ensemble_weights`): per level (country, admin1, ...), greedy forward selection
  with replacement (Caruana et al. 2004) in steps of 0.1, each step adding the member that lowers
  the combined CRPS most over those recent forecasts. Recent origins only (`ORIGINS`, 36): on
  series whose regimes last years, the members that tracked the last years are the ones to
  trust now (12 origins of three countries were too few to weigh by, and on 30 tuning worlds 36
  origins judged better than 24 with the 6-month mean among the members: docs/forecasting.md). A
  level with no record gets equal weights; a geographic level of fewer than 10 series (three
  countries) takes the weights of the level below it (`share_weights`).
- **calibration** (`forecasting.models.calibration`): the combined forecasts of those origins
  against what happened give the conformal shifts of the 90% interval's ends, per level and
  horizon, and the 50% interval's width factor likewise, both on the square-root scale.

Averaging quantiles (Vincentization) keeps every quantile non-negative and in order. Members: the
damped-trend negative binomial (a local level that follows regime changes, its smoothing chosen
per level), the robust level (which one massacre does not move), the two field benchmarks, and
the 6-month trailing mean (`recent_mean`: after a regime change it is right sooner than the
12-month mean, at more noise; the weights judge which matters more at each level).

The record is judged on at most `max_series_per_level` series of each level (a seeded sample
where a level has more): at 10,000 admin2 units the backtest of every series would cost many
times the forecast itself, and a thousand series x 36 origins x 6 months ahead already pin the
weights and the shifts down. Levels smaller than that (every level of the shipped sample) use all
their series.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Self

import numpy as np
import pandas as pd

from forecasting.models.base import QUANTILE_COLUMNS, Model, Panel
from forecasting.models.calibration import Calibration, adaptive_ends, apply_calibration, fit_calibration, shift_quantiles
from forecasting.models.memo import ForecastMemo, Judgement
from forecasting.models.rolling import origin_forecasts, rolling_origin_forecasts
from forecasting.scores import MASE_YEARS, quantile_crps

log = logging.getLogger(__name__)

#: Members: the count model, the robust level, the two strongest reference baselines, the
#: 6-month mean (which tracks a regime change in half the 12-month mean's lag) and the count
#: model with its season set against the local level (which follows a years-long escalation
#: that the count model reads as a season; docs/forecasting.md, "Tenth round").
MEMBERS = ("negbin", "robust_level", "conflictology", "trailing_mean", "recent_mean", "negbin_local")
#: Series per level the record is judged on (see the module doc).
MAX_SERIES_PER_LEVEL = 1000
#: Recent origins the weights and the calibration are judged on (see the module doc).
ORIGINS = 36
#: A geographic level with fewer series takes the weights of the level below it (`share_weights`).
MIN_SERIES_TO_WEIGH = 10
#: Greedy selection steps: weights are multiples of 1 / STEPS.
STEPS = 10
#: Levels whose series move their own interval after their own recent misses
#: (`calibration.adaptive_ends`), its step as a fraction of the interval's width, the quantiles
#: it moves and whether it may narrow below the pooled calibration. The countries' and the area's
#: 50% interval only (docs/forecasting.md, "Seventh round (a)"): on the stress tuning worlds it
#: brought their 50% coverage from 0.438 to 0.472 and their 90% to 0.89-0.93 at every horizon;
#: moving the 90% ends per series too cost 0.26 points of country CRPS skill in tuning worlds 1-15.
ADAPTIVE_LEVELS: tuple[str, ...] = ("country", "area")
ADAPTIVE_STEP = 0.05
ADAPTIVE_TRACKED = (0.25, 0.75)
ADAPTIVE_NARROW = True
_NUMBERS = ["mean", *QUANTILE_COLUMNS]


class Ensemble:
    """Weighted, calibrated quantile average of `members` (name -> factory of an unfitted model)."""

    name = "ensemble"
    min_months = 12
    #: Its district means leave out the expected toll of rare massacres (the robust members are
    #: built not to follow one), so the reconciliation adds it at the parents
    #: (`forecasting.models.hierarchy.RareEvents`).
    leaves_out_rare_events = True
    #: (series_id, period) -> deaths beyond the rare bound in the months of the parents the
    #: reconciliation adds rare months to (set by `forecasting.models.hierarchy.BottomUp`): their
    #: 50% width is calibrated on their outcomes less these, the ordinary part it is the width of.
    rare_excess: pd.Series | None = None

    def __init__(
        self,
        members: Mapping[str, Callable[[], Model]],
        *,
        seed: int = 0,
        origins: int = ORIGINS,
        horizons: int = 6,
        max_series_per_level: int = MAX_SERIES_PER_LEVEL,
        memo: ForecastMemo | None = None,
    ):
        self.members = dict(members)
        # Remembers the judgement (weights, calibration) of a history seen before; keeps nothing
        # unless given one (`forecasting.models.memo`).
        self.memo = memo if memo is not None else ForecastMemo()
        self.seed = seed
        self.origins = origins
        self.horizons = horizons
        self.max_series_per_level = max_series_per_level

    def fit(self, panel: Panel) -> Self:
        self.panel = panel
        self.fitted = [build().fit(panel) for build in self.members.values()]
        return self

    def predict(self, horizon: int) -> pd.DataFrame:
        # The record is judged here, where the months ahead are known: a one-month forecast (all
        # `detect` needs) is weighted and calibrated on one-month-ahead forecasts only, at a sixth
        # of the cost of judging six months ahead.
        judged, horizons = self._judged_series(self.panel), min(horizon, self.horizons)
        settings = (list(self.members), self.origins, horizons, self.seed)
        self.weights, self.calibration = self.memo.judgement(judged, settings, lambda: self._judge(judged, horizons))
        frames = [model.predict(horizon) for model in self.fitted]
        # The next month's newest rolling origin is fitted on this panel: a backfill's memo keeps them.
        self.memo.keep_fitted(self.panel, (list(self.members), horizon, self.seed), frames)
        base = frames[0]
        levels = pd.Series(self.panel.levels, index=self.panel.series_ids)
        weights = self._weights_of_rows(base, levels.reindex(base["series_id"]).to_numpy(), len(frames))
        combined = sum(weights[:, [k]] * frame[_NUMBERS].to_numpy(dtype=float) for k, frame in enumerate(frames))
        result = base.copy()
        result[_NUMBERS] = combined
        result["model"] = self.name
        # A member that fell back on a series says so; the simplest account is the first one found.
        fallbacks = pd.concat([frame["fallback"] for frame in frames], axis=1)
        result["fallback"] = fallbacks.bfill(axis=1).iloc[:, 0]
        return apply_calibration(result, levels, self.calibration)

    def _weights_of_rows(self, base: pd.DataFrame, levels: np.ndarray, members: int) -> np.ndarray:
        """(rows x members) weights for the rows of a member's forecast frame `base`, whose
        series are at `levels`: their level's weights."""
        return _row_weights(levels, self.weights, members)

    def _judge(self, judged: Panel, horizons: int) -> Judgement:
        """Weights per level and calibration from the members' rolling-origin record on `judged`."""
        names = list(self.members)

        def fitted_or_fresh(seen: Panel, observed: int, forecasts):
            def fitted():
                # The members fitted on this origin's history already (by the month before's
                # ensemble, in a backfill): their forecasts with this origin's outcomes.
                predicted = self.memo.fitted(seen.truncate(observed), (names, horizons, self.seed))
                if predicted is None:
                    return forecasts()
                return origin_forecasts(seen, observed, self.members, horizons=horizons, mase_years=MASE_YEARS,
                                        predicted=predicted)

            return seen, (names, observed, horizons, self.seed), fitted

        def remembered(origins):
            return self.memo.origin_forecasts([fitted_or_fresh(*origin) for origin in origins])

        cells = rolling_origin_forecasts(judged, self.members, origins=self.origins, horizons=horizons, remember=remembered)
        record = member_record(cells, names)
        weights = share_weights(ensemble_weights(record, len(names)), judged)
        combined = combine_cells(record, weights)
        calibration = fit_calibration(combined, inner_observed=self._ordinary_outcomes(combined))
        if ADAPTIVE_LEVELS and not combined.empty:
            tracked = combined[combined["level"].astype(str).isin(ADAPTIVE_LEVELS)]
            if not tracked.empty:
                issued = self._issued(tracked, calibration)
                offsets = adaptive_ends(issued, ADAPTIVE_LEVELS, ADAPTIVE_STEP, calibration.horizons, ADAPTIVE_TRACKED, ADAPTIVE_NARROW)
                calibration = replace(calibration, series_offsets=offsets)
        return weights, calibration

    def _issued(self, combined: pd.DataFrame, calibration: Calibration) -> pd.DataFrame:
        """The record's forecasts (of the tracked levels) as they would have been issued: the
        pooled calibration applied. (Judging the parents' misses on their record reconciled
        bottom-up instead was measured on the sample and scored about the same:
        docs/forecasting.md, "Seventh round (a)".)"""
        issued = combined.copy()
        quantiles = combined[list(QUANTILE_COLUMNS)].to_numpy(dtype=float)
        issued[list(QUANTILE_COLUMNS)] = shift_quantiles(quantiles, combined["level"].astype(str).to_numpy(),
                                                         combined["horizon"].to_numpy(dtype=int), calibration)
        return issued

    def _ordinary_outcomes(self, cells: pd.DataFrame) -> np.ndarray | None:
        """The cells' outcomes less `rare_excess` in their month; None without it."""
        if self.rare_excess is None or cells.empty:
            return None
        keys = pd.MultiIndex.from_arrays([cells["series_id"].to_numpy(), pd.DatetimeIndex(cells["period"])])
        return cells["observed"].to_numpy(dtype=float) - self.rare_excess.reindex(keys).fillna(0.0).to_numpy()

    def _judged_series(self, panel: Panel) -> Panel:
        """The series the record is judged on: all of a level's, or a seeded sample of
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
        log.debug("ensemble record judged on %d of %d series", int(keep.sum()), len(panel))
        return panel.subset(keep)


def member_record(cells: pd.DataFrame, members: Sequence[str]) -> dict[str, tuple[np.ndarray, np.ndarray, pd.DataFrame]]:
    """The members' rolling-origin forecasts (`forecasting.models.rolling`, `model` naming the
    member) per level, as (members x forecasts x quantiles) quantiles, the outcomes, and the
    frame of series_id, origin, period, horizon of each forecast, in one order shared by all members.
    A level is left out where the members did not forecast the same (series, origin, month)."""
    if cells.empty:
        return {}
    # The columns the record is made of, then positions (not frames) per level and member: the
    # record is taken again each month of a backfill, from 36 origins' cells.
    columns = ["level", "model", "series_id", "origin", "period", "observed", "horizon", *QUANTILE_COLUMNS]
    ordered = cells.loc[cells["model"].isin(members).to_numpy(), columns].sort_values(
        ["level", "model", "series_id", "origin", "period"], kind="stable")
    models = ordered["model"].to_numpy()
    keys = [ordered[name].to_numpy() for name in ("series_id", "origin", "period")]
    numbers = ordered[list(QUANTILE_COLUMNS)].to_numpy(dtype=float)
    observed = ordered["observed"].to_numpy(dtype=float)
    by_level = ordered.groupby("level", sort=True).indices
    record = {}
    for level in sorted(by_level):
        rows = by_level[level]
        parts = [rows[models[rows] == name] for name in members]
        first = parts[0]
        if not len(first) or any(
            len(part) != len(first) or not all((key[part] == key[first]).all() for key in keys) for part in parts
        ):
            continue
        quantiles = np.stack([numbers[part] for part in parts])
        record[level] = (quantiles, observed[first], ordered[["series_id", "origin", "period", "horizon"]].iloc[first].reset_index(drop=True))
    return record


def ensemble_weights(record: dict, members: int, *, steps: int = STEPS) -> dict[str, np.ndarray]:
    """Per level of a `member_record`, the weights of its `members` (multiples of 1/`steps`,
    summing to 1, in the record's member order) by greedy forward selection with replacement on
    the mean CRPS. Pure: the same record gives the same weights (a cache may store them)."""
    weights = {}
    for level, (quantiles, observed, _) in record.items():
        counts = np.zeros(members)
        current = np.zeros_like(quantiles[0])
        for step in range(1, steps + 1):
            # Every candidate: the current mix with one more share of member k.
            trial = (current[None] * (step - 1) + quantiles) / step
            losses = quantile_crps(observed[None, :], trial).mean(axis=1)
            best = int(np.argmin(losses))
            counts[best] += 1
            current = trial[best]
        weights[level] = counts / steps
        log.debug("ensemble weights at %s: %s", level, weights[level].tolist())
    return weights


def share_weights(weights: dict[str, np.ndarray], panel: Panel) -> dict[str, np.ndarray]:
    """`weights` with each geographic level of fewer than `MIN_SERIES_TO_WEIGH` series (three
    countries, the area) given the weights of the finer level below it, where that level has
    weights: a handful of series x 24 or 36 origins is too few to weigh members by (on nine tuning
    worlds the countries' own weights left the default's country CRPS 0.3 points further from
    trailing_mean's and 2.5 points further from the better benchmark's on the sample)."""
    counts = pd.Series(panel.levels, dtype=object).value_counts()
    shared = dict(weights)
    for coarse, fine in (("country", "admin1"), ("area", "country")):
        if coarse in shared and fine in shared and counts.get(coarse, 0) < MIN_SERIES_TO_WEIGH:
            shared[coarse] = shared[fine]
    return shared


def combine_cells(record: dict, weights: dict[str, np.ndarray]) -> pd.DataFrame:
    """The ensemble's own rolling-origin forecasts from a `member_record`: the members averaged
    with `weights` per level (equal where a level has none), one row per series, origin and
    month ahead, with `level` and `observed`."""
    frames = []
    for level, (quantiles, observed, keys) in record.items():
        weight = weights.get(level, np.full(len(quantiles), 1.0 / len(quantiles)))
        frame = keys.assign(level=level, observed=observed)
        frame[list(QUANTILE_COLUMNS)] = np.tensordot(weight, quantiles, axes=1)
        frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=["series_id", "origin", "period", "horizon", "level", "observed", *QUANTILE_COLUMNS])
    return pd.concat(frames, ignore_index=True)


def _row_weights(levels: np.ndarray, weights: dict[str, np.ndarray], members: int) -> np.ndarray:
    """(rows x members) weights for rows at `levels`; equal weights where a level has none."""
    equal = np.full(members, 1.0 / members)
    if not len(levels):
        return np.zeros((0, members))
    return np.stack([weights.get(level, equal) for level in levels])
