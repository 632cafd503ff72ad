"""Coherent levels: a country's expected deaths are the sum of its regions', and a region's the
sum of its districts' (bottom-up reconciliation).

Series at different levels are forecast separately, so on their own a country's forecast need
not equal the sum of its regions', and a report could show numbers that do not add up. After the
model has forecast every series, each parent's `mean` is replaced by the sum of its children's
(reconciled first, from the finest level up: admin2 -> admin1 -> country -> area), and its
quantiles are scaled by the same factor, so its interval keeps its own shape around the
reconciled mean. (Moving them on the log1p scale instead was tried: the same CRPS, but 90%
coverage at admin1 fell from 91% to 82% on the sample.) Quantiles themselves do not add up:
the 95th percentile of a sum is not the sum of the 95th percentiles.

A parent is reconciled only where its children are all in the panel and really sum to it: every
month of their history adds up exactly to the parent's, and they end in the same month. A panel
cut by scope, or counting different things at different levels, is left as it is.

**Rare events at the parents** (`RareEvents`, for a model that says its district means leave them
out: the ensemble, whose robust members are built not to follow one massacre). A mass-casualty
month that comes once in 250 to a district lies far beyond that district's 95th percentile, and
its robust mean leaves out its expected toll; but a country sums about 20 districts, so one comes
in about one month in 12 and moves the country's upper quantiles, not only the far tail, and the
sum of district means falls short by the whole expected toll (about 17 deaths a month in the
labelled worlds). So the finest series' rare months are pooled from their history (the excess
beyond `RARE_BOUND` robust scales of a Huber-robust level, `RobustLevel`, over the last
`RARE_MONTHS`, where the month after falls back within the bound: a massacre, not the onset of
a war, `transient_excess`; how often one comes per series and month, and its size), each finest series'
*mean* takes its expected toll (its quantiles stay as they are), so the means still add up exactly,
and a parent at a `RARE_LEVELS` level (country, area) gets as its distribution its reconciled
ordinary part (its own quantiles scaled to the sum of its children's ordinary means) plus the
compound Poisson sum of its finest descendants' rare months. An admin1 of five districts, whose
chance of such a month (2%) lies beyond its own calibrated 95th percentile, keeps its quantiles:
convolving there too cost 0.7 points of CRPS skill at admin1 on the tuning worlds
(docs/forecasting.md, "Fourth round").

Those parents' own forecasts, whose shape the ordinary part keeps, have their 50% interval's
width calibrated on their **ordinary outcomes** (`rare_excess`: each month less its finest
descendants' excess beyond the bound, a bound set one month ahead), so the rare months the
reconciliation adds do not widen it twice; the 90% interval's ends keep the shifts of their
whole outcomes (rare months come in clusters, a region breaking into war, that the compound
sum of independent district months does not carry: with those ends on ordinary outcomes too,
or the members fitted on ordinary months, the countries' 90% interval covered 0.85 on the
tuning worlds; docs/forecasting.md, "Sixth round").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Self

import numpy as np
import pandas as pd

from forecasting.models.base import QUANTILE_COLUMNS, QUANTILES, Model, Panel
from forecasting.series import series_measures

#: Geographic levels, coarsest first, and the scope columns that name a unit at each.
GEOGRAPHIC = {"area": (), "country": ("country",), "admin1": ("country", "admin1"), "admin2": ("country", "admin1", "admin2")}
#: A month of a finest series is rare where it is more than this many robust scales above its
#: robust level (on the tuning worlds 6, 8 and 10 scales gave the same country CRPS within 0.1
#: points; 4 counted ordinary high months as rare and 0.6 points worse).
RARE_BOUND = 8.0
#: Months of history the rare months are pooled from (24 gave 0.4 points less by country).
RARE_MONTHS = 36
#: Means (a month) below which a parent's quantiles are scaled as if its own mean and its
#: children's sum were this: set in docs/forecasting.md, "Quiet parents".
MEAN_FLOOR = 1.0
#: Parents whose quantiles take their descendants' rare months (see module doc).
RARE_LEVELS = ("country", "area")
#: Rare months in one month of a parent beyond which the compound sum stops (their chance is
#: folded into the last): at 60 districts and a rate of 1 in 250, four or more come once in 4,000 months.
_MOST_RARE = 3
#: Points of the ordinary part's and of one rare month's distributions the sum is worked out on.
_POINTS = 100
_SIZES = 50


def parent_series(series: pd.DataFrame) -> pd.Series:
    """series_id -> its parent's series_id (the next coarser geographic level, same measure) for
    every series of a series frame whose parent is in the frame too. Empty where the frame has
    no scope columns (a bare frame of series_id, period, value) or only one level."""
    needed = {"level", "country", "admin1", "admin2"}
    if not needed <= set(series.columns):
        return pd.Series(dtype=object)
    units = series.drop_duplicates("series_id")
    units = units[units["level"].isin(list(GEOGRAPHIC))]
    if units.empty:  # tiers, actor families
        return pd.Series(dtype=object)
    measure = units["measure"] if "measure" in units else pd.Series("", index=units.index)
    units = units.assign(_measure=measure.fillna(""))
    levels = list(GEOGRAPHIC)
    links = []
    for coarse, fine in zip(levels, levels[1:]):
        keys = ["_measure", *GEOGRAPHIC[coarse]]
        parents = units[units["level"] == coarse][[*keys, "series_id"]].rename(columns={"series_id": "parent"})
        children = units[units["level"] == fine][[*keys, "series_id"]]
        if parents.empty or children.empty:
            continue
        links.append(children.merge(parents, on=keys, how="inner")[["series_id", "parent"]])
    if not links:
        return pd.Series(dtype=object)
    linked = pd.concat(links, ignore_index=True)
    return pd.Series(linked["parent"].to_numpy(), index=pd.Index(linked["series_id"].to_numpy(), name="series_id"))


@dataclass(frozen=True)
class RareEvents:
    """The rare months of a panel's finest series (see module doc), per measure (fatalities and
    events are pooled apart): `rates`, the chance of one per series and month; `sizes`, their
    counts beyond the robust bound, pooled; `parents`, the series whose quantiles take them
    (those at `RARE_LEVELS`)."""

    rates: dict[str, float]
    sizes: dict[str, np.ndarray]
    parents: frozenset[str]

    def mean_size(self, measure: str) -> float:
        """Mean count of a rare month of `measure` beyond the bound (0 where none was seen)."""
        sizes = self.sizes.get(measure, np.zeros(0))
        return float(sizes.mean()) if len(sizes) else 0.0


class BottomUp:
    """A model whose forecasts are reconciled bottom-up over `parents` (see module doc). A model
    with a true `leaves_out_rare_events` attribute gets its finest series' rare months added at the
    parents (`RareEvents`)."""

    #: Tell the model the rare parents' excess (`rare_excess`), so that their 50% width is
    #: calibrated on their ordinary outcomes; the benchmarks' replay turns it off to rerun the
    #: fourth round's default.
    ordinary_widths = True

    def __init__(self, model: Model, parents: pd.Series):
        self.model = model
        self.parents = parents
        self.name = model.name
        self.min_months = model.min_months

    def fit(self, panel: Panel) -> Self:
        self.order = coherent_parents(panel, self.parents)
        self.rare = None
        if getattr(self.model, "leaves_out_rare_events", False):
            excess = finest_excess(panel, self.order)
            self.rare = rare_events(panel, self.order, excess)
            if self.rare is not None and self.ordinary_widths:
                self.model.rare_excess = rare_excess(panel, self.order, excess, self.rare.parents)
        self.model.fit(panel)
        return self

    def predict(self, horizon: int) -> pd.DataFrame:
        return reconcile(self.model.predict(horizon), self.order, self.rare)


def finest_series(order: list[tuple[str, list[str]]]) -> set[str]:
    """The finest series of `order`: children that are no parent themselves."""
    parents = {parent for parent, _ in order}
    return {child for _, children in order for child in children} - parents


def finest_excess(panel: Panel, order: list[tuple[str, list[str]]]) -> np.ndarray:
    """(series x months of `panel`) each finest series' (children of `order` that are no parent
    themselves) excess beyond `RARE_BOUND` robust scales of its Huber-robust level (`RobustLevel`:
    a bound set one month ahead, from the months before) where the month after falls back within
    it (`transient_excess`; the last month NaN); NaN for every other series and before a series
    starts."""
    from forecasting.models.robust import RobustLevel

    excess = np.full(panel.values.shape, np.nan)
    rows = np.isin(panel.series_ids, list(finest_series(order)))
    if rows.any():
        finest_panel = panel.subset(rows)
        own = transient_excess(RobustLevel(huber_k=RARE_BOUND).fit(finest_panel), finest_panel.values)
        excess[np.flatnonzero(rows), panel.values.shape[1] - own.shape[1] :] = own
    return excess


def rare_excess(panel: Panel, order: list[tuple[str, list[str]]], excess: np.ndarray, parents: frozenset[str]) -> pd.Series:
    """(series_id, period) -> the deaths of each of `parents` in that month beyond the rare bound:
    the sum of its finest descendants' positive `finest_excess`, for the months where it is above
    0. A parent's value less it (its ordinary month) is the sum of its districts' cleaned months."""
    row = {series_id: index for index, series_id in enumerate(panel.series_ids)}
    rare = np.clip(np.nan_to_num(excess), 0.0, None)
    # Finest parents first (`coherent_parents`): an admin1's total is ready before its country's.
    for parent, children in order:
        rare[row[parent]] = rare[[row[child] for child in children]].sum(axis=0)
    moved = np.array([row[parent] for parent, _ in order if parent in parents], dtype=int)
    rows, columns = np.nonzero(rare[moved] > 0)
    rows = moved[rows]
    back = (panel.values.shape[1] - 1 - columns).astype("timedelta64[M]")
    periods = pd.DatetimeIndex((panel.last_periods[rows] - back).astype("datetime64[ns]"))
    return pd.Series(rare[rows, columns], index=pd.MultiIndex.from_arrays([panel.series_ids[rows], periods], names=["series_id", "period"]))


def rare_events(panel: Panel, order: list[tuple[str, list[str]]], excess: np.ndarray | None = None) -> RareEvents | None:
    """The rare months of the finest series of `order` (children that are no parent themselves)
    over their last `RARE_MONTHS`, pooled per measure (see module doc), from their
    `finest_excess` (worked out here unless given); None where nothing is reconciled."""
    finest = finest_series(order)
    if not finest:
        return None
    rows = np.isin(panel.series_ids, list(finest))
    excess = (finest_excess(panel, order) if excess is None else excess)[rows][:, -RARE_MONTHS:]
    measures = series_measures(pd.Series(panel.series_ids[rows])).to_numpy()
    rates, sizes = {}, {}
    for measure in np.unique(measures):
        seen = excess[measures == measure]
        seen = seen[~np.isnan(seen)]
        sizes[measure] = seen[seen > 0]
        rates[measure] = len(sizes[measure]) / max(len(seen), 1)
    levels = dict(zip(panel.series_ids, panel.levels))
    parents = {parent for parent, _ in order}
    return RareEvents(rates, sizes, frozenset(p for p in parents if levels.get(p) in RARE_LEVELS))


def transient_excess(smoother, values: np.ndarray) -> np.ndarray:
    """The excess of each month beyond the robust bound (`smoother.excess`) where the month after
    falls back within that bound: a massacre, not the onset of a war (whose months after stay
    above, while the robust level catches up). The last month, whose month after is unknown,
    is NaN (not counted either way)."""
    excess = smoother.excess.copy()
    bound = values - excess
    with np.errstate(invalid="ignore"):
        lasting = values[:, 1:] > bound[:, :-1]
    excess[:, :-1] = np.where(lasting & (excess[:, :-1] > 0), 0.0, excess[:, :-1])
    excess[:, -1] = np.nan
    return excess


def with_rare_months(quantiles: np.ndarray, expected: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Quantiles (rows x QUANTILES) of an ordinary part given by `quantiles` plus a compound
    Poisson sum of rare months, `expected` of them per row, each of a size drawn from `sizes`.
    The ordinary part is the piecewise-linear quantile function through its quantiles (the tails
    beyond q05 and q95 carried on at the slope of the outermost step, floored at 0), on `_POINTS`
    equally likely points; one rare month, `_SIZES` quantiles of `sizes`; two or three, the sums
    of those, thinned to `_SIZES` quantiles."""
    taus = np.asarray(QUANTILES)
    probabilities = (np.arange(_POINTS) + 0.5) / _POINTS
    low = (quantiles[:, 1] - quantiles[:, 0]) / (taus[1] - taus[0])
    high = (quantiles[:, -1] - quantiles[:, -2]) / (taus[-1] - taus[-2])
    ordinary = np.stack([np.interp(probabilities, taus, row) for row in quantiles])
    ordinary = np.where(probabilities < taus[0], quantiles[:, [0]] - low[:, None] * (taus[0] - probabilities), ordinary)
    ordinary = np.where(probabilities > taus[-1], quantiles[:, [-1]] + high[:, None] * (probabilities - taus[-1]), ordinary)
    ordinary = np.clip(ordinary, 0.0, None)
    levels = (np.arange(_SIZES) + 0.5) / _SIZES
    one = np.quantile(sizes, levels)
    sums = [np.zeros(1), one]
    for _ in range(2, _MOST_RARE + 1):
        sums.append(np.quantile(np.add.outer(sums[-1], one).ravel(), levels))
    result = np.empty_like(quantiles)
    for row in range(len(quantiles)):
        # Poisson chances of 0, 1, 2, 3 rare months (e^-m m^k / k!), without importing scipy.stats
        # (half a second of every `detect`: forecasting/distributions.py).
        chances = np.exp(-expected[row]) * np.cumprod(np.r_[1.0, expected[row] / np.arange(1, _MOST_RARE + 1)])
        chances[-1] += 1.0 - chances.sum()
        values = np.concatenate([np.add.outer(ordinary[row], extra).ravel() for extra in sums])
        weights = np.concatenate([np.full(_POINTS * len(extra), chance / (_POINTS * len(extra))) for extra, chance in zip(sums, chances)])
        ranked = np.argsort(values, kind="stable")
        cumulative = np.cumsum(weights[ranked])
        result[row] = values[ranked][np.minimum(np.searchsorted(cumulative, taus), len(values) - 1)]
    return result


def coherent_parents(panel: Panel, parents: pd.Series) -> list[tuple[str, list[str]]]:
    """(parent, its children) for each parent whose children sum to it in every month and end
    when it does, finest parents first (so their sums are reconciled before their own parents')."""
    if parents.empty or len(panel) == 0:
        return []
    # Plain dicts: pandas' lookups and group-by of string ids cost most of a detect's fit here.
    row = {series_id: index for index, series_id in enumerate(panel.series_ids)}
    linked = parents[parents.index.isin(list(row)) & parents.isin(list(row))]
    children_of: dict[str, list[str]] = {}
    for child, parent in zip(linked.index, linked.to_numpy()):
        children_of.setdefault(parent, []).append(child)
    depth = {"area": 0, "country": 1, "admin1": 2, "admin2": 3}
    values = np.nan_to_num(panel.values)
    order = []
    for parent in sorted(children_of):
        kids = children_of[parent]
        own = row[parent]
        rows = np.array([row[kid] for kid in kids])
        same_end = (panel.last_periods[rows] == panel.last_periods[own]).all()
        if same_end and np.array_equal(values[rows].sum(axis=0), values[own]):
            order.append((depth.get(panel.levels[own], 0), parent, kids))
    return [(parent, kids) for _, parent, kids in sorted(order, key=lambda item: -item[0])]


def reconcile(forecasts: pd.DataFrame, order: list[tuple[str, list[str]]], rare: RareEvents | None = None) -> pd.DataFrame:
    """The forecast frame with each parent's mean the sum of its children's means and its
    quantiles scaled to match (means below one a month counting as one; a parent forecast as 0
    takes the children's sum as a shift).
    With `rare` (see module doc), each finest series' mean takes its expected rare toll first,
    the parents' quantiles are scaled to the sum of the ordinary means, and those of
    `rare.parents` take their finest descendants' rare months."""
    if not order or forecasts.empty:
        return forecasts
    result = forecasts.copy()
    position = {key: index for index, key in enumerate(zip(result["series_id"], result["period"]))}
    series_rows = result.groupby("series_id", sort=False).indices
    ordinary = result["mean"].to_numpy(dtype=float).copy()
    quantiles = result[list(QUANTILE_COLUMNS)].to_numpy(dtype=float).copy()
    parents = {parent for parent, _ in order}
    # Rare months per row of a series: one chance per finest series, summed up the levels.
    expected = np.zeros(len(result))
    if rare is not None:
        # Only here: every model's backtest reconciles at every origin, most without rare months.
        measures = series_measures(result["series_id"]).to_numpy()
        for _, children in order:
            for child in set(children) - parents:
                rows = series_rows[child]
                expected[rows] = rare.rates.get(measures[rows[0]], 0.0)
    for parent, children in order:
        own = series_rows[parent]
        periods = result["period"].to_numpy()[own]
        total = np.zeros(len(own))
        for child in children:
            rows = [position[(child, period)] for period in periods]
            total += ordinary[rows]
            expected[own] += expected[rows]
        old = ordinary[own]
        # Means below MEAN_FLOOR count as MEAN_FLOOR in the factor: a ratio of two near-zero means
        # is noise, not a shape (a region quiet for two years, forecast 1e-12 against its
        # districts' 4e-4, had its calibrated 95th percentile of 0.2 scaled to 6e7). A parent
        # forecast as exactly 0 takes the children's sum as a shift.
        factor = np.where(old > 0, np.maximum(total, MEAN_FLOOR) / np.maximum(old, MEAN_FLOOR), 1.0)
        shift = np.where(old > 0, 0.0, total)
        quantiles[own] = quantiles[own] * factor[:, None] + shift[:, None]
        ordinary[own] = total
        if rare is not None and parent in rare.parents and rare.mean_size(measures[own[0]]) > 0:
            quantiles[own] = with_rare_months(quantiles[own], expected[own], rare.sizes[measures[own[0]]])
    if rare is not None:
        sizes = {measure: rare.mean_size(measure) for measure in np.unique(measures)}
        ordinary += expected * np.array([sizes[measure] for measure in measures])
    result["mean"] = ordinary
    result[list(QUANTILE_COLUMNS)] = quantiles
    return result
