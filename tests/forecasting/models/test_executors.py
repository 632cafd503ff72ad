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
