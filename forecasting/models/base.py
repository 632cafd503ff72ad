"""The forecast frame and the protocol every baseline model follows.

A forecast frame has one row per series and month ahead:

    series_id  period  model  fallback  mean  q05  q10  q25  q50  q75  q90  q95

`period` is a month start (datetime64), `model` the model asked for, `fallback` the model that
actually produced the row when the asked-for one could not (all-zero, very short or constant
series), else missing. Every number is non-negative and the quantiles never decrease.
"""

from __future__ import annotations

from typing import Protocol, Self

import numpy as np
import pandas as pd

QUANTILES = (0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95)
QUANTILE_COLUMNS = tuple(f"q{round(level * 100):02d}" for level in QUANTILES)
FORECAST_COLUMNS = ("series_id", "period", "model", "fallback", "mean", *QUANTILE_COLUMNS)


class Model(Protocol):
    """A baseline: fit on a panel (many series at once), then predict months ahead.

    `forecast()` and `backtest()` turn the series frame into a `Panel` once, at their entry;
    models only ever see panels. `min_months` is the shortest series the model fits (shorter
    ones get the fallbacks)."""

    name: str
    min_months: int

    def fit(self, panel: Panel) -> Self:
        """Learn from the panel's series; returns the fitted model."""
        ...

    def predict(self, horizon: int) -> pd.DataFrame:
        """A forecast frame for the `horizon` months after each series' last month."""
        ...


def validate_forecast(frame: pd.DataFrame) -> pd.DataFrame:
    """Check the forecast-frame contract; raise ValueError (a bug) where it is broken."""
    missing = [name for name in FORECAST_COLUMNS if name not in frame]
    if missing:
        raise ValueError(f"forecast frame lacks columns {missing}")
    numbers = frame[["mean", *QUANTILE_COLUMNS]].to_numpy(dtype=float)
    if np.isnan(numbers).any() or (numbers < 0).any():
        raise ValueError("forecasts must be present and non-negative")
    if (np.diff(numbers[:, 1:], axis=1) < -1e-9).any():
        raise ValueError("forecast quantiles must not decrease")
    return frame


class Panel:
    """Many series as one matrix, so that vectorized models fit them all at once.

    `values` is (series x months), float, each series right-aligned on its own last month and
    padded with NaN on the left where it is shorter than the longest. `last_periods` holds each
    series' last month, `lengths` its number of months, `levels` its level (or None).
    """

    def __init__(
        self,
        series_ids: np.ndarray,
        values: np.ndarray,
        last_periods: np.ndarray,
        lengths: np.ndarray,
        levels: np.ndarray,
    ):
        self.series_ids = series_ids
        self.values = values
        self.last_periods = last_periods
        self.lengths = lengths
        self.levels = levels

    def __len__(self) -> int:
        return len(self.series_ids)

    @classmethod
    def from_series(cls, series: pd.DataFrame) -> Panel:
        """A panel from a (validated, zero-filled) series frame."""
        frame = series.sort_values(["series_id", "period"], kind="stable")
        ids, starts, lengths = np.unique(frame["series_id"].to_numpy(), return_index=True, return_counts=True)
        width = int(lengths.max()) if len(lengths) else 0
        values = np.full((len(ids), width), np.nan)
        row = np.repeat(np.arange(len(ids)), lengths)
        position = np.arange(len(frame)) - np.repeat(starts, lengths)
        values[row, width - np.repeat(lengths, lengths) + position] = frame["value"].to_numpy(dtype=float)
        periods = frame["period"].to_numpy().astype("datetime64[M]")
        last = periods[starts + lengths - 1] if len(ids) else periods[:0]
        levels = (
            frame["level"].to_numpy(dtype=object)[starts]
            if "level" in frame
            else np.full(len(ids), None, dtype=object)
        )
        return cls(ids.astype(object), values, last, lengths, levels)

    def subset(self, rows: np.ndarray) -> Panel:
        """The series at `rows` (a boolean mask or indices), trimmed of all-NaN leading columns."""
        lengths = self.lengths[rows]
        width = int(lengths.max()) if len(lengths) else 0
        values = self.values[rows][:, self.values.shape[1] - width :]
        return Panel(self.series_ids[rows], values, self.last_periods[rows], lengths, self.levels[rows])

    def truncate(self, months: int) -> Panel:
        """The same series without their last `months` months (for backtests); drops emptied ones."""
        if months <= 0:
            return self
        keep = self.lengths > months
        values = self.values[keep][:, : self.values.shape[1] - months]
        panel = Panel(
            self.series_ids[keep],
            values,
            self.last_periods[keep] - np.timedelta64(months, "M"),
            self.lengths[keep] - months,
            self.levels[keep],
        )
        return panel.subset(np.ones(len(panel), dtype=bool))

    def calendar_months(self) -> np.ndarray:
        """(series x months) month of the year, 0 = January, for every cell of `values`."""
        last_month = self.last_periods.astype(int) % 12
        back = np.arange(self.values.shape[1])[::-1]
        return (last_month[:, None] - back[None, :]) % 12


def forecast_frame(
    panel: Panel,
    model: str,
    mean: np.ndarray,
    quantiles: np.ndarray,
    fallback: str | None = None,
) -> pd.DataFrame:
    """The forecast frame for a panel from (series x horizon) means and (series x horizon x
    quantile) quantiles, in the order of `QUANTILES`.

    Enforces the contract rather than trusting every model to: values are clipped at zero and
    the quantiles sorted (monotone rearrangement, which can only lower the quantile score).
    """
    count, horizon = mean.shape
    mean = np.clip(np.nan_to_num(mean, nan=0.0), 0.0, None)
    quantiles = np.sort(np.clip(np.nan_to_num(quantiles, nan=0.0), 0.0, None), axis=2)
    steps = np.arange(1, horizon + 1).astype("timedelta64[M]")
    periods = (panel.last_periods[:, None] + steps[None, :]).astype("datetime64[ns]")
    # Every column in one construction: inserting the quantiles one by one took two thirds of the
    # time (2.1 against 0.64 ms for 166 series), and a judgement builds hundreds of these frames.
    return pd.DataFrame(
        {
            "series_id": np.repeat(panel.series_ids, horizon),
            "period": periods.reshape(-1),
            "model": model,
            "fallback": pd.Series([fallback] * (count * horizon), dtype=object),
            "mean": mean.reshape(-1),
            **{name: quantiles[:, :, index].reshape(-1) for index, name in enumerate(QUANTILE_COLUMNS)},
        }
    )


def empty_forecast() -> pd.DataFrame:
    """A forecast frame with no rows."""
    frame = pd.DataFrame({name: pd.Series(dtype=float) for name in FORECAST_COLUMNS})
    frame["series_id"] = frame["series_id"].astype(object)
    frame["model"] = frame["model"].astype(object)
    frame["fallback"] = frame["fallback"].astype(object)
    frame["period"] = pd.Series(dtype="datetime64[ns]")
    return frame


# --- smoothing loops ------------------------------------------------------------------------------


def month_blocks(shape: tuple[int, ...], width: int, elements: int = 1 << 16) -> int:
    """Months a smoothing loop keeps at a time for the work it leaves until after them (each
    month one array of `shape`): as many as fit in about `elements` numbers, at least one."""
    return max(1, min(width, elements // max(int(np.prod(shape)), 1)))


#: The most a smoothing loop's paths of every grid point may take (bytes an array): above it, the
#: chosen weights' path is smoothed again instead (a panel of 10,000 series over 20 years).
PATH_BYTES = 1 << 25


def path_fits(shape: tuple[int, ...], width: int) -> bool:
    """Whether a path of `width` months of arrays of `shape` (grid points x series) takes at most
    `PATH_BYTES` as float64."""
    return int(np.prod(shape)) * width * 8 <= PATH_BYTES


def chosen_path(paths: np.ndarray, chosen: np.ndarray) -> np.ndarray:
    """From `paths` (months x grid points x series), each series' path at its `chosen` grid
    point: series x months, C-ordered as a path filled month by month would be (sums along the
    months add in the same order)."""
    return np.ascontiguousarray(paths[:, chosen, np.arange(paths.shape[2])].T)


def sequential_sum(running: np.ndarray, terms: np.ndarray) -> np.ndarray:
    """`running` + terms[0] + terms[1] + ..., added one after the other in that order, as a loop
    over the first axis would add them (`np.sum` adds in pairs: the last digits could differ)."""
    return np.cumsum(np.concatenate([running[None], terms]), axis=0)[-1]
