"""Stored alerts: what each detection run found, so that new / ongoing / resolved survives restarts.

One row per alert id (kind, scope, measure, period), and one per open episode and detection month
saying whether its scope was back in band (`alert_band_checks`); one per incident and detection
month that told it (`incidents`). A rerun of an as-of month
replaces that month's rows, so the store always holds the latest answer for each month.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from forecasting.alerts import SCOPE_KEYS, Alert, AlertRecord, BandCheck
from forecasting.incidents import Incident
from forecasting.store.base import Base, Store


class StoredAlert(Base):
    __tablename__ = "alerts"
    __table_args__ = (sa.Index(None, "as_of"), sa.Index(None, "episode"), sa.Index(None, "incident"))

    id: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    country: Mapped[str | None] = mapped_column(sa.Text)
    admin1: Mapped[str | None] = mapped_column(sa.Text)
    admin2: Mapped[str | None] = mapped_column(sa.Text)
    tier: Mapped[str | None] = mapped_column(sa.String(20))
    actor: Mapped[str | None] = mapped_column(sa.Text)
    measure: Mapped[str] = mapped_column(sa.String(16))
    period: Mapped[str] = mapped_column(sa.String(10))
    as_of: Mapped[str] = mapped_column(sa.String(7))
    observed: Mapped[float] = mapped_column(sa.Float)
    expected: Mapped[float | None] = mapped_column(sa.Float)
    lower: Mapped[float | None] = mapped_column(sa.Float)
    upper: Mapped[float | None] = mapped_column(sa.Float)
    score: Mapped[float] = mapped_column(sa.Float)
    severity: Mapped[str] = mapped_column(sa.String(10))
    status: Mapped[str] = mapped_column(sa.String(10))
    message: Mapped[str] = mapped_column(sa.Text)
    evidence: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    episode: Mapped[str] = mapped_column(sa.String(80))
    suppressed_by: Mapped[str | None] = mapped_column(sa.String(80))
    resolved_as_of: Mapped[str | None] = mapped_column(sa.String(7))
    incident: Mapped[str | None] = mapped_column(sa.String(80))
    driving_events: Mapped[list[dict[str, Any]] | None] = mapped_column(sa.JSON)


class StoredIncident(Base):
    """One incident as one detection month told it (`as_of`); its latest row is its current state."""

    __tablename__ = "incidents"
    __table_args__ = (sa.Index(None, "as_of"),)

    id: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    as_of: Mapped[str] = mapped_column(sa.String(7), primary_key=True)
    opened: Mapped[str] = mapped_column(sa.String(7))
    status: Mapped[str] = mapped_column(sa.String(10))
    severity: Mapped[str] = mapped_column(sa.String(10))
    lead: Mapped[str] = mapped_column(sa.String(80))
    title: Mapped[str] = mapped_column(sa.Text)
    message: Mapped[str] = mapped_column(sa.Text)
    # The incident's JSON (Incident.to_json): places, member ids, driving events.
    record: Mapped[dict[str, Any]] = mapped_column(sa.JSON)


class StoredBandCheck(Base):
    __tablename__ = "alert_band_checks"

    episode: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    as_of: Mapped[str] = mapped_column(sa.String(7), primary_key=True)
    in_band: Mapped[bool] = mapped_column(sa.Boolean)
    observed: Mapped[float | None] = mapped_column(sa.Float)
    lower: Mapped[float | None] = mapped_column(sa.Float)
    upper: Mapped[float | None] = mapped_column(sa.Float)


_TABLE = StoredAlert.__table__
_CHECKS = StoredBandCheck.__table__
_INCIDENTS = StoredIncident.__table__


def save_detection(
    store: Store,
    as_of_month: str,
    records: list[AlertRecord],
    resolved_episodes: list[str],
    checks: list[BandCheck] = (),
    incidents: list[Incident] = (),
) -> None:
    """Store one detection run of `as_of_month` (`YYYY-MM`) in one transaction.

    The month's earlier rows, band checks, incidents and the resolutions it made are replaced;
    `records`, `checks` and `incidents` are inserted; the alerts of `resolved_episodes` are
    marked resolved as of this month (an earlier resolution of the same episode wins).
    """
    rows = [_row(record) for record in records]
    with store.engine.begin() as connection:
        connection.execute(sa.delete(_TABLE).where(_TABLE.c.as_of == as_of_month))
        connection.execute(sa.delete(_CHECKS).where(_CHECKS.c.as_of == as_of_month))
        connection.execute(sa.delete(_INCIDENTS).where(_INCIDENTS.c.as_of == as_of_month))
        if incidents:
            connection.execute(sa.insert(_INCIDENTS), [
                {"id": incident.id, "as_of": incident.as_of, "opened": incident.opened, "status": incident.status,
                 "severity": incident.severity, "lead": incident.lead.id, "title": incident.title,
                 "message": incident.message, "record": incident.to_json()}
                for incident in incidents
            ])
        if checks:
            connection.execute(sa.insert(_CHECKS), [
                {"episode": check.episode, "as_of": check.as_of, "in_band": check.in_band,
                 "observed": check.observed, "lower": check.lower, "upper": check.upper}
                for check in checks
            ])
        connection.execute(
            sa.update(_TABLE).where(_TABLE.c.resolved_as_of == as_of_month).values(resolved_as_of=None)
        )
        if rows:
            connection.execute(sa.delete(_TABLE).where(_TABLE.c.id.in_([row["id"] for row in rows])))
            connection.execute(sa.insert(_TABLE), rows)
        if resolved_episodes:
            connection.execute(
                sa.update(_TABLE)
                .where(_TABLE.c.episode.in_(resolved_episodes))
                .where(sa.or_(_TABLE.c.resolved_as_of.is_(None), _TABLE.c.resolved_as_of > as_of_month))
                .values(resolved_as_of=as_of_month)
            )


def load_alert_history(store: Store, *, before: str | None = None) -> list[AlertRecord]:
    """Stored alerts found by runs of months before `before` (`YYYY-MM`; None: all), oldest first."""
    query = sa.select(_TABLE).order_by(_TABLE.c.as_of, _TABLE.c.period, _TABLE.c.id)
    if before is not None:
        query = query.where(_TABLE.c.as_of < before)
    with store.engine.connect() as connection:
        return [_record(row) for row in connection.execute(query).mappings()]


def load_band_checks(store: Store, *, before: str | None = None) -> list[BandCheck]:
    """Stored back-in-band verdicts of detection months before `before` (`YYYY-MM`; None: all)."""
    query = sa.select(_CHECKS).order_by(_CHECKS.c.as_of, _CHECKS.c.episode)
    if before is not None:
        query = query.where(_CHECKS.c.as_of < before)
    with store.engine.connect() as connection:
        return [
            BandCheck(row["episode"], row["as_of"], bool(row["in_band"]), row["observed"], row["lower"], row["upper"])
            for row in connection.execute(query).mappings()
        ]


def list_alerts(store: Store, *, status: str | None = None, include_suppressed: bool = False) -> list[AlertRecord]:
    """Stored alerts, newest month first then most severe; `status` new, ongoing or resolved
    (the current status: an alert whose episode was resolved is `resolved`)."""
    query = sa.select(_TABLE)
    if not include_suppressed:
        query = query.where(_TABLE.c.suppressed_by.is_(None))
    if status == "resolved":
        query = query.where(_TABLE.c.resolved_as_of.is_not(None))
    elif status is not None:
        query = query.where(_TABLE.c.resolved_as_of.is_(None), _TABLE.c.status == status)
    severity_rank = sa.case({"critical": 0, "warning": 1, "info": 2}, value=_TABLE.c.severity, else_=3)
    query = query.order_by(_TABLE.c.as_of.desc(), severity_rank, _TABLE.c.score, _TABLE.c.id)
    with store.engine.connect() as connection:
        return [_record(row) for row in connection.execute(query).mappings()]


def list_incidents(store: Store, *, status: str | None = None) -> list[dict[str, Any]]:
    """Every stored incident as its latest detection month told it (`Incident.to_json`), newest
    month first, then most severe; `status` new, ongoing or resolved (that latest status)."""
    latest = (
        sa.select(_INCIDENTS.c.id, sa.func.max(_INCIDENTS.c.as_of).label("as_of")).group_by(_INCIDENTS.c.id).subquery()
    )
    query = sa.select(_INCIDENTS.c.record, _INCIDENTS.c.status).join(
        latest, sa.and_(_INCIDENTS.c.id == latest.c.id, _INCIDENTS.c.as_of == latest.c.as_of)
    )
    if status is not None:
        query = query.where(_INCIDENTS.c.status == status)
    severity_rank = sa.case({"critical": 0, "warning": 1, "info": 2}, value=_INCIDENTS.c.severity, else_=3)
    query = query.order_by(_INCIDENTS.c.as_of.desc(), severity_rank, _INCIDENTS.c.id)
    with store.engine.connect() as connection:
        return [dict(row["record"]) for row in connection.execute(query).mappings()]


def get_alert(store: Store, alert_id: str) -> AlertRecord | None:
    """One stored alert by id, or None."""
    with store.engine.connect() as connection:
        row = connection.execute(sa.select(_TABLE).where(_TABLE.c.id == alert_id)).mappings().first()
    return _record(row) if row is not None else None


def _row(record: AlertRecord) -> dict[str, Any]:
    alert = record.alert
    return {
        "id": alert.id,
        "kind": alert.kind,
        **{name: alert.scope.get(name) for name in SCOPE_KEYS},
        "measure": alert.measure,
        "period": alert.period,
        "as_of": record.as_of,
        "observed": float(alert.observed),
        "expected": None if alert.expected is None else float(alert.expected),
        "lower": None if alert.lower is None else float(alert.lower),
        "upper": None if alert.upper is None else float(alert.upper),
        "score": float(alert.score),
        "severity": alert.severity,
        "status": alert.status,
        "message": alert.message,
        "evidence": alert.evidence,
        "episode": record.episode,
        "suppressed_by": record.suppressed_by,
        "resolved_as_of": record.resolved_as_of,
        "incident": alert.incident,
        "driving_events": list(alert.driving_events),
    }


def _record(row) -> AlertRecord:
    alert = Alert(
        kind=row["kind"],
        scope={name: row[name] for name in SCOPE_KEYS},
        measure=row["measure"],
        period=row["period"],
        observed=row["observed"],
        expected=row["expected"],
        lower=row["lower"],
        upper=row["upper"],
        score=row["score"],
        severity=row["severity"],
        message=row["message"],
        status=row["status"],
        evidence=dict(row["evidence"] or {}),
        incident=row["incident"],
        driving_events=list(row["driving_events"] or []),
    )
    return AlertRecord(
        alert=alert,
        as_of=row["as_of"],
        episode=row["episode"],
        suppressed_by=row["suppressed_by"],
        resolved_as_of=row["resolved_as_of"],
    )


__all__ = ["get_alert", "list_alerts", "list_incidents", "load_alert_history", "load_band_checks", "save_detection"]
