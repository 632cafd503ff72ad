"""`conflictwatch alerts`: list stored alerts (the default) and `alerts approve ID...`.

Nothing slow at the top level.
"""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from forecasting.errors import ConflictwatchError
from jobs.commands.options import choices
from jobs.commands.output import print_json, print_table
from jobs.session import session

app = typer.Typer(invoke_without_command=True, help="Stored alerts: list them (default), or approve held ones.")


# An alert's or incident's current status (forecasting.alerts.Status, which loads pandas).
AlertStatus = choices("AlertStatus", ("new", "ongoing", "resolved"))


@app.callback()
def alerts(
    context: typer.Context,
    status: Annotated[
        Optional[AlertStatus], typer.Option("--status", help="Only alerts with this current status.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON array on stdout.")] = False,
    incidents: Annotated[
        bool, typer.Option("--incidents", help="List incidents (the alerts of a month that tell one story) instead.")
    ] = False,
) -> None:
    """List stored alerts, newest month first (suppressed ones are not listed); with
    --incidents, each incident as the latest month told it."""
    if context.invoked_subcommand is not None:
        return
    from forecasting.store import alerts as stored_alerts

    current = session(context)
    if incidents:
        listed = stored_alerts.list_incidents(current.store, status=status.value if status else None)
        if as_json:
            print_json(marked_synthetic(current.store, listed))
            return
        print_table(
            ["id", "as_of", "opened", "status", "severity", "alerts", "title", "message"],
            [[incident["id"], incident["as_of"], incident["opened"], incident["status"], incident["severity"],
              len(incident["members"]), incident["title"], incident["message"]] for incident in listed],
            title=f"Stored incidents ({len(listed)})",
        )
        return
    records = stored_alerts.list_alerts(current.store, status=status.value if status else None)
    if as_json:
        print_json(marked_synthetic(current.store, [
            {**record.alert.to_json(), "status": record.status, "as_of": record.as_of, "episode": record.episode}
            for record in records
        ]))
        return
    rows = [
        [record.alert.id, record.as_of, record.status, record.alert.severity, record.alert.kind,
         record.alert.period, scope_text(record.alert.scope), record.alert.measure, record.alert.message]
        for record in records
    ]
    print_table(
        ["id", "as_of", "status", "severity", "kind", "period", "scope", "measure", "message"],
        rows,
        title=f"Stored alerts ({len(rows)})",
    )


@app.command("approve")
def approve(
    context: typer.Context,
    alert_ids: Annotated[
        list[str], typer.Argument(help="Alert ids, as `conflictwatch alerts` lists them.", metavar="ID...", show_default=False)
    ],
) -> None:
    """Approve alerts held for review (email.require_review): their emails are sent now, and so is a
    held report email once every alert it waits for is approved."""
    from forecasting.store import alerts as stored_alerts
    from forecasting.store import outbox
    from jobs.notify import deliver_outbox, reviewer_name

    current = session(context)
    unknown = [alert_id for alert_id in alert_ids if stored_alerts.get_alert(current.store, alert_id) is None]
    if unknown:
        raise ConflictwatchError(f"no stored alert with id {', '.join(unknown)}; `conflictwatch alerts` lists them")
    released = 0
    for alert_id in alert_ids:
        count = outbox.approve_alert(current.store, alert_id, reviewer_name())
        released += count
        typer.echo(f"{alert_id}: approved; {count} held message(s) released")
    if released and current.config.email.enabled:
        result = deliver_outbox(current.store, current.config.email, current.secrets)
        typer.echo(f"{result.sent} sent, {result.remaining} waiting")


def marked_synthetic(store, alerts: list[dict]) -> list[dict]:
    """Alerts as JSON with the contract's `synthetic` field: true when they were made from the
    shipped synthetic sample (the store holds it; real data replace it with all it made)."""
    from forecasting.store.events import holds_synthetic_sample

    synthetic = holds_synthetic_sample(store) if alerts else False
    return [{**alert, "synthetic": synthetic} for alert in alerts]


def alert_columns() -> list[str]:
    """The columns of `alert_row`, as a table header."""
    return ["severity", "status", "kind", "period", "scope", "measure", "observed", "expected", "90% range", "incident",
            "message"]


def alert_row(alert) -> list:
    """One alert as a table row (see `alert_columns`)."""
    return [
        alert.severity,
        alert.status,
        alert.kind,
        alert.period,
        scope_text(alert.scope),
        alert.measure,
        _number(alert.observed),
        _number(alert.expected),
        _range(alert.lower, alert.upper),
        alert.incident or "",
        alert.message,
    ]


def scope_text(scope: dict) -> str:
    """'Burkina Faso / Est / tier=admin2_capital / actor=JNIM', or 'area' for the whole area."""
    parts = [scope[name] for name in ("country", "admin1", "admin2") if scope.get(name)]
    parts += [f"{name}={scope[name]}" for name in ("tier", "actor") if scope.get(name)]
    return " / ".join(parts) or "area"


def _number(value) -> str:
    from forecasting.wording import count

    return "" if value is None else count(value)


def _range(lower, upper) -> str:
    from forecasting.wording import value_range

    return "" if lower is None or upper is None else value_range(lower, upper)
