"""Every detector over one as-of month: series in, candidate findings, false-discovery control,
de-duplication, alerts out. Pure: no store, no clock; forecasts are passed in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from forecasting import wording
from forecasting.alerts import SEVERITY_ORDER, Alert, Band, MonthReadings
from forecasting.detectors.actors import armed_actor_families
from forecasting.detectors.findings import control_false_discoveries
from forecasting.detectors.grading import grade
from forecasting.detectors.predictive import month_against_forecast
from forecasting.detectors.registry import DETECTORS, DetectionInputs
from forecasting.detectors.settings import AsOf, DetectionSettings
from forecasting.detectors.tier_shift import tier_shares
from forecasting.events import DEMONSTRATIONS, UNLOCATED, counted_as_political_violence, is_located
from forecasting.series import (
    VIOLENCE_MEASURES,
    counts_for_measure,
    empty_series,
    level_columns,
    monthly_counts,
    series_for_levels,
    series_id,
    unattributed,
    validate_series,
    watched_places,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from forecasting.detectors.backfill import RunEvents
    from forecasting.models import ExecutorSettings
    from forecasting.models.memo import ForecastMemo

#: Levels built for detection. Actor series are by actor family (see `forecasting.detectors.actors`).
DETECTION_LEVELS = ("area", "country", "admin1", "admin2", "tier", "actor")
#: Event columns the detectors read.
EVENT_COLUMNS = (
    "source", "source_id", "event_date", "disorder_type", "country", "admin1", "admin2", "actor1", "inter1",
    "fatalities", "geo_precision", "tier",
)


def build_series(
    events: pd.DataFrame,
    as_of: AsOf,
    levels: tuple[str, ...] = DETECTION_LEVELS,
    measures: tuple[str, ...] = VIOLENCE_MEASURES,
    *,
    known: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """All series detection tests, as one frame: every level and measure, up to the as-of month
    (ids as `forecasting.series.series_id` makes them: `fatalities|admin1|Mali|Kayes`).

    `measures`: political-violence `fatalities` and `events` by default; `demonstrations`
    (protests and riots) only when asked for, as their own series (no actor series), never mixed
    into the others. `known`: `known_events(events, as_of)`, where the caller has it already.
    """
    known = _known(events, as_of, known)
    violence = tuple(measure for measure in measures if measure in VIOLENCE_MEASURES)
    frames = []
    if violence and not known.empty:
        frames.append(series_for_levels(monthly_counts(known, level_columns(levels)), levels, end=as_of.month,
                                        measures=violence))
    if "demonstrations" in measures and "disorder_type" in events:
        places = tuple(level for level in levels if level != "actor")
        demonstrations = events[(events["event_date"] <= pd.Timestamp(as_of.day))
                                & (events["disorder_type"] == DEMONSTRATIONS)]
        if not demonstrations.empty:
            counts = counts_for_measure(monthly_counts(demonstrations, level_columns(places)), "demonstrations")
            frames.append(series_for_levels(counts, places, end=as_of.month, measures=("demonstrations",)))
    frames = [frame for frame in frames if not frame.empty]
    if not frames:
        return empty_series()
    series = pd.concat(frames, ignore_index=True)
    attributed = ~unattributed(series)
    if len(frames) == 1:
        # One checked, sorted frame less whole series: still checked and sorted.
        return series[attributed].reset_index(drop=True)
    return validate_series(series[attributed])


def known_events(events: pd.DataFrame, as_of: AsOf) -> pd.DataFrame:
    """What every detector and reading of the month sees (row by row, so a backfill computes it
    once for its last month and cuts each month's rows from it): the political-violence events dated up
    to the as-of day, with `actor1` as armed actor families (None for protesters and rioters)
    and, where the frame has precision codes, `tier` `unlocated` for events the source did not
    locate at their place (as the store has them)."""
    events = events[(events["event_date"] <= pd.Timestamp(as_of.day)) & counted_as_political_violence(events)]
    known = events.assign(actor1=armed_actor_families(events))
    if "geo_precision" in events and "tier" in events:
        known["tier"] = known["tier"].where(is_located(events), UNLOCATED)
    return known


def history_for_forecast(series: pd.DataFrame, as_of: AsOf) -> pd.DataFrame:
    """The series up to the month before the as-of month: what the forecast of the as-of month
    may learn from. Series with no month before it are left out, and so are those of places and
    actors first seen in the as-of month (`first_seen_history`)."""
    return _split_history(series, as_of)[0]


def first_seen_history(series: pd.DataFrame, as_of: AsOf) -> pd.DataFrame:
    """The months before the as-of month of the series whose place or actor had no event before
    it (zero in every political-violence measure, or in its own for demonstrations): a district
    first hit this month. `conflictwatch forecast --by` the month before has no series for them,
    so the month's forecast of the others is made without them (`forecast_the_month`)."""
    return _split_history(series, as_of)[1]


def _split_history(series: pd.DataFrame, as_of: AsOf) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The months before the as-of month of the series seen before it, and of the others."""
    before = series[series["period"] < as_of.month]
    seen = _seen(before)
    return before[seen].reset_index(drop=True), before[~seen].reset_index(drop=True)


def _seen(before: pd.DataFrame) -> pd.Series:
    """Per row of `before`: whether its series' place or actor has an event in it."""
    if before.empty:
        return pd.Series(False, index=before.index)
    # Per series, then back to the rows by code: a long history's frame has 100,000 rows.
    codes, ids = pd.factorize(before["series_id"], sort=False, use_na_sentinel=False)
    totals = np.bincount(codes, weights=before["value"].fillna(0).to_numpy(dtype=float), minlength=len(ids))
    # fatalities|admin2|Mali|Kayes|Nioro and events|admin2|... are one place; demonstrations its own.
    seen = pd.Series(totals).groupby(watched_places(pd.Series(ids))).transform("sum").to_numpy() > 0
    return pd.Series(seen[codes], index=before.index)


def forecast_the_month(
    series: pd.DataFrame, as_of: AsOf, model: str = "default", *, seed: int = 0,
    executor: "ExecutorSettings | None" = None, memo: "ForecastMemo | None" = None,
    made: "Mapping[str, pd.DataFrame] | None" = None,
) -> pd.DataFrame:
    """The forecast of the as-of month that detection tests every series against: each measure's
    geographic hierarchy, its settlement tiers and its actor families fitted apart on the series
    seen before the month (`forecasting.models.forecast_apart`), so that an alert's band is the one
    `conflictwatch forecast --by` gave the month before; the series first seen in the month
    forecast alone (all zero before it: a point mass at 0). `made`: parts of it made elsewhere
    (`forecast_apart`; a backfill's: `forecasting.detectors.ahead`)."""
    from forecasting.models import SERIAL, forecast_apart

    options = {"seed": seed, "executor": executor or SERIAL}
    history, new = _split_history(series, as_of)
    seen = forecast_apart(history, model, 1, memo=memo, made=made, **options)
    if new.empty:
        return seen
    return pd.concat([seen, forecast_apart(new, model, 1, **options)], ignore_index=True).sort_values(
        ["series_id", "period"], kind="stable", ignore_index=True)


def detect(
    events: pd.DataFrame | None,
    series: pd.DataFrame,
    forecasts: pd.DataFrame,
    as_of: AsOf,
    settings: DetectionSettings,
    *,
    known: pd.DataFrame | None = None,
    run: RunEvents | None = None,
) -> list[Alert]:
    """Alerts about the as-of month (status `new`; the lifecycle decides the rest).

    `events`: event frame up to the as-of day (at least `EVENT_COLUMNS`), or None for monthly
    counts only (ACLED's HDX aggregates): then the registered detectors that need events do not
    run. `series`: `build_series` output (or series of aggregates); `forecasts`: a forecast frame
    for the as-of month fitted on `history_for_forecast`. `known`: `known_events(events, as_of)`,
    where the caller has it already; `run`: `forecasting.detectors.backfill.run_events` of the
    known events of a run of months this month belongs to (a backfill's). Every registered detector
    (`forecasting.detectors.registry.DETECTORS`) runs once on the same inputs.
    Returns alerts sorted most severe first; each alert's evidence names its `series_id`.
    """
    inputs = DetectionInputs(
        events=_known(events, as_of, known),
        series=series,
        predictive=month_against_forecast(series, forecasts, as_of),
        as_of=as_of,
        settings=settings,
        run=run if events is not None else None,
    )
    # Each detector is its own family: its hypotheses differ in kind and number from the others',
    # and one kind with thousands of series (surges) must not drown one with dozens (waves).
    found = []
    # The detectors' events with their actor families where driving events look for them, once
    # (each alert judged on its deadliest event reads them).
    events_by_family = _with_family_column(inputs.events)
    surging_places: set[tuple] | None = None
    for detector in DETECTORS:
        if not detector.runs_on(inputs):
            continue
        findings = detector.find(inputs)
        alerts = control_false_discoveries(findings, settings.false_discovery_rate)
        if inputs.events is not None and any(_rise_of_deaths(alert) for alert in alerts):
            if surging_places is None:
                surging_places = places_with_more_attacks(inputs.predictive)
            attacks = surging_places | rises_of_attacks(findings)
            alerts = [alert for alert in alerts if not deadlier_attacks_only(alert, attacks, events_by_family, settings)]
        found += alerts
    if inputs.events is not None:
        found = [alert for alert in found if not one_ordinary_attack(alert, events_by_family, settings)]
    usual = usual_month_fatalities(series, forecasts, as_of)
    return sort_alerts(deduplicate([grade(_with_series_id(alert), usual, settings) for alert in found]))


def one_ordinary_attack(alert: Alert, events: pd.DataFrame, settings: DetectionSettings) -> bool:
    """Whether a surge, record or shift toward a settlement tier of deaths is one attack of
    ordinary size, not a change of its place: one event holds most of the deaths above
    expected, that event killed fewer than `critical_excess_fatalities` (25), and without it the
    place's deaths (a tier's share of the window's deaths) are inside their 90% range. Deaths come in clumps, so a district that expects almost none crosses its range with
    any one attack of a dozen deaths: that attack is the story, and one attack of that size is
    not news where the district sits. A massacre (25 or more) stays an alert wherever it
    happens; a surge that holds without its deadliest event, or that one event does not explain
    (a country's record month), is a change. `events`: the detectors' events (`actor1` the
    actor family, tiers of located events only)."""
    if alert.measure != "fatalities" or alert.kind not in ("surge", "record", "tier_shift") or None in (
            alert.upper, alert.expected) or alert.observed <= alert.expected:
        return False
    deadliest = _deadliest_attack(alert, events)
    observed, excess = float(alert.observed), float(alert.observed) - float(alert.expected)
    if alert.kind == "tier_shift":
        # A shift toward a tier: the share without that event, of the window's deaths without it.
        total = float(alert.evidence.get("total") or 0.0)
        inside = (observed - deadliest) / max(total - deadliest, 1.0) <= float(alert.evidence["baseline_upper_share"])
    else:
        inside = observed - deadliest <= float(alert.upper)
    return deadliest < settings.critical_excess_fatalities and deadliest >= _MOST * excess and inside


#: Kinds of alert about deaths that `deadlier_attacks_only` judges against their events.
_ATTACK_KINDS = ("surge", "tier_shift", "run_rate")


def deadlier_attacks_only(alert: Alert, attacks: set[tuple], events: pd.DataFrame, settings: DetectionSettings) -> bool:
    """Whether a rise of deaths (a surge, a shift toward a settlement tier, a year-to-date pace)
    is only attacks that happened to be deadlier: no more attacks than usual there (`attacks`,
    from `places_with_more_attacks` and `rises_of_attacks`: for a surge, the place's events
    inside their forecast's range; for a shift or a pace, no candidate of the same test of
    events, by all actors or any family),
    and no attack of it killed `critical_excess_fatalities` (25) or more. Deaths come
    in clumps: a tier or a district that sees its usual number of attacks, two of which killed
    a dozen each, has not changed, and its deaths alone make the test believe it did. A
    massacre stays an alert wherever it happens; so does any rise that more attacks carry."""
    if not _rise_of_deaths(alert) or _story_key(alert) in attacks:
        return False
    if alert.kind == "surge" and ("surge", None, *(alert.scope.get(name) for name in _SCOPE_NAMES)) in attacks:
        return False
    return _deadliest_attack(alert, events) < settings.critical_excess_fatalities


def _deadliest_attack(alert: Alert, events: pd.DataFrame) -> float:
    """The deaths of the alert's deadliest driving event (0 when it has none)."""
    from forecasting.incidents import driving_event_rows

    rows = driving_event_rows([alert], _with_family_column(events), 1)
    return float(rows["fatalities"].iloc[0]) if not rows.empty else 0.0


def _rise_of_deaths(alert: Alert) -> bool:
    """A surge, a shift toward a tier or a pace of deaths: what `deadlier_attacks_only` judges."""
    return (alert.measure == "fatalities" and alert.kind in _ATTACK_KINDS and alert.expected is not None
            and float(alert.observed) > float(alert.expected))


def _with_family_column(events: pd.DataFrame | None) -> pd.DataFrame | None:
    """The detectors' events (`actor1` already the actor family) with the column driving events
    read families from; a frame that has it is returned as it is."""
    from forecasting.incidents import ACTOR_FAMILY

    if events is None or ACTOR_FAMILY in events:
        return events
    return events.assign(**{ACTOR_FAMILY: events["actor1"]})


def places_with_more_attacks(predictive: pd.DataFrame) -> set[tuple]:
    """`_story_key`s of the surges' places with more attacks than usual this month: events above
    their forecast's 90% range (however few: four attacks where none are expected are more
    attacks). An actor family's rise of attacks is a rise of everyone's attacks there too."""
    from forecasting.detectors.predictive import scope_of

    keys = set()
    above = predictive[(predictive["measure"] == "events") & (predictive["observed"] > predictive["upper"])]
    for row in above.itertuples(index=False):
        scope = scope_of(row)
        keys.add(("surge", None, *(scope.get(name) for name in _SCOPE_NAMES)))
        keys.add(("surge", None, *(scope.get(name) for name in _SCOPE_NAMES[:-1]), None))
    return keys


def rises_of_attacks(findings) -> set[tuple]:
    """`_story_key`s of a detector's candidates about events (a shift or a pace of events,
    before false-discovery control), by their actor and by all actors."""
    return {key for finding in findings.candidates if finding.measure == "events"
            for key in (_story_key(finding), _story_key(finding, actor=None))}


_SCOPE_NAMES = ("country", "admin1", "admin2", "tier", "actor")


def _story_key(finding, **scope) -> tuple:
    """What a finding about deaths and one about events of the same story share (`scope`: parts
    of the scope replaced)."""
    scope = {**finding.scope, **scope}
    return (finding.kind, finding.period, *(scope.get(name) for name in _SCOPE_NAMES))


#: "Most of" an excess: the share one event must hold to be the story (as a lead explains at
#: least half of its group's largest excess, forecasting.incidents.lead_alert).
_MOST = 0.5


def usual_month_fatalities(series: pd.DataFrame, forecasts: pd.DataFrame, as_of: AsOf) -> dict[str | None, float]:
    """Each country's expected deaths in the whole as-of month (its forecast mean), and the
    whole area's under None: what "a share of the country's usual month" is a share of."""
    if series.empty or forecasts.empty:
        return {}
    places = series[(series["measure"] == "fatalities") & series["level"].isin(("area", "country"))]
    places = places.drop_duplicates("series_id")[["series_id", "country"]]
    means = forecasts[forecasts["period"] == as_of.month].set_index("series_id")["mean"]
    return {
        (country if isinstance(country, str) else None): float(means[key])
        for key, country in zip(places["series_id"], places["country"])
        if key in means.index
    }


def _with_series_id(alert: Alert) -> Alert:
    """The alert with the id of the series it is about in its evidence (detectors of series put
    it there; event detectors' scopes get it here, from the one place ids are made)."""
    if "series_id" in alert.evidence:
        return alert
    return _with_evidence(alert, series_id=series_id(alert.measure, alert.scope, alert.evidence.get("level")))


def month_readings(
    events: pd.DataFrame | None, series: pd.DataFrame, forecasts: pd.DataFrame, as_of: AsOf, *,
    known: pd.DataFrame | None = None,
) -> MonthReadings:
    """What the lifecycle judges open episodes back in band by: each series' as-of month against
    its forecast's 90% range and, with events (as `detect` takes them), the month's tier shares.
    `known`: as `detect` takes it."""
    predictive = month_against_forecast(series, forecasts, as_of)
    bands = {
        series_id: Band(float(observed), float(lower), float(upper))
        for series_id, observed, lower, upper in zip(
            predictive["series_id"], predictive["observed"], predictive["lower"], predictive["upper"]
        )
    }
    if events is None:
        return MonthReadings(series=bands, tier_shares=None)
    return MonthReadings(series=bands, tier_shares=tier_shares(_known(events, as_of, known), as_of))


def _known(events: pd.DataFrame | None, as_of: AsOf, known: pd.DataFrame | None) -> pd.DataFrame | None:
    if events is None:
        return None
    return known if known is not None else known_events(events, as_of)


def deduplicate(alerts: list[Alert]) -> list[Alert]:
    """One alert per id; a surge of a month that is also a record is told once, as the record
    (its message already gives the forecast), with the surge's score kept in the evidence; admin2
    spread is told within its region's; an actor family's alert within the same alert for all
    actors (`_fold_actor_families`)."""
    by_id: dict[str, Alert] = {}
    for alert in alerts:
        kept = by_id.get(alert.id)
        if kept is None or alert.score < kept.score:
            by_id[alert.id] = alert
    records = {
        (_scope_key(alert), alert.measure, alert.period): alert for alert in by_id.values() if alert.kind == "record"
    }
    result = []
    for alert in by_id.values():
        record = records.get((_scope_key(alert), alert.measure, alert.period))
        if alert.kind == "surge" and record is not None:
            merged = _with_evidence(record, surge_score=alert.score, surge_severity=alert.severity)
            if SEVERITY_ORDER[alert.severity] > SEVERITY_ORDER[record.severity]:
                merged = _replace(merged, severity=alert.severity)
            records[(_scope_key(alert), alert.measure, alert.period)] = merged
            continue
        result.append(alert)
    result = [records.get((_scope_key(a), a.measure, a.period), a) if a.kind == "record" else a for a in result]
    return _fold_actor_families(_fold_spread_into_regions(result))


def _fold_spread_into_regions(alerts: list[Alert]) -> list[Alert]:
    """Spread into an admin1 unit is one story: its admin2 units' spread alerts are listed in the
    admin1 alert's evidence instead of being told separately."""
    regions = {
        (alert.scope.get("country"), alert.scope.get("admin1"), alert.period): alert
        for alert in alerts
        if alert.kind == "spread" and alert.scope.get("admin2") is None
    }
    folded: dict[tuple, list[str]] = {}
    kept = []
    for alert in alerts:
        key = (alert.scope.get("country"), alert.scope.get("admin1"), alert.period)
        if alert.kind == "spread" and alert.scope.get("admin2") is not None and key in regions:
            folded.setdefault(key, []).append(alert.scope["admin2"])
            continue
        kept.append(alert)
    return [
        _with_evidence(alert, admin2_units=sorted(folded[key]))
        if alert.kind == "spread" and alert.scope.get("admin2") is None
        and (key := (alert.scope.get("country"), alert.scope.get("admin1"), alert.period)) in folded
        else alert
        for alert in kept
    ]


#: Kinds whose `observed` counts events or deaths of the period, so that an actor family's count
#: is part of the all-actors count (a change point's is a mean over months that may differ).
_COUNT_KINDS = ("surge", "drop", "record", "run_rate", "tier_shift")


def _fold_actor_families(alerts: list[Alert]) -> list[Alert]:
    """An actor family's alert raised together with the same alert for all actors (same kind,
    measure, period, window and otherwise the same scope) is one story, told once as the all-actors
    alert: at the higher of the two severities, with the family's alert summarised in its
    evidence (`actor_families`) and, for counts, its part named in the message. A family alert
    without its all-actors alert is kept as it is."""
    whole = {_without_actor(alert): alert for alert in alerts if alert.scope.get("actor") is None}
    folded: dict[str, list[Alert]] = {}
    kept = []
    for alert in alerts:
        all_actors = whole.get(_without_actor(alert)) if alert.scope.get("actor") is not None else None
        if all_actors is not None:
            folded.setdefault(all_actors.id, []).append(alert)
            continue
        kept.append(alert)
    return [_with_actor_families(alert, folded[alert.id]) if alert.id in folded else alert for alert in kept]


def _with_actor_families(alert: Alert, families: list[Alert]) -> Alert:
    families = sorted(families, key=lambda family: (-family.observed, family.scope["actor"]))
    severity = max([alert.severity, *(family.severity for family in families)], key=SEVERITY_ORDER.__getitem__)
    message = alert.message
    if alert.kind in _COUNT_KINDS:
        parts = " and ".join(f"{wording.count(family.observed)} by {family.scope['actor']}" for family in families)
        message = f"{message.rstrip().rstrip('.')}. Of the {wording.count(alert.observed)}, {parts}."
    summaries = [
        {"actor": family.scope["actor"], "observed": family.observed, "expected": family.expected,
         "severity": family.severity, "id": family.id, "message": family.message}
        for family in families
    ]
    return _replace(_with_evidence(alert, actor_families=summaries), severity=severity, message=message)


def _without_actor(alert: Alert) -> tuple:
    """What an actor family's alert and the all-actors alert it folds into share: kind, measure,
    period, the rest of the scope and the window counted (a tier shift over three months is
    not part of one over the month, so "Of the 86, 174 by JNIM" cannot be written)."""
    window = (alert.evidence.get("window_months"), alert.evidence.get("window_start"))
    return (alert.kind, alert.measure, alert.period, *(alert.scope.get(name) for name in ("country", "admin1", "admin2", "tier")),
            *window)


def sort_alerts(alerts: list[Alert]) -> list[Alert]:
    """Most severe first; then new before ongoing before resolved; then strongest evidence."""
    status_order = {"new": 0, "ongoing": 1, "resolved": 2}
    return sorted(
        alerts,
        key=lambda alert: (-SEVERITY_ORDER[alert.severity], status_order[alert.status], alert.score, alert.kind, alert.id),
    )


def _scope_key(alert: Alert) -> tuple:
    return tuple(alert.scope.get(name) for name in ("country", "admin1", "admin2", "tier", "actor"))


def _with_evidence(alert: Alert, **more) -> Alert:
    return _replace(alert, evidence={**alert.evidence, **more})


def _replace(alert: Alert, **changes) -> Alert:
    import dataclasses

    return dataclasses.replace(alert, **changes)
