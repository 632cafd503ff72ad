"""How `detect`'s forecasts score, fitted as `detect` fits them since 2026-12-01 (each
measure's geographic hierarchy, its tiers and its actors apart, as `conflictwatch forecast --by`
fits the geographic levels: `forecasting.models.forecast_apart`) or as it fitted them before (one
panel of every measure, level, settlement tier and actor): the default's one-month-ahead CRPS
and 50% / 90% coverage per measure and level over the last rolling origins of the sample's
detection series. docs/forecasting.md ("What detect fits") has the figures.

    .venv/bin/python benchmarks/detect_panels.py [--as-of 2025-08] [--origins 12]

Loads the shipped synthetic sample into a temporary SQLite store.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def detection_history(as_of: str):
    """The sample's detection series up to `as_of`, as `detect --as-of` builds them."""
    from forecasting.detectors import parse_as_of, pipeline
    from forecasting.gazetteer import load_gazetteer
    from forecasting.store import open_store
    from jobs.config import Config
    from jobs.detect import _load_events, detection_settings
    from jobs.ingest import ingest_sample_if_empty

    config, moment = Config(), parse_as_of(as_of)
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(f"sqlite:///{Path(folder) / 'conflictwatch.db'}")
        ingest_sample_if_empty(store, load_gazetteer([]), seat_radius_km=config.gazetteer.seat_radius_km)
        events = _load_events(store, config, moment)
        store.engine.dispose()
    series = pipeline.build_series(events, moment, measures=detection_settings(config).measures)
    return series[series["period"] <= moment.month]


def scores(panels, origins: int):
    import pandas as pd

    from forecasting.backtest import backtest_forecasts
    from forecasting.scores import score

    cells = pd.concat([backtest_forecasts(panel, ["default"], origins=origins, horizons=1, seed=0) for panel in panels],
                      ignore_index=True)
    scored = score(cells).join(cells[["level"]]).assign(measure=cells["series_id"].str.split("|").str[0])
    return scored.groupby(["measure", "level"]).agg(crps=("crps", "mean"), coverage_50=("in_50", "mean"),
                                                    coverage_90=("in_90", "mean"), n=("crps", "size"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--as-of", default="2025-08")
    parser.add_argument("--origins", type=int, default=12)
    arguments = parser.parse_args()
    from forecasting.models.hierarchy import GEOGRAPHIC

    history = detection_history(arguments.as_of)
    geographic = history["level"].isin(tuple(GEOGRAPHIC))
    kind = history["level"].where(~geographic, "geographic")
    ways = {"one panel (as detect fitted them before)": [history],
            "apart (each measure's hierarchy, tiers, actors; as detect fits them)":
                [part for _, part in history.groupby([history["measure"], kind])]}
    for name, panels in ways.items():
        started, cpu = time.time(), time.process_time()
        table = scores(panels, arguments.origins)
        print(f"## {name}: {time.time() - started:.0f} s wall, {time.process_time() - cpu:.0f} s CPU, "
              f"load average {os.getloadavg()[0]:.1f}")
        print(table.round(3).to_string(), flush=True)


if __name__ == "__main__":
    main()
