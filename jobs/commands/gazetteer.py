"""`conflictwatch gazetteer check`: how places are matched to capitals and seats."""

from __future__ import annotations

from typing import Annotated

import typer

from jobs.commands.output import print_table
from jobs.session import session

app = typer.Typer(help="Settlement tiers: inspect how places are matched to capitals and seats.", no_args_is_help=True)


@app.command("check")
def check(
    context: typer.Context,
    limit: Annotated[int, typer.Option("--limit", min=1, help="How many places to list.")] = 20,
) -> None:
    """List the most frequent stored locations that look like seats but matched no gazetteer entry."""
    from forecasting.gazetteer import unmatched_seat_candidates
    from forecasting.store import events as stored_events

    current = session(context)
    columns = ["country", "admin1", "admin2", "admin3", "location", "latitude", "longitude", "tier"]
    events = stored_events.load_events(current.store, columns=columns)
    candidates = unmatched_seat_candidates(events, current.gazetteer, limit=limit)
    if candidates.empty:
        typer.echo("Every location that looks like a seat matched the gazetteer.")
        return
    print_table(list(candidates.columns), candidates.values.tolist(), title="Possible seats missing from the gazetteer")
