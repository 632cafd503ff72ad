"""Baseline forecasts of monthly counts: one function from a series frame to a forecast frame.

    from forecasting.models import forecast
    expected = forecast(series, "default", horizon=1)

`series` is a series frame (see `forecasting.series`); the result is a forecast frame (see
`forecasting.models.base`) for the `horizon` months after each series' last month. Every model
runs behind the fallbacks of `forecasting.models.fallbacks`, so all-zero, very short and constant
series get a forecast too, with the fallback named in the `fallback` column.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial

import pandas as pd

from forecasting.errors import ConflictwatchError
from forecasting.models.base import (
    FORECAST_COLUMNS,
    QUANTILE_COLUMNS,
    QUANTILES,
    Model,
    Panel,
    empty_forecast,
    validate_forecast,
)
from forecasting.models.executors import SERIAL, ExecutorSettings
from forecasting.models.fallbacks import WithFallbacks
from forecasting.models.hierarchy import parent_series
from forecasting.models.memo import ForecastMemo

#: What "default" means: the best model by backtest (docs/forecasting.md has the figures).
DEFAULT_MODEL = "ensemble"

__all__ = [
    "DEFAULT_MODEL",
    "SERIAL",
    "ExecutorSettings",
    "FORECAST_COLUMNS",
    "QUANTILES",
    "QUANTILE_COLUMNS",
    "Model",
    "UnknownModelError",
    "available_models",
    "coherent_model",
    "forecast",
    "forecast_apart",
    "forecast_part",
    "make_model",
    "parts_apart",
    "resolve_model_name",
    "validate_forecast",
]


class UnknownModelError(ConflictwatchError):
    """A model name that conflictwatch does not have."""


def _seasonal_naive(seed: int, executor: ExecutorSettings, memo: ForecastMemo | None) -> Model:
    from forecasting.models.reference import SeasonalNaive

    return SeasonalNaive()


def _trailing_mean(seed: int, executor: ExecutorSettings, memo: ForecastMemo | None) -> Model:
    from forecasting.models.reference import TrailingMean

    return TrailingMean()


def _recent_mean(seed: int, executor: ExecutorSettings, memo: ForecastMemo | None) -> Model:
    from forecasting.models.reference import RecentMean

    return RecentMean()


def _conflictology(seed: int, executor: ExecutorSettings, memo: ForecastMemo | None) -> Model:
    from forecasting.models.reference import Conflictology

    return Conflictology(seed=seed)


def _negbin(seed: int, executor: ExecutorSettings, memo: ForecastMemo | None) -> Model:
    from forecasting.models.negbin import NegativeBinomialTrend

    return NegativeBinomialTrend()


def _negbin_local(seed: int, executor: ExecutorSettings, memo: ForecastMemo | None) -> Model:
    from forecasting.models.negbin import LocalSeasonNegativeBinomial

    return LocalSeasonNegativeBinomial()


def _robust_level(seed: int, executor: ExecutorSettings, memo: ForecastMemo | None) -> Model:
    from forecasting.models.robust import RobustLevel

    return RobustLevel()


def _damped_trend(seed: int, executor: ExecutorSettings, memo: ForecastMemo | None) -> Model:
    from forecasting.models.trend import DampedTrend

    return DampedTrend()


def _ets(seed: int, executor: ExecutorSettings, memo: ForecastMemo | None) -> Model:
    from forecasting.models.ets import ETSLog

    return ETSLog(seed=seed, executor=executor)


def _prophet(seed: int, executor: ExecutorSettings, memo: ForecastMemo | None) -> Model:
    from forecasting.models.prophet_model import ProphetLog

    return ProphetLog(seed=seed, executor=executor)


def _ensemble(seed: int, executor: ExecutorSettings, memo: ForecastMemo | None) -> Model:
    from forecasting.models.ensemble import MEMBERS, Ensemble

    # Members are handed over as factories, so the ensemble needs no registry of its own.
    members = {name: partial(make_model, name, seed=seed, executor=executor) for name in MEMBERS}
    return Ensemble(members, seed=seed, memo=memo)


#: Model name -> builder(seed, executor settings, memo). Builders import lazily: statsmodels and
#: prophet are slow to import and only the models that use them should pay for it. A new model
#: is one module plus one line here (docs/architecture.md, "add a model").
_BUILDERS: dict[str, Callable[[int, ExecutorSettings, ForecastMemo | None], Model]] = {
    "seasonal_naive": _seasonal_naive,
    "trailing_mean": _trailing_mean,
    "recent_mean": _recent_mean,
    "conflictology": _conflictology,
    "negbin": _negbin,
    "negbin_local": _negbin_local,
    "robust_level": _robust_level,
    "damped_trend": _damped_trend,
    "ets": _ets,
    "prophet": _prophet,
    "ensemble": _ensemble,
}


def available_models() -> list[str]:
    """The model names `forecast` and `make_model` accept, "default" first."""
    return ["default", *_BUILDERS]


def resolve_model_name(name: str) -> str:
    """The model a name stands for ("default" -> the current default); raise for unknown names."""
    resolved = DEFAULT_MODEL if name == "default" else name
    if resolved not in _BUILDERS:
        raise UnknownModelError(f"unknown model {name!r}: choose one of {', '.join(available_models())}")
    return resolved


def make_model(
    name: str = "default", *, seed: int = 0, executor: ExecutorSettings = SERIAL, memo: ForecastMemo | None = None
) -> Model:
    """An unfitted model, behind the fallbacks. `executor` says where per-series models (ETS,
    Prophet) run; vectorized ones ignore it. `memo` remembers what a model computes from a
    history it has seen before (`forecasting.models.memo`: the ensemble's judgement of its
    members); the forecasts are the same with it or without."""
    return WithFallbacks(_BUILDERS[resolve_model_name(name)](seed, executor, memo))


def forecast(
    series: pd.DataFrame,
    model: str = "default",
    horizon: int = 1,
    *,
    seed: int = 0,
    executor: ExecutorSettings = SERIAL,
    memo: ForecastMemo | None = None,
) -> pd.DataFrame:
    """Forecast every series of a series frame `horizon` months past its own last month.

    Returns a validated forecast frame (counts per month; mean and quantiles), one row per series
    and month ahead, ordered by series and month; `model` names the model actually used ("default"
    resolved), `fallback` the simpler model used for series the model could not fit. Where the
    frame holds several geographic levels, the means add up: each admin1's is the sum of its
    admin2s', each country's of its admin1s' (`coherent_model`). The same inputs and `seed` give
    the same numbers, on any `executor`, with or without a `memo` (see `make_model`).
    """
    if horizon < 1:
        raise ConflictwatchError(f"the horizon must be at least 1 month, not {horizon}")
    fitted = coherent_model(make_model(model, seed=seed, executor=executor, memo=memo), parent_series(series))
    if series.empty:
        return empty_forecast()
    return validate_forecast(fitted.fit(Panel.from_series(series)).predict(horizon))


def forecast_apart(
    series: pd.DataFrame,
    model: str = "default",
    horizon: int = 1,
    *,
    seed: int = 0,
    executor: ExecutorSettings = SERIAL,
    memo: ForecastMemo | None = None,
    made: Mapping[str, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """`forecast` of each measure's geographic hierarchy (the area down to the districts), and of
    each other kind of series of a measure (settlement tiers, actor families), apart: one frame,
    ordered by series and month. A measure's hierarchy is forecast exactly as `forecast` of it
    alone would (`conflictwatch forecast --by` fits it so), and each kind is judged on its own
    record, so a panel of several measures and kinds (detection's) gets the intervals each would
    get alone. `memo` keeps each part's judgement apart (`ForecastMemo.part`). `made`: the
    forecasts of parts (by name, `parts_apart`) made elsewhere, as `forecast_part` makes them (a
    backfill's, in processes of their own: `forecasting.detectors.ahead`)."""
    if series.empty:
        return forecast(series, model, horizon, seed=seed, executor=executor, memo=memo)
    frames = [
        made[name] if made is not None and name in made
        else forecast_part(name, part, model, horizon, seed=seed, executor=executor, memo=memo)
        for name, part in parts_apart(series)
    ]
    whole = pd.concat(frames, ignore_index=True)
    return validate_forecast(whole.sort_values(["series_id", "period"], kind="stable", ignore_index=True))


def parts_apart(series: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """The parts `forecast_apart` forecasts apart, each (`measure|kind`, its series), in its
    order: kind `geographic` (the area down to the districts), `tier` or `actor`."""
    from forecasting.models.hierarchy import GEOGRAPHIC

    measure = series["measure"] if "measure" in series else pd.Series("", index=series.index)
    kind = series["level"].where(~series["level"].isin(list(GEOGRAPHIC)), "geographic")
    return [(f"{name[0]}|{name[1]}", part) for name, part in series.groupby([measure.fillna(""), kind.fillna("")], sort=True)]


def forecast_part(
    name: str, part: pd.DataFrame, model: str = "default", horizon: int = 1, *, seed: int = 0,
    executor: ExecutorSettings = SERIAL, memo: ForecastMemo | None = None,
) -> pd.DataFrame:
    """`forecast` of the part `name` of `parts_apart`, remembered in its own part of `memo`."""
    return forecast(part, model, horizon, seed=seed, executor=executor,
                    memo=memo.part(name) if memo is not None else None)


def coherent_model(model: Model, parents: pd.Series) -> Model:
    """`model`, reconciled bottom-up over `parents` (series_id -> parent series_id, from
    `forecasting.models.hierarchy.parent_series`): admin2 sums to admin1 to country to area.
    The model itself where there are no parents (one level)."""
    from forecasting.models.hierarchy import BottomUp

    return BottomUp(model, parents) if not parents.empty else model
