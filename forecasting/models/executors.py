"""Where per-series work runs: in this process, a local process pool, or a Dask cluster.

Vectorized models never come here. Per-series models (ETS, Prophet) split their series into
chunks and hand `map_chunks` a module-level function and the chunks; every executor returns the
results in the order of the chunks, so the numbers do not depend on where they were computed.
`forked` shares any calls (closures too) among processes forked from this one: the ensemble's
rolling origins when nothing of them was kept (`forecasting.models.memo`).
"""

from __future__ import annotations

import atexit
import logging
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from forecasting.errors import ConflictwatchError

log = logging.getLogger(__name__)

EXECUTORS = ("serial", "process", "dask")


class ExecutorUnavailableError(ConflictwatchError):
    """The configured executor cannot run here (Dask missing or its scheduler unreachable)."""


@dataclass(frozen=True)
class ExecutorSettings:
    """Where per-series work runs: `executor` (serial | process | dask), on up to `workers`
    processes, `dask_address` the scheduler (None: a local cluster of `workers`). Given to
    `forecast()` and `backtest()` only; vectorized models never look at it."""

    executor: str = "serial"
    workers: int = 1
    dask_address: str | None = None

    def __post_init__(self) -> None:
        if self.executor not in EXECUTORS:
            raise ConflictwatchError(f"unknown executor {self.executor!r}: choose one of {', '.join(EXECUTORS)}")
        if self.workers < 1:
            raise ConflictwatchError(f"workers must be at least 1, not {self.workers}")


#: In this process: what tests, small panels and the ensemble's internal backtests use.
SERIAL = ExecutorSettings()


def map_chunks(function: Callable[[Any], Any], chunks: Sequence[Any], settings: ExecutorSettings = SERIAL) -> list[Any]:
    """`[function(chunk) for chunk in chunks]`, run as `settings` say on up to `workers` processes.

    `dask` connects to the scheduler at `dask_address`, or starts a local cluster of `workers`
    single-threaded worker processes when there is none, and closes what it opened.
    """
    executor, workers = settings.executor, settings.workers
    if executor == "serial" or (executor == "process" and (workers <= 1 or len(chunks) <= 1)):
        return [function(chunk) for chunk in chunks]
    if executor == "process":
        return list(_process_pool(workers).map(function, chunks))
    return _map_on_dask(function, chunks, workers=workers, dask_address=settings.dask_address)


#: The calls `forked` is making: its forked workers inherit them (closures are never pickled).
_CALLS: list[Callable[[], Any]] = []


def forked(calls: Sequence[Callable[[], Any]], workers: int) -> list[Any]:
    """`[call() for call in calls]`, shared among up to `workers` processes forked from this one,
    one usable core each: each worker takes the next call no worker has taken (calls cost
    unequally), and the results come back pickled, in the order of `calls`. Any function or
    closure can be a call: the workers inherit them at the fork, with this process's memory. A
    worker that uses the store opens connections of its own (`forecasting.store.base`). Fork,
    not `map_chunks`' forkserver: the calls are the command's own numpy and pandas work, and the
    process's other threads, where there are any (the service's scheduler), wait meanwhile (the
    report's page workers are forked likewise). In this process where there is one call, one
    worker or core, or no fork (not on Linux)."""
    workers = min(workers, len(calls), usable_cores())
    if workers <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        return [call() for call in calls]
    _CALLS[:] = calls
    try:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            return list(pool.map(_call, range(len(calls))))
    finally:
        _CALLS.clear()


def _call(index: int) -> Any:
    return _CALLS[index]()


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def split(count: int, settings: ExecutorSettings) -> list[range]:
    """Index ranges that share `count` series among workers (a few chunks each, to even out)."""
    parts = 1 if settings.executor == "serial" else max(1, min(count, settings.workers * 4))
    bounds = [round(index * count / parts) for index in range(parts + 1)]
    return [range(bounds[i], bounds[i + 1]) for i in range(parts) if bounds[i] < bounds[i + 1]]


_POOLS: dict[int, ProcessPoolExecutor] = {}


def _process_pool(workers: int) -> ProcessPoolExecutor:
    """One pool per size for the life of the process: a backtest asks for hundreds of fits in
    dozens of calls, and each new pool would pay the workers' statsmodels/prophet imports again."""
    if workers not in _POOLS:
        # forkserver, not fork: forking a process that holds threads (BLAS, Dask) can deadlock.
        context = multiprocessing.get_context("forkserver")
        _POOLS[workers] = ProcessPoolExecutor(max_workers=workers, mp_context=context)
        atexit.register(_POOLS[workers].shutdown)
    return _POOLS[workers]


def _map_on_dask(function, chunks, *, workers: int, dask_address: str | None) -> list[Any]:
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ExecutorUnavailableError(
            "executor: dask needs Dask distributed: pip install 'conflictwatch[dask]', or set "
            "forecast.executor to process in config.yaml"
        ) from None
    cluster = None
    try:
        if dask_address:
            client = Client(dask_address, timeout="10s")
        else:
            cluster = LocalCluster(
                n_workers=max(1, workers), threads_per_worker=1, processes=True, dashboard_address=None
            )
            client = Client(cluster)
    except OSError as error:
        if cluster is not None:
            cluster.close()
        raise ExecutorUnavailableError(
            f"cannot reach the Dask scheduler at {dask_address} ({error}); check forecast.dask_address "
            "in config.yaml, or set it to null for a local cluster"
        ) from None
    try:
        log.info("running %d chunks on Dask (%s)", len(chunks), dask_address or "local cluster")
        return client.gather(client.map(function, list(chunks), pure=False))
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
