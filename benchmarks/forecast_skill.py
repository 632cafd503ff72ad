"""Forecast skill and interval coverage per level and months ahead, in the shape of issue 16's table:
CRPS / 90% coverage at admin1 and country, 1 and 6 months ahead, means over horizons 1-6 with the
CRPS skill against conflictology, and every model x level x horizon.

    .venv/bin/python benchmarks/forecast_skill.py --data heldout --origins 12
    .venv/bin/python benchmarks/forecast_skill.py --data sample --origins 12
    .venv/bin/python benchmarks/forecast_skill.py --data stress --origins 12

`heldout`: the realistic labelled worlds of tests/realistic_series.py on their HELD_OUT_SEEDS
(never used to choose anything), country + admin1 + admin2 together (so the levels are reconciled
as `detect` reconciles them); `tuning`: the same on TUNING_SEEDS, the worlds choices are made on;
`stress`: the stress worlds (STRESS_SEEDS, `make_world(seed, national=True)`: country-wide wars
whose regions follow each other, faster ramps), reported only. `sample`: the shipped synthetic sample's fatality series at the
same three levels. Prints markdown tables; docs/benchmarks.md records them. For `heldout` it
prints the means over 1-6 months ahead for the original three held-out seeds too
(`ORIGINAL_HELD_OUT_SEEDS`), the only held-out worlds before the ramps came (2026-11-30).

Each world's backtest keeps the default ensemble's member forecasts at its inner rolling origins
in memory (`backtest_forecasts`' default memo, as a backfill does): the outer origin one month
earlier judges its members on 35 of the same 36 inner origins, so it fits them at the few it
does not share instead of all 36. The forecasts are the same with the memo or without
(tests/forecasting/models/test_memo.py); `--no-memo` runs with a memo that keeps nothing.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
MODELS = ["default", "trailing_mean", "conflictology", "negbin", "seasonal_naive"]


def series_frames(data: str) -> list[pd.DataFrame]:
    """One series frame per world (held-out seeds) or the shipped sample's, all three levels."""
    if data in ("heldout", "tuning", "stress"):
        sys.path.append(str(ROOT / "tests"))
        from realistic_series import HELD_OUT_SEEDS, STRESS_SEEDS, TUNING_SEEDS, make_world

        if data == "stress":
            return [make_world(seed, national=True).levels() for seed in STRESS_SEEDS]
        return [make_world(seed).levels() for seed in (HELD_OUT_SEEDS if data == "heldout" else TUNING_SEEDS)]
    import datetime as dt

    from forecasting.events import EventBounds
    from forecasting.series import series_from_events
    from forecasting.sources.files import read_event_file

    bounds = EventBounds(today=dt.datetime.now(dt.timezone.utc).date())
    _, _, validated = read_event_file(ROOT / "forecasting" / "sample" / "acled_sahel_synthetic.csv.gz", bounds)
    return [pd.concat([series_from_events(validated.events, level) for level in ("country", "admin1", "admin2")], ignore_index=True)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", choices=("heldout", "tuning", "sample", "stress"), default="heldout")
    parser.add_argument("--origins", type=int, default=6)
    parser.add_argument("--horizons", type=int, default=6)
    parser.add_argument("--no-memo", action="store_true", help="fit the ensemble's members at every inner origin anew")
    arguments = parser.parse_args()

    from forecasting.backtest import backtest_forecasts
    from forecasting.models.memo import ForecastMemo
    from forecasting.scores import crps_skill, score

    started, started_cpu = time.perf_counter(), time.process_time()
    frames = []
    for index, series in enumerate(series_frames(arguments.data)):
        memo = ForecastMemo() if arguments.no_memo else None
        cells = backtest_forecasts(series, MODELS, origins=arguments.origins, horizons=arguments.horizons, seed=0, memo=memo)
        frames.append(cells.assign(world=index))
    cells = pd.concat(frames, ignore_index=True)
    scored = score(cells).join(cells[["model", "level", "horizon", "world"]])
    by_horizon = scored.groupby(["model", "level", "horizon"]).agg(crps=("crps", "mean"), coverage_90=("in_90", "mean")).reset_index()
    overall = scored.groupby(["model", "level"]).agg(
        crps=("crps", "mean"), coverage_50=("in_50", "mean"), coverage_90=("in_90", "mean"), n=("crps", "size")
    ).reset_index()
    overall["skill"] = crps_skill(overall.assign(horizon=0))

    print(f"data: {arguments.data}, {len(frames)} world(s), {arguments.origins} origins, 1-{arguments.horizons} months ahead, "
          f"{time.perf_counter() - started:.0f} s wall, {time.process_time() - started_cpu:.0f} s CPU\n")
    print("| model | admin1 h1 CRPS / 90% cov. | admin1 h6 | country h1 | country h6 |")
    print("| --- | --- | --- | --- | --- |")
    by_horizon["skill"] = crps_skill(by_horizon)
    cell = by_horizon.set_index(["model", "level", "horizon"])
    last = arguments.horizons
    for model in MODELS:
        parts = [f"{cell.loc[(model, level, h), 'crps']:.2f} / {cell.loc[(model, level, h), 'coverage_90']:.2f}"
                 for level in ("admin1", "country") for h in (1, last)]
        print(f"| {model} | " + " | ".join(parts) + " |")
    print("\n| level | model | CRPS | skill vs conflictology | coverage 50% | coverage 90% | n |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for row in overall.sort_values(["level", "crps"]).itertuples():
        print(f"| {row.level} | {row.model} | {row.crps:.3f} | {row.skill:+.1%} | {row.coverage_50:.3f} | {row.coverage_90:.3f} | {row.n} |")
    if arguments.data == "heldout":
        original = scored[scored["world"] < 3]
        print("\nThe original three held-out worlds (seeds 9101, 9202, 9303) alone:\n")
        print("| level | model | CRPS | skill vs conflictology | coverage 50% | coverage 90% | n |")
        print("| --- | --- | --- | --- | --- | --- | --- |")
        three = original.groupby(["model", "level"]).agg(
            crps=("crps", "mean"), coverage_50=("in_50", "mean"), coverage_90=("in_90", "mean"), n=("crps", "size")
        ).reset_index()
        three["skill"] = crps_skill(three.assign(horizon=0))
        for row in three.sort_values(["level", "crps"]).itertuples():
            print(f"| {row.level} | {row.model} | {row.crps:.3f} | {row.skill:+.1%} | {row.coverage_50:.3f} | {row.coverage_90:.3f} | {row.n} |")
    print("\nBy months ahead: CRPS / 90% coverage / skill vs conflictology")
    horizons = range(1, last + 1)
    print("| level | model | " + " | ".join(f"h{h}" for h in horizons) + " |")
    print("| --- | --- | " + " | ".join("---" for _ in horizons) + " |")
    for level in ("admin2", "admin1", "country"):
        for model in MODELS:
            parts = [f"{cell.loc[(model, level, h), 'crps']:.2f} / {cell.loc[(model, level, h), 'coverage_90']:.2f} / "
                     f"{cell.loc[(model, level, h), 'skill']:+.0%}"
                     for h in horizons]
            print(f"| {level} | {model} | " + " | ".join(parts) + " |")


if __name__ == "__main__":
    main()
