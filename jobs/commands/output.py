"""How commands print results on stdout: tables, CSV and JSON. Logs and progress go to stderr.

Nothing slow is imported at the top: every command module imports this at start-up.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    import datetime as dt
    from pathlib import Path

    import pandas as pd


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


def print_csv(frame: "pd.DataFrame") -> None:
    """`frame` as CSV on stdout, safe to open in a spreadsheet (forecasting.safe_csv)."""
    from forecasting.safe_csv import write_csv

    write_csv(frame, sys.stdout)


def print_json(records: list[dict]) -> None:
    """One JSON array on stdout and nothing else there (numpy numbers and dates become plain)."""
    typer.echo(json.dumps(records, ensure_ascii=False, indent=2, default=_plain))


def _plain(value):
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def time_text(moment: "dt.datetime | None") -> str | None:
    """A stored time as a table shows it, to the second (None stays empty)."""
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment is not None else None


def require_writable_folder(folder: "Path", option: str) -> None:
    """Raise a `ConflictwatchError` naming `option` and `folder` when files cannot be written
    there: it is a file, a part of its path is a file, or it cannot be created or written. Checked
    before the work, so that a mistyped --out fails at once, not after the whole report."""
    import os

    from forecasting.errors import ConflictwatchError

    folder = folder.expanduser()
    if folder.exists() and not folder.is_dir():
        raise ConflictwatchError(f"{option} {folder}: is a file, not a folder; give a folder (it is created if missing)")
    existing = folder
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise ConflictwatchError(f"{option} {folder}: {existing} is a file, not a folder; choose another folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ConflictwatchError(f"{option} {folder}: {existing} is not writable; choose a folder you can write to")
