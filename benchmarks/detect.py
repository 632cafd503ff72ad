"""Benchmark of `detect`: speed on the shipped sample and at 10,000 admin2 series, and quality
(recall, false new alerts, delay per kind) on the labelled synthetic worlds of the tests.

    .venv/bin/python benchmarks/detect.py [--seeds 5] [--skip-quality]

Prints its figures; docs/_bench_detect.md records them.
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("labelled", ROOT / "tests/forecasting/detectors/labelled.py")
labelled = importlib.util.module_from_spec(_spec)
sys.modules["labelled"] = labelled
_spec.loader.exec_module(labelled)


def end_to_end(as_of: str = "2025-05") -> None:
    """`conflictwatch detect --json` on the sample, process start included (store already loaded)."""
    with tempfile.TemporaryDirectory() as folder:
        command = [sys.executable, "-m", "jobs", "detect", "--as-of", as_of, "--json"]
        subprocess.run(command, cwd=folder, capture_output=True, check=True)  # loads the sample
        timings = []
        for _ in range(3):
            began = time.perf_counter()
            subprocess.run(command, cwd=folder, capture_output=True, check=True)
            timings.append(time.perf_counter() - began)
    print(f"sample end to end (detect --as-of {as_of} --json, process start included): "
          f"best {min(timings):.2f} s, median {sorted(timings)[1]:.2f} s of 3")


def large(admin1_per_country: int = 50, admin2_per_admin1: int = 67) -> None:
    """One detection over about 10,000 admin2 series (in memory: events -> alerts)."""
    from forecasting.detectors import DetectionSettings, build_series, detect, history_for_forecast, parse_as_of
    from forecasting.models import forecast

    world = labelled.make_world(1, admin1_per_country=admin1_per_country, admin2_per_admin1=admin2_per_admin1,
                                rate=0.4)
    as_of = parse_as_of("2025-05")
    began = time.perf_counter()
    series = build_series(world.events, as_of)
    built = time.perf_counter()
    forecasts = forecast(history_for_forecast(series, as_of), horizon=1, seed=0)
    forecasted = time.perf_counter()
    alerts = detect(world.events, series, forecasts, as_of, DetectionSettings())
    done = time.perf_counter()
    admin2 = series.loc[series["level"] == "admin2", "series_id"].nunique() // 2
    print(f"large: {len(world.events):,} events, {admin2:,} admin2 units, {series['series_id'].nunique():,} series: "
          f"series {built - began:.1f} s, forecast {forecasted - built:.1f} s, detectors {done - forecasted:.1f} s, "
          f"total {done - began:.1f} s, {len(alerts)} alerts")


def quality(seeds: int) -> None:
    found, total, delays = defaultdict(int), defaultdict(int), defaultdict(list)
    false_new = false_all = months = 0
    for seed in range(100, 100 + seeds):
        world = labelled.make_world(seed)
        reported, new = labelled.detect_month_by_month(world)
        for month in labelled.EVALUATED_MONTHS:
            months += 1
            false_all += sum(not any(labelled.explains(i, a) for i in world.injections) for a in reported[month])
            false_new += sum(not any(labelled.explains(i, a) for i in world.injections) for a in new[month])
        for injection in world.injections:
            total[injection.kind] += 1
            month = labelled.found_in(injection, reported)
            if month is not None:
                found[injection.kind] += 1
                delays[injection.kind].append((month.year - injection.first_month.year) * 12
                                              + month.month - injection.first_month.month)
    print(f"quality over {seeds} seeds x {len(labelled.EVALUATED_MONTHS)} months:")
    print("| kind | found / injected | mean delay (months after first detectable) |")
    print("| --- | --- | --- |")
    for kind in sorted(total):
        mean = sum(delays[kind]) / len(delays[kind]) if delays[kind] else float("nan")
        print(f"| {kind} | {found[kind]} / {total[kind]} | {mean:.2f} |")
    print(f"recall {sum(found.values())}/{sum(total.values())}; false new alerts per month "
          f"{false_new / months:.2f}; false alerts per month counting ongoing repeats {false_all / months:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--skip-quality", action="store_true")
    options = parser.parse_args()
    end_to_end()
    large()
    if not options.skip_quality:
        quality(options.seeds)


if __name__ == "__main__":
    main()
