"""HTTP for the live sources: retries with capped exponential backoff, and the errors a user sees.

Both API clients (ACLED, UCDP GED) send every request through `send`, which:

- honours `Retry-After` on 429 (Too Many Requests) and 503, in seconds or as an HTTP date;
- retries 5xx answers, dropped connections and timeouts with capped exponential backoff;
- after the last attempt raises `SourceUnavailableError`, naming the source and what to try.

Messages name the source and the path, never a query string with credentials in it, and never a
request body or header (that is where passwords and tokens travel).
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from forecasting.errors import ConflictwatchError

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)

#: Answers worth asking again: the server is busy, restarting or behind a failing gateway.
RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})


class SourceError(ConflictwatchError):
    """Something went wrong talking to a live source; the message names it and says what to do."""


class SourceUnavailableError(SourceError):
    """The source did not answer usefully after every retry (down, overloaded, unreachable)."""


class SourceResponseError(SourceError):
    """The source answered, but not with what its documentation promises (malformed, refused)."""


class CredentialsRejectedError(SourceError):
    """The source refused the credentials even after a fresh sign-in."""

    def __init__(self, source: str, check: str):
        self.source = source
        super().__init__(f"credentials for {source} were rejected: check {check}")


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try before giving up on a request.

    `attempts` counts the first try; the wait before retry n (1-based) is
    `base_delay_s * 2**(n-1)` with up to 10 % random jitter (so that two pulls do not hammer the
    server in step), never more than `max_delay_s`. A `Retry-After` longer than `max_retry_after_s`
    is not waited out: the pull stops and says when to try again. The defaults are config.yaml's
    (a source's `RequestConfig.retry_policy`), held there only.
    """

    attempts: int
    base_delay_s: float
    max_delay_s: float
    max_retry_after_s: float
    timeout_s: float

    def delay(self, retry: int) -> float:
        """Seconds to wait before retry number `retry` (1 = the first retry)."""
        jittered = self.base_delay_s * 2 ** (retry - 1) * (1 + 0.1 * random.random())
        return min(self.max_delay_s, jittered)


def send(
    client: httpx.Client,
    build: Callable[[], httpx.Request],
    *,
    source: str,
    policy: RetryPolicy,
    sleep: Callable[[float], None] = time.sleep,
) -> httpx.Response:
    """Send the request `build()` makes, retrying what is worth retrying; return the response.

    `build` is called once per attempt so that a retried request carries fresh headers (a
    bearer token refreshed in between). Any status that is not retried (2xx, 3xx, 4xx other
    than 429) is returned to the caller to interpret. Raises `SourceUnavailableError` once
    `policy.attempts` are used up.
    """
    import httpx

    last_problem = ""
    for attempt in range(1, policy.attempts + 1):
        request = build()
        where = f"{source} ({request.url.path})"
        wait: float | None = None
        try:
            response = client.send(request)
        except httpx.TimeoutException:
            last_problem = f"no answer within {policy.timeout_s:g} s"
        except httpx.TransportError as error:
            # Connection refused or reset, or the server hung up mid-answer.
            last_problem = f"connection failed ({type(error).__name__})"
        else:
            if response.status_code not in RETRIED_STATUSES:
                return response
            last_problem = f"HTTP {response.status_code}"
            wait = _retry_after(response)
            response.close()
            if wait is not None and wait > policy.max_retry_after_s:
                raise SourceUnavailableError(
                    f"{where} asks to wait {wait:.0f} s before the next request ({last_problem});"
                    " that is longer than this pull waits. Run the pull again later; it resumes"
                    " where it stopped."
                )
        if attempt == policy.attempts:
            break
        delay = wait if wait is not None else policy.delay(attempt)
        log.warning("%s: %s; retry %d of %d in %.1f s", where, last_problem, attempt, policy.attempts - 1, delay)
        sleep(delay)
    raise SourceUnavailableError(
        f"{where} failed {policy.attempts} times ({last_problem} on the last try). The source may be"
        " down or overloaded, or the address wrong: check the base_url under sources in"
        " config.yaml (or the *_BASE_URL variable) and your network, then run the pull again;"
        " it resumes where it stopped."
    )


def _retry_after(response: httpx.Response) -> float | None:
    """Seconds asked for by a Retry-After header (delta-seconds or HTTP date), if any."""
    value = response.headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def decode_json(response: httpx.Response, *, source: str, what: str) -> object:
    """The response body as JSON, or `SourceResponseError` saying what came instead."""
    try:
        return response.json()
    except ValueError:
        kind = response.headers.get("content-type", "no content type")
        raise SourceResponseError(
            f"{source} sent {what} that is not valid JSON (HTTP {response.status_code}, {kind},"
            f" {len(response.content)} bytes). The pull stopped; the store holds everything up"
            " to the previous page. Run it again later; if this persists the API may have changed."
        ) from None
