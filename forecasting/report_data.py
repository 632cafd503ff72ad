"""What the report's charts and brief show, computed from series, forecasts, alerts and events.

Pure functions (no store, no clock, no files): the report job loads the data, calls these and
hands the results to `reports/`, which only draws them. Where a detector already has the
formula (the run-rate pace, the tier-shift windows), it is called, not copied.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from forecasting import wording
from forecasting.alerts import SCOPE_KEYS, Alert
from forecasting.detectors.settings import AsOf
from forecasting.events import POLITICAL_VIOLENCE, UNLOCATED
from forecasting.series import scope_level

if TYPE_CHECKING:
    from forecasting.models.memo import ForecastMemo


_YEAR_TO_DATE_COLUMNS = ["alert_id", "curve", "year", "date", "value"]
_ALERT_SHARE_COLUMNS = ["alert_id", "period", "at_tier", "total", "share", "part"]


def month_of(period: str) -> pd.Timestamp:
    """The first day of the month an alert period (`YYYY-MM` or `YYYY-MM-DD`) falls in."""
    return pd.Timestamp(period[:7] + "-01")


def series_rows(series: pd.DataFrame, measure: str, scope: Mapping[str, str | None]) -> pd.DataFrame:
    """The one series of `measure` whose scope is exactly `scope` (rows sorted by month);
    empty when `series` does not hold it."""
    if series.empty:
        return series
    positions = _series_index(series).get((measure, scope_level(scope), *(scope.get(key) for key in SCOPE_KEYS)))
    return series.iloc[positions] if positions is not None else series.iloc[0:0]


#: Each series frame `series_rows` was asked about, grouped once by measure, level and scope:
#: id -> (a weak reference to the frame, its length, rows of each series by position in month
#: order). The report asks one frame for dozens of series, and comparing every key over the
#: whole frame each time cost 10-20 ms a series. An entry goes when its frame does.
_SERIES_INDEXES: dict[int, tuple[weakref.ref, int, dict[tuple, np.ndarray]]] = {}


def _series_index(series: pd.DataFrame) -> dict[tuple, np.ndarray]:
    key = id(series)
    entry = _SERIES_INDEXES.get(key)
    # Series frames are not changed in place once built; a changed length still rebuilds.
    if entry is not None and entry[0]() is series and entry[1] == len(series):
        return entry[2]
    order = np.argsort(series["period"].to_numpy(), kind="stable")
    groups = series.iloc[order].groupby(["measure", "level", *SCOPE_KEYS], dropna=False, sort=False).indices
    index = {tuple(None if pd.isna(value) else value for value in group): order[positions] for group, positions in groups.items()}
    _SERIES_INDEXES[key] = (weakref.ref(series, lambda _gone, key=key: _SERIES_INDEXES.pop(key, None)), len(series), index)
    return index


def monthly_tier_shares(series: pd.DataFrame, countries: Sequence[str]) -> pd.DataFrame:
    """Share of each country's events per settlement tier and month, from the tier event series.

    Columns country, period, tier, events, share (0..1; 0 in a month without events). Unlike
    `detectors.tier_shift.tier_shares` (one month's counts from events, for the lifecycle), this
    is every month of the series, for the tier chart. Shares are of the events located at their
    place, as the detector counts them: the `unlocated` tier is left out.
    """
    tiers = series[(series["level"] == "tier") & (series["measure"] == "events") & (series["tier"] != UNLOCATED)]
    tiers = tiers[tiers["country"].isin(list(countries))]
    frame = tiers[["country", "period", "tier", "value"]].rename(columns={"value": "events"})
    totals = frame.groupby(["country", "period"])["events"].transform("sum")
    return frame.assign(share=(frame["events"] / totals.where(totals > 0)).fillna(0.0)).reset_index(drop=True)


def year_to_date_curves(series: pd.DataFrame, alerts: Iterable[Alert], as_of: AsOf) -> pd.DataFrame:
    """What each run-rate alert's chart draws: the running total since 1 January of the alert's
    year and of each earlier year it compares with, and the two straight paces.

    Columns alert_id, curve, year, date, value (events or reported fatalities since 1 January).
    Every curve starts at 0 on 1 January and has a point at each month's last day, earlier
    years drawn on the alert year's calendar (`year` says whose total it is):

    - `this_year`: up to the as-of month (its last point on the as-of day for a month so far);
      the last value is the alert's observed year-to-date total.
    - `earlier_year`: one per year in the alert's evidence `earlier_years`, all 12 months.
    - `on_pace`: the detector's linear projection, year_to_date * months / months elapsed,
      reaching `projected_year_total` in December.
    - `earlier_pace`: `run_rate.earlier_pace` times the months elapsed; at the as-of date it is
      the alert's expected value.

    Alerts whose monthly series is not in `series` (or lacks an earlier year) get no rows.
    """
    from forecasting.detectors.run_rate import earlier_pace

    frames = []
    for alert in alerts:
        if alert.kind != "run_rate":
            continue
        rows = series_rows(series, alert.measure, alert.scope)
        monthly = pd.Series(rows["value"].to_numpy(float), index=pd.DatetimeIndex(rows["period"]))
        month = month_of(alert.period)
        years = sorted(int(year) for year in alert.evidence.get("earlier_years", {}))
        if monthly.empty or not years or monthly.index.min() > pd.Timestamp(years[0], 1, 1):
            continue
        # The as-of point: the as-of day for a month so far, else the month's last day; months
        # elapsed as run_rate counts them (the evidence's figure is rounded).
        partial = as_of.is_day and month == as_of.month
        as_of_date = pd.Timestamp(as_of.day) if partial else month + pd.offsets.MonthEnd(0)
        elapsed = month.month - 1 + (as_of.share_of_month if partial else 1.0)
        month_ends = [pd.Timestamp(month.year, number, 1) + pd.offsets.MonthEnd(0) for number in range(1, 13)]
        start = pd.Timestamp(month.year, 1, 1)

        def curve(name, year, dates, values, alert_id=alert.id):
            frames.append(pd.DataFrame({"alert_id": alert_id, "curve": name, "year": year,
                                        "date": [start, *dates], "value": [0.0, *values]}))

        this_year = monthly[(monthly.index.year == month.year) & (monthly.index <= month)].cumsum()
        curve("this_year", month.year, [*month_ends[: len(this_year) - 1], as_of_date], this_year.to_list())
        earlier = monthly[monthly.index.year.isin(years)]
        for year in years:
            in_year = earlier[earlier.index.year == year].cumsum()
            curve("earlier_year", year, month_ends[: len(in_year)], in_year.to_list())
        # The paces are straight in months: a point at each month end, and one on the as-of day.
        steps = sorted({*range(1, 13), elapsed})
        dates = sorted({*month_ends, as_of_date})
        year_to_date = float(this_year.iloc[-1]) if not this_year.empty else 0.0
        rate = earlier_pace(earlier)
        curve("on_pace", month.year, dates, [year_to_date * step / elapsed for step in steps])
        curve("earlier_pace", month.year, dates, [rate * step for step in steps])
    if not frames:
        return pd.DataFrame(columns=_YEAR_TO_DATE_COLUMNS)
    return pd.concat(frames, ignore_index=True)


def alert_tier_shares(series: pd.DataFrame, alerts: Iterable[Alert]) -> pd.DataFrame:
    """What each tier-shift alert's chart draws: the monthly share of the scope's events (or
    reported fatalities) at the alert's tier.

    Columns alert_id, period (month start), at_tier, total (same measure, every tier, events
    located at their place only, as the detector counts them), share
    (at_tier / total, 0..1; NaN in a month with none), part: `window` for the alert's
    `window_months` to its month, `baseline` for the `baseline_months` before them (the
    detector's own windows, from its evidence), `before` for earlier months. Alerts whose
    series are not in `series` get no rows.
    """
    frames = []
    for alert in alerts:
        if alert.kind != "tier_shift":
            continue
        scope = {key: alert.scope.get(key) for key in SCOPE_KEYS}
        at_tier = series_rows(series, alert.measure, scope)[["period", "value"]]
        total = series_rows(series, alert.measure, {**scope, "tier": None})[["period", "value"]]
        # The detector's denominator: events located at their place (no `unlocated` tier).
        unlocated = series_rows(series, alert.measure, {**scope, "tier": UNLOCATED})[["period", "value"]]
        if not unlocated.empty:
            total = total.merge(unlocated.rename(columns={"value": "unlocated"}), on="period", how="left")
            total = total.assign(value=total["value"] - total["unlocated"].fillna(0))[["period", "value"]]
        if at_tier.empty or total.empty:
            continue
        month = month_of(alert.period)
        frame = total.rename(columns={"value": "total"}).merge(at_tier.rename(columns={"value": "at_tier"}), on="period", how="left")
        frame = frame[frame["period"] <= month].fillna({"at_tier": 0.0})
        window_start = month - pd.DateOffset(months=int(alert.evidence.get("window_months", 1)) - 1)
        baseline_start = window_start - pd.DateOffset(months=int(alert.evidence.get("baseline_months", 0)))
        part = pd.Series("before", index=frame.index)
        part[frame["period"] >= baseline_start] = "baseline"
        part[frame["period"] >= window_start] = "window"
        frames.append(frame.assign(
            alert_id=alert.id,
            share=frame["at_tier"] / frame["total"].where(frame["total"] > 0),
            part=part,
        )[_ALERT_SHARE_COLUMNS])
    if not frames:
        return pd.DataFrame(columns=_ALERT_SHARE_COLUMNS)
    return pd.concat(frames, ignore_index=True)


def units_hit_per_day(events: pd.DataFrame, alerts: Iterable[Alert], as_of: AsOf, days: int = 90) -> pd.DataFrame:
    """What each synchronized-wave alert's chart draws: the admin2 units its actor family struck
    in its country each day, over the `days` days to the as-of day (zero-filled), counted by the
    detector's own `units_hit_per_day`. Columns alert_id, day, units.

    `events`: event_date, country, admin1, admin2 and actor1 (as the source names it)."""
    from forecasting.detectors.synchronized import units_hit_per_day as detector_count
    from forecasting.incidents import ACTOR_FAMILY, with_actor_families

    frames = []
    last = pd.Timestamp(as_of.day)
    calendar = pd.date_range(last - pd.Timedelta(days=days - 1), last, freq="D")
    families = with_actor_families(events)
    families = families.assign(actor1=families[ACTOR_FAMILY])
    for alert in alerts:
        if alert.kind != "synchronized" or not alert.scope.get("actor") or not alert.scope.get("country"):
            continue
        counts = detector_count(families, alert.scope["country"], alert.scope["actor"]).reindex(calendar, fill_value=0)
        frames.append(pd.DataFrame({"alert_id": alert.id, "day": calendar, "units": counts.to_numpy(int)}))
    if not frames:
        return pd.DataFrame(columns=["alert_id", "day", "units"])
    return pd.concat(frames, ignore_index=True)


def forecast_ahead(series: pd.DataFrame, model: str, *, horizon: int, seed: int, as_of: AsOf,
                   memo: ForecastMemo | None = None) -> pd.DataFrame:
    """The fit the trend charts extend to the right: forecasts of the months after `as_of` for
    the watch area's and each country's fatalities, fitted on every complete month up to
    `as_of` (for a month so far, on the months before it). Fitted with the regions and districts
    of `series` too, so that a country's means are the sums of its districts', as
    `conflictwatch forecast --by country` gives them (fitted on the area and the countries alone,
    Mali's August 2025 on the sample was 182 deaths against the command's 175). Empty when there
    is nothing to fit. `memo`: what the forecast may remember (`forecasting.models.memo`); same
    forecasts without."""
    from forecasting.models import forecast
    from forecasting.models.hierarchy import GEOGRAPHIC

    wanted = series[(series["measure"] == "fatalities") & series["level"].isin(tuple(GEOGRAPHIC))]
    history = wanted[wanted["period"] < as_of.month] if as_of.is_day else wanted[wanted["period"] <= as_of.month]
    steps = horizon + (1 if as_of.is_day else 0)
    charted = history.loc[history["level"].isin(("area", "country")), "series_id"].unique()
    if not len(charted) or steps <= 0:
        return pd.DataFrame()
    ahead = forecast(history, model, horizon=steps, seed=seed, memo=memo)
    return ahead[(ahead["period"] > as_of.month) & ahead["series_id"].isin(charted)].reset_index(drop=True)


# --- the brief ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DrivingEvent:
    """One event behind a finding, as the brief's table shows it."""

    event_id: str
    date: str
    place: str
    actor: str
    fatalities: int
    source: str
    note: str
    latitude: float | None = None
    longitude: float | None = None


#: How many of the deadliest events a finding's table lists.
DRIVING_EVENTS = 6
NOTE_CHARACTERS = 200


def driving_events(events: pd.DataFrame, alert: Alert, limit: int = DRIVING_EVENTS) -> list[DrivingEvent]:
    """The events behind `alert` as the brief's table shows them: the events
    `forecasting.incidents.driving_event_rows` picks (its scope and period, counted as it
    counts them, deadliest first), the one selection alerts, emails and pages share."""
    return _driving(events, [alert], limit)


def _driving(events: pd.DataFrame, alerts: Sequence[Alert], limit: int) -> list[DrivingEvent]:
    """`events`: columns source, source_id, event_date, disorder_type, country, admin1, admin2,
    location, tier, actor1 (as the source names it), latitude, longitude, fatalities, notes."""
    from forecasting.incidents import driving_event_rows

    picked = driving_event_rows(alerts, events, limit)
    return [
        DrivingEvent(
            event_id=str(row.source_id), date=pd.Timestamp(row.event_date).date().isoformat(),
            place=wording.event_place(row.location, row.admin1, row.country),
            actor=str(row.actor1 or ""), fatalities=int(row.fatalities), source=str(row.source),
            note=_excerpt(row.notes), latitude=_coordinate(row.latitude), longitude=_coordinate(row.longitude),
        )
        for row in picked.itertuples(index=False)
    ]


def _coordinate(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _excerpt(note) -> str:
    text = " ".join(str(note or "").split())
    return text if len(text) <= NOTE_CHARACTERS else text[: NOTE_CHARACTERS - 1].rstrip() + "\u2026"


def excess_deaths(alert: Alert) -> float:
    """Reported deaths above what was expected (0 for an events alert or a fall): what the
    brief ranks findings by first."""
    if alert.measure != "fatalities" or alert.expected is None:
        return 0.0
    return max(float(alert.observed) - float(alert.expected), 0.0)


def month_events(events: pd.DataFrame, as_of: AsOf) -> pd.DataFrame:
    """Political-violence events of the as-of month up to its day (what the map draws in
    colour); `events` needs event_date and disorder_type."""
    chosen = (events["event_date"] >= as_of.month) & (events["event_date"] <= pd.Timestamp(as_of.day))
    return events[chosen & (events["disorder_type"] == POLITICAL_VIOLENCE)]


def previous_year_events(events: pd.DataFrame, as_of: AsOf) -> pd.DataFrame:
    """Political-violence events of the twelve months before the as-of month (the map's grey)."""
    start = as_of.month - pd.DateOffset(months=12)
    chosen = (events["event_date"] >= start) & (events["event_date"] < as_of.month)
    return events[chosen & (events["disorder_type"] == POLITICAL_VIOLENCE)]


# --- findings told as stories --------------------------------------------------------------------

#: After human impact, the order the brief tells kinds of finding in (DESIGN.md "The weekly brief"):
#: records, then waves, then shifts between tiers, then the rest.
KIND_ORDER = ("record", "surge", "synchronized", "spread", "tier_shift", "run_rate", "change_point", "drop")


@dataclass(frozen=True)
class Story:
    """Alerts about one underlying change, told once: a lead alert, its members (the lead
    included), the deadliest events behind them and how many deaths they stand for.

    `excess_deaths`: reported deaths above expected in the lead's month, the largest over the
    members (a year-to-date pace counts its average month). `deadliest`: deaths in the deadliest
    driving event of the lead's month (a year-to-date pace's events go back to January, and a
    May massacre must not rank July's page 1). `status` is the lead's: new, ongoing or resolved.
    """

    lead: Alert
    members: tuple[Alert, ...]
    events: tuple[DrivingEvent, ...]
    excess_deaths: float
    deadliest: int

    @property
    def id(self) -> str:
        return self.lead.id

    @property
    def status(self) -> str:
        return self.lead.status

    @property
    def severity(self) -> str:
        return self.lead.severity

    @property
    def impact(self) -> float:
        """Deaths this story stands for: the larger of its excess deaths and its deadliest event."""
        return max(self.excess_deaths, float(self.deadliest))

    @property
    def excess_is_average(self) -> bool:
        """Whether `excess_deaths` is an average month (a new level's, a year-to-date pace's or a
        tier shift window's) rather than the excess of the alert's month itself."""
        source = max(self.members, key=_monthly_excess)
        return source.kind in _AVERAGED_KINDS


def story_key(alert: Alert) -> tuple:
    """Which story an alert belongs to: the incident it was told in (`forecasting.incidents`).
    An alert without one (stored before incidents existed, or a year-to-date pace, which joins
    no month's incident) is grouped by place: one admin1 unit (its districts with it), else one
    country's tier, else one country (and actor family)."""
    if alert.incident:
        return ("incident", alert.incident)
    scope = alert.scope
    if scope.get("admin1"):
        return ("admin1", scope.get("country"), scope["admin1"])
    if scope.get("tier"):
        return ("tier", scope.get("country"), scope["tier"])
    return ("country", scope.get("country"), scope.get("actor"))


def stories(alerts: Iterable[Alert], events: pd.DataFrame) -> list[Story]:
    """The alerts grouped into stories, most human impact first (`rank` order). The lead of an
    incident's story is the incident's (`forecasting.incidents.lead_alert`: a wave before the
    places it hit, else the most specific place that explains most); of a story grouped by
    place, its most severe alert, then the one with the most excess deaths, then the strongest.
    Its events are its members' driving events, deadliest first."""
    from forecasting.alerts import SEVERITY_ORDER
    from forecasting.incidents import lead_alert

    groups: dict[tuple, list[Alert]] = {}
    for alert in alerts:
        groups.setdefault(story_key(alert), []).append(alert)
    told = []
    for key, members in groups.items():
        members = sorted(members, key=lambda alert: (-SEVERITY_ORDER[alert.severity], -_monthly_excess(alert), alert.score, alert.id))
        if key[0] == "incident":
            lead = lead_alert([alert for alert in members if alert.status != "resolved"] or members)
            members = [lead, *(alert for alert in members if alert is not lead)]
        found = _driving(events, members, DRIVING_EVENTS)
        month = month_of(members[0].period)
        told.append(Story(
            lead=members[0], members=tuple(members), events=tuple(found),
            excess_deaths=max(_monthly_excess(alert) for alert in members),
            deadliest=max((event.fatalities for event in found if month_of(event.date) == month), default=0),
        ))
    return rank(told)


def rank(found: Iterable[Story]) -> list[Story]:
    """By human impact: most deaths (excess or in one event) first, then kind (KIND_ORDER), then
    severity and evidence, so the order is the same on every run."""
    from forecasting.alerts import SEVERITY_ORDER

    def key(story: Story):
        kind = KIND_ORDER.index(story.lead.kind) if story.lead.kind in KIND_ORDER else len(KIND_ORDER)
        return (story.status == "resolved", -round(story.impact), kind, -SEVERITY_ORDER[story.severity], story.lead.score, story.id)

    return sorted(found, key=key)


#: Kinds whose observed value spans several months, so their excess in one month is an average.
_AVERAGED_KINDS = ("change_point", "run_rate", "tier_shift")


def _monthly_excess(alert: Alert) -> float:
    """Excess deaths in one month: a year-to-date pace and a window of months count their average
    (a new level's observed value is already its mean a month)."""
    excess = excess_deaths(alert)
    if alert.kind == "run_rate":
        return excess / max(float(alert.evidence.get("months_elapsed", 1.0)), 1.0)
    if alert.kind == "tier_shift":
        return excess / max(int(alert.evidence.get("window_months", 1)), 1)
    return excess
