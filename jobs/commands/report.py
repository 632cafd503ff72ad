"""`conflictwatch report --as-of YYYY-MM [--out DIR]`: write the trend report and say where."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from jobs.cli import app, session


@app.command()
def report(
    context: typer.Context,
    as_of: Annotated[str, typer.Option("--as-of", help="Month of the report, YYYY-MM (or YYYY-MM-DD for the month so far).")],
    out: Annotated[
        Optional[Path],
        typer.Option("--out", help="Folder for the report (default: config.yaml report.out_dir); files go to DIR/report-<as-of>/."),
    ] = None,
) -> None:
    """Write the trend report: multi-page PDF, a PNG per chart, HTML (browser and email), JSON summary.

    An empty store gets the shipped synthetic sample first (config data.sample_when_empty), as
    `detect` and `forecast` do; with that off, an empty store is an error, not an empty report."""
    from forecasting.errors import ConflictwatchError
    from jobs.ingest import store_is_empty
    from jobs.report import build_report

    current = session(context)
    if store_is_empty(current.store) and not current.config.data.sample_when_empty:
        raise ConflictwatchError(
            "the store holds no events, so there is nothing to report: ingest a file (conflictwatch ingest FILE), "
            "pull a source (conflictwatch pull), or set data.sample_when_empty: true in config.yaml to use the "
            "synthetic sample"
        )
    current.load_sample_if_empty()
    files = build_report(current.store, current.config, as_of, out_dir=out)
    typer.echo(f"PDF\t{files.pdf}")
    typer.echo(f"HTML\t{files.html}")
    typer.echo(f"Email HTML\t{files.email_html}")
    typer.echo(f"JSON\t{files.json}")
    typer.echo(f"PNG charts\t{len(files.charts)} in {files.out_dir}")
    typer.echo(f"Pages\t{files.pages} ({files.alert_pages} critical-alert pages)")
