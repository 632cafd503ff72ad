"""The `conflictwatch` command line: global options, the commands added by name, one error handler.

Global options come before the command: `conflictwatch [--db URL] [--config PATH] [-v] COMMAND ...`.
Each module of `jobs/commands/` builds its own Typer app; this module adds them by name (no
registration by import). Results go to stdout; logs and progress go to stderr.

Exit codes (docs/cli.md): 0 done; 1 an error the user can fix (a bad file, config, database,
folder or value), printed as one line naming the thing and what to do; 2 a usage error (unknown
command or option, a value not among the choices), printed by the parser with the usage; 3 a bug
in conflictwatch, printed with its traceback and a line saying it is a bug; 130 or 143 stopped by
SIGINT or SIGTERM, after closing what was open (jobs/shutdown.py). With -v a user error
also shows its traceback. Slow imports (pandas, statsmodels, prophet, matplotlib) happen inside
the commands that need them, so `--help` answers at once.
"""

from __future__ import annotations

import logging
import os
import sys
import traceback
from pathlib import Path
from typing import Annotated, Optional

import typer

from forecasting.errors import ConflictwatchError
from forecasting.redaction import redact
from jobs.commands import alerts, detect, forecast, gazetteer, ingest, outbox, pull, report, series, service
from jobs.config import Config, Secrets, database_url, find_config_path, load_config
from jobs.session import Session

log = logging.getLogger("conflictwatch")

#: Exit codes, as docs/cli.md and the README list them.
EXIT_OK, EXIT_USER_ERROR, EXIT_USAGE, EXIT_BUG = 0, 1, 2, 3

app = typer.Typer(
    name="conflictwatch",
    help="Trend and early-warning service for political-violence data (ACLED, UCDP GED).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
# Commands, in the order `--help` lists them; a group (several subcommands) is added under its name.
app.add_typer(ingest.app)
app.add_typer(pull.app)
app.add_typer(series.app)
app.add_typer(forecast.app)
app.add_typer(detect.app)
app.add_typer(alerts.app, name="alerts")
app.add_typer(report.app)
app.add_typer(service.app)
app.add_typer(outbox.app, name="outbox")
app.add_typer(gazetteer.app, name="gazetteer")


class _Invocation:
    """What the error handler needs to know about the command being run: set by the global options."""

    verbose = False
    secrets: list[str] = []


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
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Log debug detail to stderr; show the traceback of any error.")
    ] = False,
) -> None:
    """Read the configuration once and set up logging; every command then runs with it."""
    from jobs.shutdown import stop_on_signals

    # From here on SIGTERM and SIGINT unwind cleanly (rollback, runs closed): see jobs/shutdown.py.
    stop_on_signals()
    _Invocation.verbose = verbose
    parsed = load_config(find_config_path(config))
    secrets = Secrets.from_environment(parsed)
    _Invocation.secrets = secrets.values()
    configure_logging(verbose, secrets)
    context.obj = Session(config=parsed, secrets=secrets, db_url=database_url(db, parsed))


class _RedactSecrets(logging.Filter):
    """Belt and braces: no secret value reaches a log line, whatever code logged it."""

    def __init__(self, secrets: list[str]):
        super().__init__()
        self._secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = redact(record.getMessage(), self._secrets), None
        # A traceback (log.exception, exc_info=) can quote a secret too, e.g. in an exception's
        # message: format it here, scrub it, and clear exc_info so the handler does not format
        # it again from the exception.
        if record.exc_info:
            if not record.exc_text:
                record.exc_text = _TRACEBACK_FORMATTER.formatException(record.exc_info)
            record.exc_info = None
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self._secrets)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, self._secrets)
        return True


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
    """Console-script entry point: runs the command and turns what it raises into one line and
    an exit code (see the module docstring)."""
    from jobs.shutdown import Interrupted

    try:
        app()
    except Exception as error:  # noqa: BLE001 - the one place every error is turned into a line
        sys.exit(report_error(error))
    except Interrupted as interruption:
        typer.echo(f"error: {interruption}: stopped cleanly (an open load was rolled back, a run closed as"
                   " interrupted); rerun the command when ready", err=True)
        # Every `finally` of the main thread has run (transactions closed, claims released); a
        # download still in flight in a worker thread is not worth waiting for at exit.
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(interruption.exit_code)


def report_error(error: BaseException) -> int:
    """Print `error` on stderr the documented way and return the exit code: a user error is one
    line (after its traceback with -v); anything else is a bug, shown with its traceback and a
    line that says so. Secrets are masked in both."""
    secrets = _Invocation.secrets or Secrets.from_environment(Config()).values()
    user_error = user_error_message(error)
    if user_error is None or _Invocation.verbose:
        text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
        sys.stderr.write(redact(text, secrets))
    if user_error is not None:
        typer.echo(f"error: {redact(user_error, secrets)}", err=True)
        return EXIT_USER_ERROR
    typer.echo(
        redact(
            f"error: this is a bug in conflictwatch ({type(error).__name__}: {error}); please report it with"
            " the traceback above and the command you ran",
            secrets,
        ),
        err=True,
    )
    return EXIT_BUG


def user_error_message(error: BaseException) -> str | None:
    """The one-line message for an error the user caused and can fix, or None for a bug.

    A `ConflictwatchError` says it all. An operating-system error about a named file or folder
    (permission denied, a file where a folder is expected, a full disk) comes from the user's
    paths or machine, not from the code: it is named with its path and what to check."""
    if isinstance(error, ConflictwatchError):
        return str(error)
    if isinstance(error, OSError) and error.filename is not None:
        reason = error.strerror or type(error).__name__
        where = os.fspath(error.filename)
        hint = {
            PermissionError: "check its permissions or choose another path",
            NotADirectoryError: "a part of this path is a file, not a folder: choose a folder",
            IsADirectoryError: "this is a folder: give a file",
            FileNotFoundError: "check the path",
            FileExistsError: "remove it or choose another path",
        }.get(type(error), "check the path and the disk")
        return f"{where}: {reason}; {hint}"
    return None
