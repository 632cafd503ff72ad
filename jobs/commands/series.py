"""`conflictwatch series`: print the zero-filled monthly series."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from jobs.commands.options import COUNTRY_HELP, LEVEL_HELP, Level, Measure, stored_country_names
from jobs.commands.output import print_csv, print_table
from jobs.session import session

app = typer.Typer()


@app.command()
def series(
    context: typer.Context,
    level: Annotated[Level, typer.Option("--level", "--by", help=LEVEL_HELP)] = Level.country,
    measure: Annotated[
        Measure,
        typer.Option("--measure", help="What is counted: political-violence fatalities or events, or demonstrations."),
    ] = Measure.fatalities,
    country: Annotated[Optional[list[str]], typer.Option("--country", help=COUNTRY_HELP)] = None,
    as_of: Annotated[
        Optional[str],
        typer.Option("--as-of", "--until", help="Last day counted: YYYY-MM-DD, or YYYY-MM for that month's last day."),
    ] = None,
    csv: Annotated[bool, typer.Option("--csv", help="Print CSV (series_id, period, value, scope columns).")] = False,
) -> None:
    """Print the zero-filled monthly series of political-violence fatalities or events, or of
    demonstrations (protests and riots)."""
    from forecasting.series import load_series

    current = session(context)
    current.load_sample_if_empty()
    countries = stored_country_names(current.store, country)
    frame = load_series(current.store, level.value, measure.value, countries=countries, until=last_day(as_of))
    frame = frame.assign(period=frame["period"].dt.strftime("%Y-%m"))
    if csv:
        print_csv(frame)
        return
    shown = frame[["series_id", "period", "value"]]
    print_table(list(shown.columns), shown.values.tolist(), title=f"Monthly {measure.value} by {level.value}")


def last_day(text: str | None):
    """--as-of as the last day counted: YYYY-MM-DD is that day; YYYY-MM the last day of that month."""
    from forecasting.as_of import parse_as_of

    return None if text is None else parse_as_of(text).day
