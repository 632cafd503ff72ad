"""The Alert record: what a detector found, in the JSON shape other tools consume (DESIGN.md).

Detectors build Alerts; the store keeps them so their lifecycle (new, ongoing, resolved)
survives restarts; reports and emails render them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Kind = Literal["surge", "drop", "record", "tier_shift", "spread", "synchronized", "run_rate", "change_point"]
Severity = Literal["info", "warning", "critical"]
Status = Literal["new", "ongoing", "resolved"]

SCOPE_KEYS = ("country", "admin1", "admin2", "tier", "actor")
SEVERITY_ORDER = {"info": 0, "warning": 1, "critical": 2}


@dataclass(frozen=True)
class Alert:
    """One finding. `period` is `YYYY-MM` (a month) or `YYYY-MM-DD` (a day)."""

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
# An episode is a run of alerts of one kind, scope and measure in consecutive detection months
# (gaps of up to `resolve_after_months`). Its first alert is `new`, the later ones `ongoing`;
# once `resolve_after_months` months pass without it, a `resolved` notice closes it. A would-be
# new alert of lower severity than one of the same kind, scope and measure within
# `suppression_days` is suppressed: stored (so the history is complete) but not reported.
#
# Everything is decided from the stored history of *earlier* as-of months only, so rerunning a
# month gives the same answer however often it is run, and rerunning an old month is not
# disturbed by what later months decided.


@dataclass(frozen=True)
class LifecycleRules:
    """How long suppression lasts and when an episode is resolved (from config.yaml `detect:`)."""

    suppression_days: int = 180
    resolve_after_months: int = 2


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
    found this month (suppressed ones too), to store. `resolved`: (episode id, as-of month) of
    the episodes closed by this run; their stored alerts get `resolved_as_of`.
    """

    reported: list[Alert]
    records: list[AlertRecord]
    resolved: list[str]


def apply_lifecycle(
    found: list[Alert],
    history: list[AlertRecord],
    as_of_month: str,
    rules: LifecycleRules,
) -> LifecycleOutcome:
    """Decide new / ongoing / suppressed for the alerts found at `as_of_month` (`YYYY-MM`), and
    which earlier episodes are resolved, from the stored `history` (runs of other months)."""
    earlier = [record for record in history if record.as_of < as_of_month and record.suppressed_by is None]
    latest: dict[tuple, AlertRecord] = {}
    for record in sorted(earlier, key=lambda record: (record.as_of, record.alert.period)):
        latest[_episode_key(record.alert)] = record

    reported, records = [], []
    for alert in _unique(found):
        key = _episode_key(alert)
        last = latest.get(key)
        if (
            last is not None
            and last.status_before(as_of_month) != "resolved"
            and _months_between(last.as_of, as_of_month) <= rules.resolve_after_months
        ):
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

    found_keys = {_episode_key(alert) for alert in found}
    resolved = []
    for key, last in latest.items():
        if key in found_keys or last.status_before(as_of_month) == "resolved":
            continue
        quiet_months = _months_between(last.as_of, as_of_month)
        if quiet_months < rules.resolve_after_months:
            continue
        reported.append(_resolved_notice(last, as_of_month, quiet_months))
        resolved.append(last.episode)
    return LifecycleOutcome(reported=reported, records=records, resolved=resolved)


def _resolved_notice(last: AlertRecord, as_of_month: str, quiet_months: int) -> Alert:
    month = _month_words(as_of_month)
    kind_words = last.alert.kind.replace("_", " ")
    sentence = last.alert.message.rstrip(".")
    message = f"Resolved in {month} after {quiet_months} months without a new {kind_words} alert: {sentence}."
    return dataclasses.replace(
        last.alert,
        status="resolved",
        message=message,
        evidence={**last.alert.evidence, "episode": last.episode, "resolved_as_of": as_of_month,
                  "months_without_alert": quiet_months},
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


def _period_start(period: str) -> dt.date:
    return dt.date.fromisoformat(period if len(period) == 10 else f"{period}-01")


def _months_between(earlier: str, later: str) -> int:
    first, last = _period_start(earlier[:7]), _period_start(later[:7])
    return (last.year - first.year) * 12 + last.month - first.month


def _month_words(month: str) -> str:
    return _period_start(month).strftime("%B %Y")
