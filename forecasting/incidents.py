"""Incidents: the alerts of a month that describe one underlying change, told once.

One attack moves many series: its district, region, country and the whole area; its actor
family and all actors; deaths and events; a surge, a record and a level change. As
Alertmanager groups alerts by labels, `group_alerts` joins the month's alerts that belong
together:

- the same place (any measure, any kind): deaths and events, surge and record and change point;
- nested places (admin2 in admin1 in country in the area; an actor family within all actors; a
  settlement tier within its country) of one measure, when the narrower place's excess above
  expected is at least `incident_explained_share` of the wider one's (a district that adds 5%
  to a country's surge is a different story from the one that makes it);
- a synchronized wave with the alerts of the places it hit (their admin2 and admin1 units) and of
  the wider places holding them;
- year-to-date paces with each other when nested (one country's pace, told once).

An incident has a lead alert (the wave when there is one; else the most specific place that
explains most of the excess), its members, one severity (the highest of its members'), one
lifecycle (`form_incidents`: new, ongoing while any of its alert episodes stays open, resolved
when the last one closes) and its driving events. Ids are stable: a rerun changes nothing.

Pure: alerts, events and stored history in, incidents out; no store, no clock.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from forecasting import wording
from forecasting.as_of import add_months
from forecasting.alerts import (
    SCOPE_KEYS, SEVERITY_ORDER, Alert, AlertRecord, BandCheck, LifecycleOutcome, LifecycleRules, MonthReadings, Status,
    apply_lifecycle,
)
from forecasting.events import DEMONSTRATIONS, UNLOCATED, counted_as_political_violence, is_located

if TYPE_CHECKING:
    import pandas as pd

#: Event columns `driving_events` reads.
DRIVER_COLUMNS = (
    "source_id", "event_date", "disorder_type", "country", "admin1", "admin2", "location", "actor1", "fatalities",
    "notes", "tier", "geo_precision",
)
#: Characters of an event's notes shown under an alert.
NOTE_CHARACTERS = 200
#: Months of events before the as-of month whose events can drive an alert (3-month tier-shift
#: windows and level changes held 3 months look back this far; a year-to-date pace, to January).
DRIVER_MONTHS_BEFORE = 2
#: The column `with_actor_families` adds: each event's actor family, as alert scopes name actors.
ACTOR_FAMILY = "actor_family"

#: Kinds whose observed minus expected is an excess over one period (the unit of "explains").
_EXCESS_KINDS = ("surge", "drop", "record", "tier_shift", "spread", "change_point")
#: How specific a place is: the lead is the most specific place that explains most.
_DEPTH = {"admin2": 4, "admin1": 3, "tier": 2, "actor": 2, "country": 1}


# --- driving events ---------------------------------------------------------------------------


def driving_event_rows(alerts: Sequence[Alert], events: pd.DataFrame, limit: int) -> pd.DataFrame:
    """The `limit` events that weigh most in `alerts` (one alert, or a story's lead and then its
    members): the events of each alert's scope and period, counted as the alert counts them
    (political violence, or demonstrations for their measure; tiers of located events only),
    each once. The lead's events come first (what the story is about: a wave's day, a record's
    month), then the members', each part most deaths first, then earliest. The one selection
    behind every alert's, incident's and report page's driving events.

    `events`: an event frame with at least event_date, source_id, country, admin1, admin2, tier,
    actor1 (as the source names it) and fatalities (`with_actor_families` is applied when its
    column is missing). Returns those rows, with `ACTOR_FAMILY`.
    """
    import pandas as pd

    if events.empty or limit <= 0 or not alerts:
        return events.head(0)
    events = with_actor_families(events)
    lead = events[_driven(alerts[0], events)]
    others = None
    for alert in alerts[1:]:
        mine = _driven(alert, events)
        others = mine if others is None else others | mine
    parts = [lead] if others is None else [lead, events[others]]
    order = ["fatalities", "event_date", "source_id"]
    picked = pd.concat([part.sort_values(order, ascending=[False, True, True]) for part in parts])
    return picked.drop_duplicates("source_id").head(limit)


def driving_events(alert: Alert, events: pd.DataFrame, limit: int) -> list[dict[str, Any]]:
    """`driving_event_rows` of one alert as its JSON evidence: event_id, date, location,
    country, admin1, admin2, actor (as the source names it), fatalities, note (the first
    `NOTE_CHARACTERS` of the source's notes)."""
    return [_event_record(row) for row in driving_event_rows([alert], events, limit).itertuples(index=False)]


def _driven(alert: Alert, events: pd.DataFrame) -> pd.Series:
    """Which events are of `alert`'s scope and period, counted as it counts them."""
    first, last = _period_days(alert)
    during = (events["event_date"] >= first) & (events["event_date"] <= last)
    # The other tests read strings: made on the period's events only (a month of a frame that
    # may hold years, as the detectors' does), for a detection's dozens of alerts.
    during[during] = _of_scope(alert, events[during]).to_numpy()
    return during


def _of_scope(alert: Alert, events: pd.DataFrame) -> pd.Series:
    """Which events are of `alert`'s scope, counted as it counts them."""
    import pandas as pd

    # What the alert counts: demonstrations for their measure, political violence otherwise.
    if alert.measure == "demonstrations":
        chosen = (events["disorder_type"] == DEMONSTRATIONS if "disorder_type" in events
                  else pd.Series(False, index=events.index))
    else:
        chosen = counted_as_political_violence(events)
    scope = alert.scope
    if alert.kind == "synchronized" and alert.evidence.get("admin2_units"):
        # A wave's places are the units it hit, in one country or several.
        countries = alert.evidence.get("countries") or ([scope["country"]] if scope.get("country") else [])
        chosen &= events["admin2"].isin(set(alert.evidence["admin2_units"])) & events["country"].isin(countries)
    else:
        for key in ("country", "admin1", "admin2", "tier"):
            if scope.get(key) is not None:
                chosen &= events[key] == scope[key]
    if scope.get("actor") is not None:
        chosen &= events[ACTOR_FAMILY] == scope["actor"]
    return chosen


def drivers_since(day: dt.date) -> dt.date:
    """The first day whose events can drive an alert of the month of `day`: the month
    `DRIVER_MONTHS_BEFORE` before it, or 1 January when earlier (a year-to-date pace)."""
    return min(add_months(day, -DRIVER_MONTHS_BEFORE), dt.date(day.year, 1, 1))


def with_driving_events(alerts: Iterable[Alert], events: pd.DataFrame | None, limit: int) -> list[Alert]:
    """Each alert with its driving events (resolved notices keep the ones they were told with).
    `events`: an event frame with `DRIVER_COLUMNS` covering the alerts' periods (from
    `drivers_since` the as-of day), actors as the source names them; None: no events (HDX
    aggregates), no driving events."""
    if events is None:
        return list(alerts)
    events = with_actor_families(events)
    return [
        alert if alert.status == "resolved" else dataclasses.replace(alert, driving_events=driving_events(alert, events, limit))
        for alert in alerts
    ]


def with_actor_families(events: pd.DataFrame) -> pd.DataFrame:
    """`events` with each event's actor family in `ACTOR_FAMILY` (what alert scopes name; the
    source's name stays in `actor1`) and `tier` unlocated for events the source did not locate
    at their place (as the detectors count them); a frame that has the column is returned as
    it is."""
    if ACTOR_FAMILY in events:
        return events
    from forecasting.detectors.actors import actor_families

    prepared = events.assign(**{ACTOR_FAMILY: actor_families(events["actor1"])})
    if "geo_precision" in events and "tier" in events:
        prepared["tier"] = prepared["tier"].where(is_located(events), UNLOCATED)
    return prepared


def _event_record(row) -> dict[str, Any]:
    notes = row.notes if isinstance(row.notes, str) else ""
    return {
        "event_id": row.source_id,
        "date": row.event_date.date().isoformat(),
        "location": row.location if isinstance(row.location, str) else None,
        "country": row.country,
        "admin1": row.admin1 if isinstance(row.admin1, str) else None,
        "admin2": row.admin2 if isinstance(row.admin2, str) else None,
        "actor": row.actor1,
        "fatalities": int(row.fatalities),
        "note": notes[:NOTE_CHARACTERS],
    }


def _period_days(alert: Alert) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last day of the events an alert is about: a wave's days; a year-to-date pace's
    year to its period; a tier shift's or level change's months; a 30-day record's window; else
    its month (or the month to its day)."""
    import pandas as pd

    evidence = alert.evidence
    if alert.kind == "synchronized" and evidence.get("first_day"):
        return pd.Timestamp(evidence["first_day"]), pd.Timestamp(evidence.get("last_day") or evidence["first_day"])
    day = len(alert.period) == 10
    last = pd.Timestamp(alert.period) if day else pd.Timestamp(f"{alert.period}-01") + pd.offsets.MonthEnd(0)
    month = last.replace(day=1)
    if alert.kind == "run_rate":
        return month.replace(month=1), last
    if day:
        start = evidence.get("window_start")
        return (pd.Timestamp(start) if start else month), last
    months = int(evidence.get("window_months") or evidence.get("months_at_new_level") or 1)
    if alert.kind not in ("tier_shift", "change_point"):
        months = 1
    return month - pd.DateOffset(months=months - 1), last


# --- grouping ---------------------------------------------------------------------------------


def group_alerts(alerts: list[Alert], explained_share: float) -> list[list[Alert]]:
    """The month's alerts (new and ongoing) joined into groups that tell one story (see the
    module docstring), each group in the order the alerts were given; groups ordered by their
    first alert."""
    parent = list(range(len(alerts)))

    def root(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    for i, first in enumerate(alerts):
        for j in range(i + 1, len(alerts)):
            if related(first, alerts[j], explained_share):
                parent[root(j)] = root(i)
    groups: dict[int, list[Alert]] = {}
    for index, alert in enumerate(alerts):
        groups.setdefault(root(index), []).append(alert)
    return list(groups.values())


def related(a: Alert, b: Alert, explained_share: float) -> bool:
    """Whether two alerts of one month describe one underlying change."""
    if a.kind == "run_rate" or b.kind == "run_rate":
        # A pace is a year's story, not a month's: it joins only paces of its own or nested places.
        return a.kind == b.kind and (_contains(a.scope, b.scope) or _contains(b.scope, a.scope))
    if a.kind == "synchronized" or b.kind == "synchronized":
        wave, other = (a, b) if a.kind == "synchronized" else (b, a)
        return _hit_by(wave, other)
    if _same_scope(a, b):
        return True
    if a.measure != b.measure:
        return False
    if _contains(a.scope, b.scope):
        outer, inner = a, b
    elif _contains(b.scope, a.scope):
        outer, inner = b, a
    else:
        return False
    return _explains(inner, outer, explained_share)


def excess(alert: Alert) -> float | None:
    """Observed minus expected for kinds that compare one period's count with its expectation
    (negative for a drop); None for a wave or a pace."""
    if alert.kind not in _EXCESS_KINDS or alert.expected is None:
        return None
    return float(alert.observed) - float(alert.expected)


def _explains(inner: Alert, outer: Alert, share: float) -> bool:
    part, whole = excess(inner), excess(outer)
    if part is None or whole is None or whole == 0 or (part > 0) != (whole > 0):
        return False
    return part / whole >= share


def _hit_by(wave: Alert, other: Alert) -> bool:
    """A wave and an alert about a place it hit, or about a wider place holding those places."""
    evidence = wave.evidence
    countries = set(evidence.get("countries") or ([wave.scope["country"]] if wave.scope.get("country") else []))
    if other.kind == "synchronized":
        same_actor = other.scope.get("actor") == wave.scope.get("actor")
        return same_actor and bool(countries & set(other.evidence.get("countries") or [other.scope.get("country")]))
    scope = other.scope
    if scope.get("actor") is not None and scope.get("actor") != wave.scope.get("actor"):
        return False
    if scope.get("country") is not None and scope["country"] not in countries:
        return False
    if scope.get("admin2") is not None:
        return scope["admin2"] in set(evidence.get("admin2_units") or ())
    if scope.get("admin1") is not None:
        return scope["admin1"] in set(evidence.get("admin1_units") or ())
    return True


def _same_scope(a: Alert, b: Alert) -> bool:
    return all(a.scope.get(key) == b.scope.get(key) for key in SCOPE_KEYS)


def _contains(outer: Mapping[str, str | None], inner: Mapping[str, str | None]) -> bool:
    return all(outer.get(key) is None or outer.get(key) == inner.get(key) for key in SCOPE_KEYS)


def lead_alert(members: list[Alert]) -> Alert:
    """The alert that tells a group's story: a synchronized wave (the most places), else the most
    specific place whose excess is at least half the group's largest excess (of that measure),
    else the most severe and most certain."""
    waves = [alert for alert in members if alert.kind == "synchronized"]
    if waves:
        return min(waves, key=lambda alert: (-alert.observed, alert.score, alert.id))
    counted = [alert for alert in members if (excess(alert) or 0) > 0]
    if counted:
        measure = "fatalities" if any(alert.measure == "fatalities" for alert in counted) else "events"
        counted = [alert for alert in counted if alert.measure == measure]
        largest = max(excess(alert) for alert in counted)
        explaining = [alert for alert in counted if excess(alert) >= 0.5 * largest]
        return min(explaining, key=lambda alert: (-_depth(alert.scope), -excess(alert), alert.score, alert.id))
    return min(members, key=lambda alert: (-SEVERITY_ORDER[alert.severity], alert.score, alert.id))


def _depth(scope: Mapping[str, str | None]) -> int:
    return max([_DEPTH[key] for key in _DEPTH if scope.get(key)] or [0])


# --- the incident record and its lifecycle -----------------------------------------------------


@dataclass(frozen=True)
class Incident:
    """One story of a detection month. `as_of`: the month (`YYYY-MM`) of the run that told it;
    `opened`: the month it was first told; `lead`: the alert that tells it; `members`: every
    alert of it this month, lead first (resolved notices included); `places`: the places it
    concerns in words, most specific first."""

    id: str
    as_of: str
    opened: str
    status: Status
    severity: str
    lead: Alert
    members: list[Alert]
    title: str
    message: str
    places: list[str] = field(default_factory=list)
    driving_events: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "as_of": self.as_of,
            "opened": self.opened,
            "status": self.status,
            "severity": self.severity,
            "title": self.title,
            "message": self.message,
            "lead": self.lead.id,
            "kind": self.lead.kind,
            "scope": {key: self.lead.scope.get(key) for key in SCOPE_KEYS},
            "period": self.lead.period,
            "places": self.places,
            "members": [alert.id for alert in self.members],
            "driving_events": self.driving_events,
        }


@dataclass(frozen=True)
class IncidentOutcome:
    """`alerts`: the reported alerts, each with its `incident`; `incidents`: the incidents told
    this month (new, ongoing, and those resolved by it), most severe first."""

    alerts: list[Alert]
    incidents: list[Incident]


def incident_id(as_of_month: str, lead: Alert) -> str:
    """Stable for the same first month and lead episode (kind, scope, measure)."""
    key = json.dumps([lead.kind, [lead.scope.get(name) for name in SCOPE_KEYS], lead.measure], ensure_ascii=False)
    return f"incident-{as_of_month}-{hashlib.sha256(key.encode('utf-8')).hexdigest()[:10]}"


def form_incidents(
    reported: list[Alert],
    episodes: Mapping[str, str],
    history: list[AlertRecord],
    as_of_month: str,
    *,
    explained_share: float,
    area_name: str,
    driving_limit: int,
) -> IncidentOutcome:
    """Group this run's `reported` alerts (new, ongoing, resolved notices) into incidents and
    decide each incident's status from the stored `history` (runs of earlier months).

    `episodes`: alert id -> episode id for this run's new and ongoing alerts (resolved notices
    name theirs in `evidence["episode"]`). A group holding an episode of an incident still open
    continues it (`ongoing`, same id); otherwise it is `new`. A resolved notice belongs to its
    episode's incident; an incident with nothing left open after this run is `resolved`.
    """
    earlier = [record for record in history if record.as_of < as_of_month and record.suppressed_by is None]
    latest: dict[str, AlertRecord] = {}
    for record in sorted(earlier, key=lambda record: record.as_of):
        latest[record.episode] = record
    opened: dict[str, str] = {}
    for record in earlier:
        if record.incident is not None:
            opened[record.incident] = min(opened.get(record.incident, record.as_of), record.as_of)
    open_episodes: dict[str, set[str]] = {}
    for episode, record in latest.items():
        if record.incident is not None and record.status_before(as_of_month) != "resolved":
            open_episodes.setdefault(record.incident, set()).add(episode)

    active = [alert for alert in reported if alert.status != "resolved"]
    notices = [alert for alert in reported if alert.status == "resolved"]
    groups = group_alerts(active, explained_share)

    # A group continues an open incident when its lead does: the lead's episode was told in it,
    # or the lead is about a region or district nested with a region or district the incident
    # was about last month (a level change after a massacre). Other members do not carry a group
    # over: a country's surge open since January does not make the wave of 1 July an old story.
    recent = _recent_places(earlier, as_of_month, open_episodes)
    continuing: list[set[str]] = []
    for group in groups:
        lead = lead_alert(group)
        record = latest.get(episodes.get(lead.id, ""))
        if record is not None and record.incident in open_episodes:
            continuing.append({record.incident})
        else:
            continuing.append({
                name for name, scopes in recent.items() if any(_same_story_place(lead.scope, scope) for scope in scopes)
            })
    merged = _merge_groups(groups, continuing)

    incidents: dict[str, tuple[Status, str, list[Alert]]] = {}
    for group, inherited in merged:
        if inherited:
            chosen = min(inherited, key=lambda name: (opened.get(name, as_of_month), name))
            incidents[chosen] = ("ongoing", opened.get(chosen, as_of_month), group)
        else:
            name = incident_id(as_of_month, lead_alert(group))
            incidents[name] = ("new", as_of_month, group)

    resolved_now = {alert.evidence.get("episode") for alert in notices}
    active_episodes = {episodes.get(alert.id) for alert in active}
    closing: dict[str, list[Alert]] = {}
    for notice in notices:
        episode = notice.evidence.get("episode")
        record = latest.get(episode)
        name = record.incident if record is not None and record.incident else incident_id(notice.period[:7], notice)
        if name in incidents:
            status, first, group = incidents[name]
            incidents[name] = (status, first, [*group, notice])
        else:
            closing.setdefault(name, []).append(notice)
    for name, group in closing.items():
        still_open = open_episodes.get(name, set()) - resolved_now - active_episodes
        if not still_open:
            incidents[name] = ("resolved", opened.get(name, as_of_month), group)

    told: list[Incident] = []
    incident_of: dict[str, str] = {}
    for name, (status, first, group) in incidents.items():
        told.append(_incident(name, as_of_month, first, status, group, area_name, driving_limit))
        for alert in group:
            incident_of[alert.id] = name
    # Resolved notices of an incident that stays open keep its id: their episode's incident.
    for notice in notices:
        if notice.id not in incident_of:
            record = latest.get(notice.evidence.get("episode"))
            incident_of[notice.id] = record.incident if record is not None and record.incident else None
    alerts = [dataclasses.replace(alert, incident=incident_of.get(alert.id)) for alert in reported]
    # The incidents hold the same alerts as the list: each names its incident.
    by_id = {alert.id: alert for alert in alerts}
    told = [
        dataclasses.replace(incident, lead=by_id[incident.lead.id], members=[by_id[alert.id] for alert in incident.members])
        for incident in told
    ]
    told.sort(key=lambda incident: (-SEVERITY_ORDER[incident.severity], _STATUS_ORDER[incident.status],
                                    incident.lead.score, incident.id))
    return IncidentOutcome(alerts=alerts, incidents=told)


_STATUS_ORDER = {"new": 0, "ongoing": 1, "resolved": 2}


@dataclass(frozen=True)
class MonthTold:
    """One detection month through the lifecycle and into incidents: `lifecycle` (what
    `apply_lifecycle` decided), `told` (the reported alerts, each naming its incident, and the
    incidents) and `records` (the lifecycle's records, each alert naming its incident: what to
    store for the next months)."""

    lifecycle: LifecycleOutcome
    told: IncidentOutcome
    records: list[AlertRecord]


def tell_month(
    found: list[Alert],
    history: list[AlertRecord],
    checks: Sequence[BandCheck],
    readings: MonthReadings | None,
    as_of_month: str,
    rules: LifecycleRules,
    *,
    explained_share: float,
    area_name: str,
    driving_limit: int,
) -> MonthTold:
    """The month's `found` alerts through the alert lifecycle (`forecasting.alerts.
    apply_lifecycle`, from the stored `history` and band `checks` of earlier months and this
    month's `readings`) and grouped into incidents (`form_incidents`): what `detect` stores and
    reports, and what the labelled benchmark measures."""
    outcome = apply_lifecycle(found, history, as_of_month, rules, readings, checks)
    episodes = {record.alert.id: record.episode for record in outcome.records if record.suppressed_by is None}
    told = form_incidents(
        outcome.reported, episodes, history, as_of_month, explained_share=explained_share, area_name=area_name,
        driving_limit=driving_limit,
    )
    incident_of = {alert.id: alert.incident for alert in told.alerts if alert.status != "resolved"}
    records = [
        dataclasses.replace(record, alert=dataclasses.replace(record.alert, incident=incident_of.get(record.alert.id)))
        for record in outcome.records
    ]
    return MonthTold(lifecycle=outcome, told=told, records=records)


def _recent_places(earlier: list[AlertRecord], as_of_month: str, open_episodes: Mapping[str, set[str]]) -> dict[str, list]:
    """Open incidents told in the month before `as_of_month`, with the scopes of their alerts
    there."""
    year, month = int(as_of_month[:4]), int(as_of_month[5:7])
    previous = f"{year - 1:04d}-12" if month == 1 else f"{year:04d}-{month - 1:02d}"
    places: dict[str, list] = {}
    for record in earlier:
        if record.as_of == previous and record.incident in open_episodes:
            places.setdefault(record.incident, []).append(record.alert.scope)
    return places


def _same_story_place(scope: Mapping[str, str | None], other: Mapping[str, str | None]) -> bool:
    """Two regions or districts, one within the other (or the same), with no tier or actor."""
    if any(place.get(key) for place in (scope, other) for key in ("tier", "actor")):
        return False
    if not (scope.get("admin1") and other.get("admin1")):
        return False
    return _contains(scope, other) or _contains(other, scope)


def _merge_groups(groups: list[list[Alert]], continuing: list[set[str]]) -> list[tuple[list[Alert], set[str]]]:
    """Groups that continue a common open incident, joined."""
    merged: list[tuple[list[Alert], set[str]]] = []
    for group, inherited in zip(groups, continuing):
        joined = [index for index, (_, names) in enumerate(merged) if names & inherited]
        if not joined:
            merged.append((list(group), set(inherited)))
            continue
        target = joined[0]
        members, names = merged[target]
        for index in reversed(joined[1:]):
            more, more_names = merged.pop(index)
            members, names = members + more, names | more_names
        merged[target] = (members + list(group), names | inherited)
    return merged


def _incident(name: str, as_of_month: str, first: str, status: Status, group: list[Alert], area_name: str,
              driving_limit: int) -> Incident:
    active = [alert for alert in group if alert.status != "resolved"]
    lead = lead_alert(active or group)
    members = [lead, *(alert for alert in _ordered(group) if alert.id != lead.id)]
    severity = "info" if status == "resolved" else max((alert.severity for alert in active), key=SEVERITY_ORDER.__getitem__)
    places = _places(lead, members, area_name)
    others = [alert for alert in members[1:] if alert.status != "resolved"]
    message = lead.message
    if status != "resolved" and others:
        plural = "s" if len(others) != 1 else ""
        about = wording.place_list(_about(others), area_name, limit=10)
        message = f"{lead.message.rstrip()} Told with {len(others)} related alert{plural} about {about}."
    title = f"{wording.kind_label(lead.kind)}: {wording.place_name(lead.scope, area_name)}, {wording.period_label(lead.period)}"
    if status == "resolved":
        title = f"Resolved: {title}"
    return Incident(
        id=name, as_of=as_of_month, opened=first, status=status, severity=severity, lead=lead, members=members,
        title=title, message=message, places=places, driving_events=_incident_drivers(members, driving_limit),
    )


def _ordered(alerts: list[Alert]) -> list[Alert]:
    return sorted(alerts, key=lambda alert: (_STATUS_ORDER[alert.status], -SEVERITY_ORDER[alert.severity],
                                             -_depth(alert.scope), alert.score, alert.id))


def _places(lead: Alert, members: list[Alert], area_name: str) -> list[str]:
    """The places an incident concerns, each in words that need no context (`wording.place`),
    most specific first: the units a wave hit and the members' admin units, then the countries
    (the whole area only when nothing narrower)."""
    scopes = [dict(unit) for unit in lead.evidence.get("units") or ()] if lead.kind == "synchronized" else []
    scopes += [{**alert.scope, "tier": None, "actor": None} for alert in members if alert.kind != "synchronized"]
    scopes.sort(key=lambda scope: -_depth(scope))
    names = [wording.place(scope, area_name) for scope in scopes if scope.get("country") or len(scopes) == 1]
    return list(dict.fromkeys(names)) or [area_name]


def _about(alerts: list[Alert]) -> list[dict[str, str | None]]:
    """The places the related alerts are about (an actor family's alert is about its place),
    most specific first, for `wording.place_list`."""
    scopes = [{**alert.scope, "actor": None} for alert in alerts]
    return sorted(scopes, key=lambda scope: -_depth(scope))


def _incident_drivers(members: list[Alert], limit: int) -> list[dict[str, Any]]:
    """The lead's driving events, then the other members' (most deaths first), each once: the
    order `driving_event_rows` gives a story's events."""
    def deadliest(events: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        return sorted(events, key=lambda event: (-int(event.get("fatalities") or 0), str(event.get("date")),
                                                 str(event.get("event_id"))))

    ranked = deadliest(members[0].driving_events) if members else []
    ranked += deadliest(event for alert in members[1:] for event in alert.driving_events)
    seen: dict[str, dict[str, Any]] = {}
    for event in ranked:
        seen.setdefault(str(event.get("event_id")), event)
    return list(seen.values())[:limit]
