"""Models fitted one series at a time (ETS, Prophet), run through `forecasting.models.executors`.

A per-series model fits and forecasts each series inside the worker that holds it, so only arrays
cross process boundaries, never fitted model objects. A series whose fit fails (an optimizer that
does not converge, a degenerate likelihood) gets the trailing-mean forecast, named in `fallback`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Self

import numpy as np
import pandas as pd

from forecasting.models.base import QUANTILES, Panel, forecast_frame
from forecasting.models.executors import SERIAL, ExecutorSettings, map_chunks, split
from forecasting.models.reference import TrailingMean

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SeriesChunk:
    """Some series to forecast in one worker: what a worker needs, and nothing else."""

    values: list[np.ndarray]  # each series' months, oldest first, no padding
    last_periods: np.ndarray  # datetime64[M], each series' last month
    horizon: int
    seed: int


#: What a per-series forecaster returns for one series: mean (horizon,), quantiles
#: (horizon x len(QUANTILES)), both on the count scale.
SeriesForecast = tuple[np.ndarray, np.ndarray]


def forecast_chunk(forecaster: Callable[..., SeriesForecast], chunk: SeriesChunk) -> list[SeriesForecast | None]:
    """Run `forecaster(values, last_period, horizon, seed)` on each series of a chunk; None where
    it raised (logged at debug: the caller falls back and says so in the forecast frame)."""
    results = []
    for values, last in zip(chunk.values, chunk.last_periods):
        try:
            results.append(forecaster(values, last, chunk.horizon, chunk.seed))
        except (ValueError, RuntimeError, np.linalg.LinAlgError, FloatingPointError) as error:
            log.debug("per-series fit failed (%s); falling back", error)
            results.append(None)
    return results


class PerSeriesModel:
    """Base of the per-series models: subclasses set `name`, `min_months` and `forecaster`."""

    name = "per_series"
    min_months = 24
    forecaster: Callable[..., SeriesForecast]

    def __init__(self, seed: int = 0, executor: ExecutorSettings = SERIAL):
        self.seed = seed
        self.executor = executor

    def fit(self, panel: Panel) -> Self:
        """Keep the series; the fits happen in the workers when `predict` runs (see module doc)."""
        self.panel = panel
        return self

    def predict(self, horizon: int) -> pd.DataFrame:
        panel = self.panel
        rows = [panel.values[i, panel.values.shape[1] - panel.lengths[i] :] for i in range(len(panel))]
        chunks = [
            SeriesChunk([rows[i] for i in part], panel.last_periods[part.start : part.stop], horizon, self.seed)
            for part in split(len(panel), self.executor)
        ]
        results = [
            result
            for chunk_results in map_chunks(partial(forecast_chunk, type(self).forecaster), chunks, self.executor)
            for result in chunk_results
        ]
        mean = np.zeros((len(panel), horizon))
        quantiles = np.zeros((len(panel), horizon, len(QUANTILES)))
        failed = np.array([result is None for result in results], dtype=bool)
        for index, result in enumerate(results):
            if result is not None:
                mean[index], quantiles[index] = result
        frame = forecast_frame(panel, self.name, mean, quantiles)
        if failed.any():
            log.info("%s: %d of %d series fell back to the trailing mean", self.name, failed.sum(), len(panel))
            substitute = TrailingMean().fit(panel.subset(failed)).predict(horizon)
            # A column of Python objects, as every forecast frame's (`forecast_frame`), not of text.
            fallback = pd.Series("trailing_mean", index=substitute.index, dtype=object)
            substitute = substitute.assign(model=self.name, fallback=fallback)
            frame = pd.concat([frame[~np.repeat(failed, horizon)], substitute], ignore_index=True)
            frame = frame.sort_values(["series_id", "period"], kind="stable").reset_index(drop=True)
        return frame
