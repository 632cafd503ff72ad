"""The Alert record: what a detector found, in the JSON shape other tools consume (DESIGN.md).

Detectors build Alerts; the store keeps them so their lifecycle (new, ongoing, resolved)
survives restarts; reports and emails render them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from forecasting import wording
from forecasting.as_of import months_between

Kind = Literal["surge", "drop", "record", "tier_shift", "spread", "synchronized", "run_rate", "change_point"]
Severity = Literal["info", "warning", "critical"]
Status = Literal["new", "ongoing", "resolved"]

SCOPE_KEYS = ("country", "admin1", "admin2", "tier", "actor")
SEVERITY_ORDER = {"info": 0, "warning": 1, "critical": 2}


@dataclass(frozen=True)
class Alert:
    """One finding. `period` is `YYYY-MM` (a month) or `YYYY-MM-DD` (a day).

    `incident`: the id of the incident it belongs to (`forecasting.incidents`), once grouped.
    `driving_events`: the events that weigh most in it, biggest first (`forecasting.incidents.
    driving_events`): event_id, date, location, admin1, admin2, actor, fatalities, note.
    """

    kind: Kind
    scope: dict[str, str | None]
    measure: Literal["fatalities", "events"]
    period: str
    observed: float
    expected: float | None
    lower: float | None
    upper: float | None
    score: float
    severity: Severity
    message: str
    status: Status = "new"
    evidence: dict[str, Any] = field(default_factory=dict)
    incident: str | None = None
    driving_events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def id(self) -> str:
        """Stable across runs for the same kind, scope, measure and period."""
        return alert_id(self.kind, self.scope, self.measure, self.period)

    def to_json(self) -> dict[str, Any]:
        """The dict of DESIGN.md's alert JSON contract (all scope keys present, null where n/a)."""
        record = asdict(self)
        record["scope"] = {key: self.scope.get(key) for key in SCOPE_KEYS}
        return {"id": self.id, **record}


def alert_id(kind: str, scope: dict[str, str | None], measure: str, period: str) -> str:
    """A short stable hash of what makes an alert the same alert."""
    key = json.dumps(
        [kind, [scope.get(name) for name in SCOPE_KEYS], measure, period], ensure_ascii=False
    )
    return f"{kind}-{period}-{hashlib.sha256(key.encode('utf-8')).hexdigest()[:10]}"


# --- Lifecycle --------------------------------------------------------------------------------
#
# An episode is a run of alerts of one kind, scope and measure. Its first alert is `new`, the
# later ones `ongoing`, until a `resolved` notice closes it. When depends on the kind:
#
# - surge, record, drop (a month against its forecast) and tier_shift (a share against its
#   baseline): resolved once the scope has been back in band for `resolve_after_months`
#   consecutive detection months: the series' observed value at most the top of its 90%
#   forecast range (surge, record) or at least its bottom (drop); the tier share within the
#   baseline 90% range of the episode's last alert (tier_shift). Each month's verdict is a
#   `BandCheck`, stored, so the months can be counted across runs; a month without a verdict
#   (not run, or nothing to judge it by) breaks the count. Until then the episode stays open,
#   alert or no alert, and a new alert of it is `ongoing` however long the gap.
# - run_rate, spread, synchronized, change_point (no band to return to): resolved once
#   `resolve_after_months` months pass without an alert of the episode; alerts at most that
#   many months apart belong to one episode.
#
# A would-be new alert of lower severity than one of the same kind, scope and measure within
# `suppression_days` is suppressed: stored (so the history is complete) but not reported.
#
# Everything is decided from the stored history of *earlier* as-of months only, so rerunning a
# month gives the same answer however often it is run, and rerunning an old month is not
# disturbed by what later months decided.

#: Kinds resolved by being back in band; the others by months without an alert.
BAND_KINDS = ("surge", "drop", "record", "tier_shift")


@dataclass(frozen=True)
class LifecycleRules:
    """How long suppression lasts and when an episode is resolved (from config.yaml `detect:`,
    where their defaults are)."""

    suppression_days: int
    resolve_after_months: int


@dataclass(frozen=True)
class Band:
    """A value of the as-of month and the 90% range it is judged against (counts)."""

    observed: float
    lower: float
    upper: float


@dataclass(frozen=True)
class MonthReadings:
    """What a detection run measured in its as-of month, to judge open episodes back in band.

    `series`: series id (measure-prefixed, as in the detection frame: `fatalities|admin1|Mali|Kayes`)
    -> the month's observed count and its forecast 90% range. `tier_shares`: (country, actor
    family or None for all actors, tier, measure) -> (events or deaths at the tier, in the whole
    country) in the month; a key missing means none at all. None when the run had no events
    (HDX aggregates only): tier shares were not measured.
    """

    series: dict[str, Band] = field(default_factory=dict)
    tier_shares: dict[tuple, tuple[float, float]] | None = None


@dataclass(frozen=True)
class BandCheck:
    """One detection month's verdict on an open episode: was its scope back in band?

    `observed`, `lower`, `upper`: what was compared (counts; for tier_shift, shares 0-1, and
    `observed` None when nothing happened in the country that month).
    """

    episode: str
    as_of: str
    in_band: bool
    observed: float | None
    lower: float | None
    upper: float | None


@dataclass(frozen=True)
class AlertRecord:
    """A stored alert with its lifecycle bookkeeping.

    `as_of` is the month (`YYYY-MM`) of the detection run that found it; `episode` the id of the
    first alert of its episode; `suppressed_by` the id of the stronger alert that held it back;
    `resolved_as_of` the month its episode was resolved. `alert.status` is the status it was
    found with (new or ongoing); `status` is the current one.
    """

    alert: Alert
    as_of: str
    episode: str
    suppressed_by: str | None = None
    resolved_as_of: str | None = None

    @property
    def incident(self) -> str | None:
        """The incident its alert was told in (None for alerts stored before incidents)."""
        return self.alert.incident

    @property
    def status(self) -> Status:
        return "resolved" if self.resolved_as_of is not None else self.alert.status

    def status_before(self, month: str) -> Status:
        """The status this alert had for a detection run of `month`."""
        if self.resolved_as_of is not None and self.resolved_as_of < month:
            return "resolved"
        return self.alert.status


@dataclass(frozen=True)
class LifecycleOutcome:
    """What one detection run reports and stores.

    `reported`: new and ongoing alerts and resolved notices, for the user. `records`: every alert
    found this month (suppressed ones too), to store. `resolved`: episode ids closed by this
    run; their stored alerts get `resolved_as_of`. `checks`: this month's back-in-band verdicts
    on open episodes of `BAND_KINDS`, to store for the next runs.
    """

    reported: list[Alert]
    records: list[AlertRecord]
    resolved: list[str]
    checks: list[BandCheck] = field(default_factory=list)


def apply_lifecycle(
    found: list[Alert],
    history: list[AlertRecord],
    as_of_month: str,
    rules: LifecycleRules,
    readings: MonthReadings | None = None,
    checks: Sequence[BandCheck] = (),
) -> LifecycleOutcome:
    """Decide new / ongoing / suppressed for the alerts found at `as_of_month` (`YYYY-MM`), and
    which earlier episodes are resolved, from the stored `history` and `checks` (runs of other
    months) and this month's `readings` (None: nothing measured, no episode of `BAND_KINDS`
    can be judged back in band this month)."""
    earlier = [record for record in history if record.as_of < as_of_month and record.suppressed_by is None]
    latest: dict[tuple, AlertRecord] = {}
    for record in sorted(earlier, key=lambda record: (record.as_of, record.alert.period)):
        latest[_episode_key(record.alert)] = record
    # A month in which an episode's alert was told within the all-actors alert (detection folds
    # actor families into it) counts as a month with an alert of the episode.
    for record in earlier:
        for key in _folded_episode_keys(record.alert):
            last = latest.get(key)
            if last is not None and record.as_of > last.as_of:
                latest[key] = dataclasses.replace(last, as_of=record.as_of)
    first = {record.episode: record.alert for record in earlier if record.alert.id == record.episode}

    reported, records = [], []
    for alert in _unique(found):
        key = _episode_key(alert)
        last = latest.get(key)
        if last is not None and _is_open(last, as_of_month, rules):
            ongoing = dataclasses.replace(alert, status="ongoing")
            reported.append(ongoing)
            records.append(AlertRecord(ongoing, as_of_month, last.episode))
            continue
        stronger = _stronger_recent(alert, earlier, as_of_month, rules.suppression_days)
        fresh = dataclasses.replace(alert, status="new")
        if stronger is not None:
            records.append(AlertRecord(fresh, as_of_month, fresh.id, suppressed_by=stronger.alert.id))
            continue
        reported.append(fresh)
        records.append(AlertRecord(fresh, as_of_month, fresh.id))

    found_keys = {_episode_key(alert) for alert in found} | {
        key for alert in found for key in _folded_episode_keys(alert)
    }
    verdicts: dict[str, dict[str, bool]] = {}
    for check in checks:
        if check.as_of < as_of_month:
            verdicts.setdefault(check.episode, {})[check.as_of] = check.in_band
    resolved, checks_now = [], []
    for key, last in latest.items():
        if key in found_keys or last.status_before(as_of_month) == "resolved":
            continue
        if last.alert.kind in BAND_KINDS:
            check = _judge(last, first.get(last.episode, last.alert), as_of_month, readings)
            if check is None:
                continue
            checks_now.append(check)
            months = _months_in_band(check, last, verdicts.get(last.episode, {}))
            if months < rules.resolve_after_months:
                continue
            reported.append(_back_in_band_notice(last, check, months))
        else:
            quiet_months = _months_between(last.as_of, as_of_month)
            if quiet_months < rules.resolve_after_months:
                continue
            reported.append(_resolved_notice(last, as_of_month, quiet_months))
        resolved.append(last.episode)
    return LifecycleOutcome(reported=reported, records=records, resolved=resolved, checks=checks_now)


def _is_open(last: AlertRecord, as_of_month: str, rules: LifecycleRules) -> bool:
    """Whether the episode of `last` (its latest alert) is still open for a run of `as_of_month`.
    Kinds without a band close by themselves after `resolve_after_months` without an alert (even
    when the run that would have resolved them was skipped)."""
    if last.status_before(as_of_month) == "resolved":
        return False
    return last.alert.kind in BAND_KINDS or _months_between(last.as_of, as_of_month) <= rules.resolve_after_months


def _judge(last: AlertRecord, first: Alert, as_of_month: str, readings: MonthReadings | None) -> BandCheck | None:
    """This month's verdict on the episode of `last` (its latest alert; `first` its first), or
    None when the readings cannot say. A tier shift is judged against the baseline of its first
    alert: the trailing baselines of later ones have absorbed part of the shift."""
    if readings is None:
        return None
    alert = last.alert
    if alert.kind == "tier_shift":
        if readings.tier_shares is None:
            return None
        lower, upper = _baseline_share_range(first)
        if lower is None:
            return None
        scope = alert.scope
        at_tier, total = readings.tier_shares.get(
            (scope.get("country"), scope.get("actor"), scope.get("tier"), alert.measure), (0.0, 0.0)
        )
        # Nothing at all in the country that month: no shift to speak of.
        share = at_tier / total if total > 0 else None
        in_band = share is None or lower <= share <= upper
        return BandCheck(last.episode, as_of_month, in_band, share, lower, upper)
    band = readings.series.get(_series_id(alert))
    if band is None:
        return None
    in_band = band.observed >= band.lower if alert.kind == "drop" else band.observed <= band.upper
    return BandCheck(last.episode, as_of_month, in_band, band.observed, band.lower, band.upper)


def _months_in_band(check: BandCheck, last: AlertRecord, verdicts: dict[str, bool]) -> int:
    """Consecutive months back in band up to and including this one, counted after the episode's
    last alert; a month without a verdict ends the count."""
    if not check.in_band:
        return 0
    months, month = 1, _previous_month(check.as_of)
    while month > last.as_of[:7] and verdicts.get(month) is True:
        months += 1
        month = _previous_month(month)
    return months


def _series_id(alert: Alert) -> str | None:
    """The detection series an alert of surge, drop or record is about: its evidence names it
    (`forecasting.series.series_id`); alerts stored before that, by their scope."""
    if "series_id" in alert.evidence:
        return alert.evidence["series_id"]
    from forecasting.series import series_id

    return series_id(alert.measure, alert.scope, alert.evidence.get("level"))


def _baseline_share_range(alert: Alert) -> tuple[float | None, float | None]:
    """The baseline 90% range of a tier-shift alert, as shares (its evidence since it is stored
    there; older alerts: their count range over the window's total)."""
    evidence = alert.evidence
    if "baseline_lower_share" in evidence and "baseline_upper_share" in evidence:
        return float(evidence["baseline_lower_share"]), float(evidence["baseline_upper_share"])
    total = evidence.get("total")
    if not total or alert.lower is None or alert.upper is None:
        return None, None
    return alert.lower / total, alert.upper / total


def _resolved_notice(last: AlertRecord, as_of_month: str, quiet_months: int) -> Alert:
    month = _month_words(as_of_month)
    kind_words = wording.kind_label(last.alert.kind).lower()
    sentence = last.alert.message.rstrip(".")
    message = f"Resolved in {month} after {quiet_months} months without a new {kind_words} alert: {sentence}."
    return dataclasses.replace(
        last.alert,
        status="resolved",
        severity="info",  # news that something ended is never urgent
        message=message,
        evidence={**last.alert.evidence, "episode": last.episode, "resolved_as_of": as_of_month,
                  "months_without_alert": quiet_months},
    )


def _back_in_band_notice(last: AlertRecord, check: BandCheck, months: int) -> Alert:
    month = _month_words(check.as_of)
    alert = last.alert
    if alert.kind == "tier_shift":
        now = "nothing there" if check.observed is None else f"a share of {wording.percent(check.observed)}"
        where = f"within its baseline range of {wording.percent(check.lower)}\u2013{wording.percent(check.upper)}"
    else:
        now = wording.count(check.observed)
        where = (
            f"at least the bottom of its 90% forecast range ({wording.count(check.lower)})" if alert.kind == "drop"
            else f"at most the top of its 90% forecast range ({wording.count(check.upper)})"
        )
    sentence = alert.message.rstrip(".")
    message = f"Resolved in {month} after {months} months back in band ({now} in {month}, {where}): {sentence}."
    return dataclasses.replace(
        alert,
        status="resolved",
        severity="info",  # news that something ended is never urgent
        message=message,
        evidence={**alert.evidence, "episode": last.episode, "resolved_as_of": check.as_of,
                  "months_in_band": months},
    )


def _stronger_recent(alert: Alert, earlier: list[AlertRecord], as_of_month: str, days: int) -> AlertRecord | None:
    """An earlier alert of the same kind, scope and measure, more severe, within `days`."""
    start = _period_start(as_of_month)
    key = _episode_key(alert)
    for record in sorted(earlier, key=lambda record: record.as_of, reverse=True):
        if _episode_key(record.alert) != key:
            continue
        if SEVERITY_ORDER[record.alert.severity] <= SEVERITY_ORDER[alert.severity]:
            continue
        if (start - _period_start(record.alert.period)).days <= days:
            return record
    return None


def _unique(alerts: list[Alert]) -> list[Alert]:
    """De-duplicate by id, keeping the strongest evidence."""
    by_id: dict[str, Alert] = {}
    for alert in alerts:
        if alert.id not in by_id or alert.score < by_id[alert.id].score:
            by_id[alert.id] = alert
    return list(by_id.values())


def _episode_key(alert: Alert) -> tuple:
    return (alert.kind, tuple(alert.scope.get(name) for name in SCOPE_KEYS), alert.measure)


def _folded_episode_keys(alert: Alert) -> list[tuple]:
    """Episode keys of the actor-family alerts told within `alert` (its `actor_families` evidence)."""
    return [
        (alert.kind, tuple(family["actor"] if name == "actor" else alert.scope.get(name) for name in SCOPE_KEYS),
         alert.measure)
        for family in alert.evidence.get("actor_families", ())
    ]


def _period_start(period: str) -> dt.date:
    return dt.date.fromisoformat(period if len(period) == 10 else f"{period}-01")


def _months_between(earlier: str, later: str) -> int:
    return months_between(_period_start(earlier[:7]), _period_start(later[:7]))


def _previous_month(month: str) -> str:
    year, number = int(month[:4]), int(month[5:7])
    return f"{year - 1:04d}-12" if number == 1 else f"{year:04d}-{number - 1:02d}"


def _month_words(month: str) -> str:
    return wording.month_name(month)
