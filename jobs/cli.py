"""The `conflictwatch` command line.

Global options come before the command: `conflictwatch [--db URL] [--config PATH] COMMAND ...`.
Results go to stdout; logs and progress go to stderr. Errors a user can fix print one message
and exit 1; bugs still raise. Slow imports (pandas, statsmodels, prophet, matplotlib) happen
inside the commands that need them, so `--help` answers at once.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from forecasting.errors import ConflictwatchError
from jobs.config import Config, Secrets, database_url, find_config_path, load_config

if TYPE_CHECKING:
    from forecasting.gazetteer import Gazetteer
    from forecasting.store import Store

log = logging.getLogger("conflictwatch")

app = typer.Typer(
    name="conflictwatch",
    help="Trend and early-warning service for political-violence data (ACLED, UCDP GED).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
gazetteer_app = typer.Typer(help="Settlement tiers: inspect how places are matched to capitals and seats.")
app.add_typer(gazetteer_app, name="gazetteer")


@dataclass
class Session:
    """What every command gets: the configuration, the secrets and, on first use, the store."""

    config: Config
    secrets: Secrets
    db_url: str
    _store: Optional["Store"] = field(default=None, repr=False)
    _gazetteer: Optional["Gazetteer"] = field(default=None, repr=False)

    @property
    def store(self) -> "Store":
        if self._store is None:
            from forecasting.store import open_store

            self._store = open_store(self.db_url)
        return self._store

    @property
    def gazetteer(self) -> "Gazetteer":
        if self._gazetteer is None:
            from forecasting.gazetteer import load_gazetteer

            extra = [self.config.resolve(name) for name in self.config.gazetteer.extra_files]
            self._gazetteer = load_gazetteer(extra)
        return self._gazetteer

    def load_sample_if_empty(self) -> None:
        """Load the shipped synthetic sample into an empty store when config.yaml's
        data.sample_when_empty says so (it warns on stderr that the data are synthetic). The
        gazetteer is only loaded when the sample is."""
        from jobs.ingest import ingest_sample_if_empty, store_is_empty

        if self.config.data.sample_when_empty and store_is_empty(self.store):
            ingest_sample_if_empty(self.store, self.gazetteer, seat_radius_km=self.config.gazetteer.seat_radius_km)


class Level(str, Enum):
    area = "area"
    country = "country"
    admin1 = "admin1"
    admin2 = "admin2"
    tier = "tier"
    actor = "actor"


class Measure(str, Enum):
    fatalities = "fatalities"
    events = "events"


@app.callback()
def global_options(
    context: typer.Context,
    db: Annotated[
        Optional[str],
        typer.Option("--db", help="SQLAlchemy database URL (or env CONFLICTWATCH_DB); default: sqlite:///conflictwatch.db"),
    ] = None,
    config: Annotated[
        Optional[Path],
        typer.Option("--config", help="config.yaml to use (or env CONFLICTWATCH_CONFIG); default: ./config.yaml if present"),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log debug detail to stderr.")] = False,
) -> None:
    """Read the configuration once and set up logging; every command then runs with it."""
    parsed = load_config(find_config_path(config))
    secrets = Secrets.from_environment(parsed)
    configure_logging(verbose, secrets)
    context.obj = Session(config=parsed, secrets=secrets, db_url=database_url(db, parsed))


def session(context: typer.Context) -> Session:
    return context.obj


@app.command()
def ingest(
    context: typer.Context,
    files: Annotated[list[Path], typer.Argument(help="ACLED CSV exports or UCDP GED CSVs (.csv or .csv.gz)")],
    skip_invalid: Annotated[
        bool,
        typer.Option("--skip-invalid", help="Load the valid rows; write rejected rows with reasons to FILE.rejected.csv."),
    ] = False,
) -> None:
    """Load event files into the store (format detected from the header). Idempotent; all or nothing."""
    from jobs.ingest import ingest_files

    current = session(context)
    reports = ingest_files(
        current.store,
        files,
        current.gazetteer,
        seat_radius_km=current.config.gazetteer.seat_radius_km,
        skip_invalid=skip_invalid,
    )
    rows = [
        [str(r.file), r.format, r.rows_read, r.inserted, r.updated, r.unchanged, r.rejected]
        for r in reports
    ]
    print_table(["file", "format", "read", "inserted", "updated", "unchanged", "rejected"], rows)
    for report in reports:
        if report.rejects_file is not None:
            log.warning("%s: rejected rows and reasons are in %s", report.file, report.rejects_file)


@app.command()
def series(
    context: typer.Context,
    by: Annotated[Level, typer.Option("--by", help="Level of the series.")] = Level.country,
    measure: Annotated[Measure, typer.Option("--measure")] = Measure.fatalities,
    country: Annotated[Optional[list[str]], typer.Option("--country", help="Only this country (repeatable).")] = None,
    until: Annotated[Optional[str], typer.Option("--until", help="Last day to count, YYYY-MM-DD or YYYY-MM.")] = None,
    csv: Annotated[bool, typer.Option("--csv", help="Print CSV (series_id, period, value, scope columns).")] = False,
) -> None:
    """Print the zero-filled monthly series of fatalities or events."""
    from forecasting.series import load_series

    current = session(context)
    countries = list(country) if country else None
    if countries:
        require_stored_countries(current.store, countries)
    frame = load_series(current.store, by.value, measure.value, countries=countries, until=parse_until(until))
    frame = frame.assign(period=frame["period"].dt.strftime("%Y-%m"))
    if csv:
        frame.to_csv(sys.stdout, index=False, lineterminator="\n")
        return
    shown = frame[["series_id", "period", "value"]]
    print_table(list(shown.columns), shown.values.tolist(), title=f"Monthly {measure.value} by {by.value}")


@gazetteer_app.command("check")
def gazetteer_check(
    context: typer.Context,
    limit: Annotated[int, typer.Option("--limit", help="How many places to list.")] = 20,
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


def parse_until(text: str | None):
    """YYYY-MM-DD is that day; YYYY-MM is the last day of that month."""
    import datetime as dt

    import pandas as pd

    if text is None:
        return None
    try:
        if len(text) == 7:
            return (pd.Period(text, freq="M").end_time).date()
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ConflictwatchError(f"not a date: {text!r}; use YYYY-MM or YYYY-MM-DD") from None


def require_stored_countries(store: "Store", countries: list[str]) -> None:
    """Raise ConflictwatchError naming any asked country the store holds nothing for, and listing
    the ones it does: a misspelt name would otherwise print an empty series."""
    from forecasting.store import events as stored_events

    held = stored_events.stored_countries(store)
    unknown = [name for name in countries if name not in held]
    if not unknown:
        return
    asked = ", ".join(repr(name) for name in unknown)
    if not held:
        raise ConflictwatchError(
            f"the store holds no data for {asked}, nor for any country: load some with `conflictwatch ingest FILE`"
        )
    raise ConflictwatchError(
        f"the store holds no data for {asked}; it holds {', '.join(held)} (names must match exactly)"
    )


def print_table(columns: list[str], rows: list[list], title: str | None = None) -> None:
    """A table on stdout: rich on a terminal, tab-separated otherwise (easy to pipe)."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if not console.is_terminal:
        typer.echo("\t".join(columns))
        for row in rows:
            typer.echo("\t".join("" if value is None else str(value) for value in row))
        return
    table = Table(title=title)
    for name in columns:
        table.add_column(name)
    for row in rows:
        table.add_row(*("" if value is None else str(value) for value in row))
    console.print(table)


class _RedactSecrets(logging.Filter):
    """Belt and braces: no secret value reaches a log line, whatever code logged it."""

    def __init__(self, secrets: list[str]):
        super().__init__()
        self._secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = self._redact(record.getMessage()), None
        # A traceback (log.exception, exc_info=) can quote a secret too, e.g. in an exception's
        # message: format it here, scrub it, and clear exc_info so the handler does not format
        # it again from the exception.
        if record.exc_info:
            if not record.exc_text:
                record.exc_text = _TRACEBACK_FORMATTER.formatException(record.exc_info)
            record.exc_info = None
        if record.exc_text:
            record.exc_text = self._redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self._redact(record.stack_info)
        return True

    def _redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text


_TRACEBACK_FORMATTER = logging.Formatter()


def configure_logging(verbose: bool, secrets: Secrets) -> None:
    """Logging goes to stderr, configured here once; library code only has module loggers."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S"))
    handler.addFilter(_RedactSecrets(secrets.values()))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    # Prophet and CmdStan are chatty at INFO; they speak only when something is wrong.
    for noisy in ("cmdstanpy", "prophet", "matplotlib", "fontTools", "alembic", "httpx", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if verbose and noisy != "matplotlib" else logging.WARNING)


def main() -> None:
    """Console-script entry point: user errors become one message and exit code 1."""
    try:
        app()
    except ConflictwatchError as error:
        typer.echo(f"error: {error}", err=True)
        sys.exit(1)


def _register_command_modules() -> None:
    import importlib
    import pkgutil

    import jobs.commands

    for module in pkgutil.iter_modules(jobs.commands.__path__):
        importlib.import_module(f"jobs.commands.{module.name}")


_register_command_modules()
