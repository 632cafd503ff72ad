"""Benchmark of `detect`: speed on the shipped sample and at 10,000 admin2 series, and quality
(recall, false new alerts, new incidents, delay per kind) on the labelled synthetic worlds of
the tests.

    .venv/bin/python benchmarks/detect.py [--as-of 2025-07] [--runs 5] [--skip-quality | --quality-only]
                                          [--skip-large] [--tuning] [--verbose]

Quality is measured on `labelled.HELD_OUT_SEEDS`, seeds never used to choose the defaults
(`--tuning` adds the test's seeds, which were).

Prints its figures; docs/benchmarks.md records them. Every time is given as wall time and CPU
time (user + sys, of the child process for the end-to-end runs), with the load average, because
on a shared machine the wall time says as much about the neighbours as about `detect`.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
_spec = importlib.util.spec_from_file_location("labelled", ROOT / "tests/forecasting/detectors/labelled.py")
labelled = importlib.util.module_from_spec(_spec)
sys.modules["labelled"] = labelled
_spec.loader.exec_module(labelled)


def _load() -> str:
    return "load average " + ", ".join(f"{value:.2f}" for value in os.getloadavg())


#: The modules a `detect` imports (with pandas, NumPy, SQLAlchemy and scipy.special under them).
DETECT_IMPORTS = ("jobs.cli", "jobs.detect", "jobs.ingest", "forecasting.models.ensemble", "forecasting.models.negbin",
                  "forecasting.models.robust", "forecasting.store.alerts")


def end_to_end(as_of: str = "2025-07", runs: int = 5) -> None:
    """`conflictwatch detect --json` on the sample, process start included (store already loaded),
    against `conflictwatch --help` (process start and the CLI) in the same run, alternating: the
    first detection of the month in a store where the month before was detected and nothing else
    (a copy of it before each such run: what a monthly service meets), the same in a store that
    keeps nothing (every judgement and rolling origin emptied: a month detected out of order, or
    the code before origins were kept), a detection again (the judgement kept by the one before),
    and a process that only imports what `detect` imports (the floor under all)."""
    import sqlite3

    from timing import Timings, ratio_line, run_command

    # With bytecode caches, as an installed conflictwatch has them: a shell that sets
    # PYTHONDONTWRITEBYTECODE would have every process compile each of our modules again.
    environment = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
    year, month = map(int, as_of[:7].split("-"))
    month_before = f"{year - (month == 1)}-{(month - 2) % 12 + 1:02d}"
    with tempfile.TemporaryDirectory() as folder:
        command = [sys.executable, "-m", "jobs", "detect", "--as-of", as_of, "--json"]
        # Loads the sample and detects the month before: the store a monthly service has.
        subprocess.run([*command[:5], month_before, "--json"], cwd=folder, env=environment, capture_output=True, check=True)
        database = Path(folder) / "conflictwatch.db"
        month_before_detected = Path(folder) / "month-before.db"
        _copy_store(database, month_before_detected)

        def from_the_month_before(*statements):
            def run():
                _copy_store(month_before_detected, database)
                with sqlite3.connect(database) as connection:
                    for statement in statements:
                        connection.execute(statement)
                return run_command(command, cwd=folder, env=environment)
            return run

        first_of_month = from_the_month_before()
        nothing_kept = from_the_month_before("DELETE FROM ensemble_judgements", "DELETE FROM ensemble_origins")
        imports = [sys.executable, "-c", "import " + ", ".join(DETECT_IMPORTS)]
        timed = {"help": [], "first": [], "cold": [], "again": [], "imports": []}
        for _ in range(runs):
            timed["help"].append(run_command([sys.executable, "-m", "jobs", "--help"], cwd=folder, env=environment))
            timed["cold"].append(nothing_kept())
            timed["first"].append(first_of_month())
            timed["again"].append(run_command(command, cwd=folder, env=environment))
            timed["imports"].append(run_command(imports, cwd=folder, env=environment))
    help_, first, cold, again, imported = (Timings([w for w, _ in timed[name]], [c for _, c in timed[name]])
                                           for name in timed)
    print(ratio_line(f"detect --as-of {as_of} on the sample, first of the month (the month before detected)", first,
                     "--help", help_, target=5))
    print(ratio_line(f"detect --as-of {as_of} on the sample, nothing kept", cold, "--help", help_, target=5))
    print(ratio_line(f"detect --as-of {as_of} on the sample, again", again, "--help", help_, target=5))
    print(ratio_line("importing what detect imports", imported, "--help", help_))


def _copy_store(source: Path, target: Path) -> None:
    """A consistent copy of a SQLite store (its write-ahead log included), replacing `target`."""
    import sqlite3

    for stale in (target, target.with_name(target.name + "-wal"), target.with_name(target.name + "-shm")):
        stale.unlink(missing_ok=True)
    with sqlite3.connect(source) as reading, sqlite3.connect(target) as writing:
        reading.backup(writing)
    reading.close()
    writing.close()


def large(admin1_per_country: int = 50, admin2_per_admin1: int = 67) -> None:
    """One detection over about 10,000 admin2 series (in memory: events -> alerts)."""
    from forecasting.detectors import build_series, detect, forecast_the_month, parse_as_of
    from jobs.config import DetectConfig

    world = labelled.make_world(1, admin1_per_country=admin1_per_country, admin2_per_admin1=admin2_per_admin1,
                                rate=0.4)
    as_of = parse_as_of("2025-05")
    load = _load()
    marks = [(time.perf_counter(), time.process_time())]
    series = build_series(world.events, as_of)
    marks.append((time.perf_counter(), time.process_time()))
    forecasts = forecast_the_month(series, as_of)
    marks.append((time.perf_counter(), time.process_time()))
    alerts = detect(world.events, series, forecasts, as_of, DetectConfig().detection_settings("the watch area"))
    marks.append((time.perf_counter(), time.process_time()))
    admin2 = series.loc[series["level"] == "admin2", "series_id"].nunique() // 2
    stages = [
        f"{name} {end[0] - start[0]:.1f} s (CPU {end[1] - start[1]:.1f} s)"
        for name, start, end in zip(("series", "forecast", "detectors"), marks, marks[1:])
    ]
    print(f"large: {len(world.events):,} events, {admin2:,} admin2 units, {series['series_id'].nunique():,} series: "
          f"{', '.join(stages)}, total {marks[-1][0] - marks[0][0]:.1f} s (CPU {marks[-1][1] - marks[0][1]:.1f} s), "
          f"{len(alerts)} alerts ({load})")


def quality(seeds: tuple[int, ...], label: str, *, verbose: bool = False) -> None:
    """Recall, delay, false new alerts and new incidents on the labelled worlds of `seeds`,
    credited strictly (`labelled.explains`). An incident is false when none of its alerts is
    explained by an injection; `verbose` lists the missed injections and the false incidents."""
    found, total, delays = defaultdict(int), defaultdict(int), defaultdict(list)
    false_new = false_all = false_critical = months = new_total = 0
    incidents_new = incidents_told = incidents_critical = 0
    false_incidents = false_incidents_told = false_incidents_critical = 0
    false_kinds: dict[str, int] = defaultdict(int)
    for seed in seeds:
        world = labelled.make_world(seed)
        reported, new, told = labelled.detect_month_by_month(world)
        for month in labelled.EVALUATED_MONTHS:
            months += 1
            new_total += len(new[month])
            false_all += sum(not any(labelled.explains(i, a) for i in world.injections) for a in reported[month])
            for alert in new[month]:
                if not any(labelled.explains(i, alert) for i in world.injections):
                    false_new += 1
                    false_critical += alert.severity == "critical"
                    false_kinds[alert.kind] += 1
            for incident in told[month]:
                if incident.status != "new":
                    continue
                incidents_new += 1
                incidents_told += incident.severity != "info"
                incidents_critical += incident.severity == "critical"
                if not any(labelled.explains(i, a) for i in world.injections for a in incident.members):
                    false_incidents += 1
                    false_incidents_told += incident.severity != "info"
                    false_incidents_critical += incident.severity == "critical"
                    if verbose:
                        print(f"  seed {seed} {month:%Y-%m} false incident ({incident.severity}): {incident.message}")
        for injection in world.injections:
            total[injection.kind] += 1
            month = labelled.found_in(injection, reported)
            if month is not None:
                found[injection.kind] += 1
                delays[injection.kind].append((month.year - injection.first_month.year) * 12
                                              + month.month - injection.first_month.month)
            elif verbose:
                print(f"  seed {seed} missed {injection.kind} {injection.country} {injection.admin1} {injection.admin2} "
                      f"{injection.first_month:%Y-%m}")
    print(f"quality on {label} seeds {', '.join(map(str, seeds))} x {len(labelled.EVALUATED_MONTHS)} months:")
    print("| kind | found / injected | mean delay (months after first detectable) |")
    print("| --- | --- | --- |")
    for kind in sorted(total):
        mean = sum(delays[kind]) / len(delays[kind]) if delays[kind] else float("nan")
        print(f"| {kind} | {found[kind]} / {total[kind]} | {mean:.2f} |")
    print(f"recall {sum(found.values())}/{sum(total.values())}; new alerts a month {new_total / months:.2f}, of which "
          f"false (explained by no injection) {false_new / months:.2f} ({false_critical / months:.2f} critical); "
          f"false alerts a month counting ongoing repeats {false_all / months:.2f}; false new by kind "
          f"{dict(sorted(false_kinds.items()))}")
    print(f"new incidents a month {incidents_new / months:.2f} ({incidents_told / months:.2f} warning or critical, "
          f"{incidents_critical / months:.2f} critical), of which false (no alert explained by an injection) "
          f"{false_incidents / months:.2f} ({false_incidents_told / months:.2f} warning or critical, "
          f"{false_incidents_critical / months:.2f} critical)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--as-of", default="2025-07", help="the month detected end to end on the sample")
    parser.add_argument("--runs", type=int, default=5, help="end-to-end runs of each kind, alternated")
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--skip-large", action="store_true")
    parser.add_argument("--quality-only", action="store_true", help="only the labelled-data quality figures")
    parser.add_argument("--tuning", action="store_true",
                        help="also report the seeds the defaults were tuned on (the test's), beside the held-out ones")
    parser.add_argument("--verbose", action="store_true", help="list missed injections and false incidents")
    options = parser.parse_args()
    if not options.quality_only:
        end_to_end(options.as_of, options.runs)
    if not options.skip_large and not options.quality_only:
        large()
    if not options.skip_quality:
        quality(labelled.HELD_OUT_SEEDS, "held-out", verbose=options.verbose)
        if options.tuning:
            quality(labelled.TUNING_SEEDS, "tuning", verbose=options.verbose)


if __name__ == "__main__":
    main()
