"""Builders for test inputs (importable from any test module: tests/ is on the path)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from forecasting.events import EventBounds
from forecasting.sources.files import read_event_file


def conflictwatch(*args: str, cwd: Path, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run the command line as a user would (`python -m jobs ...`) in `cwd`, with none of the
    caller's conflictwatch, ACLED or UCDP settings in the environment; `env` adds to it. A wide
    terminal keeps a usage error on one line (not wrapped in a box) wherever the tests run."""
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith(("CONFLICTWATCH_", "ACLED_", "UCDP_"))}
    environment["COLUMNS"] = "300"
    environment.update(env or {})
    return subprocess.run([sys.executable, "-m", "jobs", *args], cwd=cwd, env=environment,
                          capture_output=True, text=True, timeout=timeout)


ACLED_HEADER = (
    "event_id_cnty,event_date,year,time_precision,disorder_type,event_type,sub_event_type,actor1,"
    "assoc_actor_1,inter1,actor2,assoc_actor_2,inter2,interaction,civilian_targeting,iso,region,"
    "country,admin1,admin2,admin3,location,latitude,longitude,geo_precision,source,source_scale,"
    "notes,fatalities,tags,timestamp"
)


def acled_row(
    event_id: str,
    event_date: str = "2025-05-14",
    *,
    country: str = "Burkina Faso",
    admin1: str = "Est",
    admin2: str = "Gourma",
    admin3: str = "Fada N'gourma",
    location: str = "Fada N'gourma",
    latitude: str = "12.0616",
    longitude: str = "0.3584",
    actor1: str = "JNIM: Group for Support of Islam and Muslims",
    fatalities: str = "4",
    timestamp: str = "1747000000",
    notes: str = "Test event; Jama'at Nusrat al-Islam wal-Muslimin attacked.",
    disorder_type: str = "Political violence",
    event_type: str = "Battles",
    sub_event_type: str = "Armed clash",
    inter1: str = "Rebel group",
    geo_precision: str = "1",
) -> str:
    """One CSV line of an ACLED export, quoted where ACLED quotes."""
    fields = [
        event_id, event_date, event_date[:4], "1", disorder_type, event_type, sub_event_type,
        actor1, "", inter1, "Military Forces of Burkina Faso (2022-)", "", "State forces",
        "State forces-Rebel group", "", "854", "Western Africa", country, admin1, admin2, admin3,
        location, latitude, longitude, geo_precision, "Test source", "National", notes, fatalities, "",
        timestamp,
    ]
    return ",".join(_quote(value) for value in fields)


def acled_events(rows: Sequence[str], bounds: EventBounds, folder: Path) -> pd.DataFrame:
    """The events `read_event_file` validates from these ACLED CSV lines (written under the
    header to a file in `folder`), as a frame of the caller's own.

    Each distinct file is read and validated once per process, and a copy handed out: `make
    mutate` reruns the event writer's tests for every mutant of the store, each in a process
    forked from one that has already run them all, and reading and validating their input
    frames was half of those tests' time, spent on code the store's mutants never change."""
    text = ACLED_HEADER + "\n" + "\n".join(rows) + "\n"
    key = (text, bounds)
    if key not in _VALIDATED:
        path = folder / f"acled-{hashlib.sha256(text.encode()).hexdigest()[:16]}.csv"
        path.write_text(text, encoding="utf-8")
        _VALIDATED[key] = read_event_file(path, bounds)[2].events
    return _VALIDATED[key].copy()


_VALIDATED: dict[tuple[str, EventBounds], pd.DataFrame] = {}


def _quote(value: str) -> str:
    if any(mark in value for mark in ',"\n'):
        return '"' + value.replace('"', '""') + '"'
    return value
