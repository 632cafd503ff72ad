"""`conflictwatch detect` and `conflictwatch alerts`.

Imported at start-up by `jobs.cli`: nothing slow at the top level (pandas, scipy, sqlalchemy are
imported inside the commands).
"""

from __future__ import annotations

import json
import logging
from enum import Enum
from typing import Annotated, Optional

import typer

from jobs.cli import app, print_table, session

log = logging.getLogger(__name__)

alerts_app = typer.Typer(
    invoke_without_command=True,
    help="Stored alerts: list them (default), or act on one.",
)
app.add_typer(alerts_app, name="alerts")


class AlertStatus(str, Enum):
    new = "new"
    ongoing = "ongoing"
    resolved = "resolved"


@app.command()
def detect(
    context: typer.Context,
    as_of: Annotated[
        str,
        typer.Option("--as-of", help="Month (YYYY-MM) or day (YYYY-MM-DD) to assess; no later event is used."),
    ],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the alerts as one JSON array on stdout (nothing else).")
    ] = False,
) -> None:
    """Alerts for a month (or the part of a month up to a day): surges, drops, records, tier
    shifts, spread, synchronized waves, run rates and change points. Stores them."""
    from jobs.detect import run_detection

    current = session(context)
    current.load_sample_if_empty()
    result = run_detection(current.store, current.config, as_of)
    if as_json:
        typer.echo(alerts_json([alert.to_json() for alert in result.alerts]))
        return
    rows = [
        [
            alert.severity,
            alert.status,
            alert.kind,
            alert.period,
            scope_text(alert.scope),
            alert.measure,
            _number(alert.observed),
            _number(alert.expected),
            _range(alert.lower, alert.upper),
            alert.message,
        ]
        for alert in result.alerts
    ]
    print_table(
        ["severity", "status", "kind", "period", "scope", "measure", "observed", "expected", "90% range", "message"],
        rows,
        title=f"Alerts as of {result.as_of.text} ({len(rows)})",
    )


@alerts_app.callback()
def alerts(
    context: typer.Context,
    status: Annotated[
        Optional[AlertStatus], typer.Option("--status", help="Only alerts with this current status.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON array on stdout.")] = False,
) -> None:
    """List stored alerts, newest month first (suppressed ones are not listed)."""
    if context.invoked_subcommand is not None:
        return
    from forecasting.store import alerts as stored_alerts

    current = session(context)
    records = stored_alerts.list_alerts(current.store, status=status.value if status else None)
    if as_json:
        listed = []
        for record in records:
            listed.append({**record.alert.to_json(), "status": record.status, "as_of": record.as_of,
                           "episode": record.episode})
        typer.echo(alerts_json(listed))
        return
    rows = [
        [
            record.alert.id,
            record.as_of,
            record.status,
            record.alert.severity,
            record.alert.kind,
            record.alert.period,
            scope_text(record.alert.scope),
            record.alert.measure,
            record.alert.message,
        ]
        for record in records
    ]
    print_table(
        ["id", "as_of", "status", "severity", "kind", "period", "scope", "measure", "message"],
        rows,
        title=f"Stored alerts ({len(rows)})",
    )


def alerts_json(alerts: list[dict]) -> str:
    """The alerts as one JSON array (numpy numbers in evidence become plain numbers)."""
    return json.dumps(alerts, ensure_ascii=False, indent=2, default=_plain)


def scope_text(scope: dict) -> str:
    """'Burkina Faso / Est / tier=admin2_capital / actor=JNIM', or 'area' for the whole area."""
    parts = [scope[name] for name in ("country", "admin1", "admin2") if scope.get(name)]
    parts += [f"{name}={scope[name]}" for name in ("tier", "actor") if scope.get(name)]
    return " / ".join(parts) or "area"


def _plain(value):
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def _number(value) -> str:
    if value is None:
        return ""
    return f"{value:,.0f}" if value >= 10 else f"{value:.1f}".rstrip("0").rstrip(".")


def _range(lower, upper) -> str:
    if lower is None or upper is None:
        return ""
    return f"{_number(lower)}-{_number(upper)}"
