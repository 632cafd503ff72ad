"""The forecast and backtest steps: stored events -> series -> forecasts or backtest scores.

Thin: the series come from `forecasting.series`, the numbers from `forecasting.models` and
`forecasting.backtest`; this module picks the months (no data after `as_of`), applies the
configuration, and notes whether the data is the shipped synthetic sample. For `--plot` it picks
the series to draw and computes their one-month-ahead fit; `reports.forecast_plot` draws them.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from forecasting.errors import ConflictwatchError
from forecasting.series import SCOPE_COLUMNS, load_series, unattributed
from forecasting.store import Store
from forecasting.store import events as stored_events
from jobs.config import Config

log = logging.getLogger(__name__)

SYNTHETIC_LABEL = "SYNTHETIC sample data (not real ACLED data)"


class NothingToForecastError(ConflictwatchError):
    """The store holds no events for what was asked."""


@dataclass(frozen=True)
class ForecastRun:
    """Series up to `through` (the last complete month used), their forecasts, whether the events
    behind them are the shipped synthetic sample, and the model and seed that made the forecasts."""

    series: pd.DataFrame
    forecasts: pd.DataFrame
    through: pd.Timestamp
    synthetic: bool
    #: The model fitted ("default" resolved) and its seed, so a plot can backtest the same.
    model: str = "default"
    seed: int = 0


def last_complete_month(store: Store, as_of: str | None) -> dt.date:
    """The last day of the last month to use: `as_of` (YYYY-MM) if given, else the last month the
    store covers in full (a month whose newest event is before its last day counts as partial)."""
    if as_of is not None:
        from forecasting.as_of import parse_month
        from jobs.detect import check_not_before_the_data

        moment = parse_month(as_of)
        check_not_before_the_data(moment, stored_events.data_start(store))
        return moment.day
    cutoff = stored_events.data_cutoff(store)
    if cutoff is None:
        raise NothingToForecastError("the store holds no events: load some with `conflictwatch ingest FILE`")
    complete = last_complete_day(cutoff)
    if complete != cutoff:
        log.info("data ends on %s, a partial month: forecasting from %s", cutoff, complete.strftime("%Y-%m"))
    return complete


def last_complete_day(cutoff: dt.date) -> dt.date:
    """The last day of the newest month that data ending on `cutoff` cover in full: `cutoff`
    itself when it is a month's last day, else the last day of the month before."""
    if (cutoff + dt.timedelta(days=1)).day == 1:
        return cutoff
    return cutoff.replace(day=1) - dt.timedelta(days=1)


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


def other_geographic_levels(level: str) -> list[str]:
    """The geographic levels fitted with `level`: all the others the reconciliation adds up
    where it is one (country -> area, admin1, admin2), none for a settlement tier or an actor."""
    from forecasting.models.hierarchy import GEOGRAPHIC

    return [name for name in GEOGRAPHIC if name != level] if level in GEOGRAPHIC else []


def is_synthetic(store: Store, countries: list[str] | None, until: dt.date) -> bool:
    """Whether any event behind these series is from the shipped synthetic sample."""
    counts = stored_events.source_counts(store, countries=countries, until=until)
    return bool(counts["synthetic"].any()) if not counts.empty else False


def stored_series(
    store: Store, level: str, measure: str, countries: list[str] | None, as_of: str | None
) -> tuple[pd.DataFrame, dt.date]:
    """The stored series at `level` up to `last_complete_month(store, as_of)`, and that day.
    Raises `NothingToForecastError` when there are none."""
    until = last_complete_month(store, as_of)
    series = load_series(store, level, measure, countries=countries, until=until)
    # As detection has them: no tier series of events not located at their place, no actor
    # series of unknown or unarmed actors (those events count in their units).
    series = series[~unattributed(series)].reset_index(drop=True)
    if series.empty:
        raise NothingToForecastError(f"no {measure} series at {level} level up to {until:%Y-%m}")
    return series, until


def stored_hierarchy(
    store: Store, level: str, measure: str, countries: list[str] | None, as_of: str | None
) -> tuple[pd.DataFrame, dt.date]:
    """`stored_series` at `level` with the other geographic levels (the whole hierarchy, from
    the area to the districts), and the day they end. Every forecast of a geographic level is
    fitted on the whole hierarchy, so that the levels add up whichever is asked for: `forecast
    --by country` is the sum of `forecast --by admin1`, which is the sum of `forecast --by
    admin2` (each district with its expected rare months, as its region counts it), the report's
    months ahead are `forecast --by country`'s, and `backtest --level L` scores the forecasts
    `forecast --by L` prints."""
    series, until = stored_series(store, level, measure, countries, as_of)
    others = [load_series(store, name, measure, countries=countries, until=until) for name in other_geographic_levels(level)]
    return pd.concat([series, *others], ignore_index=True), until


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
    from forecasting.models import forecast, resolve_model_name

    settings = config.forecast
    fitted, until = stored_hierarchy(store, level, measure, countries, as_of)
    fitted = select_scope(fitted, scope)
    series = fitted[fitted["level"] == level]
    if series.empty:
        raise NothingToForecastError(f"no {level} series has the scope {scope!r}")
    name = resolve_model_name(model or settings.model)
    forecasts = forecast(
        fitted,
        name,
        horizon or settings.horizon,
        seed=settings.seed,
        executor=settings.executor_settings(),
    )
    forecasts = forecasts[forecasts["series_id"].isin(series["series_id"].unique())].reset_index(drop=True)
    through = pd.Timestamp(until).to_period("M").to_timestamp()
    return ForecastRun(series, forecasts, through, is_synthetic(store, countries, until), model=name, seed=settings.seed)


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
    fitted with the other geographic levels as forecasts are (`stored_hierarchy`), and whether
    the data is the synthetic sample."""
    from forecasting.backtest import backtest
    from forecasting.models import resolve_model_name

    settings = config.forecast
    series, until = stored_hierarchy(store, level, measure, countries, as_of)
    names = list(dict.fromkeys(resolve_model_name(name) for name in models))
    scores = backtest(
        series,
        names,
        origins=origins,
        horizons=horizons,
        seed=settings.seed,
        executor=settings.executor_settings(),
        mase_years=settings.mase_years,
    )
    return scores[scores["level"] == level].reset_index(drop=True), is_synthetic(store, countries, until)


def plotted_series(run: ForecastRun, most: int) -> list[str]:
    """The ids of at most `most` series to draw: those with the most `value` (deaths or events)
    in the 12 months to `run.through`, busiest first (ties in series order)."""
    recent = run.series[run.series["period"] > run.through - pd.DateOffset(months=12)]
    busiest = recent.groupby("series_id", sort=True)["value"].sum().sort_values(ascending=False, kind="stable")
    return list(busiest.index[:most])


def one_month_ahead_fit(run: ForecastRun, series_ids: list[str], *, months: int = 12) -> pd.DataFrame:
    """The in-sample fit of `series_ids`: for each of their last `months` months, the run's model's
    forecast of that month made from the months before it only (`backtest_forecasts` with one
    month ahead). Columns `series_id, period, mean, q05 ... q95` (counts per month), by series and
    month.

    Fitted on these series alone, so it stays quick; a model that pools series (negbin, and the
    ensemble through it) shrinks toward these series' pooled profile rather than all of them.
    Serial: a dozen series do not repay starting a process pool."""
    from forecasting.backtest import backtest_forecasts
    from forecasting.models import QUANTILE_COLUMNS

    chosen = run.series[run.series["series_id"].isin(series_ids)]
    columns = ["series_id", "period", "mean", *QUANTILE_COLUMNS]
    if chosen.empty:
        return pd.DataFrame(columns=columns)
    cells = backtest_forecasts(chosen, [run.model], origins=months, horizons=1, seed=run.seed)
    return cells[columns].sort_values(["series_id", "period"], kind="stable").reset_index(drop=True)


def plot_title(run: ForecastRun) -> str:
    """The plot's title: measure, last month, model, and `SYNTHETIC_LABEL` when the data is the sample."""
    from reports.forecast_plot import forecast_plot_title

    measure = str(run.series["measure"].iloc[0])
    return forecast_plot_title(measure, run.through, run.model, SYNTHETIC_LABEL if run.synthetic else None)


def plot_forecasts(run: ForecastRun, path: Path, *, most: int = 12, history_months: int = 36) -> Path:
    """Draw the `most` busiest series of `run` (see `plotted_series`; all if fewer) with their
    one-month-ahead fit, forecast mean and bands into the PNG `path` (see
    `reports.forecast_plot`); warn, saying how to see them, when some series are left out."""
    from reports.forecast_plot import write_forecast_plot

    chosen = plotted_series(run, most)
    total = run.series["series_id"].nunique()
    if total > len(chosen):
        log.warning(
            "the plot shows the %d most active of %d series: draw another with --scope NAME, or raise --plot-most",
            len(chosen), total,
        )
    return write_forecast_plot(
        path,
        series=run.series,
        forecasts=run.forecasts,
        fit=one_month_ahead_fit(run, chosen),
        series_ids=chosen,
        through=run.through,
        title=plot_title(run),
        history_months=history_months,
        left_out=total - len(chosen),
    )
