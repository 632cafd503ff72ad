"""Baseline forecasts of monthly counts: one function from a series frame to a forecast frame.

    from forecasting.models import forecast
    expected = forecast(series, "default", horizon=1)

`series` is a series frame (see `forecasting.series`); the result is a forecast frame (see
`forecasting.models.base`) for the `horizon` months after each series' last month. Every model
runs behind the fallbacks of `forecasting.models.fallbacks`, so all-zero, very short and constant
series get a forecast too, with the fallback named in the `fallback` column.
"""

from __future__ import annotations

from typing import Callable

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
from forecasting.models.fallbacks import WithFallbacks

#: What "default" means: the best model by backtest (docs/forecasting.md has the figures).
DEFAULT_MODEL = "ensemble"

__all__ = [
    "DEFAULT_MODEL",
    "FORECAST_COLUMNS",
    "QUANTILES",
    "QUANTILE_COLUMNS",
    "Model",
    "UnknownModelError",
    "available_models",
    "forecast",
    "make_model",
    "resolve_model_name",
    "validate_forecast",
]


class UnknownModelError(ConflictwatchError):
    """A model name that conflictwatch does not have."""


def _seasonal_naive(seed: int, run: dict) -> Model:
    from forecasting.models.reference import SeasonalNaive

    return SeasonalNaive()


def _trailing_mean(seed: int, run: dict) -> Model:
    from forecasting.models.reference import TrailingMean

    return TrailingMean()


def _conflictology(seed: int, run: dict) -> Model:
    from forecasting.models.reference import Conflictology

    return Conflictology(seed=seed)


def _negbin(seed: int, run: dict) -> Model:
    from forecasting.models.negbin import NegativeBinomialTrend

    return NegativeBinomialTrend()


def _ets(seed: int, run: dict) -> Model:
    from forecasting.models.ets import ETSLog

    return ETSLog(seed=seed, **run)


def _prophet(seed: int, run: dict) -> Model:
    from forecasting.models.prophet_model import ProphetLog

    return ProphetLog(seed=seed, **run)


def _ensemble(seed: int, run: dict) -> Model:
    from forecasting.models.ensemble import Ensemble

    return Ensemble(seed=seed, run=run)


#: Model name -> builder(seed, executor settings). Builders import lazily: statsmodels and
#: prophet are slow to import and only the models that use them should pay for it.
_BUILDERS: dict[str, Callable[[int, dict], Model]] = {
    "seasonal_naive": _seasonal_naive,
    "trailing_mean": _trailing_mean,
    "conflictology": _conflictology,
    "negbin": _negbin,
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
    name: str = "default",
    *,
    seed: int = 0,
    executor: str = "serial",
    workers: int = 1,
    dask_address: str | None = None,
) -> Model:
    """An unfitted model, behind the fallbacks. `executor` (serial | process | dask), `workers`
    and `dask_address` say where per-series models (ETS, Prophet) run; vectorized ones ignore them."""
    if executor not in ("serial", "process", "dask"):
        raise ConflictwatchError(f"unknown executor {executor!r}: choose serial, process or dask")
    run = {"executor": executor, "workers": workers, "dask_address": dask_address}
    return WithFallbacks(_BUILDERS[resolve_model_name(name)](seed, run))


def forecast(
    series: pd.DataFrame,
    model: str = "default",
    horizon: int = 1,
    *,
    seed: int = 0,
    executor: str = "serial",
    workers: int = 1,
    dask_address: str | None = None,
) -> pd.DataFrame:
    """Forecast every series of a series frame `horizon` months past its own last month.

    Returns a validated forecast frame (counts per month; mean and quantiles), one row per series
    and month ahead, ordered by series and month; `model` names the model actually used ("default"
    resolved), `fallback` the simpler model used for series the model could not fit. The same
    inputs and `seed` give the same numbers.
    """
    if horizon < 1:
        raise ConflictwatchError(f"the horizon must be at least 1 month, not {horizon}")
    fitted = make_model(model, seed=seed, executor=executor, workers=workers, dask_address=dask_address)
    if series.empty:
        return empty_forecast()
    return validate_forecast(fitted.fit(Panel.from_series(series)).predict(horizon))
