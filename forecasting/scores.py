"""How forecasts are scored against what happened: CRPS, errors, MASE, coverage, skill.

Pure functions of forecast quantiles and outcomes. `forecasting.backtest` scores its cells with
them and the ensemble judges its members with them; neither imports the other for it.

- `crps`: the continuous ranked probability score, approximated from the forecast quantiles by
  the weighted interval score of Bracher et al. (2021): 2/K times the sum of the quantile
  (pinball) losses over the K = 7 quantile levels 0.05 ... 0.95. In counts (deaths or events per
  month); lower is better. With 7 levels it sits somewhat below the exact CRPS, the same way for
  every model, so comparisons are fair.
- `mae`: mean absolute error of the median forecast (q50), in counts.
- `mase`: the absolute error of the median, scaled by the series' mean absolute seasonal-naive
  (12-month) change over the last `mase_years` years up to the origin (Hyndman & Koehler 2006,
  with a recent window: over a whole history the quiet decades before a war make every error
  look huge), averaged over the forecasts whose scale is not zero.
- `coverage_50`, `coverage_90`: share of outcomes inside [q25, q75] and [q05, q95].
- `crps_skill`: 1 - crps / crps of `conflictology` at the same level and months ahead (the VIEWS
  convention): 0.05 is 5% better than the benchmark, negative is worse.
- `n`: how many forecasts were scored.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecasting.models.base import QUANTILE_COLUMNS, QUANTILES

SCORE_COLUMNS = ("model", "level", "horizon", "crps", "crps_skill", "mae", "mase", "coverage_50", "coverage_90", "n")
#: The benchmark skill is measured against (VIEWS' "conflictology").
REFERENCE_MODEL = "conflictology"
#: Years of 12-month changes that scale MASE (config.yaml `forecast.mase_years`).
MASE_YEARS = 3
SEASON = 12


def quantile_crps(observed: np.ndarray, quantiles: np.ndarray) -> np.ndarray:
    """CRPS approximated from quantiles (see the module doc): `quantiles` has the levels of
    `QUANTILES` on its last axis, `observed` the shape of the other axes (or broadcasts to it)."""
    levels = np.asarray(QUANTILES)
    miss = np.asarray(observed, dtype=float)[..., None] - quantiles
    pinball = np.maximum(levels * miss, (levels - 1.0) * miss)
    return 2.0 * pinball.sum(axis=-1) / len(levels)


def seasonal_naive_scale(values: np.ndarray, years: int = MASE_YEARS) -> np.ndarray:
    """Each row's mean absolute 12-month change y[t] - y[t-12] over its last `years` x 12 months
    (NaN where the row has no such change: fewer than 13 months). `values` is (series x months),
    right-aligned, NaN-padded on the left as in a `Panel`."""
    if values.shape[1] <= SEASON:
        return np.full(len(values), np.nan)
    changes = np.abs(values[:, SEASON:] - values[:, :-SEASON])[:, -years * SEASON :]
    with np.errstate(all="ignore"):
        return np.nanmean(changes, axis=1)


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
    """Mean scores per group of backtest cells (`SCORE_COLUMNS`); `by` defaults to model, level
    and horizon. `crps_skill` is filled where `by` is the default and conflictology was scored."""
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
    ).reset_index()
    table.insert(table.columns.get_loc("crps") + 1, "crps_skill", crps_skill(table))
    return table


def crps_skill(table: pd.DataFrame, reference: str = REFERENCE_MODEL) -> pd.Series:
    """1 - crps / the reference model's crps at the same level and horizon, per row of a score
    table (NaN where the table has no reference row to compare with)."""
    if not {"model", "level", "horizon"} <= set(table.columns):
        return pd.Series(np.nan, index=table.index)
    benchmark = table[table["model"] == reference].set_index(["level", "horizon"])["crps"]
    keys = pd.MultiIndex.from_frame(table[["level", "horizon"]])
    matched = benchmark.reindex(keys).to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        skill = 1.0 - table["crps"].to_numpy(dtype=float) / matched
    return pd.Series(np.where(matched > 0, skill, np.nan), index=table.index)
