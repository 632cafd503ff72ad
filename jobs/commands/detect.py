"""`conflictwatch detect --as-of ...`: alerts for a month or part of one.

Nothing slow at the top level (pandas, scipy, sqlalchemy are imported inside the command).
"""

from __future__ import annotations

from typing import Annotated

import typer

from jobs.commands.alerts import alert_columns, alert_row
from jobs.commands.output import print_json, print_table
from jobs.session import session

app = typer.Typer()


@app.command()
def detect(
    context: typer.Context,
    as_of: Annotated[
        str,
        typer.Option("--as-of", help="Month (YYYY-MM) or day (YYYY-MM-DD) to assess; no later event is used.", show_default=False),
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
        print_json([alert.to_json() for alert in result.alerts])
        return
    rows = [alert_row(alert) for alert in result.alerts]
    print_table(alert_columns(), rows, title=f"Alerts as of {result.as_of.text} ({len(rows)})")
