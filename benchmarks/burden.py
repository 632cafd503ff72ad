"""Alert burden on the shipped sample: how many alerts and incidents an analyst is told a month.

    .venv/bin/python benchmarks/burden.py [--from 2024-01] [--to 2025-08]

Loads the shipped synthetic sample into a temporary SQLite store, runs `detect` month by month
(`run_detections`, as `conflictwatch detect --from --to` does, each month stored before the
next) and prints, per month: alerts reported (new, ongoing, resolved notices), incidents told,
new incidents, new incidents told to a person (warning or critical) and new critical incidents,
marking the months the sample's planted patterns are in (forecasting/sample/planted_patterns.json,
plus August 2024's planted massacre). docs/benchmarks.md records the figures.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def planted_months() -> set[str]:
    """Months a planted pattern is told in (its period or the months of its span)."""
    patterns = json.loads((ROOT / "forecasting/sample/planted_patterns.json").read_text(encoding="utf-8"))
    months = {"2024-08"}  # the Barsalogho-like massacre the May 2025 record is compared with
    for pattern in patterns["patterns"]:
        period = pattern["period"]
        first, last = (period, period) if isinstance(period, str) else period
        year, month = int(first[:4]), int(first[5:7])
        while f"{year:04d}-{month:02d}" <= last[:7]:
            months.add(f"{year:04d}-{month:02d}")
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="first", default="2024-01")
    parser.add_argument("--to", dest="last", default="2025-08")
    arguments = parser.parse_args()

    from forecasting.gazetteer import load_gazetteer
    from forecasting.store import open_store
    from jobs.config import Config
    from jobs.detect import run_detections
    from jobs.ingest import ingest_sample_if_empty

    planted = planted_months()
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(f"sqlite:///{Path(folder) / 'burden.db'}")
        ingest_sample_if_empty(store, load_gazetteer(), seat_radius_km=5.0)
        results = run_detections(store, Config(), arguments.first, arguments.last)
        store.engine.dispose()

    print("month    planted  alerts  incidents  new  new-told  new-critical")
    quiet = []
    for result in results:
        month = result.as_of.month_text
        new = [incident for incident in result.incidents if incident.status == "new"]
        row = (len(result.alerts), len(result.incidents), len(new), sum(i.severity != "info" for i in new),
               sum(i.severity == "critical" for i in new))
        if month not in planted:
            quiet.append(row)
        print(f"{month}  {'yes' if month in planted else '   '}      {row[0]:6d}  {row[1]:9d}  {row[2]:3d}  {row[3]:8d}  {row[4]:12d}")
    if quiet:
        names = ("alerts", "incidents", "new incidents", "new told", "new critical")
        medians = ", ".join(f"{name} {statistics.median(column):g}" for name, column in zip(names, zip(*quiet)))
        means = ", ".join(f"{name} {statistics.fmean(column):.2f}" for name, column in zip(names, zip(*quiet)))
        print(f"months without a planted pattern ({len(quiet)}): median {medians}; mean {means}")


if __name__ == "__main__":
    main()
