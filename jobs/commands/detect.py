"""`conflictwatch detect --as-of ...`: alerts for a month or part of one; `--from --to`: every
month of a run in order, in one pass (a backfill).

Nothing slow at the top level (pandas, scipy, sqlalchemy are imported inside the command).
"""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from jobs.commands.alerts import alert_columns, alert_row, marked_synthetic
from jobs.commands.options import LAST_MONTH_HELP
from jobs.commands.output import print_json, print_table
from jobs.session import session

app = typer.Typer()


@app.command()
def detect(
    context: typer.Context,
    as_of: Annotated[
        Optional[str],
        typer.Option("--as-of", help="Month (YYYY-MM) or day (YYYY-MM-DD) to assess; no later event is used.", show_default=False),
    ] = None,
    first: Annotated[
        Optional[str],
        typer.Option("--from", help="First month (YYYY-MM) of a run to assess in order, as --as-of month by month would.",
                     show_default=False),
    ] = None,
    last: Annotated[
        Optional[str], typer.Option("--to", help=LAST_MONTH_HELP, show_default=False)
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the alerts as one JSON array on stdout (nothing else).")
    ] = False,
) -> None:
    """Alerts for a month (or the part of a month up to a day): surges, drops, records, tier
    shifts, spread, synchronized waves, run rates and change points. Stores them.

    With --from and --to, every month of the run in order (each stored before the next is
    assessed, so the lifecycle is that of month-by-month runs), progress on stderr; --json prints
    one array of every month's alerts."""
    if (as_of is None) == (first is None and last is None) or (first is None) != (last is None):
        raise typer.BadParameter("give either --as-of, or both --from and --to", param_hint="--as-of / --from --to")
    current = session(context)
    current.load_sample_if_empty()
    if as_of is None:
        _detect_months(current, first, last, as_json)
        return
    from jobs.detect import run_detection

    result = run_detection(current.store, current.config, as_of)
    if as_json:
        print_json(marked_synthetic(current.store, [alert.to_json() for alert in result.alerts]))
        return
    rows = [alert_row(alert) for alert in result.alerts]
    print_table(alert_columns(), rows, title=f"Alerts as of {result.as_of.text} ({len(rows)})")


def _detect_months(current, first: str, last: str, as_json: bool) -> None:
    from jobs.detect import run_detections
    from jobs.progress import Progress

    progress = Progress("detect")
    results = run_detections(
        current.store, current.config, first, last,
        on_month=lambda done, total, result: progress.step(done, total, f"{result.as_of.text}: {len(result.alerts)} alerts"),
    )
    alerts = [alert for result in results for alert in result.alerts]
    if as_json:
        print_json(marked_synthetic(current.store, [alert.to_json() for alert in alerts]))
        return
    rows = [alert_row(alert) for alert in alerts]
    print_table(alert_columns(), rows, title=f"Alerts from {results[0].as_of.text} to {results[-1].as_of.text} ({len(rows)})")
