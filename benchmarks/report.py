"""Trend-report cost: a full weekly report for Burkina Faso, Mali and Niger, against detection.

    .venv/bin/python benchmarks/report.py [--as-of 2025-07] [--alert-pages 20] [--repeat 3]

Prints the report's time and its ratio to `detect`'s in the same run (target: report at most
twice detect and at most 15 s). The brief gives at most 8 pages whatever the alerts; padding
alerts (below) add stories to its table and rows to the appendix's alert table.

Loads the shipped synthetic sample into a fresh SQLite file, then, `--repeat` times, runs
detection (the reference) and `build_report` with the first run's detection (padded): gathering
the inputs (series, forward forecasts, tier shares, source counts) and rendering (pages built
and drawn to PDF by forked workers, PNGs rasterized from those PDF pages, HTML, JSON, incident
emails). Wall and CPU time (the workers' included) of each;
the ratio of each pair, taken seconds apart. Prints the figures; docs/benchmarks.md records them
with the load they came from.

The sample's months carry 6-12 critical alerts. To reach the asked-for number of alert pages,
the benchmark promotes the month's remaining alerts to critical and then adds critical surge
alerts on the admin1 series with the largest observed-to-expected ratio, each message saying it
is benchmark padding. Rendering cost depends on how many pages there are, not on why a
series was flagged.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import resource
import statistics
import tempfile
import time
from pathlib import Path

from forecasting.alerts import Alert
from forecasting.detectors import parse_as_of
from forecasting.gazetteer import load_gazetteer
from forecasting.store import open_store
from jobs.config import Config, ForecastConfig
from jobs.detect import run_detection
from jobs.ingest import ingest_sample_if_empty
from jobs.report import build_report, report_inputs
from reports.render import render_report
from timing import alternate, ratio_line


def padded(detection, wanted: int):
    """The detection with at least `wanted` critical alerts (see the module docstring)."""
    alerts = [dataclasses.replace(alert, severity="critical") for alert in detection.alerts]
    flagged = {(alert.measure, alert.scope.get("country"), alert.scope.get("admin1")) for alert in alerts}
    series, forecasts = detection.series, detection.forecasts
    month = parse_as_of(detection.as_of.text).month
    observed = series[(series["level"] == "admin1") & (series["measure"] == "fatalities") & (series["period"] == month)]
    joined = observed.merge(forecasts[["series_id", "period", "mean", "q05", "q95"]], on=["series_id", "period"])
    joined = joined.assign(ratio=(joined["value"] + 1) / (joined["mean"] + 1)).sort_values("ratio", ascending=False)
    for row in joined.itertuples(index=False):
        critical = sum(alert.severity == "critical" for alert in alerts)
        if critical >= wanted:
            break
        if ("fatalities", row.country, row.admin1) in flagged:
            continue
        alerts.append(Alert(
            kind="surge", scope={"country": row.country, "admin1": row.admin1}, measure="fatalities",
            period=detection.as_of.text[:7], observed=float(row.value), expected=float(row.mean), lower=float(row.q05),
            upper=float(row.q95), score=0.01, severity="critical",
            message=f"Benchmark padding: {row.admin1} ({row.country}) had {row.value} reported fatalities "
                    f"against {row.mean:.0f} expected.",
        ))
    return dataclasses.replace(detection, alerts=alerts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--as-of", default="2025-07")
    parser.add_argument("--alert-pages", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, default=None, help="Write the report here and keep it.")
    arguments = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    with tempfile.TemporaryDirectory() as folder:
        store = open_store(f"sqlite:///{Path(folder) / 'bench.db'}")
        config = dataclasses.replace(Config(), forecast=ForecastConfig(executor="process", workers=2))
        started = time.perf_counter()
        ingest_sample_if_empty(store, load_gazetteer([]), seat_radius_km=config.gazetteer.seat_radius_km)
        print(f"ingest sample: {time.perf_counter() - started:.1f} s")

        # Detection (the reference) and the report alternate, so both see the same neighbours.
        out = arguments.keep or Path(folder) / "out"
        state = {}

        def detect() -> tuple[float, float]:
            started, started_cpu = time.perf_counter(), _cpu_seconds()
            state["found"] = run_detection(store, config, arguments.as_of)
            state.setdefault("padded", padded(state["found"], arguments.alert_pages))
            return time.perf_counter() - started, _cpu_seconds() - started_cpu

        def report() -> tuple[float, float]:
            started, started_cpu = time.perf_counter(), _cpu_seconds()
            state["files"] = build_report(store, config, arguments.as_of, detection=state["padded"], out_dir=out)
            return time.perf_counter() - started, _cpu_seconds() - started_cpu

        reports, detects = alternate(report, detect, arguments.repeat)
        detection, files, found = state["padded"], state["files"], state["found"]
        started = time.perf_counter()
        inputs = report_inputs(store, config, parse_as_of(arguments.as_of), detection)
        gather = time.perf_counter() - started
        started = time.perf_counter()
        render_report(inputs, out / "render-only")
        render = time.perf_counter() - started
        size = sum(path.stat().st_size for path in files.out_dir.iterdir()) / 1e6
        print(f"detection {arguments.as_of}: {len(found.alerts)} alerts "
              f"({sum(alert.severity == 'critical' for alert in found.alerts)} critical); padded to "
              f"{sum(alert.severity == 'critical' for alert in detection.alerts)} critical")
        print(f"report: {files.pages} pages (brief {files.brief_pages}), {files.alert_pages} incident pages, "
              f"{len(files.charts)} PNGs, {size:.1f} MB")
        print(ratio_line("build_report", reports, "detect", detects, target=2))
        # The first report of the month judges the ensemble for its forecast ahead; the later ones
        # find that judgement kept in the store, as a rerun or the report after the month's
        # incident emails does.
        print("build_report runs, in order: " + ", ".join(f"{wall:.1f} s (CPU {cpu:.1f} s)"
                                                           for wall, cpu in zip(reports.walls, reports.cpus)))
        print(f"CPU: build_report / detect {statistics.median(reports.cpus) / statistics.median(detects.cpus):.1f}x "
              f"(the report's page workers and detection's forecast workers included); {len(os.sched_getaffinity(0))} usable cores")
        print(f"once more, apart: gather inputs {gather:.1f} s; render {render:.1f} s ({render / files.pages:.2f} s a page)")
        store.engine.dispose()


def _cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the report's forked page workers)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


if __name__ == "__main__":
    main()
