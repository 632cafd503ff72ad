"""Rolling-origin forecasts of a panel: what a model would have said at each of the last months.

For each origin (the last `origins` months of each series, one month apart) a fresh model is
fitted on the series up to and including the origin month only, then forecasts `horizons` months
ahead; every forecast month that has been observed since is kept with its outcome. Nothing after
an origin is visible to the model fitted there: the series are cut before the model sees them.

`forecasting.backtest` scores these cells; the ensemble judges and calibrates its members on
them. Models are given as factories (name -> a function returning an unfitted model), so this
module needs no model registry and the registry can build models that use it. They run behind
the fallbacks (`forecasting.models.make_model`): a series with no event up to an origin gets the
`zero` fallback there whatever the model, so it is not fitted (nor remembered) with the others.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecasting.models.base import QUANTILE_COLUMNS, Model, Panel
from forecasting.models.fallbacks import ZERO
from forecasting.scores import MASE_YEARS, seasonal_naive_scale

log = logging.getLogger(__name__)

CELL_KEYS = ("model", "series_id", "level", "origin", "horizon", "observed", "scale")


def rolling_origin_forecasts(
    panel: Panel,
    models: Mapping[str, Callable[[], Model]],
    *,
    origins: int = 24,
    horizons: int = 6,
    mase_years: int = MASE_YEARS,
    remember: Callable[[list[tuple[Panel, int, Callable[[], list[pd.DataFrame]]]]], list[pd.DataFrame]] | None = None,
) -> pd.DataFrame:
    """Every observed rolling-origin forecast: the forecast frame's columns plus `origin` (last
    month the model saw), `horizon` (months ahead), `level`, `observed` and `scale` (the MASE
    denominator, see `forecasting.scores`), one row per model, series, origin and month ahead.
    `model` is the key of `models`. `remember(origins)`, where given, returns the forecasts at all
    the `origins`, each (seen, observed, forecasts): `forecasts()`, that origin's
    `origin_forecasts(seen, observed, ...)` (a memo may return them from an earlier call on the
    same `seen`), in frames of any origins in any order."""
    frames, remembered = [], []
    for months_back in range(1, origins + 1):
        if not (panel.lengths > months_back).any():
            break
        # An origin's forecasts depend on the series up to the last month observed after it.
        observed = min(horizons, months_back)
        seen = panel.truncate(months_back - observed)
        # Series with no event up to the origin get the zero fallback from every model, which
        # fits none of them: made once for all models, and never remembered, so that a place
        # first hit later (a district new this month) leaves the origin's remembered forecasts of
        # the others as they were. (The judgement does not depend on the order of the rows.)
        quiet = _quiet(seen, observed)
        active = seen.subset(~quiet) if quiet.any() else seen

        def forecasts(seen=active, observed=observed):
            return origin_forecasts(seen, observed, models, horizons=horizons, mase_years=mase_years)

        if len(active) and remember is None:
            frames += forecasts()
        elif len(active):
            remembered.append((active, observed, forecasts))
        if quiet.any():
            silent = seen.subset(quiet)
            history = silent.truncate(observed)
            frames.append(zero_cells(_outcomes(silent, history, observed, mase_years), list(models)))
        log.debug("rolling origin %d of %d done", months_back, origins)
    if remembered:
        frames += remember(remembered)
    if not frames:
        return pd.DataFrame(columns=list(CELL_KEYS))
    cells = pd.concat(frames, ignore_index=True)
    cells["horizon"] = (
        (cells["period"].dt.year - cells["origin"].dt.year) * 12 + cells["period"].dt.month - cells["origin"].dt.month
    )
    return cells


def zero_cells(outcomes: Outcomes, models: list[str]) -> pd.DataFrame:
    """The zero fallback's forecasts (a point mass at 0) of every series of an origin's
    `outcomes` for the months observed after it, joined to those, once for each of `models`:
    `outcomes.joined(zero_forecast(history, name, months))` of each model `name`, in that order,
    made in one construction (a judgement makes a hundred of these; composed, they cost a third
    of a first detection's judgements)."""
    count, observed = outcomes.after.shape
    row = np.repeat(np.arange(count), observed)
    steps = np.tile(np.arange(1, observed + 1), count).astype("timedelta64[M]")
    each = np.tile(row, len(models))
    zeros = np.zeros(len(each))
    return pd.DataFrame(
        {
            "series_id": np.asarray(outcomes.series_ids)[each],
            "period": np.tile((outcomes.origins[row] + steps).astype("datetime64[ns]"), len(models)),
            "model": pd.array(np.repeat(models, len(row)), dtype="str"),
            "fallback": pd.Series([ZERO] * len(each), dtype=object),
            "mean": zeros,
            **{name: zeros for name in QUANTILE_COLUMNS},
            "observed": np.tile(outcomes.after.reshape(-1), len(models)),
            "scale": outcomes.scale[each],
            "level": outcomes.levels[each],
            "origin": outcomes.origins[each].astype("datetime64[ns]"),
        }
    )


def _quiet(seen: Panel, observed: int) -> np.ndarray:
    """Per series of `seen`: no event (every month zero) up to `observed` months before its end."""
    history = seen.values[:, : seen.values.shape[1] - observed]
    return np.nansum(history, axis=1) == 0


def origin_forecasts(
    seen: Panel, observed: int, models: Mapping[str, Callable[[], Model]], *, horizons: int, mase_years: int,
    predicted: list[pd.DataFrame] | None = None,
) -> list[pd.DataFrame]:
    """Each model's forecasts from the origin `observed` months before the end of the `seen`
    series (fitted on the months up to it), with the outcomes of those months: one frame a model.
    `predicted`: each model's `fit(history).predict(horizons)` on the origin's history (the
    series up to the origin), where already made; fitted here otherwise."""
    history = seen.truncate(observed)
    outcomes = _outcomes(seen, history, observed, mase_years)
    frames = []
    for index, (name, build) in enumerate(models.items()):
        forecast = build().fit(history).predict(horizons) if predicted is None else predicted[index]
        frames.append(outcomes.joined(forecast).assign(model=name))
    return frames


def _outcomes(seen: Panel, history: Panel, observed: int, mase_years: int) -> Outcomes:
    """The outcomes of the origin `observed` months before the end of the `seen` series, whose
    `history` (`seen.truncate(observed)`) the caller has already cut."""
    # The months after the origin, (series x observed), in `history`'s order: `truncate` keeps
    # exactly the series that have months after it.
    after = seen.values[seen.lengths > observed][:, seen.values.shape[1] - observed :]
    return Outcomes(pd.Index(history.series_ids), history.last_periods, after,
                    seasonal_naive_scale(history.values, mase_years), history.levels)


@dataclass(frozen=True)
class Outcomes:
    """An origin's outcomes and what is known of each series there, to join to forecasts: per
    series (in `series_ids`' order) its origin (the last month seen, datetime64[M]), the months
    after it (series x months observed), its MASE scale and its level."""

    series_ids: pd.Index
    origins: np.ndarray
    after: np.ndarray
    scale: np.ndarray
    levels: np.ndarray

    def joined(self, forecast: pd.DataFrame) -> pd.DataFrame:
        """The rows of `forecast` whose month has been observed, in its order, with `observed`,
        `scale`, `level` and `origin` (the last month seen) added: an inner join on series and
        month, done by position (a pandas merge and join took 4 ms more an origin of the sample,
        and a judgement joins about 180)."""
        row = self.series_ids.get_indexer(forecast["series_id"])
        months = forecast["period"].to_numpy().astype("datetime64[M]")
        step = (months - self.origins[row]).astype(int)
        kept = np.flatnonzero((row >= 0) & (step >= 1) & (step <= self.after.shape[1]))
        row, step = row[kept], step[kept]
        added = pd.DataFrame({
            "observed": self.after[row, step - 1],
            "scale": self.scale[row],
            "level": self.levels[row],
            "origin": self.origins[row].astype("datetime64[ns]"),
        })
        return pd.concat([forecast.iloc[kept].reset_index(drop=True), added], axis=1)
