"""`conflictwatch pull [acled|ucdp] [--since DATE]`: download from the live sources.

Nothing slow is imported at the top: `jobs.cli` imports this module whenever it starts.
"""

from __future__ import annotations

import logging
import sys
from typing import Annotated, Optional

import typer

from forecasting.errors import ConflictwatchError
from forecasting.sources.live import LIVE_SOURCES
from jobs.commands.options import choices
from jobs.commands.output import print_table
from jobs.session import session

log = logging.getLogger("conflictwatch.pull")

app = typer.Typer()


# The names of forecasting.sources.live's registry, so a new source is a choice here too.
LiveSource = choices("LiveSource", LIVE_SOURCES)


@app.command()
def pull(
    context: typer.Context,
    source: Annotated[
        Optional[LiveSource],
        typer.Argument(help="Which source; default: every source enabled under sources in config.yaml."),
    ] = None,
    since: Annotated[
        Optional[str],
        typer.Option("--since", help="Re-read every event dated from this day (YYYY-MM-DD), not only what changed."),
    ] = None,
) -> None:
    """Download new, revised and deleted events from ACLED's or UCDP's API into the store.

    Incremental and resumable: a pull that stops (killed, network down) continues where it
    stopped on the next run. Credentials come from the environment only: ACLED_USERNAME and
    ACLED_PASSWORD, UCDP_TOKEN.
    """
    import datetime as dt

    from jobs.pull import enabled_sources, pull_source

    current = session(context)
    try:
        since_day = dt.date.fromisoformat(since) if since else None
    except ValueError:
        raise ConflictwatchError(f"--since {since!r} is not a date; use YYYY-MM-DD") from None
    if source is not None:
        chosen = [source.value]
    else:
        chosen = enabled_sources(current.config)
        if not chosen:
            sections = " or ".join(f"sources.{name}" for name in LIVE_SOURCES)
            raise ConflictwatchError(
                f"no source is enabled: name one (`conflictwatch pull {next(iter(LIVE_SOURCES))}`) or set"
                f" enabled: true under {sections} in config.yaml."
            )
    results = []
    for name in chosen:
        with _progress_display(name) as show:
            results.append(
                pull_source(
                    current.store, current.config, current.secrets, name,
                    since=since_day, gazetteer=current.gazetteer, progress=show,
                )
            )
    print_table(
        ["source", "pages", "received", "inserted", "updated", "deleted", "resumed from page"],
        [
            [r.source, r.pages, r.events_received, r.inserted, r.updated, r.deleted, r.resumed_from]
            for r in results
        ],
        title="Pull",
    )


class _progress_display:
    """A rich progress bar (pages, events, rate) on a terminal; plain log lines otherwise."""

    def __init__(self, source: str):
        self.source = source.upper()
        self._bar = None
        self._task = None

    def __enter__(self):
        if sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self._bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.completed} pages"),
                TextColumn("{task.fields[events]:,} events"),
                TextColumn("{task.fields[rate]:,.0f} events/s"),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=False,
            )
            self._bar.start()
            self._task = self._bar.add_task(f"pull {self.source}", total=None, events=0, rate=0.0)
        return self.show

    def show(self, progress) -> None:
        rate = progress.events / progress.seconds if progress.seconds > 0 else 0.0
        if self._bar is not None:
            self._bar.update(
                self._task, completed=progress.pages, total=progress.total_pages, events=progress.events, rate=rate
            )
        else:
            total = f"/{progress.total_pages}" if progress.total_pages else ""
            log.info("%s: page %d%s stored, %d events so far (%.0f events/s)", self.source, progress.pages, total, progress.events, rate)

    def __exit__(self, *_exc) -> None:
        if self._bar is not None:
            self._bar.stop()
