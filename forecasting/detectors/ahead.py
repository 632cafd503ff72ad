"""A backfill's forecasts made ahead, each part of the panel in a process of its own.

A month's forecast is each measure's geographic hierarchy, settlement tiers and actor families
forecast apart (`forecasting.models.forecast_apart`). Each part depends only on its own series up
to the month before, and on what its memo kept from the months before, never on the alerts. So
in a backfill (`detect --from --to`) each part's forecasts of every month are made in order in a
process forked for the run, which keeps that part's memo in memory from month to month, while
this process assesses the months whose forecasts have come back. The parts are shared among the
processes by their expected cost (`share_parts`). The forecasts are the ones made in one process,
to the last digit (tests/jobs/test_backfill.py), and the memo keeps the same rows.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from forecasting.detectors.backfill import SeriesHistory
from forecasting.detectors.pipeline import history_for_forecast
from forecasting.detectors.settings import AsOf
from forecasting.models import ExecutorSettings, forecast_part, parts_apart
from forecasting.models.executors import ForkedStreams, usable_cores

if TYPE_CHECKING:
    import pandas as pd

    from forecasting.models.memo import ForecastMemo

#: What a part costs besides its series, in series: measured on the long-history backfill
#: benchmark, a part of 3 series took 0.06 s a month, one of 197 series 0.28 s.
PART_COST = 50


def part_shares(history: SeriesHistory, moments: Sequence[AsOf], workers: int) -> list[set[str]]:
    """The parts of a backfill's forecasts shared among up to `workers` processes (one usable core
    each, a part each at most), by `share_parts`; [] where one process would make them all (one
    worker, core or part, or no fork: not on Linux)."""
    last = moments[-1]
    # Every part of any month is one of the last month's: places and actors only appear.
    sizes = {name: part["series_id"].nunique()
             for name, part in parts_apart(history_for_forecast(history.as_of(last), last))}
    processes = min(workers, usable_cores(), len(sizes))
    if processes <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        return []
    return share_parts(sizes, processes)


def share_parts(sizes: dict[str, int], processes: int) -> list[set[str]]:
    """The parts (name -> series) shared among `processes`, costliest first, each to the one with
    the least to do so far (the first such): `PART_COST` plus its series each."""
    shares: list[set[str]] = [set() for _ in range(processes)]
    loads = [0] * processes
    for name in sorted(sizes, key=lambda name: (-sizes[name], name)):
        least = loads.index(min(loads))
        shares[least].add(name)
        loads[least] += PART_COST + sizes[name]
    return shares


class ForecastsAhead:
    """The parts of each month's forecast of a backfill's `moments`, in order, each share of
    `shares` (`part_shares`) made in a process forked for it with `memo` (one that fits in that
    process only: `workers` 1) as `forecast_part` makes them. Use it in a `with` block;
    `next_month()` gives the next month's parts, name -> forecast frame
    (`forecasting.detectors.pipeline.forecast_the_month`'s `made`)."""

    def __init__(self, history: SeriesHistory, moments: Sequence[AsOf], shares: list[set[str]], *, model: str,
                 seed: int, executor: ExecutorSettings, memo: ForecastMemo):
        def stream(share: set[str]) -> Iterator[dict[str, pd.DataFrame]]:
            for moment in moments:
                seen = history_for_forecast(history.as_of(moment), moment)
                yield {name: forecast_part(name, part, model, 1, seed=seed, executor=executor, memo=memo)
                       for name, part in parts_apart(seen) if name in share}
            # The members fitted on the last month's history: the next month's newest origin.
            memo.save_fitted()

        self._streams = ForkedStreams([lambda share=share: stream(share) for share in shares])

    def __enter__(self) -> ForecastsAhead:
        return self

    def __exit__(self, kind, error, trace) -> None:
        self._streams.__exit__(kind, error, trace)

    def next_month(self) -> dict[str, pd.DataFrame]:
        made: dict[str, pd.DataFrame] = {}
        for reader in self._streams.readers:
            made.update(next(reader))
        return made
