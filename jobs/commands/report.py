"""`conflictwatch report --as-of YYYY-MM [--out DIR]`: write the trend report and say where."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from jobs.commands.output import require_writable_folder
from jobs.session import session

app = typer.Typer()


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
    from jobs.report import build_report

    current = session(context)
    require_writable_folder(out if out is not None else current.config.resolve(current.config.report.out_dir), "--out")
    current.load_sample_if_empty()
    files = build_report(current.store, current.config, as_of, out_dir=out)
    typer.echo(f"PDF\t{files.pdf}")
    typer.echo(f"HTML\t{files.html}")
    typer.echo(f"Email HTML\t{files.email_html}")
    typer.echo(f"JSON\t{files.json}")
    typer.echo(f"PNG charts\t{len(files.charts)} in {files.out_dir}")
    typer.echo(f"Pages\t{files.pages} (brief {files.brief_pages}, {files.alert_pages} incident pages)")
