"""Record: the highest value in many months ("the deadliest month since August 2024").

For the whole area, each country and each admin1 unit. A month is a record when no month of the
last `record_lookback_months` (itself included) was as high, it is at least the count floor, and
it is unusual against its forecast (upper-tail probability at most `record_tail_probability`).
A high in a rising series is not news by itself; a high above what the trend predicted is.

Deaths at area and country level are few series that analysts always quote, so they are judged
by the tail probability alone; admin1 units and event counts (many series) enter the
false-discovery family like any other test.

For a day as-of the unit is the rolling 30-day window ending that day, against every earlier
30-day window; its expectation is a negative binomial fitted to the non-overlapping 30-day
windows of the previous two years.

No record is claimed for a place whose country the data cover for fewer than
`min_history_months` ("the deadliest month on record" of a store holding a week is no news;
`forecasting.detectors.history`).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from forecasting import wording
from forecasting.as_of import months_between
from forecasting.detectors.counts import size_by_moments, upper_tail
from forecasting.detectors.findings import Finding, Findings
from forecasting.detectors.history import AREA, first_days_of_data, months_of_data, with_enough_history
from forecasting.detectors.predictive import forecast_evidence, scope_of
from forecasting.detectors.settings import AsOf, DetectionSettings

RECORD_LEVELS = ("area", "country", "admin1")
#: Record levels judged by their tail probability alone (few series, always quoted).
_HEADLINE_LEVELS = ("area", "country")
_WINDOW_DAYS = 30
#: What a record's count is of, after the number ("870 reported fatalities").
_AMOUNT_NOUNS = {"fatalities": "reported fatalities", "events": "events", "demonstrations": "demonstrations"}


def detect_monthly_records(
    series: pd.DataFrame, predictive: pd.DataFrame, as_of: AsOf, settings: DetectionSettings
) -> Findings:
    """Records of the as-of month, for a month as-of.

    `series` is the concatenated series frame up to the as-of month; `predictive` the output of
    `month_against_forecast` (for its expected value, range and tail probability).
    """
    wanted = predictive[predictive["level"].isin(RECORD_LEVELS)]
    wanted = with_enough_history(wanted, months_of_data(series, as_of), settings.min_history_months)
    if wanted.empty:
        return Findings([], 0)
    history = series[series["series_id"].isin(wanted["series_id"]) & (series["period"] <= as_of.month)]
    # Split only for the few series unusual against their forecast (below).
    values = history.groupby("series_id", sort=False)
    candidates, tested = [], 0
    for row in wanted.itertuples(index=False):
        headline = row.level in _HEADLINE_LEVELS and row.measure == "fatalities"
        tested += 0 if headline else 1
        # Unusual against the forecast, and above its 90% range: a record inside the range the
        # message prints is what was expected. (Asked first: it needs no history, and few
        # series pass it.)
        if row.p_upper > settings.record_tail_probability or row.observed <= row.upper:
            continue
        if row.observed < settings.floor(row.measure):
            continue
        group = values.get_group(row.series_id)
        earlier = group[group["period"] < as_of.month]
        higher = earlier[earlier["value"] >= row.observed]
        since = higher["period"].max() if not higher.empty else None
        months = months_between(since, as_of.month) if since is not None else len(earlier) + 1
        if months < settings.record_lookback_months:
            continue
        first = earlier["period"].min() if not earlier.empty else as_of.month
        scope = scope_of(row)
        # The message states the numbers the alert carries (the expectation as rounded there).
        told = _Row(observed=float(row.observed), expected=round(float(row.expected), 1), lower=float(row.lower),
                    upper=float(row.upper), measure=row.measure)
        candidates.append(
            Finding(
                kind="record",
                scope=scope,
                measure=row.measure,
                period=as_of.month_text,
                observed=float(row.observed),
                expected=round(float(row.expected), 1),
                lower=float(row.lower),
                upper=float(row.upper),
                p_value=float(row.p_upper),
                size=float(row.observed) / max(float(row.expected), 1.0),
                message=_message(told, scope, wording.month_name(as_of.month), "month", since, first, settings),
                evidence={
                    "series_id": row.series_id,
                    "level": row.level,
                    "highest_since": since.strftime("%Y-%m") if since is not None else None,
                    "months_without_higher": months,
                    "history_starts": first.strftime("%Y-%m"),
                    **forecast_evidence(row),
                },
                tested=not headline,
            )
        )
    return Findings(candidates, tested)


def detect_window_records(events: pd.DataFrame, as_of: AsOf, settings: DetectionSettings) -> Findings:
    """The deadliest (or busiest) rolling 30-day window, for a day as-of.

    `events` is an event frame (event_date, country, admin1, fatalities) up to the as-of day.
    """
    end = pd.Timestamp(as_of.day)
    first_days = first_days_of_data(events)
    covered = {place: months_between(day, end) + 1 for place, day in first_days.items()}
    days = pd.date_range(events["event_date"].min() if not events.empty else end, end, freq="D")
    if len(days) < 2 * _WINDOW_DAYS:
        return Findings([], 0)
    candidates, tested = [], 0
    for level, columns in (("area", ()), ("country", ("country",)), ("admin1", ("country", "admin1"))):
        keys = [events[name].fillna("Unknown") for name in columns]
        grouped = events.groupby([*keys, events["event_date"].dt.normalize()], sort=False)
        daily = grouped.agg(events=("fatalities", "size"), fatalities=("fatalities", "sum"))
        for measure in ("fatalities", "events"):
            if columns:
                table = daily[measure].unstack(list(range(len(columns))), fill_value=0)
            else:
                table = daily[measure].to_frame("total")
            table = table.reindex(days, fill_value=0).astype(float)
            windows = table.rolling(_WINDOW_DAYS).sum().iloc[_WINDOW_DAYS - 1 :]
            for name in windows.columns:
                country = None if not columns else (name[0] if isinstance(name, tuple) else name)
                if covered.get(country if columns else AREA, 0) < settings.min_history_months:
                    continue
                headline = level in _HEADLINE_LEVELS and measure == "fatalities"
                tested += 0 if headline else 1
                finding = _window_record(windows[name], level, columns, name, measure, headline, as_of, settings)
                if finding is not None:
                    candidates.append(finding)
    return Findings(candidates, tested)


def _window_record(windows, level, columns, name, measure, headline, as_of, settings) -> Finding | None:
    current = float(windows.iloc[-1])
    earlier = windows.iloc[:-1]
    if current < settings.floor(measure):
        return None
    higher = earlier[earlier >= current]
    since = higher.index.max() if not higher.empty else None
    covered_days = (windows.index[-1] - (since if since is not None else earlier.index.min())).days
    if covered_days < settings.record_lookback_months * 30:
        return None
    # Non-overlapping windows over the two years before the current one: the baseline.
    baseline = earlier[earlier.index <= windows.index[-1] - pd.Timedelta(days=_WINDOW_DAYS)].iloc[::-_WINDOW_DAYS][:24]
    if len(baseline) < 6:
        return None
    mean, variance = float(baseline.mean()), float(baseline.var(ddof=1))
    size = size_by_moments(mean, variance)
    p_value = float(upper_tail(np.array([current]), np.array([mean]), np.array([size]))[0])
    if p_value > settings.record_tail_probability:
        return None
    lower, upper = (float(value) for value in np.quantile(baseline, [0.05, 0.95]))
    scope = {"country": None, "admin1": None, "admin2": None, "tier": None, "actor": None}
    names = name if isinstance(name, tuple) else (name,)
    for column, value in zip(columns, names):
        scope[column] = value
    window_text = f"the 30 days to {wording.day_name(as_of.day)}"
    first = earlier.index.min() - pd.Timedelta(days=_WINDOW_DAYS - 1)
    row = _Row(observed=current, expected=round(mean, 1), lower=lower, upper=upper, measure=measure)
    return Finding(
        kind="record",
        scope=scope,
        measure=measure,
        period=as_of.day.isoformat(),
        observed=current,
        expected=round(mean, 1),
        lower=lower,
        upper=upper,
        p_value=p_value,
        size=current / max(mean, 1.0),
        message=_message(row, scope, window_text, "30-day period", since, first, settings, days=True),
        evidence={
            "level": level,
            "window_days": _WINDOW_DAYS,
            "window_start": (as_of.day - dt.timedelta(days=_WINDOW_DAYS - 1)).isoformat(),
            "highest_since": since.date().isoformat() if since is not None else None,
            "baseline_windows": len(baseline),
        },
        tested=not headline,
    )


class _Row:
    def __init__(self, **values):
        self.__dict__.update(values)


def _message(row, scope, when: str, unit: str, since, first, settings, *, days: bool = False) -> str:
    where = wording.place(scope, settings.area_name)
    if scope.get("actor"):
        where = f"{where} for {scope['actor']}"
    if row.measure == "fatalities":
        superlative = f"the deadliest {unit}"
    else:
        superlative = f"the {unit} with the most {wording.MEASURE_NAMES[row.measure]}"
    if since is None:
        context = f"on record (since {wording.month_name(first)})"
    elif days:
        context = f"since the 30 days to {wording.day_name(since)}"
    else:
        context = f"since {wording.month_name(since)}"
    amount = f"{wording.count(row.observed)} {_AMOUNT_NOUNS[row.measure]}"
    return wording.sentence(
        f"{when} was {superlative} in {where} {context}: {amount} against {wording.expected(row.expected)} "
        f"expected ({wording.interval(row.lower, row.upper)}){wording.above_expected(row.observed, row.expected)}."
    )
