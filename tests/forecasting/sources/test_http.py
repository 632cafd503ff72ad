"""Retries against a real server on 127.0.0.1: 429 with Retry-After, 5xx, resets, timeouts."""

from __future__ import annotations

import httpx
import pytest

from forecasting.sources.http import RetryPolicy, SourceUnavailableError, send


def get(api, policy, path="/api/deleted/read"):
    with httpx.Client(timeout=policy.timeout_s) as client:
        return send(client, lambda: client.build_request("GET", api.url + path), source="ACLED", policy=policy)


def test_429_waits_as_long_as_retry_after_asks(api, fast_policy):
    api.fail("/api/deleted/read", ("status", 429, {"Retry-After": "1"}))

    response = get(api, fast_policy)

    assert response.status_code == 401  # the real answer (no token), reached after the wait
    first, second = api.seen("/api/deleted/read")
    # The policy's own backoff is 10-50 ms; only Retry-After explains a gap of a second.
    assert second.at - first.at >= 0.95


def test_5xx_and_dropped_connections_are_retried_until_an_answer(api, fast_policy):
    api.fail("/api/deleted/read", ("status", 503), ("reset",), ("status", 502))

    response = get(api, fast_policy)

    assert response.status_code == 401
    assert len(api.seen("/api/deleted/read")) == 4


def test_a_timeout_is_retried(api, fast_policy):
    api.fail("/api/deleted/read", ("stall", 1.0))

    response = get(api, fast_policy)

    assert response.status_code == 401
    assert len(api.seen("/api/deleted/read")) == 2


def test_persistent_5xx_fails_after_the_last_attempt_with_a_clear_message(api, fast_policy):
    api.fail("/api/deleted/read", *[("status", 500)] * 10)

    with pytest.raises(SourceUnavailableError) as caught:
        get(api, fast_policy)

    assert len(api.seen("/api/deleted/read")) == fast_policy.attempts
    message = str(caught.value)
    assert "ACLED (/api/deleted/read) failed 4 times (HTTP 500 on the last try)" in message
    assert "run the pull again" in message


def test_persistent_timeouts_fail_naming_the_wait(api):
    policy = RetryPolicy(attempts=2, base_delay_s=0.01, max_delay_s=0.01, max_retry_after_s=5.0, timeout_s=0.2)
    api.fail("/api/deleted/read", ("stall", 0.6), ("stall", 0.6))

    with pytest.raises(SourceUnavailableError, match=r"no answer within 0.2 s"):
        get(api, policy)


def test_a_retry_after_longer_than_the_pull_waits_stops_at_once(api, fast_policy):
    api.fail("/api/deleted/read", ("status", 429, {"Retry-After": "3600"}))

    with pytest.raises(SourceUnavailableError, match=r"asks to wait 3600 s"):
        get(api, fast_policy)

    assert len(api.seen("/api/deleted/read")) == 1


def test_an_unreachable_server_fails_after_retries(fast_policy):
    with httpx.Client(timeout=0.5) as client:
        with pytest.raises(SourceUnavailableError, match=r"connection failed"):
            send(client, lambda: client.build_request("GET", "http://127.0.0.1:9/x"), source="UCDP", policy=fast_policy)


def backoff(base_delay_s: float, max_delay_s: float) -> RetryPolicy:
    """A policy whose waits alone are under test."""
    return RetryPolicy(attempts=5, base_delay_s=base_delay_s, max_delay_s=max_delay_s, max_retry_after_s=300.0, timeout_s=60.0)


def test_backoff_doubles_and_is_capped():
    policy = backoff(1.0, 5.0)
    delays = [policy.delay(retry) for retry in range(1, 6)]
    assert [round(d) for d in delays[:3]] in ([1, 2, 4],)
    assert delays[3:] == [5.0, 5.0]


def test_jitter_never_pushes_a_wait_past_the_maximum(monkeypatch):
    monkeypatch.setattr("forecasting.sources.http.random.random", lambda: 0.999)
    policy = backoff(1.0, 5.0)
    delays = [policy.delay(retry) for retry in range(1, 6)]
    assert delays[:3] == pytest.approx([1.0999, 2.1998, 4.3996])
    assert delays[3:] == [5.0, 5.0]
    # A wait under the maximum whose jitter would take it over stops at the maximum too.
    assert backoff(1.0, 4.2).delay(3) == 4.2
