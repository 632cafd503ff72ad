"""Rolling-origin backtests: how well each model would have forecast the months we now know.

For each origin (the last `origins` months of each series, one month apart) a model is fitted on
the series up to and including the origin month only, then forecasts `horizons` months ahead;
every forecast month that has been observed since is scored. Nothing after an origin is visible to
the model fitted there: the series are cut before the model sees them.

Scores, per model, level and horizon (months ahead), averaged over series and origins:

- `crps`: the continuous ranked probability score, approximated from the forecast quantiles by
  the weighted interval score of Bracher et al. (2021): 2/K times the sum of the quantile
  (pinball) losses over the K = 7 quantile levels 0.05 ... 0.95. In counts (deaths or events per
  month); lower is better. With 7 levels it sits somewhat below the exact CRPS, the same way for
  every model, so comparisons are fair.
- `mae`: mean absolute error of the median forecast (q50), in counts.
- `mase`: the absolute error of the median, scaled by the series' in-sample mean absolute
  seasonal-naive (12-month) change up to the origin (Hyndman & Koehler 2006), averaged over the
  forecasts whose scale is not zero. Below 1: better than seasonal naive did in sample.
- `coverage_50`, `coverage_90`: share of outcomes inside [q25, q75] and [q05, q95].
- `n`: how many forecasts were scored.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from forecasting.models import QUANTILE_COLUMNS, QUANTILES, make_model
from forecasting.models.base import Panel

log = logging.getLogger(__name__)

SCORE_COLUMNS = ("model", "level", "horizon", "crps", "mae", "mase", "coverage_50", "coverage_90", "n")


def backtest(
    series: pd.DataFrame | Panel,
    models: list[str],
    *,
    origins: int = 24,
    horizons: int = 6,
    seed: int = 0,
    executor: str = "serial",
    workers: int = 1,
    dask_address: str | None = None,
) -> pd.DataFrame:
    """Scores per model, level and horizon (see the module doc): a frame with `SCORE_COLUMNS`."""
    cells = backtest_forecasts(
        series, models, origins=origins, horizons=horizons, seed=seed,
        executor=executor, workers=workers, dask_address=dask_address,
    )
    return summarize(cells)


def backtest_forecasts(
    series: pd.DataFrame | Panel,
    models: list[str],
    *,
    origins: int = 24,
    horizons: int = 6,
    seed: int = 0,
    executor: str = "serial",
    workers: int = 1,
    dask_address: str | None = None,
) -> pd.DataFrame:
    """Every scored backtest forecast: the forecast frame's columns plus `origin` (last month the
    model saw), `horizon`, `level`, `observed` and `scale` (the MASE denominator), one row per
    model, series, origin and month ahead that has been observed."""
    panel = series if isinstance(series, Panel) else Panel.from_series(series)
    frames = []
    for months_back in range(1, origins + 1):
        history = panel.truncate(months_back)
        if len(history) == 0:
            break
        outcomes = _outcomes(panel, months_back, min(horizons, months_back))
        scale = pd.Series(_seasonal_naive_scale(history.values), index=history.series_ids, name="scale")
        levels = pd.Series(history.levels, index=history.series_ids, name="level")
        origin = pd.Series(history.last_periods.astype("datetime64[ns]"), index=history.series_ids, name="origin")
        for name in models:
            model = make_model(name, seed=seed, executor=executor, workers=workers, dask_address=dask_address)
            predicted = model.fit(history).predict(horizons)
            predicted = predicted.merge(outcomes, on=["series_id", "period"], how="inner")
            predicted = predicted.join(scale, on="series_id").join(levels, on="series_id").join(origin, on="series_id")
            frames.append(predicted.assign(model=name))
        log.debug("backtest origin %d of %d done", months_back, origins)
    if not frames:
        return pd.DataFrame(columns=["model", "series_id", "level", "origin", "horizon", "observed", "scale"])
    cells = pd.concat(frames, ignore_index=True)
    cells["horizon"] = (
        (cells["period"].dt.year - cells["origin"].dt.year) * 12 + cells["period"].dt.month - cells["origin"].dt.month
    )
    return cells


def quantile_crps(observed: np.ndarray, quantiles: np.ndarray) -> np.ndarray:
    """CRPS approximated from quantiles (see the module doc): `quantiles` has the levels of
    `QUANTILES` on its last axis, `observed` the shape of the other axes (or broadcasts to it)."""
    levels = np.asarray(QUANTILES)
    miss = np.asarray(observed, dtype=float)[..., None] - quantiles
    pinball = np.maximum(levels * miss, (levels - 1.0) * miss)
    return 2.0 * pinball.sum(axis=-1) / len(levels)


def score(cells: pd.DataFrame) -> pd.DataFrame:
    """Per-forecast scores for backtest cells: crps, absolute_error, scaled_error, in_50, in_90."""
    observed = cells["observed"].to_numpy(dtype=float)
    quantiles = cells[list(QUANTILE_COLUMNS)].to_numpy(dtype=float)
    absolute = np.abs(observed - cells["q50"].to_numpy(dtype=float))
    scale = cells["scale"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        scaled = np.where(scale > 0, absolute / scale, np.nan)
    return pd.DataFrame(
        {
            "crps": quantile_crps(observed, quantiles),
            "absolute_error": absolute,
            "scaled_error": scaled,
            "in_50": (cells["q25"] <= cells["observed"]) & (cells["observed"] <= cells["q75"]),
            "in_90": (cells["q05"] <= cells["observed"]) & (cells["observed"] <= cells["q95"]),
        },
        index=cells.index,
    )


def summarize(cells: pd.DataFrame, by: tuple[str, ...] = ("model", "level", "horizon")) -> pd.DataFrame:
    """Mean scores per group of backtest cells; `by` defaults to model, level and horizon."""
    if cells.empty:
        return pd.DataFrame(columns=list(SCORE_COLUMNS))
    scored = score(cells).join(cells[list(by)])
    table = scored.groupby(list(by), sort=True).agg(
        crps=("crps", "mean"),
        mae=("absolute_error", "mean"),
        mase=("scaled_error", "mean"),
        coverage_50=("in_50", "mean"),
        coverage_90=("in_90", "mean"),
        n=("crps", "size"),
    )
    return table.reset_index()


def _outcomes(panel: Panel, months_back: int, horizons: int) -> pd.DataFrame:
    """The observed months after an origin `months_back` before each series' end."""
    kept = panel.lengths > months_back
    width = panel.values.shape[1]
    observed = panel.values[kept][:, width - months_back : width - months_back + horizons]
    steps = np.arange(1, horizons + 1).astype("timedelta64[M]")
    origins = panel.last_periods[kept] - np.timedelta64(months_back, "M")
    periods = (origins[:, None] + steps[None, :]).astype("datetime64[ns]")
    return pd.DataFrame(
        {
            "series_id": np.repeat(panel.series_ids[kept], horizons),
            "period": periods.reshape(-1),
            "observed": observed.reshape(-1),
        }
    )


def _seasonal_naive_scale(values: np.ndarray) -> np.ndarray:
    """Each row's mean absolute 12-month change (NaN where under 13 months)."""
    if values.shape[1] <= 12:
        return np.full(len(values), np.nan)
    with np.errstate(all="ignore"):
        return np.nanmean(np.abs(values[:, 12:] - values[:, :-12]), axis=1)
