"""Fixtures for the live-source clients: a real HTTP server on 127.0.0.1 (tests/fake_sources.py)."""

from __future__ import annotations

import pytest
from fake_sources import FakeSources

from forecasting.sources.http import RetryPolicy


@pytest.fixture
def api():
    with FakeSources() as server:
        yield server


@pytest.fixture
def fast_policy() -> RetryPolicy:
    """Real retries with millisecond waits, so fault tests stay quick."""
    return RetryPolicy(attempts=4, base_delay_s=0.01, max_delay_s=0.05, max_retry_after_s=5.0, timeout_s=0.5)
