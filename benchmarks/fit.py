"""Fit-and-forecast cost: the vectorized count model on 10,000 admin2 series of 96 months, against
a plain per-series Prophet loop on the same panel (extrapolated from a sample of series).

    .venv/bin/python benchmarks/fit.py [--series 10000] [--months 96] [--prophet-sample 20]

Prints the figures; docs/benchmarks.md records them with the machine they came from.
The panel is synthetic: negative binomial months around levels that drift, with a rainy-season
dip, many near-empty series (as admin2 panels are), seeded so runs are comparable.
"""

from __future__ import annotations

import argparse
import logging
import os
import time

import numpy as np
import pandas as pd

from forecasting.models import forecast
from forecasting.models.prophet_model import prophet_forecast


def synthetic_panel(series: int, months: int, seed: int = 2025) -> pd.DataFrame:
    """A series frame of `series` admin2 series x `months` months."""
    rng = np.random.default_rng(seed)
    periods = pd.date_range("2018-01-01", periods=months, freq="MS")
    base = rng.lognormal(mean=0.5, sigma=1.4, size=(series, 1))
    drift = np.cumsum(rng.normal(0.0, 0.08, size=(series, months)), axis=1)
    season = 1.0 - 0.3 * np.isin(periods.month, [7, 8, 9])[None, :]
    mean = base * np.exp(drift) * season
    values = rng.negative_binomial(1.5, 1.5 / (1.5 + mean))
    return pd.DataFrame(
        {
            "series_id": np.repeat([f"admin2|Synthetic|A{i // 50}|B{i}" for i in range(series)], months),
            "level": "admin2",
            "period": np.tile(periods.values, series),
            "value": values.reshape(-1).astype("int64"),
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=10_000)
    parser.add_argument("--months", type=int, default=96)
    parser.add_argument("--horizon", type=int, default=6)
    parser.add_argument("--prophet-sample", type=int, default=20)
    arguments = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    panel = synthetic_panel(arguments.series, arguments.months)
    print(f"machine: {os.cpu_count()} cores; panel: {arguments.series} series x {arguments.months} months (synthetic)")

    began = time.perf_counter()
    counted = forecast(panel, "negbin", arguments.horizon, seed=1)
    negbin_seconds = time.perf_counter() - began
    print(f"negbin (vectorized), fit + {arguments.horizon}-month forecast: {negbin_seconds:.1f} s "
          f"({len(counted)} forecast rows; {counted['fallback'].notna().sum() // arguments.horizon} series on a fallback)")

    began = time.perf_counter()
    forecast(panel, "ensemble", arguments.horizon, seed=1)
    print(f"ensemble (negbin + conflictology + trailing mean, weights by internal backtest): "
          f"{time.perf_counter() - began:.1f} s")

    # Plain Prophet loop, one process, as most per-series pipelines start out.
    rng = np.random.default_rng(0)
    sample = rng.choice(arguments.series, size=arguments.prophet_sample, replace=False)
    values = panel["value"].to_numpy().reshape(arguments.series, arguments.months)
    last = np.datetime64(panel["period"].max(), "M")
    prophet_forecast(values[sample[0]], last, arguments.horizon, 0)  # warm-up: imports, CmdStan
    began = time.perf_counter()
    for index in sample:
        prophet_forecast(values[index], last, arguments.horizon, 0)
    per_fit = (time.perf_counter() - began) / len(sample)
    extrapolated = per_fit * arguments.series
    print(f"prophet per series: {per_fit * 1000:.0f} ms (mean of {len(sample)}); "
          f"{arguments.series} series extrapolated: {extrapolated:.0f} s serial, {extrapolated / 2:.0f} s on 2 workers")
    print(f"ratio prophet loop / negbin: {extrapolated / negbin_seconds:.0f}x serial, "
          f"{extrapolated / 2 / negbin_seconds:.0f}x against a 2-process pool")


if __name__ == "__main__":
    main()
