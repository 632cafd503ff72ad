"""Rolling-origin backtests: how well each model would have forecast the months we now know.

For each origin (the last `origins` months of each series, one month apart) a model is fitted on
the series up to and including the origin month only, then forecasts `horizons` months ahead;
every forecast month that has been observed since is scored (`forecasting.models.rolling`).
Nothing after an origin is visible to the model fitted there.

Scores per model, level and horizon (months ahead), averaged over series and origins, are those of
`forecasting.scores`: crps, crps_skill (against conflictology, which is always scored), mae,
mase (scaled by the last `mase_years` years), coverage_50, coverage_90, n.
"""

from __future__ import annotations

import pandas as pd

from forecasting.models import coherent_model, make_model
from forecasting.models.base import Panel
from forecasting.models.executors import SERIAL, ExecutorSettings
from forecasting.models.hierarchy import parent_series
from forecasting.models.memo import ForecastMemo
from forecasting.models.rolling import rolling_origin_forecasts
from forecasting.scores import MASE_YEARS, REFERENCE_MODEL, SCORE_COLUMNS, quantile_crps, score, summarize

__all__ = ["SCORE_COLUMNS", "backtest", "backtest_forecasts", "quantile_crps", "score", "summarize"]


def backtest(
    series: pd.DataFrame,
    models: list[str],
    *,
    origins: int = 24,
    horizons: int = 6,
    seed: int = 0,
    executor: ExecutorSettings = SERIAL,
    mase_years: int = MASE_YEARS,
) -> pd.DataFrame:
    """Scores per model, level and horizon (see the module doc): a frame with `SCORE_COLUMNS`.
    `conflictology` is scored too when it is not asked for: skill is measured against it."""
    scored = list(dict.fromkeys([*models, REFERENCE_MODEL]))
    cells = backtest_forecasts(
        series, scored, origins=origins, horizons=horizons, seed=seed, executor=executor, mase_years=mase_years
    )
    return summarize(cells)


def backtest_forecasts(
    series: pd.DataFrame,
    models: list[str],
    *,
    origins: int = 24,
    horizons: int = 6,
    seed: int = 0,
    executor: ExecutorSettings = SERIAL,
    mase_years: int = MASE_YEARS,
    memo: ForecastMemo | None = None,
) -> pd.DataFrame:
    """Every scored backtest forecast of a series frame: the forecast frame's columns plus
    `origin` (last month the model saw), `horizon`, `level`, `observed` and `scale` (the MASE
    denominator), one row per model, series, origin and month ahead that has been observed.
    `memo` is handed to every model (`forecasting.models.memo`); None: one that keeps the
    ensemble's inner origins in memory for the run (`keep_origins`), so the ensemble at each
    outer origin fits its members only at the inner origins the origin before did not use
    (outer origin k+1's 36 are k's shifted by a month). The forecasts are the same as with a memo
    that keeps nothing (`ForecastMemo()`), at a fraction of the fits."""
    memo = ForecastMemo(keep_origins=True) if memo is None else memo
    # Each model as `forecast()` runs it: reconciled over the levels in the frame, if several.
    parents = parent_series(series)
    builders = {
        name: (lambda name=name: coherent_model(make_model(name, seed=seed, executor=executor, memo=memo), parents))
        for name in models
    }
    return rolling_origin_forecasts(
        Panel.from_series(series), builders, origins=origins, horizons=horizons, mase_years=mase_years
    )
