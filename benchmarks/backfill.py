"""Benchmark of `detect --from --to`: a history backfill in one pass against the same months one
by one, on a synthetic export of the three countries.

    .venv/bin/python benchmarks/backfill.py [--rows 300000] [--from 2018-06] [--to 2020-07] [--compare 3] [--history 1997-01]

Writes `--rows` events (benchmarks/ingest.py's generator: real admin units), ingests them into a
fresh SQLite store, then times `conflictwatch detect --from --to` (process start included) and,
as the reference in the same run, `detect --as-of` for the first `--compare` months one by one on
a copy of the store; the month-by-month cost of the whole run is that mean times the number of
months. Target (issue 15): 26 months in at most 30 s.

The events' dates: by default uniform over 2018-2025, so the first month backfilled has five
months of history before it; with `--history 1997-01`, from that month to `--to`, shaped as the
real exports of issue 16 are (1997 to mid-2020: quiet for fifteen years, then growing;
`ingest.escalating_months`), so every month has twenty years of history before it, as there.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from ingest import write_rows  # noqa: E402
from timing import Timings, load_average, run_command  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--from", dest="first", default="2018-06")
    parser.add_argument("--to", dest="last", default="2020-07")
    parser.add_argument("--compare", type=int, default=3, help="months run one by one as the reference")
    parser.add_argument("--history", metavar="YYYY-MM", default=None,
                        help="the events' first month, shaped as the real exports (default: uniform over 2018-2025)")
    options = parser.parse_args()
    from forecasting.as_of import month_range

    months = [month.text for month in month_range(options.first, options.last)]
    cli = [sys.executable, "-m", "jobs"]
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        write_rows(work / "acled.csv", options.rows,
                   history=(options.history, options.last) if options.history else None)
        (work / "backfill").mkdir()
        run_command([*cli, "ingest", str(work / "acled.csv")], cwd=work / "backfill")
        shutil.copytree(work / "backfill", work / "monthly")
        span = f"from {options.history}, shaped as the real exports" if options.history else "uniform over 2018-2025"
        print(f"backfill benchmark: {options.rows:,} events ({span}), {len(months)} months {months[0]}..{months[-1]} "
              f"({load_average()})")
        one_by_one = [run_command([*cli, "detect", "--as-of", month, "--json"], cwd=work / "monthly")
                      for month in months[: options.compare]]
        wall, cpu = run_command([*cli, "detect", "--from", months[0], "--to", months[-1], "--json"], cwd=work / "backfill")
    monthly = Timings([w for w, _ in one_by_one], [c for _, c in one_by_one])
    estimate = sum(monthly.walls) / len(monthly.walls) * len(months)
    print(f"detect --from {months[0]} --to {months[-1]}: {wall:.1f} s wall, {cpu:.1f} s CPU "
          f"(target <= 30 s: {'met' if wall <= 30 else 'not met'})")
    print(f"reference, detect --as-of month by month ({options.compare} months): {monthly.spread()} a month, "
          f"about {estimate:.0f} s for {len(months)} months; ratio backfill / month by month {wall / estimate:.2f} "
          f"({load_average()})")


if __name__ == "__main__":
    main()
