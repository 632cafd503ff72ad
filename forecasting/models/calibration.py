"""Conformal calibration of forecast quantiles from rolling-origin residuals, per level and horizon.

A model's 90% interval is only worth its name if 90% of outcomes land inside it. Real conflict
series break every model family's assumptions somewhere (years-long escalations, massacres of 100+
deaths, sudden onsets after years of quiet), so the quantiles are corrected by what the model's own
recent forecasts missed by: split conformal prediction, one quantile at a time (Romano, Patterson
and Candès 2019, "conformalized quantile regression", in its one-sided form).

For each level (country, admin1, ...) and each horizon h, and each quantile level tau, the residual
of a past forecast is r = sqrt(observed) - sqrt(q_tau), taken from the rolling-origin forecasts
of the recent window (`forecasting.models.rolling`). The shift d_tau is the tau-quantile of those
residuals (rounded outward for the tails, so the guarantee holds in finite samples), and the
calibrated quantile is (sqrt(q_tau) + d_tau)**2, with a negative root floored at 0. The square
root is the variance-stabilizing scale of counts (a Poisson count's spread grows as the root of
its mean): one shift serves the series of a level together, widening a large series' interval in
proportion to its root, and it cannot push a quantile below zero. (Shifts on the log1p scale were
used before: the same shift there widens a region of 300 deaths a month as much, in proportion,
as a district of 3, so the level's many small series set the tails of its few large ones, which
are most of its CRPS; on nine tuning worlds the square root gave 2.5 points more CRPS skill at
admin1 against trailing_mean, 1.3 at admin2, 0.8 by country, with the same 90% coverage.)

By default only the ends of the 90% interval (q05, q95) are shifted (`INTERVAL_ENDS`), and to the
4th and 96th percentiles of their residuals rather than the 5th and 95th (`TAIL_MARGIN`):

- shifting every quantile (the median and the 50% interval too) scored about the same at admin1
  and 1-5 points of CRPS skill worse by country on the tuning worlds (seeds 1-3, 24 origins),
  and brought the 50% interval no nearer 50%: a recent window's inner residual quantiles are
  noisy, and counts tie (a district's 0 is inside any interval that starts at 0);
- conformal coverage holds for exchangeable months, and regimes that change make the next months
  unlike the window: with the 5th/95th percentiles the 90% interval covered 82-92% on the tuning
  worlds, with the 4th/96th 83-93%, for about one point of CRPS skill. With the 6-month mean and
  36 origins (30 tuning worlds) the nominal 5th/95th would score 0.2 points better at admin1 and
  cover 0.885-0.919 by level rather than 0.904-0.929, but the detectors' tuning seeds then saw
  0.42 false new incidents a month instead of 0.33 (ordinary highs out of a narrower range read
  as surges): the 4th/96th stay.

**Recent origins weigh more** (`HALF_LIFE`, since 2026-11-30): each residual's weight halves
every 12 months its origin lies before the window's newest, and the shifts are weighted quantiles
(the inverted empirical distribution, numpy's `inverted_cdf`), as in non-exchangeable conformal
prediction with fixed weights (Barber, Candès, Ramdas and Tibshirani 2023). A window of 36
origins is calm when a war starts: counted alike, its first six months are a sixth of the record
and barely move the tails; weighted, a third. On the stress worlds (country-wide wars) the
countries' 90% coverage rose from 0.883 to 0.893 (0.2 points of CRPS skill less there, 0.3 more
at admin1); on the ordinary tuning worlds and the sample the CRPS stayed within 0.3 points and
the 50% intervals came nearer 50% (docs/forecasting.md, "Stress worlds"); a half-life of 6
months was noisier and no better.

The **50% interval** is calibrated by its width instead (`inner_scale`): q25 and q75 are moved
toward or away from the median by one factor s per level and horizon (since 2026-12-01; before,
one per level over all horizons, which left a lagging model's first month too wide and its sixth
too narrow), on the square-root scale, sqrt(q) ->
sqrt(q50) + s (sqrt(q) - sqrt(q50)), with s from a grid (a quarter to 8 times, in 5% steps)
chosen so that the interval holds the share of the window's outcomes nearest 50% (counted
inclusive, as the backtest counts them; among equally near factors, the one nearest 1). A 50%
interval widened past q10 or q90 (or q05, q95) pushes them out with it, so the 90% interval only
ever widens. Matching the coverage itself rather than two separate quantiles is what ties of
whole counts need.

**A series' own misses** (`adaptive_ends`, since 2026-11-30, for the countries and the area
only: `ensemble.ADAPTIVE_LEVELS`): on top of the pooled calibration, each series keeps an offset
per months ahead for its 50% interval's ends that moves out after a miss and back in slowly
otherwise (online quantile tracking, Angelopoulos, Candès and Tibshirani 2023), walked over the
record's origins in time order with only the outcomes known at each origin. A country-wide war
moves one country's record, not its level's pooled window; the offsets follow it.

`fit_calibration(cells, adjusted=QUANTILES, margin=0.0, inner=False)` is plain split conformal on
every quantile.

Where a (level, horizon) has fewer than `MIN_RESIDUALS` residuals, its shifts are the level's
(over all horizons) plus the horizon's departure from the pooled shifts (every level's residuals at
that horizon minus every level's at all horizons), so a level of three countries keeps its own
width and still widens with the months ahead; failing that, whatever pooled shifts exist; with none
at all the quantiles are left as they are. A (level, horizon) with fewer than `MIN_RESIDUALS`
forecasts takes its level's 50% factor over all horizons, failing that its horizon's over all
levels, then the factor of every forecast pooled.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from forecasting.models.base import QUANTILE_COLUMNS, QUANTILES

#: Residuals needed before a (level, horizon) gets its own shifts: with 40, the 5% and 95%
#: quantiles rest on two residuals each side, about the least that is not noise.
MIN_RESIDUALS = 40
ANY = "*"
#: Quantile levels calibration moves by default: the ends of the 90% interval (see module doc).
INTERVAL_ENDS = (0.05, 0.95)
#: How much further out than nominal the moved ends are set: 0.01 puts q05 at the 4th percentile
#: of its residuals and q95 at the 96th (see module doc).
TAIL_MARGIN = 0.01
#: Half-life, in months of origin, of a residual's weight (None: every origin of the window alike;
#: see module doc).
HALF_LIFE: float | None = 12.0


#: Factors the 50% interval's width may be scaled by, about the median on the square-root scale.
#: From a quarter to 8 times, in steps of 5% (a factor of 1 is among them).
INNER_SCALES = tuple(np.round(1.05 ** np.arange(-28, 43), 4))
#: The 50% interval's ends.
INNER = (QUANTILES.index(0.25), QUANTILES.index(0.75))
_MEDIAN = QUANTILES.index(0.5)


def forward(counts: np.ndarray) -> np.ndarray:
    """The calibration scale: the square root of counts (negative ones taken as 0)."""
    return np.sqrt(np.clip(counts, 0.0, None))


def backward(roots: np.ndarray) -> np.ndarray:
    """Counts from the calibration scale; a root shifted below zero is a count of 0."""
    return np.square(np.clip(roots, 0.0, None))


@dataclass(frozen=True)
class Calibration:
    """Shifts on the square-root scale, (len(QUANTILES),) each, by (level, horizon); level or
    horizon `ANY` where they were pooled. `horizons` is the furthest horizon with its own shifts.
    `inner_scale`: the 50% interval's width factor by (level, horizon), keyed as the shifts are."""

    shifts: dict[tuple[str, object], np.ndarray]
    horizons: int
    inner_scale: dict[tuple[str, object], float] = field(default_factory=dict)
    #: series_id -> (horizons x len(QUANTILES)) widening on the square-root scale of each quantile
    #: away from the median, by months ahead, from the series' own recent misses (`adaptive_ends`);
    #: a series not in it keeps the pooled calibration.
    series_offsets: dict[str, np.ndarray] = field(default_factory=dict)

    def scale_for(self, level: str, horizon: object = ANY) -> float:
        """The 50% interval's width factor for a forecast `horizon` months ahead at `level`
        (beyond the calibrated horizons: the furthest one's; `ANY`: the level's over all
        horizons): its own where it had enough forecasts, else its level's, its horizon's, or
        every forecast's (1: left as it is)."""
        if horizon != ANY:
            horizon = min(int(horizon), self.horizons)
        for key in ((level, horizon), (level, ANY), (ANY, horizon), (ANY, ANY)):
            if key in self.inner_scale:
                return self.inner_scale[key]
        return 1.0

    def shift_for(self, level: str, horizon: int) -> np.ndarray:
        """The shifts for a forecast `horizon` months ahead at `level` (beyond the calibrated
        horizons: the furthest one's)."""
        horizon = min(horizon, self.horizons)
        shifts = self.shifts
        if (level, horizon) in shifts:
            return shifts[(level, horizon)]
        if (level, ANY) in shifts and (ANY, horizon) in shifts and (ANY, ANY) in shifts:
            # The level's own shifts, with the horizon's departure from the pooled ones: a level
            # of three countries keeps its own width and still widens with the months ahead.
            return shifts[(level, ANY)] + shifts[(ANY, horizon)] - shifts[(ANY, ANY)]
        for key in ((level, ANY), (ANY, horizon), (ANY, ANY)):
            if key in shifts:
                return shifts[key]
        return np.zeros(len(QUANTILES))


def fit_calibration(
    cells: pd.DataFrame,
    *,
    min_residuals: int = MIN_RESIDUALS,
    adjusted: tuple[float, ...] = INTERVAL_ENDS,
    margin: float = TAIL_MARGIN,
    inner: bool = True,
    inner_observed: np.ndarray | None = None,
) -> Calibration:
    """Shifts from rolling-origin cells (`level`, `horizon`, `observed`, q05 ... q95), as the
    module doc says: for the quantile levels in `adjusted` (the others keep a shift of 0), each
    set `margin` further into its tail; then, with `inner`, the 50% interval's width factor per
    level and horizon, on the cells as those shifts leave them, against `inner_observed` where
    given (one outcome per cell: the ensemble's rare parents' ordinary months) or else
    `observed`. Pure: the same cells give the same calibration."""
    if cells.empty:
        return Calibration({}, 1)
    weights = recency_weights(cells, HALF_LIFE)
    observed = forward(cells["observed"].to_numpy(dtype=float))
    residuals = observed[:, None] - forward(cells[list(QUANTILE_COLUMNS)].to_numpy(dtype=float))
    levels = cells["level"].fillna(ANY).astype(str).to_numpy()
    horizons = cells["horizon"].to_numpy(dtype=int)
    moved = np.isin(np.asarray(QUANTILES), np.asarray(adjusted))
    shifts: dict[tuple[str, object], np.ndarray] = {}
    groups = [((ANY, ANY), np.ones(len(cells), dtype=bool))]
    groups += [((ANY, int(h)), horizons == h) for h in np.unique(horizons)]
    for level in np.unique(levels):
        at_level = levels == level
        groups.append(((str(level), ANY), at_level))
        groups += [((str(level), int(h)), at_level & (horizons == h)) for h in np.unique(horizons[at_level])]
    for key, rows in groups:
        if rows.sum() >= min_residuals:
            shifts[key] = np.where(moved, residual_quantiles(residuals[rows], margin, None if weights is None else weights[rows]), 0.0)
    calibration = Calibration(shifts, int(horizons.max()))
    if not inner:
        return calibration
    shifted = shift_quantiles(cells[list(QUANTILE_COLUMNS)].to_numpy(dtype=float), levels, horizons, calibration)
    outcomes = cells["observed"].to_numpy(dtype=float) if inner_observed is None else np.asarray(inner_observed, dtype=float)
    scales = {}
    # Cells of one horizon (detect's one month ahead) need only the factors over all horizons:
    # scale_for falls back to them, and they are the same numbers.
    several = len(np.unique(horizons)) > 1
    for key, rows in groups:
        if (several or key[1] == ANY) and (key == (ANY, ANY) or rows.sum() >= min_residuals):
            scales[key] = inner_scale(shifted[rows], outcomes[rows], weights=None if weights is None else weights[rows])
    return Calibration(shifts, calibration.horizons, scales)


def recency_weights(cells: pd.DataFrame, half_life: float | None) -> np.ndarray | None:
    """Each cell's weight, halved every `half_life` months its origin lies before the newest
    origin of `cells`; None (all alike) without a half-life or an origin column."""
    if half_life is None or "origin" not in cells:
        return None
    months = _months(cells["origin"])
    return 0.5 ** ((months.max() - months) / half_life)


def inner_scale(quantiles: np.ndarray, observed: np.ndarray, target: float = 0.5, weights: np.ndarray | None = None) -> float:
    """The factor of `INNER_SCALES` by which scaling the 50% interval of `quantiles` (rows in the
    order of `QUANTILES`) about the median makes it hold the share of `observed` nearest
    `target` (each outcome counted by its `weights`, where given); among equally near factors,
    the one nearest 1."""
    best, best_key = 1.0, (np.inf, np.inf)
    roots = _inner_roots(quantiles)  # once, not once a factor
    for scale in INNER_SCALES:
        low, high = _scaled_ends(roots, scale)
        key = (round(abs(np.average((low <= observed) & (observed <= high), weights=weights) - target), 12), abs(scale - 1.0))
        if key < best_key:
            best, best_key = float(scale), key
    return best


def scaled_inner(quantiles: np.ndarray, scale) -> tuple[np.ndarray, np.ndarray]:
    """The 50% interval's ends with its width about the median scaled by `scale` (a number or one
    per row) on the square-root scale."""
    return _scaled_ends(_inner_roots(quantiles), scale)


def _inner_roots(quantiles: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """On the square-root scale: the median, and how far below it and above it the 50%
    interval's ends lie."""
    root = forward(quantiles)
    middle = root[:, _MEDIAN]
    return middle, middle - root[:, INNER[0]], root[:, INNER[1]] - middle


def _scaled_ends(roots: tuple[np.ndarray, np.ndarray, np.ndarray], scale) -> tuple[np.ndarray, np.ndarray]:
    """The 50% interval's ends from `_inner_roots`, their distances to the median scaled by `scale`."""
    middle, below, above = roots
    return backward(middle - scale * below), backward(middle + scale * above)


def shift_quantiles(
    quantiles: np.ndarray, levels: np.ndarray, horizons: np.ndarray, calibration: Calibration,
    offsets: np.ndarray | None = None,
) -> np.ndarray:
    """`quantiles` (rows x QUANTILES) at `levels` and `horizons`, shifted and width-scaled by
    `calibration`, then each moved away from the median by `offsets` (rows x QUANTILES, square-root
    scale; a series' own widening, `adaptive_ends`) where given, floored at 0 and sorted."""
    shifts = np.zeros_like(quantiles)
    scales = np.ones(len(quantiles))
    keys = pd.Series(list(zip(levels, horizons)))
    for key, rows in keys.groupby(keys, sort=False).groups.items():
        rows = np.asarray(rows)
        shifts[rows] = calibration.shift_for(key[0], int(key[1]))
        scales[rows] = calibration.scale_for(key[0], int(key[1]))
    result = backward(forward(quantiles) + shifts)
    if calibration.inner_scale:
        low, high = scaled_inner(result, scales)
        # A 50% interval widened past the outer quantiles takes them with it (sorting would swap
        # them into the 50% interval's place instead).
        result[:, : INNER[0] + 1] = np.minimum(result[:, : INNER[0] + 1], low[:, None])
        result[:, INNER[0]] = low
        result[:, INNER[1] :] = np.maximum(result[:, INNER[1] :], high[:, None])
        result[:, INNER[1]] = high
    if offsets is not None:
        away = np.where(np.asarray(QUANTILES) < 0.5, -1.0, np.where(np.asarray(QUANTILES) > 0.5, 1.0, 0.0))
        result = backward(forward(result) + away * offsets)
    return np.sort(result, axis=1)


def residual_quantiles(residuals: np.ndarray, margin: float = 0.0, weights: np.ndarray | None = None) -> np.ndarray:
    """Per quantile level tau (columns of `residuals`), the tau-quantile of its residuals, taken
    `margin` further into its tail (tau - margin below the median, tau + margin above): the
    lower order statistic below the median and the upper one above, so that the calibrated tails
    cover at least their nominal share of the residuals (split conformal's finite-sample rule)."""
    shifts = np.empty(len(QUANTILES))
    for index, tau in enumerate(QUANTILES):
        method = "lower" if tau < 0.5 else "higher" if tau > 0.5 else "linear"
        level = tau - margin if tau < 0.5 else tau + margin if tau > 0.5 else tau
        if weights is None:
            shifts[index] = np.quantile(residuals[:, index], level, method=method)
        else:
            shifts[index] = np.quantile(residuals[:, index], level, method="inverted_cdf", weights=weights)
    return shifts


def apply_calibration(forecasts: pd.DataFrame, levels: pd.Series, calibration: Calibration) -> pd.DataFrame:
    """The forecast frame with calibrated quantiles. `levels` maps series_id -> level; the
    horizon of a row is its month's distance from the series' first forecast month plus one."""
    if forecasts.empty or not (calibration.shifts or calibration.inner_scale or calibration.series_offsets):
        return forecasts
    result = forecasts.copy()
    first = result.groupby("series_id", sort=False)["period"].transform("min")
    horizon = ((result["period"].dt.year - first.dt.year) * 12 + result["period"].dt.month - first.dt.month + 1).to_numpy()
    level = levels.reindex(result["series_id"]).fillna(ANY).astype(str).to_numpy()
    quantiles = result[list(QUANTILE_COLUMNS)].to_numpy(dtype=float)
    offsets = None
    if calibration.series_offsets:
        offsets = np.zeros_like(quantiles)
        steps = np.minimum(horizon, calibration.horizons) - 1
        own_rows = np.flatnonzero(result["series_id"].isin(list(calibration.series_offsets)).to_numpy())
        for series_id, rows in result.iloc[own_rows].groupby("series_id", sort=False).indices.items():
            rows = own_rows[rows]
            own = calibration.series_offsets[series_id]
            offsets[rows] = own[np.minimum(steps[rows], len(own) - 1)]
    result[list(QUANTILE_COLUMNS)] = shift_quantiles(quantiles, level, horizon, calibration, offsets)
    return result


def adaptive_ends(
    cells: pd.DataFrame,
    levels: tuple[str, ...],
    step: float,
    horizons: int,
    tracked: tuple[float, ...] = INTERVAL_ENDS,
    narrow: bool = True,
) -> dict[str, np.ndarray]:
    """Each series' own widening of its `tracked` quantiles (square-root scale, away from the
    median), per months ahead up to `horizons`, for the series at `levels`, from rolling-origin
    `cells` whose quantiles are the forecasts as issued (the pooled calibration applied): online
    quantile tracking (Angelopoulos, Candès and Tibshirani 2023; adaptive conformal inference,
    Gibbs and Candès 2021) over the origins in time order. After each forecast the widening moves
    out by `step` x the width of the interval the quantile bounds (at least 1 root) x (1 - rate) if
    the outcome fell beyond it, and in by `step` x width x rate if not, rate being the quantile's
    target miss rate (4% for the 90% interval's ends, as `TAIL_MARGIN` sets them; 25% for the 50%
    interval's). A forecast h months ahead is judged with the widening known at its origin (the
    outcomes of forecasts made h or more months before). Without `narrow` a widening stays at 0
    or above. Why: the pooled window of 36 origins is calm when a war starts; a country's own run
    of misses is the first sign that its interval is too narrow."""
    at = cells["level"].astype(str).isin(levels).to_numpy()
    if not at.any():
        return {}
    part = cells[at].sort_values(["series_id", "horizon", "origin"], kind="stable")
    roots = forward(part[list(QUANTILE_COLUMNS)].to_numpy(dtype=float))
    observed = forward(part["observed"].to_numpy(dtype=float))
    columns = [QUANTILES.index(tau) for tau in tracked]
    # Each quantile's step is a share of the width of the interval it bounds (q05, q95: the 90%).
    mirrors = [QUANTILES.index(round(1.0 - tau, 10)) for tau in tracked]
    width = np.maximum(np.abs(roots[:, mirrors] - roots[:, columns]), 1.0)
    below = np.array([tau < 0.5 for tau in tracked])
    rate = np.array([(tau if tau < 0.5 else 1.0 - tau) - (TAIL_MARGIN if tau in INTERVAL_ENDS else 0.0) for tau in tracked])
    origins = _months(part["origin"])
    periods = _months(part["period"])
    offsets: dict[str, np.ndarray] = {}
    for (series_id, horizon), rows in part.groupby(["series_id", "horizon"], sort=False).indices.items():
        state, known = np.zeros(len(tracked)), []
        for row in rows:
            # The widening as known at this forecast's origin: outcomes of months up to it.
            used = next((old for period, old in reversed(known) if period <= origins[row]), np.zeros(len(tracked)))
            moved = roots[row, columns] + np.where(below, -used, used)
            missed = np.where(below, observed[row] < moved, observed[row] > moved)
            state = state + step * width[row] * (missed - rate)
            if not narrow:
                state = np.maximum(state, 0.0)
            known.append((periods[row], state))
        own = offsets.setdefault(str(series_id), np.zeros((horizons, len(QUANTILES))))
        if 1 <= horizon <= horizons:
            own[horizon - 1, columns] = state
    return offsets


def _months(dates: pd.Series) -> np.ndarray:
    """Months since year 0 of `dates`, as integers."""
    dates = pd.to_datetime(dates)
    return (dates.dt.year * 12 + dates.dt.month).to_numpy()
