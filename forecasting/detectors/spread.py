"""Spread: violence appearing in admin1 or admin2 units with little or none in the past year.

A unit is quiet when it had at most `spread_quiet_events` events in the 12 months before the
as-of month (admin1 units, which are larger: four times as many). Only quiet units are tested,
a choice made from the past alone, so the family counts quiet units only. A quiet unit with at
least `spread_min_events` events in the as-of month is a candidate; its p-value is the Poisson
upper tail under its past-year rate (plus half an event, so "none" is not "impossible").

Units of a country the data cover for fewer than `min_history_months` are not tested: "none
before" means nothing when the store holds a few weeks (`forecasting.detectors.history`).
Demonstrations are never spread of violence: only political-violence event counts are read.
"""

from __future__ import annotations

import pandas as pd

from forecasting import distributions, wording
from forecasting.detectors.findings import Finding, Findings
from forecasting.detectors.history import months_of_data, with_enough_history
from forecasting.detectors.predictive import scope_of
from forecasting.detectors.settings import AsOf, DetectionSettings
from forecasting.series import UNKNOWN

_CANDIDATE_P = 0.05
_ADMIN1_FACTOR = 4


def detect_spread(series: pd.DataFrame, as_of: AsOf, settings: DetectionSettings) -> Findings:
    """Spread into quiet admin1 and admin2 units in the as-of month, from the event-count series
    (`build_series` output; fatalities are read for the message)."""
    wanted = series[series["level"].isin(("admin1", "admin2")) & series["measure"].isin(("events", "fatalities"))]
    wanted = with_enough_history(wanted, months_of_data(series, as_of), settings.min_history_months)
    wanted = wanted[(wanted["admin1"] != UNKNOWN) & (wanted["admin2"].fillna("") != UNKNOWN)]
    year_ago = as_of.month - pd.DateOffset(months=12)
    window = wanted[(wanted["period"] >= year_ago) & (wanted["period"] <= as_of.month)]
    if window.empty:
        return Findings([], 0)
    past = window[window["period"] < as_of.month].groupby("series_id")["value"].sum()
    now = window[window["period"] == as_of.month].set_index("series_id")
    events_now = now[now["measure"] == "events"]
    fatalities_now = now[now["measure"] == "fatalities"]
    fatalities_by_scope = {
        _scope_key(row): int(row.value) for row in fatalities_now.itertuples()
    }
    last_active = wanted[(wanted["measure"] == "events") & (wanted["value"] > 0) & (wanted["period"] < as_of.month)]
    last_active = last_active.groupby("series_id")["period"].max()

    candidates, tested = [], 0
    for row in events_now.itertuples():
        quiet_limit = settings.spread_quiet_events * (_ADMIN1_FACTOR if row.level == "admin1" else 1)
        before = float(past.get(row.Index, 0))
        if before > quiet_limit:
            continue
        tested += 1
        if row.value < settings.spread_min_events:
            continue
        rate = (before + 0.5) / 12 * as_of.share_of_month
        p_value = float(distributions.poisson_sf(row.value - 1, rate))
        if p_value > _CANDIDATE_P:
            continue
        scope = scope_of(row)
        since = last_active.get(row.Index)
        fatalities = fatalities_by_scope.get(_scope_key(row), 0)
        expected = round(rate, 2)
        lower, upper = float(distributions.poisson_ppf(0.05, rate)), float(distributions.poisson_ppf(0.95, rate))
        candidates.append(
            Finding(
                kind="spread",
                scope=scope,
                measure="events",
                period=as_of.month_text,
                observed=float(row.value),
                expected=expected,
                lower=lower,
                upper=upper,
                p_value=p_value,
                size=float(row.value) / max(rate, 1.0),
                message=_message(scope, row.value, fatalities, before, since, as_of, settings, (expected, lower, upper)),
                evidence={
                    "series_id": row.Index,
                    "level": row.level,
                    "events_past_12_months": int(before),
                    "fatalities": fatalities,
                    "last_active_month": since.strftime("%Y-%m") if since is not None and not pd.isna(since) else None,
                },
            )
        )
    return Findings(candidates, tested)


def _scope_key(row) -> tuple:
    return (row.country, row.admin1, row.admin2)


def _message(scope, events, fatalities, before, since, as_of, settings, expected: tuple[float, float, float]) -> str:
    """The sentence, with the numbers the alert carries: `expected` is (expected, lower, upper)."""
    where = wording.place(scope, settings.area_name)
    when = wording.month_name(as_of.month) if not as_of.is_day else f"{wording.month_name(as_of.month)} (to {wording.day_name(as_of.day)})"
    deaths = f" and {wording.count(fatalities)} reported fatalities" if fatalities else ""
    if before == 0:
        history = "after none in the previous 12 months"
        if since is not None and not pd.isna(since):
            history = f"after none since {wording.month_name(since)}"
        elif since is None:
            history = "where none had been recorded before"
    else:
        history = f"after only {wording.count(before)} in the previous 12 months"
    return wording.sentence(
        f"Violence spread to {where}: {wording.count(events)} political-violence events{deaths} in {when}, "
        f"{history} (expected {wording.expected(expected[0])}, {wording.interval(expected[1], expected[2])})."
    )
