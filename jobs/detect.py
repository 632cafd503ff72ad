"""The detect step: stored events up to the as-of date -> series -> forecasts -> detectors ->
alert lifecycle -> stored alerts. Thin: each piece lives in `forecasting`; this wires them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from forecasting.alerts import Alert
from forecasting.as_of import AsOf, month_range, parse_as_of
from forecasting.detectors import DetectionSettings
from forecasting.detectors import pipeline
from forecasting.detectors.history import DataCoverage, coverage_warnings
from forecasting import incidents
from forecasting.errors import ConflictwatchError
from forecasting.incidents import Incident
from forecasting.series import series_from_aggregates
from forecasting.store import Store
from forecasting.store import alerts as stored_alerts
from forecasting.store import events as stored_events
from forecasting.store import aggregates
from jobs.config import Config

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Callable, Mapping

    import pandas as pd

    from forecasting.detectors.ahead import ForecastsAhead, PartsOf
    from forecasting.detectors.backfill import RunEvents
    from forecasting.models.memo import ForecastMemo

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DetectionResult:
    """One detection run.

    `alerts`: what to tell the analyst (new, ongoing, and resolved notices; suppressed ones are
    not here), most severe first. `series`: every series tested, one concatenated series frame
    (ids `measure|level|scope`, as `forecasting.series` makes them), up to the as-of month. `forecasts`: the forecast
    frame of the as-of month, fitted on the months before it. `suppressed`: alerts held back by
    a stronger recent one (stored, not reported). `incidents`: the alerts grouped into the
    stories they tell (`forecasting.incidents`), most severe first; each alert names its own.
    """

    as_of: AsOf
    alerts: list[Alert]
    series: "pd.DataFrame" = field(repr=False)
    forecasts: "pd.DataFrame" = field(repr=False)
    suppressed: list[Alert] = field(default_factory=list)
    #: What the store holds (None: no events, only aggregates or nothing), and the warnings an
    #: analyst needs before trusting the run (short history, stale data); also logged.
    coverage: DataCoverage | None = None
    warnings: list[str] = field(default_factory=list)
    incidents: list[Incident] = field(default_factory=list)
    #: The stored events the detection read (up to the as-of day, `pipeline.EVENT_COLUMNS`, as
    #: `forecasting.store.events.load_events` returns them); None without events (HDX
    #: aggregates). The month's report counts the series of alert scopes detection did not test
    #: from them, instead of reading every event again.
    events: "pd.DataFrame | None" = field(default=None, repr=False)


def detection_settings(config: Config) -> DetectionSettings:
    """The detectors' thresholds from config.yaml's `detect:` section, named after the watch area."""
    return config.detect.detection_settings(f"the {config.watch_area.name}")


def find_alerts(
    events: "pd.DataFrame | None", as_of: AsOf, config: Config, *, series: "pd.DataFrame | None" = None,
    memo: "ForecastMemo | None" = None, known: "pd.DataFrame | None" = None, run: "RunEvents | None" = None,
    made: "Mapping[str, pd.DataFrame] | None" = None,
) -> tuple[list[Alert], "pd.DataFrame", "pd.DataFrame"]:
    """Detection without the store: events (up to the as-of day) -> alerts, series, forecasts.
    Monthly counts without events (HDX aggregates): `events` None and their `series` given.
    `memo`: what the forecast may remember (`forecasting.models.memo`); `known`: the events as
    the detectors see them (`pipeline.known_events`), where already computed; `run`: as
    `pipeline.detect` takes it (a backfill's); `made`: parts of the forecast made elsewhere (a
    backfill's, `forecasting.detectors.ahead`). The same alerts without any of them."""
    settings = detection_settings(config)
    if series is None:
        series = pipeline.build_series(events, as_of, measures=settings.measures, known=known)
    forecasts = pipeline.forecast_the_month(series, as_of, config.forecast.model, seed=config.forecast.seed,
                                            executor=config.forecast.executor_settings(), memo=memo, made=made)
    alerts = pipeline.detect(events, series, forecasts, as_of, settings, known=known, run=run)
    return alerts, series, forecasts


class NoDataForPeriodError(ConflictwatchError):
    """The as-of month starts after the newest stored event, or ends before the oldest: there is
    nothing to assess."""


def resolve_as_of(store: Store, as_of: str) -> AsOf:
    """The period detection can honestly assess for `as_of`.

    A month (or day) that the data end inside of becomes the month so far, up to the newest
    stored event: otherwise a week of data would be judged as a whole month, and every series
    would look like a drop. A month that starts after the newest event is an error, and so is
    one that ends before the oldest: there is nothing to assess in either.
    """
    moment = parse_as_of(as_of)
    check_not_before_the_data(moment, stored_events.data_start(store))
    return _assessable(moment, stored_events.data_cutoff(store))


def check_not_before_the_data(moment: AsOf, start: "dt.date | None") -> None:
    """An as-of period that ends before the oldest stored event has nothing to assess: an error,
    not a report of zeros ("no alert for January 1800")."""
    if start is not None and moment.day < start:
        raise NoDataForPeriodError(
            f"--as-of {moment.text}: the oldest stored event is dated {start.isoformat()}, so there is nothing "
            f"to assess that early; use --as-of {start:%Y-%m} or later"
        )


def _assessable(moment: AsOf, cutoff: "dt.date | None") -> AsOf:
    if cutoff is None or cutoff >= moment.day:
        return moment
    if cutoff < moment.month.date():
        raise NoDataForPeriodError(
            f"--as-of {moment.text}: the newest stored event is dated {cutoff.isoformat()}, so there is "
            f"nothing to assess yet; use --as-of {cutoff:%Y-%m} (or pull or ingest newer data first)"
        )
    log.warning(
        "the stored events end on %s, before the end of %s: assessing the month so far (as of %s)",
        cutoff.isoformat(), moment.text, cutoff.isoformat(),
    )
    return parse_as_of(cutoff.isoformat())


def run_detection(store: Store, config: Config, as_of: str, *, save: bool = True) -> DetectionResult:
    """Detect for `as_of` (`YYYY-MM` or `YYYY-MM-DD`) using no event dated after it, apply the
    stored lifecycle, store the outcome (unless `save` is off: a dry run), and return it.

    Rerunning the same as-of gives the same alerts and replaces that month's stored rows.
    """
    moment = resolve_as_of(store, as_of)
    coverage = _coverage(store, config, parse_as_of(as_of))
    events = _load_events(store, config, moment)
    if events.empty and aggregates.count_aggregates(store) > 0:
        moment, series = _aggregate_series(store, config, moment)
        found, series, forecasts = find_alerts(None, moment, config, series=series, memo=forecast_memo(store, config))
        return _assess(store, config, moment, None, series, forecasts, found, save=save, coverage=coverage)
    log.info("detect %s: %d events up to %s", moment.text, len(events), moment.day.isoformat())
    # What the series, the detectors and the month's readings all count: worked out once.
    known = pipeline.known_events(events, moment)
    series = pipeline.build_series(events, moment, measures=detection_settings(config).measures, known=known)
    seen = pipeline.history_for_forecast(series, moment)
    # The parts of the month's forecast made at once, a share of them here.
    memo, ahead = _parts_ahead(store, config, seen, None, [moment], keep_origins=False, here=True)
    with ahead or contextlib.nullcontext():
        made = ahead.next_month() if ahead else None
    found, series, forecasts = find_alerts(events, moment, config, series=series, memo=memo, known=known, made=made)
    return _assess(store, config, moment, events, series, forecasts, found, save=save, coverage=coverage, known=known)


def _parts_ahead(
    store: Store, config: Config, seen: "pd.DataFrame", parts_of: "PartsOf | None",
    moments: "list[AsOf]", *, keep_origins: bool, here: bool,
) -> "tuple[ForecastMemo, ForecastsAhead | None]":
    """The forecast's memo, and where more than one usable core and `forecast.workers` allow,
    the parts of the `moments`' forecasts made at once (`forecasting.detectors.ahead`), of the
    parts of `seen` (the last month's history for the forecast; each month's from `parts_of`,
    or None for `seen`'s own: one month)."""
    from forecasting.detectors.ahead import ForecastsAhead, part_shares, parts_named

    shares = part_shares(seen, config.forecast.local_workers())
    # Where the parts are made at once, each process fits its own parts' origins.
    memo = forecast_memo(store, config, keep_origins=keep_origins, workers=1 if shares else None)
    if not shares:
        return memo, None
    return memo, ForecastsAhead(parts_of or parts_named(seen), moments, shares, model=config.forecast.model, seed=config.forecast.seed,
                                executor=config.forecast.executor_settings(), memo=memo, here=here)


def forecast_memo(store: Store, config: Config, *, keep_origins: bool = False, workers: int | None = None) -> "ForecastMemo":
    """The forecast's memo: the ensemble's judgements kept in the store, so the next detection
    of a month whose history has not changed (a rerun) does not judge again, nor the report its
    forecast of the months ahead; and its members' forecasts at each rolling origin, so the
    first detection of a new month fits them at its newest origin only (and a judgement from
    scratch fits its origins on the configured local workers, or on `workers`)."""
    from forecasting.models.memo import ForecastMemo
    from forecasting.store.judgements import StoredJudgements, StoredOrigins

    return ForecastMemo(StoredJudgements(store), origins=StoredOrigins(store), keep_origins=keep_origins,
                        workers=config.forecast.local_workers() if workers is None else workers)


def _coverage(
    store: Store, config: Config, asked: AsOf, known: "DataCoverage | None" = None
) -> "tuple[DataCoverage | None, list[str]]":
    """What the store holds for the watch area (`known`, or read from the store), and the
    warnings it calls for about the period asked for (too short a history, data ending well
    before it); both logged."""
    coverage = known
    if coverage is None:
        span = stored_events.event_span(store, countries=list(config.watch_area.countries))
        coverage = DataCoverage(*span) if span is not None else None
    warnings = coverage_warnings(
        coverage, asked,
        min_history_months=config.detect.min_history_months, max_data_lag_days=config.detect.max_data_lag_days,
    )
    if coverage is not None:
        log.info("the store holds %s", coverage.describe())
    for warning in warnings:
        log.warning("%s", warning)
    return coverage, warnings


def run_detections(
    store: Store,
    config: Config,
    first: str,
    last: str,
    *,
    on_month: "Callable[[int, int, DetectionResult], None] | None" = None,
) -> list[DetectionResult]:
    """Detect every month from `first` to `last` (`YYYY-MM`, inclusive) in order, storing each
    month's outcome before the next is assessed: the same alerts and lifecycle as `run_detection`
    month by month, with no look-ahead (each month sees only events up to its last day).

    Faster than the months one by one: the events are loaded once and the series built once, each
    month's series cut from them (`forecasting.detectors.backfill`), and with more than one
    usable core and `forecast.workers`, the parts of every month's forecast are made ahead, in
    processes of their own, while the months are assessed here (`forecasting.detectors.ahead`).
    `on_month(done, total, result)` is called after each month (progress). A last month the data
    end inside of is assessed up to the newest event, as `run_detection` would; a month after it
    is an error, raised before any month is assessed.
    """
    import pandas as pd

    from forecasting.detectors.backfill import run_events, series_history

    months = month_range(first, last)
    cutoff = stored_events.data_cutoff(store)
    check_not_before_the_data(months[0], stored_events.data_start(store))
    moments = [_assessable(month, cutoff) for month in months]
    # One query for the detectors' events and the driving events (their location and notes too):
    # the same stored rows, ordered alike; the driving events are those from `drivers_since`.
    loaded = _load_events(store, config, moments[-1], tuple(dict.fromkeys([*pipeline.EVENT_COLUMNS, *incidents.DRIVER_COLUMNS])))
    events = loaded[list(pipeline.EVENT_COLUMNS)]
    if events.empty and aggregates.count_aggregates(store) > 0:
        # Aggregates only: small by nature (admin2 x month), so month by month is fast enough.
        results = []
        for index, moment in enumerate(moments):
            results.append(run_detection(store, config, moment.text))
            if on_month is not None:
                on_month(index + 1, len(moments), results[-1])
        return results
    log.info("detect %s to %s: %d events", moments[0].text, moments[-1].text, len(events))
    known = pipeline.known_events(events, moments[-1])
    history = series_history(pipeline.build_series(events, moments[-1], measures=detection_settings(config).measures,
                                                   known=known))
    # Consecutive months share all but one of the ensemble's rolling origins: fitted once each.
    # The parts of every month's forecast are made ahead, in processes of their own, where they
    # can be: started before the rest is worked out here, which they do not need.
    memo, ahead = _parts_ahead(
        store, config, pipeline.history_for_forecast(history.as_of(moments[-1]), moments[-1]),
        history.forecast_parts, moments, keep_origins=True, here=False)
    results = []
    with ahead or contextlib.nullcontext():
        dates = events["event_date"].to_numpy()
        # With their actor families, worked out once: a month's driving events are cut from them.
        since = loaded["event_date"] >= pd.Timestamp(incidents.drivers_since(moments[0].day))
        drivers = incidents.with_actor_families(loaded.loc[since.to_numpy(), list(incidents.DRIVER_COLUMNS)].reset_index(drop=True))
        del loaded
        driver_dates = drivers["event_date"].to_numpy()
        known_dates = known["event_date"].to_numpy()
        run = run_events(known)
        for index, moment in enumerate(moments):
            # Events are ordered by date (then id), as a load up to this day would return them.
            month_events = events.iloc[: _position(dates, moment.day)]
            month_drivers = drivers.iloc[_position(driver_dates, incidents.drivers_since(moment.day), side="left"):
                                         _position(driver_dates, moment.day)].reset_index(drop=True)
            month_known = known.iloc[: _position(known_dates, moment.day)]
            found, series, forecasts = find_alerts(month_events, moment, config, series=history.as_of(moment),
                                                   memo=memo, known=month_known, run=run,
                                                   made=ahead.next_month() if ahead else None)
            coverage = _coverage(store, config, months[index], known=coverage[0] if index else None)
            results.append(_assess(store, config, moment, month_events, series, forecasts, found, save=True,
                                   coverage=coverage, drivers=month_drivers, known=month_known))
            if on_month is not None:
                on_month(index + 1, len(moments), results[-1])
    # The members fitted on the last month's history: the next month's newest origin (where
    # made ahead, each process kept its parts' before it ended).
    memo.save_fitted()
    return results


def _position(dates, day: "dt.date", side: str = "right") -> int:
    """Where `day` falls in sorted event dates: after its events (`right`) or before them."""
    import pandas as pd

    return int(dates.searchsorted(pd.Timestamp(day).to_datetime64(), side=side))


def _load_events(
    store: Store, config: Config, moment: AsOf, columns: tuple[str, ...] = pipeline.EVENT_COLUMNS
) -> "pd.DataFrame":
    """The watch area's stored events up to the as-of day, of `columns`."""
    return stored_events.load_events(
        store,
        countries=list(config.watch_area.countries),
        until=moment.day,
        columns=list(columns),
    )


def _driver_events(store: Store, config: Config, moment: AsOf) -> "pd.DataFrame":
    """The events that can drive the month's alerts: the as-of month and the months before it
    that tier-shift windows and level changes cover, with location and notes."""
    return stored_events.load_events(
        store, countries=list(config.watch_area.countries), start=incidents.drivers_since(moment.day),
        until=moment.day,
        columns=list(incidents.DRIVER_COLUMNS),
    )


def _aggregate_series(store: Store, config: Config, moment: AsOf) -> "tuple[AsOf, pd.DataFrame]":
    """The month's series from HDX admin2-month aggregates (a store without events)."""
    moment = parse_as_of(moment.month_text)  # monthly counts have no days
    log.warning(
        "the store holds only ACLED's admin2-month aggregates (HDX), no events: surges, drops, records, "
        "spread and level changes are detected from them; settlement-tier shifts, run rates at "
        "settlement tiers and synchronized waves need event-level data and are not"
    )
    return moment, series_from_aggregates(store, countries=list(config.watch_area.countries), until=moment.day)


def _assess(
    store: Store, config: Config, moment: AsOf, events: "pd.DataFrame | None", series: "pd.DataFrame",
    forecasts: "pd.DataFrame", found: list[Alert], *, save: bool,
    coverage: "tuple[DataCoverage | None, list[str]]" = (None, []), drivers: "pd.DataFrame | None" = None,
    known: "pd.DataFrame | None" = None,
) -> DetectionResult:
    """The month's findings through the stored lifecycle (new, ongoing, resolved, suppressed),
    stored unless `save` is off. `drivers`: the month's `_driver_events`, and `known`, its
    `pipeline.known_events`, where already computed."""
    rules = config.detect.lifecycle_rules()
    settings = detection_settings(config)
    if events is not None:
        if drivers is None:
            drivers = _driver_events(store, config, moment)
        found = incidents.with_driving_events(found, drivers, settings.driving_events)
    history = stored_alerts.load_alert_history(store, before=moment.month_text)
    checks = stored_alerts.load_band_checks(store, before=moment.month_text)
    readings = pipeline.month_readings(events, series, forecasts, moment, known=known)
    month = incidents.tell_month(
        found, history, checks, readings, moment.month_text, rules, explained_share=settings.incident_explained_share,
        area_name=settings.area_name, driving_limit=settings.driving_events,
    )
    outcome, told, records = month.lifecycle, month.told, month.records
    if save:
        stored_alerts.save_detection(
            store, moment.month_text, records, outcome.resolved, outcome.checks, incidents=told.incidents
        )
    suppressed = [record.alert for record in records if record.suppressed_by is not None]
    log.info(
        "detect %s: %d alerts (%d new) in %d incidents (%d new), %d suppressed, %d series tested",
        moment.text,
        len(outcome.reported),
        sum(alert.status == "new" for alert in outcome.reported),
        len(told.incidents),
        sum(incident.status == "new" for incident in told.incidents),
        len(suppressed),
        series["series_id"].nunique() if not series.empty else 0,
    )
    return DetectionResult(
        as_of=moment,
        alerts=pipeline.sort_alerts(told.alerts),
        incidents=told.incidents,
        series=series,
        forecasts=forecasts,
        suppressed=suppressed,
        coverage=coverage[0],
        warnings=coverage[1],
        events=events,
    )
