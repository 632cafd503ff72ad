"""The parts of a month's forecast made at once, each share of them in a process of its own.

A month's forecast is each measure's geographic hierarchy, settlement tiers and actor families
forecast apart (`forecasting.models.forecast_apart`). Each part depends only on its own series up
to the month before, and on what its memo kept from the months before, never on another part or
on the alerts. So the parts are shared among processes by their expected cost (`share_parts`):

- `detect --as-of` makes one share here and the others in processes forked for them, at once;
- a backfill (`detect --from --to`) makes every share's forecasts of all its months, in order, in
  a process forked for the run, which keeps that share's memo in memory from month to month,
  while this process assesses the months whose forecasts have come back.

The forecasts are the ones made in one process, to the last digit, and the memo keeps the same
rows (tests/jobs/test_backfill.py).
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Collection, Iterator, Sequence
from typing import TYPE_CHECKING

from forecasting.detectors.settings import AsOf
from forecasting.models import ExecutorSettings, forecast_part, parts_apart
from forecasting.models.executors import ForkedStreams, usable_cores

if TYPE_CHECKING:
    import pandas as pd

    from forecasting.models.memo import ForecastMemo

#: What a part costs besides its series, in series: measured on the long-history backfill
#: benchmark, a part of 3 series took 0.06 s a month, one of 197 series 0.28 s.
PART_COST = 50

#: The parts of a month's history for the forecast (`parts_apart` of
#: `pipeline.history_for_forecast`) named in a collection, in `parts_apart`'s order.
PartsOf = Callable[[AsOf, Collection[str]], "list[tuple[str, pd.DataFrame]]"]


def parts_named(seen: pd.DataFrame) -> PartsOf:
    """`PartsOf` one month's history for the forecast, `seen`, whatever the month asked for."""
    return lambda _, names: [(name, part) for name, part in parts_apart(seen) if name in names]


def part_shares(seen: pd.DataFrame, workers: int) -> list[set[str]]:
    """The parts of the forecast fitted on `seen` (`pipeline.history_for_forecast`: of a
    backfill's last month, whose parts are those of any month before it, as places and actors
    only appear) shared among up to `workers` processes (one usable core each, a part each at
    most) by `share_parts`; [] where one process would make them all (one worker, core or part,
    or no fork: not on Linux)."""
    sizes = {name: part["series_id"].nunique() for name, part in parts_apart(seen)}
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
    """The parts of the forecast of each of `moments`, in order, each share of `shares`
    (`part_shares`) made with `memo` (one that fits in its process only: `workers` 1) as
    `forecast_part` makes them, from `parts_of(moment, share)` (the month's history for the
    forecast, `PartsOf`: a backfill's `SeriesHistory.forecast_parts`): in a process forked for
    it, or the first share in this process, when its month is asked for, where `here` is on. Use
    it in a `with` block; `next_month()` gives the next month's parts, name -> forecast frame
    (`pipeline.forecast_the_month`'s `made`)."""

    def __init__(self, parts_of: PartsOf, moments: Sequence[AsOf], shares: list[set[str]], *,
                 model: str, seed: int, executor: ExecutorSettings, memo: ForecastMemo, here: bool = False):
        def parts(share: set[str], moment: AsOf) -> dict[str, pd.DataFrame]:
            return {name: forecast_part(name, part, model, 1, seed=seed, executor=executor, memo=memo)
                    for name, part in parts_of(moment, share)}

        def stream(share: set[str]) -> Iterator[dict[str, pd.DataFrame]]:
            for moment in moments:
                yield parts(share, moment)
            # The members fitted on the last month's history: the next month's newest origin.
            memo.save_fitted()

        self._here = (lambda moment: parts(shares[0], moment)) if here else None
        self._moments = iter(moments)
        self._streams = ForkedStreams([lambda share=share: stream(share) for share in shares[1 if here else 0:]])

    def __enter__(self) -> ForecastsAhead:
        return self

    def __exit__(self, kind, error, trace) -> None:
        self._streams.__exit__(kind, error, trace)

    def next_month(self) -> dict[str, pd.DataFrame]:
        moment = next(self._moments)
        made = self._here(moment) if self._here is not None else {}
        for reader in self._streams.readers:
            made.update(next(reader))
        return made
