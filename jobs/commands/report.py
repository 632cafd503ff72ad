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
    """Write the trend report: multi-page PDF, a PNG per chart, HTML (browser and email), JSON summary."""
    from jobs.report import build_report

    current = session(context)
    files = build_report(current.store, current.config, as_of, out_dir=out)
    typer.echo(f"PDF\t{files.pdf}")
    typer.echo(f"HTML\t{files.html}")
    typer.echo(f"Email HTML\t{files.email_html}")
    typer.echo(f"JSON\t{files.json}")
    typer.echo(f"PNG charts\t{len(files.charts)} in {files.out_dir}")
    typer.echo(f"Pages\t{files.pages} ({files.alert_pages} critical-alert pages)")
