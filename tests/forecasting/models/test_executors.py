"""Per-series models give the same numbers in this process, in a process pool and on Dask."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.errors import ConflictwatchError
from forecasting.models import ExecutorSettings, forecast


@pytest.fixture(scope="module")
def series() -> pd.DataFrame:
    rng = np.random.default_rng(21)
    periods = pd.date_range("2020-01-01", periods=48, freq="MS")
    frames = [
        pd.DataFrame({"series_id": f"admin2|X|A|B{i}", "level": "admin2", "period": periods,
                      "value": rng.negative_binomial(3, 3 / (3 + 4.0 + 3 * i), size=len(periods))})
        for i in range(4)
    ]
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def serial(series) -> pd.DataFrame:
    return forecast(series, "ets", 3, seed=4, executor=ExecutorSettings("serial"))


def test_process_pool_matches_serial(series, serial):
    pooled = forecast(series, "ets", 3, seed=4, executor=ExecutorSettings("process", workers=2))
    pd.testing.assert_frame_equal(pooled, serial)
    assert serial["fallback"].isna().all()


def test_dask_local_cluster_matches_the_process_pool(series, serial):
    on_dask = forecast(series, "ets", 3, seed=4, executor=ExecutorSettings("dask", workers=2))
    pd.testing.assert_frame_equal(on_dask, serial)


def test_executor_settings_reject_unknown_executors_and_no_workers():
    with pytest.raises(ConflictwatchError, match="unknown executor 'threads'"):
        ExecutorSettings("threads")
    with pytest.raises(ConflictwatchError, match="workers must be at least 1"):
        ExecutorSettings("process", workers=0)


def test_forked_workers_make_any_calls_closures_too_and_give_the_results_in_order():
    import os

    from forecasting.models.executors import forked, usable_cores

    scale = 10
    results = forked([lambda number=number: (number * scale, os.getpid()) for number in range(12)], 2)
    assert [value for value, _ in results] == [number * 10 for number in range(12)]
    if usable_cores() > 1:
        assert os.getpid() not in {pid for _, pid in results}
    # One call, or one worker: made here.
    assert forked([os.getpid], 2) == [os.getpid()]
    assert {pid for pid in forked([os.getpid] * 3, 1)} == {os.getpid()}
    with pytest.raises(ZeroDivisionError):
        forked([lambda: 1, lambda: 1 / 0, lambda: 2], 2)


def test_forked_streams_send_each_streams_items_in_order_and_finish_its_work_after_the_last(tmp_path):
    """Each stream runs in a process of its own, ahead of its reader; leaving the block waits for
    the work a stream does after its last item (a backfill's parts keep their last fits then)."""
    import os

    from forecasting.models.executors import ForkedStreams

    def stream(name):
        for number in range(5):
            yield name, number, os.getpid()
        (tmp_path / name).write_text("finished")

    with ForkedStreams([lambda: stream("a"), lambda: stream("b")]) as streams:
        first, second = streams.readers
        got = [(next(first), next(second)) for _ in range(5)]
    assert [(a[:2], b[:2]) for a, b in got] == [(("a", n), ("b", n)) for n in range(5)]
    pids = {a[2] for a, _ in got} | {b[2] for _, b in got}
    assert len(pids) == 2 and os.getpid() not in pids
    assert (tmp_path / "a").read_text() == (tmp_path / "b").read_text() == "finished"
    with pytest.raises(StopIteration):
        next(first)


def test_a_streams_error_is_raised_where_it_is_read():
    from forecasting.as_of import InvalidAsOfError
    from forecasting.models.executors import ForkedStreams, StreamError

    def failing(error):
        yield 1
        raise error

    # conflictwatch's own errors as they were raised, message and all.
    with pytest.raises(InvalidAsOfError, match="no such month"):
        with ForkedStreams([lambda: failing(InvalidAsOfError("no such month"))]) as streams:
            assert next(streams.readers[0]) == 1
            next(streams.readers[0])
    # Any other error comes with the stream's traceback; so does one met while the block ends.
    with pytest.raises(StreamError, match=r"(?s)test_executors.py.*ZeroDivisionError: 1 / 0"):
        with ForkedStreams([lambda: failing(ZeroDivisionError("1 / 0"))]) as streams:
            assert next(streams.readers[0]) == 1


def test_a_killed_stream_is_an_error_and_leaving_on_an_error_ends_the_others():
    import os
    import signal
    import time

    from forecasting.models.executors import ForkedStreams, StreamError

    def killed():
        yield os.getpid()
        os.kill(os.getpid(), signal.SIGKILL)
        yield "never"

    def forever():
        yield os.getpid()
        while True:
            time.sleep(0.05)
            yield "more"

    with pytest.raises(StreamError, match=r"ended without finishing \(exit code -9\)"):
        with ForkedStreams([killed, forever]) as streams:
            next(streams.readers[0])
            waiting = next(streams.readers[1])
            next(streams.readers[0])
    # The endless stream's process was ended when the block was left on the error.
    with pytest.raises(ProcessLookupError):
        os.kill(waiting, 0)
