"""`conflictwatch report --as-of YYYY-MM [--out DIR]`: write the trend report and say where;
`--from --to`: a report for every month of a run, from one backfill detection (`detect --from`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from jobs.commands.options import LAST_MONTH_HELP
from jobs.commands.output import require_writable_folder
from jobs.session import session

app = typer.Typer()


@app.command()
def report(
    context: typer.Context,
    as_of: Annotated[
        Optional[str],
        typer.Option("--as-of", help="Month of the report, YYYY-MM (or YYYY-MM-DD for the month so far).", show_default=False),
    ] = None,
    out: Annotated[
        Optional[Path],
        typer.Option("--out", help="Folder for the report (default: config.yaml report.out_dir); files go to DIR/report-<as-of>/."),
    ] = None,
    first: Annotated[
        Optional[str], typer.Option("--from", help="First month (YYYY-MM) of a run of monthly reports.", show_default=False)
    ] = None,
    last: Annotated[
        Optional[str], typer.Option("--to", help=LAST_MONTH_HELP, show_default=False)
    ] = None,
) -> None:
    """Write the trend report: multi-page PDF, a PNG per chart, HTML (browser and email), JSON summary.

    An empty store gets the shipped synthetic sample first (config data.sample_when_empty), as
    `detect` and `forecast` do; with that off, an empty store is an error, not an empty report.

    With --from and --to, a report for every month of the run, each written right after its
    month is detected (as `detect --from --to` does: stored in order, the same lifecycle as
    month by month), progress on stderr; one line a report on stdout."""
    from jobs.report import build_report

    if (as_of is None) == (first is None and last is None) or (first is None) != (last is None):
        raise typer.BadParameter("give either --as-of, or both --from and --to", param_hint="--as-of / --from --to")
    current = session(context)
    require_writable_folder(out if out is not None else current.config.resolve(current.config.report.out_dir), "--out")
    current.load_sample_if_empty()
    if as_of is None:
        _report_months(current, first, last, out)
        return
    files = build_report(current.store, current.config, as_of, out_dir=out)
    typer.echo(f"PDF\t{files.pdf}")
    typer.echo(f"HTML\t{files.html}")
    typer.echo(f"Email HTML\t{files.email_html}")
    typer.echo(f"JSON\t{files.json}")
    typer.echo(f"PNG charts\t{len(files.charts)} in {files.out_dir}")
    typer.echo(f"Pages\t{files.pages} (brief {files.brief_pages}, {files.alert_pages} incident pages)")


def _report_months(current, first: str, last: str, out: Optional[Path]) -> None:
    from jobs.detect import run_detections
    from jobs.progress import Progress
    from jobs.report import build_report

    progress = Progress("report")
    written = []

    def report_month(done: int, total: int, detection) -> None:
        files = build_report(current.store, current.config, detection.as_of.text, detection=detection, out_dir=out)
        written.append((detection.as_of.text, files))
        progress.step(done, total, f"{detection.as_of.text}: {files.pages} pages")

    run_detections(current.store, current.config, first, last, on_month=report_month)
    for month, files in written:
        typer.echo(f"{month}\tPDF\t{files.pdf}")
