"""Where per-series work runs: in this process, a local process pool, or a Dask cluster.

Vectorized models never come here. Per-series models (ETS, Prophet) split their series into
chunks and hand `map_chunks` a module-level function and the chunks; every executor returns the
results in the order of the chunks, so the numbers do not depend on where they were computed.
`forked` shares any calls (closures too) among processes forked from this one: the ensemble's
rolling origins when nothing of them was kept (`forecasting.models.memo`). `ForkedStreams` runs
streams of work in processes forked likewise, each to its end: a backfill's forecasts, each part
of the panel in its own process (`forecasting.detectors.ahead`).
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


class ForkedStreams:
    """Each of `streams` (functions returning an iterable) run to its end in a process forked
    from this one, as `forked` forks: `next(self.readers[k])` is the next item of the k-th, sent
    back pickled in order. A process runs ahead of its reader as far as its pipe holds an item
    or two, so the streams and this process work at once. Use it in a `with` block: leaving it
    reads what the streams still send to their ends (the work after their last item is done,
    and a stream's error raised here) or, when leaving on an error, ends them at once. An error
    in a stream is raised here, as it was raised there where it can be sent (a
    `ConflictwatchError` with its message), else as a `StreamError` with its traceback; a
    process that dies without a word (killed) is a `StreamError` too."""

    def __init__(self, streams: Sequence[Callable[[], Any]]):
        context = multiprocessing.get_context("fork")
        self._processes: list[Any] = []
        self._pipes: list[Any] = []
        self._ended: list[bool] = []
        try:
            for stream in streams:
                reader, writer = context.Pipe(duplex=False)
                # The pipes of the streams before: the new process has no use for them, and a
                # stream must see its pipe broken if this process dies, not wait on a sibling.
                process = context.Process(target=_send_stream, args=(stream, writer, list(self._pipes)))
                process.start()
                writer.close()
                self._processes.append(process)
                self._pipes.append(reader)
                self._ended.append(False)
        except BaseException:
            self.close(abandon=True)
            raise
        self.readers = [_StreamReader(self, index) for index in range(len(self._processes))]

    def __enter__(self) -> ForkedStreams:
        return self

    def __exit__(self, kind, error, trace) -> None:
        self.close(abandon=kind is not None)

    def close(self, *, abandon: bool = False) -> None:
        """Wait for every stream to end (each read to its end, its error raised), or with
        `abandon`, end them at once."""
        try:
            if not abandon:
                for reader in getattr(self, "readers", []):
                    for _ in reader:
                        pass
        except BaseException:
            abandon = True  # the others are not waited for
            raise
        finally:
            for process in self._processes:
                if abandon and process.is_alive():
                    process.terminate()
                process.join()
            for pipe in self._pipes:
                pipe.close()
            self._processes, self._pipes = [], []

    def _next(self, index: int) -> Any:
        if self._ended[index]:
            raise StopIteration
        try:
            kind, value = self._pipes[index].recv()
        except EOFError:
            self._ended[index] = True
            process = self._processes[index]
            process.join(5)
            raise StreamError(f"a forked worker ended without finishing (exit code {process.exitcode})") from None
        if kind == "item":
            return value
        self._ended[index] = True
        if kind == "error":
            raise value
        raise StopIteration


class StreamError(ConflictwatchError):
    """A forked stream failed: its traceback, or how its process ended."""


class _StreamReader:
    def __init__(self, streams: ForkedStreams, index: int):
        self._streams, self._index = streams, index

    def __iter__(self) -> _StreamReader:
        return self

    def __next__(self) -> Any:
        return self._streams._next(self._index)


def _send_stream(stream: Callable[[], Any], writer, others: list) -> None:
    """In a forked process: every item of `stream()` down `writer`, then its end or its error."""
    import pickle
    import traceback

    for pipe in others:
        pipe.close()
    try:
        for item in stream():
            writer.send(("item", item))
    except Exception as error:  # sent to the reader, which raises it
        sent = StreamError(f"a forked worker failed:\n{traceback.format_exc()}")
        if isinstance(error, ConflictwatchError):
            try:
                sent = pickle.loads(pickle.dumps(error))
            except Exception:  # an error that cannot travel: its traceback does
                pass
        writer.send(("error", sent))
    else:
        writer.send(("end", None))
    finally:
        writer.close()


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
