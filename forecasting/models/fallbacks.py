"""What happens to series a model cannot fit: all-zero, very short and constant ones.

Every model runs behind `WithFallbacks`, so each of these series still gets a forecast, and the
forecast frame's `fallback` column names the model that produced it:

- all-zero (no event in any month): `zero`, a point mass at 0. Nothing has ever happened there,
  and a model that never saw an event has nothing to say beyond that.
- shorter than the model's `min_months`, or constant (the same count every month, which leaves
  ETS and Prophet with no variance to fit): `trailing_mean`, the negative binomial around the mean
  of the last 12 months (a Poisson for a constant series).
"""

from __future__ import annotations

import logging
from typing import Self

import numpy as np
import pandas as pd

from forecasting.models.base import QUANTILES, Panel, empty_forecast, forecast_frame
from forecasting.models.reference import TrailingMean

log = logging.getLogger(__name__)

ZERO = "zero"
TRAILING_MEAN = "trailing_mean"


def fallback_kinds(panel: Panel, min_months: int, *, constant_ok: bool = False) -> np.ndarray:
    """Per series: None where the model can fit it, else the fallback model's name."""
    values = panel.values
    present = ~np.isnan(values)
    total = np.nansum(values, axis=1)
    highest = np.nanmax(np.where(present, values, -np.inf), axis=1)
    lowest = np.nanmin(np.where(present, values, np.inf), axis=1)
    kinds = np.full(len(panel), None, dtype=object)
    if not constant_ok:
        kinds[highest == lowest] = TRAILING_MEAN
    kinds[panel.lengths < min_months] = TRAILING_MEAN
    kinds[total == 0] = ZERO
    return kinds


class WithFallbacks:
    """A model run on the series it can fit, and the fallbacks on the others (see module doc).

    The forecast frame names the wrapped model in `model` for every row, and the fallback in
    `fallback` where one was used. Rows are ordered by series and month.
    """

    def __init__(self, model):
        self.model = model
        self.name = model.name
        self.min_months = model.min_months
        # Read by the bottom-up reconciliation (`forecasting.models.hierarchy.RareEvents`).
        self.leaves_out_rare_events = getattr(model, "leaves_out_rare_events", False)

    @property
    def rare_excess(self) -> pd.Series | None:
        """The wrapped model's (`forecasting.models.ensemble.Ensemble.rare_excess`)."""
        return getattr(self.model, "rare_excess", None)

    @rare_excess.setter
    def rare_excess(self, excess: pd.Series | None) -> None:
        self.model.rare_excess = excess

    def fit(self, panel: Panel) -> Self:
        own = self.model.name == TRAILING_MEAN
        self.kinds = fallback_kinds(panel, self.model.min_months, constant_ok=own or getattr(self.model, "constant_ok", False))
        if own:
            self.kinds[self.kinds == TRAILING_MEAN] = None
        self.panel = panel
        regular = self.kinds == None  # noqa: E711 (elementwise on an object array)
        self.fitted = self.model.fit(panel.subset(regular)) if regular.any() else None
        counted = pd.Series(self.kinds).value_counts()
        if not counted.empty:
            log.debug("%s: fallbacks used for %s", self.name, counted.to_dict())
        return self

    def predict(self, horizon: int) -> pd.DataFrame:
        frames = []
        if self.fitted is not None:
            frames.append(self.fitted.predict(horizon))
        zero = self.kinds == ZERO
        if zero.any():
            frames.append(zero_forecast(self.panel.subset(zero), self.name, horizon))
        simple = self.kinds == TRAILING_MEAN
        if simple.any():
            frame = TrailingMean().fit(self.panel.subset(simple)).predict(horizon)
            # A column of Python objects, as every forecast frame's (`forecast_frame`), not of text.
            frames.append(frame.assign(model=self.name,
                                       fallback=pd.Series(TRAILING_MEAN, index=frame.index, dtype=object)))
        if not frames:
            return empty_forecast()
        if len(frames) == 1 and _in_order(frames[0]):
            # The usual case: every series fitted, in the panel's order (sorted by series_id).
            return frames[0].reset_index(drop=True)
        frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
        return frame.sort_values(["series_id", "period"], kind="stable").reset_index(drop=True)


def zero_forecast(panel: Panel, name: str, horizon: int) -> pd.DataFrame:
    """The `zero` fallback's forecast of every series of `panel` (a point mass at 0), as model
    `name` gives it: what any model forecasts for series with no event."""
    nothing = np.zeros((len(panel), horizon))
    return forecast_frame(panel, name, nothing, nothing[:, :, None].repeat(len(QUANTILES), axis=2), ZERO)


def _in_order(frame: pd.DataFrame) -> bool:
    """Whether `frame`'s rows are sorted by series_id, then period, with no pair twice."""
    ids, periods = frame["series_id"].to_numpy(), frame["period"].to_numpy()
    later = (ids[1:] > ids[:-1]) | ((ids[1:] == ids[:-1]) & (periods[1:] > periods[:-1]))
    return bool(later.all())
