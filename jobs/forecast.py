"""The forecast and backtest steps: stored events -> series -> forecasts or backtest scores.

Thin: the series come from `forecasting.series`, the numbers from `forecasting.models` and
`forecasting.backtest`; this module picks the months (no data after `as_of`), applies the
configuration, and notes whether the data is the shipped synthetic sample.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from forecasting.errors import ConflictwatchError
from forecasting.series import SCOPE_COLUMNS, load_series
from forecasting.store import Store
from forecasting.store import events as stored_events
from jobs.config import Config

log = logging.getLogger(__name__)

SYNTHETIC_LABEL = "SYNTHETIC sample data (not real ACLED data)"


class NothingToForecastError(ConflictwatchError):
    """The store holds no events for what was asked."""


@dataclass(frozen=True)
class ForecastRun:
    """Series up to `through` (the last complete month used), their forecasts, and whether the
    events behind them are the shipped synthetic sample."""

    series: pd.DataFrame
    forecasts: pd.DataFrame
    through: pd.Timestamp
    synthetic: bool


def last_complete_month(store: Store, as_of: str | None) -> dt.date:
    """The last day of the last month to use: `as_of` (YYYY-MM) if given, else the last month the
    store covers in full (a month whose newest event is before its last day counts as partial)."""
    if as_of is not None:
        try:
            return pd.Period(as_of, freq="M").end_time.date()
        except ValueError:
            raise ConflictwatchError(f"--as-of must be a month, YYYY-MM, not {as_of!r}") from None
    cutoff = stored_events.data_cutoff(store)
    if cutoff is None:
        raise NothingToForecastError("the store holds no events: load some with `conflictwatch ingest FILE`")
    month_end = pd.Period(cutoff, freq="M").end_time.date()
    if cutoff == month_end:
        return cutoff
    previous = (pd.Period(cutoff, freq="M") - 1).end_time.date()
    log.info("data ends on %s, a partial month: forecasting from %s", cutoff, previous.strftime("%Y-%m"))
    return previous


def select_scope(series: pd.DataFrame, scope: str | None) -> pd.DataFrame:
    """The series whose country, admin1, admin2, tier or actor is `scope` (any case)."""
    if scope is None:
        return series
    wanted = scope.casefold()
    match = pd.Series(False, index=series.index)
    for name in SCOPE_COLUMNS:
        match |= series[name].astype("string").str.casefold().eq(wanted).fillna(False)
    if not match.any():
        raise NothingToForecastError(
            f"no series has the scope {scope!r}: check the spelling with `conflictwatch series --by LEVEL`"
        )
    return series[match]


def is_synthetic(store: Store, countries: list[str] | None, until: dt.date) -> bool:
    """Whether any event behind these series is from the shipped synthetic sample."""
    counts = stored_events.source_counts(store, countries=countries, until=until)
    return bool(counts["synthetic"].any()) if not counts.empty else False


def run_forecast(
    store: Store,
    config: Config,
    *,
    level: str,
    measure: str = "fatalities",
    countries: list[str] | None = None,
    scope: str | None = None,
    model: str | None = None,
    horizon: int | None = None,
    as_of: str | None = None,
) -> ForecastRun:
    """Forecast the stored series at `level` from the month `as_of` (default: the last complete
    month) for `horizon` months, with the configured model, seed and executor."""
    from forecasting.models import forecast

    settings = config.forecast
    until = last_complete_month(store, as_of)
    series = load_series(store, level, measure, countries=countries, until=until)
    if series.empty:
        raise NothingToForecastError(f"no {measure} series at {level} level up to {until:%Y-%m}")
    series = select_scope(series, scope)
    forecasts = forecast(
        series,
        model or settings.model,
        horizon or settings.horizon,
        seed=settings.seed,
        executor=settings.executor,
        workers=settings.workers,
        dask_address=settings.dask_address,
    )
    return ForecastRun(series, forecasts, pd.Timestamp(until).to_period("M").to_timestamp(), is_synthetic(store, countries, until))


def run_backtest(
    store: Store,
    config: Config,
    *,
    level: str,
    models: list[str],
    measure: str = "fatalities",
    countries: list[str] | None = None,
    origins: int = 24,
    horizons: int = 6,
    as_of: str | None = None,
) -> tuple[pd.DataFrame, bool]:
    """Backtest scores (see `forecasting.backtest`) of `models` on the stored series at `level`,
    and whether the data is the synthetic sample."""
    from forecasting.backtest import backtest
    from forecasting.models import resolve_model_name

    settings = config.forecast
    until = last_complete_month(store, as_of)
    series = load_series(store, level, measure, countries=countries, until=until)
    if series.empty:
        raise NothingToForecastError(f"no {measure} series at {level} level up to {until:%Y-%m}")
    names = list(dict.fromkeys(resolve_model_name(name) for name in models))
    scores = backtest(
        series,
        names,
        origins=origins,
        horizons=horizons,
        seed=settings.seed,
        executor=settings.executor,
        workers=settings.workers,
        dask_address=settings.dask_address,
    )
    return scores, is_synthetic(store, countries, until)


def plot_forecasts(run: ForecastRun, path: Path, *, history_months: int = 36, most: int = 12) -> Path:
    """Draw each series (its last `history_months`), the forecast mean and its 50% and 90% bands
    into one PNG; with more than `most` series, the `most` with the most recent activity."""
    from matplotlib.dates import DateFormatter, YearLocator
    from matplotlib.figure import Figure

    recent = run.series[run.series["period"] > run.through - pd.DateOffset(months=12)]
    busiest = recent.groupby("series_id")["value"].sum().sort_values(ascending=False, kind="stable")
    chosen = list(busiest.index[:most])
    if len(busiest) > most:
        log.warning("plotting the %d busiest of %d series", most, len(busiest))
    columns = min(3, len(chosen))
    rows = -(-len(chosen) // columns)
    figure = Figure(figsize=(4.6 * columns, 2.8 * rows + 0.6), layout="constrained")
    axes = figure.subplots(rows, columns, squeeze=False)
    start = run.through - pd.DateOffset(months=history_months - 1)
    for axis, series_id in zip(axes.flat, chosen):
        history = run.series[(run.series["series_id"] == series_id) & (run.series["period"] >= start)]
        ahead = run.forecasts[run.forecasts["series_id"] == series_id]
        axis.plot(history["period"], history["value"], color="#333333", linewidth=1.2, label="observed")
        axis.fill_between(ahead["period"], ahead["q05"], ahead["q95"], color="#d95f02", alpha=0.18, label="90% interval")
        axis.fill_between(ahead["period"], ahead["q25"], ahead["q75"], color="#d95f02", alpha=0.35, label="50% interval")
        axis.plot(ahead["period"], ahead["mean"], color="#d95f02", linewidth=1.5, linestyle="--", label="forecast mean")
        axis.set_title(series_id.split("|", 1)[-1].replace("|", " / "), fontsize=9)
        axis.xaxis.set_major_locator(YearLocator())
        axis.xaxis.set_major_formatter(DateFormatter("%Y"))
        axis.tick_params(labelsize=7)
        axis.set_ylim(bottom=0)
    for axis in list(axes.flat)[len(chosen) :]:
        axis.set_visible(False)
    axes.flat[0].legend(fontsize=7, loc="upper left")
    measure = run.series["measure"].iloc[0]
    model = run.forecasts["model"].iloc[0]
    title = f"Monthly {measure}: observed to {run.through:%Y-%m}, forecast by {model}"
    if run.synthetic:
        title += f" — {SYNTHETIC_LABEL}"
    figure.suptitle(title, fontsize=10)
    figure.savefig(path, dpi=110)
    return path
