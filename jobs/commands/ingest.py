"""`conflictwatch ingest FILE...`: load event files into the store."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from jobs.commands.output import print_table
from jobs.session import session

log = logging.getLogger("conflictwatch.ingest")

app = typer.Typer()


@app.command()
def ingest(
    context: typer.Context,
    files: Annotated[
        list[Path],
        typer.Argument(
            help="ACLED event exports (from acleddata.com or HDX, HXL row and all), UCDP GED CSVs, or"
            " ACLED's HDX admin2-month aggregates: .csv (comma, semicolon or tab), .csv.gz, .zip"
            " holding one CSV, or .xlsx.",
            show_default=False,
        ),
    ],
    skip_invalid: Annotated[
        bool,
        typer.Option("--skip-invalid", help="Load the valid rows; write rejected rows with reasons to FILE.rejected.csv."),
    ] = False,
) -> None:
    """Load event files into the store (format recognised from the content). Idempotent; all or nothing."""
    from jobs.ingest import event_bounds, ingest_files

    current = session(context)
    reports = ingest_files(
        current.store,
        files,
        current.gazetteer,
        seat_radius_km=current.config.gazetteer.seat_radius_km,
        skip_invalid=skip_invalid,
        bounds=event_bounds(current.config.data),
    )
    rows = [
        [str(r.file), r.format, r.rows_read, r.inserted, r.updated, r.unchanged, r.rejected]
        for r in reports
    ]
    print_table(["file", "format", "read", "inserted", "updated", "unchanged", "rejected"], rows)
    for report in reports:
        if report.rejects_file is not None:
            log.warning("%s: rejected rows and reasons are in %s", report.file, report.rejects_file)
