"""ACLED's API: OAuth sign-in, event pages and the deleted-events list.

Sign-in is ACLED's OAuth password grant: POST {base}/oauth/token with the form fields
username, password, grant_type=password and client_id=acled. The answer carries an access token
(valid about 24 hours, `expires_in`) and a refresh token (about 14 days). The client refreshes
the access token shortly before it expires, signs in with the password again when the refresh
token is refused or has run out, and after a 401 tries exactly one fresh token before it says
the credentials were rejected.

Tokens may be cached in a file (mode 0600) so that a daily scheduled pull does not send the
password every day. Data pages come from {base}/api/acled/read?_format=json; their JSON rows
use the same field names as ACLED's CSV export, so `acled_csv.acled_rows_to_events` maps them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from forecasting.redaction import redact
from forecasting.sources.http import (
    CredentialsRejectedError,
    RetryPolicy,
    SourceResponseError,
    decode_json,
    send,
)

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)

SOURCE = "ACLED"
CREDENTIALS_HINT = "ACLED_USERNAME/ACLED_PASSWORD"
CLIENT_ID = "acled"
#: ACLED does not say how long a refresh token lives; its documentation gives 14 days.
REFRESH_LIFETIME_S = 14 * 24 * 3600
#: Refresh this long before the access token expires, so no request goes out with a dying one.
EXPIRY_MARGIN_S = 300

#: Fields every event row of a page must carry; without them a row cannot become an event.
REQUIRED_FIELDS = ("event_id_cnty", "event_date", "country", "fatalities", "timestamp")


@dataclass(frozen=True)
class AcledToken:
    """An OAuth token pair and when each part expires (unix seconds)."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    access_expires_at: float
    refresh_expires_at: float


class AcledClient:
    """A signed-in session with ACLED's API. Use as a context manager; it closes its connections.

    `token_cache` (optional) is a JSON file holding the token pair for this user, written with
    mode 0600. `clock` returns unix seconds (tests move it forward to expire tokens).
    """

    def __init__(
        self,
        base_url: str,
        username: str,
        password: str,
        *,
        policy: RetryPolicy,
        token_cache: Path | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ):
        import httpx

        self.base_url = base_url.rstrip("/")
        self._username = username
        self._password = password
        self._policy = policy
        self._token_cache = token_cache
        self._clock = clock
        self._sleep = sleep
        self._http = httpx.Client(timeout=policy.timeout_s, follow_redirects=False)
        self._token: AcledToken | None = self._load_cached_token()

    def __enter__(self) -> AcledClient:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # --- data ---------------------------------------------------------------------------------

    def read_events(
        self,
        *,
        countries: list[str],
        start: dt.date,
        end: dt.date,
        page: int,
        limit: int,
        newer_than: int | None = None,
    ) -> list[dict[str, Any]]:
        """One page (1-based) of events in `countries` dated `start`..`end` (inclusive).

        With `newer_than` (unix seconds), only events whose `timestamp` is at or after it: the
        ones added or revised since the last pull. A page shorter than `limit` is the last.
        Raises `SourceResponseError` for an answer that is not a page of events.
        """
        params = {
            "_format": "json",
            "country": "|".join(countries),
            "event_date": f"{start.isoformat()}|{end.isoformat()}",
            "event_date_where": "BETWEEN",
            "limit": str(limit),
            "page": str(page),
        }
        if newer_than is not None:
            params["timestamp"] = str(newer_than)
        rows = self._read("/api/acled/read", params, what=f"page {page} of events")
        for position, row in enumerate(rows, start=1):
            missing = [name for name in REQUIRED_FIELDS if row.get(name) in (None, "")]
            if missing:
                raise SourceResponseError(
                    f"{SOURCE} page {page}, row {position} (event {row.get('event_id_cnty') or '?'}) lacks"
                    f" {', '.join(missing)}. The pull stopped; the store holds everything up to the"
                    " previous page. Run it again later; if this persists, report it to ACLED."
                )
        return rows

    def read_deletions(self, *, since: int, page: int, limit: int) -> list[tuple[str, int]]:
        """One page of ACLED's deleted-events list: (event_id_cnty, deleted_timestamp) pairs for
        events deleted at or after `since` (unix seconds)."""
        params = {
            "_format": "json",
            "deleted_timestamp": str(since),
            "limit": str(limit),
            "page": str(page),
        }
        rows = self._read("/api/deleted/read", params, what=f"page {page} of deleted events")
        deletions = []
        for position, row in enumerate(rows, start=1):
            event_id, deleted = row.get("event_id_cnty"), row.get("deleted_timestamp")
            try:
                deletions.append((str(event_id), int(deleted)))
            except (TypeError, ValueError):
                raise SourceResponseError(
                    f"{SOURCE} deleted-events page {page}, row {position} lacks event_id_cnty or a"
                    " numeric deleted_timestamp. The pull stopped before applying deletions; run"
                    " it again later."
                ) from None
            if event_id in (None, ""):
                raise SourceResponseError(
                    f"{SOURCE} deleted-events page {page}, row {position} has no event_id_cnty."
                )
        return deletions

    def _read(self, path: str, params: dict[str, str], *, what: str) -> list[dict[str, Any]]:
        response = self._authorized_get(path, params)
        if response.status_code == 403:
            raise SourceResponseError(
                f"{SOURCE} signed you in but refused {what} (HTTP 403): the account may lack API"
                " access. Check at acleddata.com that the terms of use are accepted, the profile is"
                " complete and API access is enabled for this account."
            )
        if response.status_code >= 400:
            raise SourceResponseError(
                f"{SOURCE} refused {what} (HTTP {response.status_code}: {self._excerpt(response)})."
                " Check the countries and dates in config.yaml; if they are right, the API may have"
                " changed."
            )
        body = decode_json(response, source=SOURCE, what=what)
        if not isinstance(body, dict):
            raise SourceResponseError(f"{SOURCE} sent {what} that is not a JSON object; the pull stopped.")
        if body.get("success") is False or body.get("status") not in (None, 200, "200"):
            raise SourceResponseError(
                f"{SOURCE} answered {what} with an error: {self._redact(_error_text(body))}. The"
                " pull stopped; the store holds everything up to the previous page."
            )
        rows = body.get("data")
        if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
            raise SourceResponseError(
                f"{SOURCE} sent {what} without a list of rows under 'data'; the pull stopped and the"
                " store holds everything up to the previous page. Run it again later."
            )
        return rows

    def _authorized_get(self, path: str, params: dict[str, str]) -> httpx.Response:
        """GET with a bearer token; after a 401, one fresh token and one more try."""
        url = self.base_url + path
        for attempt in (1, 2):
            token = self._valid_token()
            response = send(
                self._http,
                lambda: self._http.build_request(
                    "GET", url, params=params, headers={"Authorization": f"Bearer {token.access_token}"}
                ),
                source=SOURCE,
                policy=self._policy,
                sleep=self._sleep,
            )
            if response.status_code != 401:
                return response
            response.close()
            if attempt == 1:
                log.info("%s refused the access token (HTTP 401); getting a fresh one", SOURCE)
                self._renew(after_rejection=True)
        raise CredentialsRejectedError(SOURCE, CREDENTIALS_HINT)

    # --- tokens -------------------------------------------------------------------------------

    def _valid_token(self) -> AcledToken:
        now = self._clock()
        if self._token is None or self._token.access_expires_at - EXPIRY_MARGIN_S <= now:
            self._renew(after_rejection=False)
        assert self._token is not None
        return self._token

    def _renew(self, *, after_rejection: bool) -> None:
        """Refresh the access token if the refresh token is still good, else sign in again."""
        token = self._token
        now = self._clock()
        if token is not None and token.refresh_token and token.refresh_expires_at - EXPIRY_MARGIN_S > now:
            refreshed = self._request_token(
                {"grant_type": "refresh_token", "refresh_token": token.refresh_token, "client_id": CLIENT_ID},
                refreshing=True,
            )
            if refreshed is not None:
                self._keep(refreshed)
                return
            log.info("%s refused the refresh token; signing in again", SOURCE)
        elif after_rejection:
            log.info("%s: signing in again", SOURCE)
        signed_in = self._request_token(
            {
                "username": self._username,
                "password": self._password,
                "grant_type": "password",
                "client_id": CLIENT_ID,
            },
            refreshing=False,
        )
        assert signed_in is not None
        self._keep(signed_in)

    def _request_token(self, form: dict[str, str], *, refreshing: bool) -> AcledToken | None:
        """POST the token endpoint. A refused refresh returns None; a refused sign-in raises."""
        url = self.base_url + "/oauth/token"
        response = send(
            self._http,
            lambda: self._http.build_request("POST", url, data=form),
            source=SOURCE,
            policy=self._policy,
            sleep=self._sleep,
        )
        if response.status_code in (400, 401, 403):
            if refreshing:
                return None
            raise CredentialsRejectedError(SOURCE, CREDENTIALS_HINT)
        if response.status_code >= 300:
            raise SourceResponseError(
                f"{SOURCE} sign-in failed (HTTP {response.status_code}); check base_url under"
                " sources.acled in config.yaml (or ACLED_BASE_URL)."
            )
        body = decode_json(response, source=SOURCE, what="a sign-in answer")
        access = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(access, str) or not access:
            raise SourceResponseError(f"{SOURCE} sign-in answer has no access_token; the API may have changed.")
        now = self._clock()
        try:
            lifetime = float(body.get("expires_in", 24 * 3600))
        except (TypeError, ValueError):
            lifetime = 24 * 3600.0
        refresh = body.get("refresh_token") if isinstance(body.get("refresh_token"), str) else None
        if refreshing and refresh is None and self._token is not None:
            # A refresh answer may omit the refresh token: the old one stays valid.
            refresh, refresh_expires = self._token.refresh_token, self._token.refresh_expires_at
        else:
            refresh_expires = now + REFRESH_LIFETIME_S
        return AcledToken(
            access_token=access,
            refresh_token=refresh,
            access_expires_at=now + lifetime,
            refresh_expires_at=refresh_expires,
        )

    def _keep(self, token: AcledToken) -> None:
        self._token = token
        if self._token_cache is not None:
            _write_private_json(
                self._token_cache,
                {
                    "user": self._user_key(),
                    "base_url": self.base_url,
                    "access_token": token.access_token,
                    "refresh_token": token.refresh_token,
                    "access_expires_at": token.access_expires_at,
                    "refresh_expires_at": token.refresh_expires_at,
                },
            )

    def _load_cached_token(self) -> AcledToken | None:
        if self._token_cache is None or not self._token_cache.is_file():
            return None
        try:
            cached = json.loads(self._token_cache.read_text(encoding="utf-8"))
            # A token cached for another account or server is not ours to use.
            if cached.get("user") != self._user_key() or cached.get("base_url") != self.base_url:
                return None
            return AcledToken(
                access_token=str(cached["access_token"]),
                refresh_token=cached.get("refresh_token"),
                access_expires_at=float(cached["access_expires_at"]),
                refresh_expires_at=float(cached["refresh_expires_at"]),
            )
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            log.warning("ignoring an unreadable ACLED token cache at %s; signing in afresh", self._token_cache)
            return None

    def _user_key(self) -> str:
        # A hash, so that the cache file does not hold the username either.
        return hashlib.sha256(self._username.encode("utf-8")).hexdigest()[:16]

    # --- messages -----------------------------------------------------------------------------

    def _redact(self, text: str) -> str:
        return redact(text, (self._password, self._username, *self._token_values()))

    def _token_values(self) -> tuple[str, ...]:
        if self._token is None:
            return ()
        return tuple(value for value in (self._token.access_token, self._token.refresh_token) if value)

    def _excerpt(self, response: httpx.Response) -> str:
        text = " ".join(response.text[:200].split())
        return self._redact(text) or "empty body"


def _error_text(body: dict[str, Any]) -> str:
    """ACLED's error shapes: `error` as text or {message}, or a `messages` list."""
    error = body.get("error")
    if isinstance(error, dict):
        error = error.get("message") or json.dumps(error)[:200]
    if not error and isinstance(body.get("messages"), list):
        error = "; ".join(str(message) for message in body["messages"])
    return str(error or f"success: {body.get('success')}, status: {body.get('status')}")[:300]


def _write_private_json(path: Path, document: dict[str, Any]) -> None:
    """Write a file only its owner can read (0600), atomically: a crash leaves the old one."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        # mkstemp creates the file 0600 already; chmod again in case a platform differs.
        os.fchmod(descriptor, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(document, handle)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
