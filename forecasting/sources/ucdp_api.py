"""UCDP's GED API: {base}/api/gedevents/{version}, page by page via NextPageUrl.

The access token travels in the `x-ucdp-access-token` header. UCDP filters countries by
Gleditsch-Ward code, not by name; `GLEDITSCH_WARD` maps the names conflictwatch uses. A page is
`{"TotalCount", "TotalPages", "PreviousPageUrl", "NextPageUrl", "Result": [...]}`; its rows
carry the same fields as GED's CSV download, so `ucdp_csv.ucdp_rows_to_events` maps them.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from forecasting.sources.http import (
    CredentialsRejectedError,
    RetryPolicy,
    SourceError,
    SourceResponseError,
    decode_json,
    send,
)

log = logging.getLogger(__name__)

SOURCE = "UCDP"
CREDENTIALS_HINT = "UCDP_TOKEN (the access token UCDP issued you)"

#: Gleditsch-Ward country codes, which UCDP's `Country` filter takes: the central Sahel and
#: its neighbours.
GLEDITSCH_WARD = {
    "Mali": 432,
    "Senegal": 433,
    "Benin": 434,
    "Mauritania": 435,
    "Niger": 436,
    "Ivory Coast": 437,
    "Cote d'Ivoire": 437,
    "Guinea": 438,
    "Burkina Faso": 439,
    "Ghana": 452,
    "Togo": 461,
    "Cameroon": 471,
    "Nigeria": 475,
    "Chad": 483,
    "Algeria": 615,
    "Libya": 620,
}

#: Fields every GED row must carry to become an event.
REQUIRED_FIELDS = ("id", "date_start", "country", "best")


@dataclass(frozen=True)
class UcdpPage:
    """One page of GED events: its rows, the link to the next page ('' at the end), page count."""

    rows: list[dict[str, Any]]
    next_url: str
    total_pages: int | None


def country_codes(countries: list[str]) -> list[int]:
    """Gleditsch-Ward codes for country names; `SourceError` names any it does not know."""
    unknown = [name for name in countries if name not in GLEDITSCH_WARD]
    if unknown:
        raise SourceError(
            f"UCDP filters by Gleditsch-Ward code and conflictwatch has none for {', '.join(unknown)}."
            f" Known: {', '.join(sorted(GLEDITSCH_WARD))}. Fix watch_area.countries in config.yaml."
        )
    return [GLEDITSCH_WARD[name] for name in countries]


class UcdpClient:
    """Reads GED pages with the token header. Use as a context manager."""

    def __init__(
        self,
        base_url: str,
        token: str,
        version: str,
        *,
        page_size: int,
        policy: RetryPolicy,
        sleep: Callable[[float], None] = time.sleep,
    ):
        import httpx

        self.base_url = base_url.rstrip("/")
        self.version = version
        self._token = token
        self._page_size = page_size
        self._policy = policy
        self._sleep = sleep
        self._http = httpx.Client(timeout=policy.timeout_s, follow_redirects=False)

    def __enter__(self) -> UcdpClient:
        return self

    def __exit__(self, *_exc) -> None:
        self._http.close()

    def first_page(self, countries: list[str], *, start: dt.date | None = None, end: dt.date | None = None) -> str:
        """The address (path and query) of the first page for these countries and dates."""
        params = {"pagesize": str(self._page_size), "Country": ",".join(map(str, country_codes(countries)))}
        if start is not None:
            params["StartDate"] = start.isoformat()
        if end is not None:
            params["EndDate"] = end.isoformat()
        return f"/api/gedevents/{self.version}?{urlencode(params, safe=',')}"

    def read_page(self, address: str, *, number: int) -> UcdpPage:
        """The page at `address` (a path with query, or NextPageUrl as UCDP gave it).

        `number` (1-based) is only for messages. Raises `CredentialsRejectedError` on 401/403
        and `SourceResponseError` on anything that is not a GED page.
        """
        url = self.base_url + _path_and_query(address)
        response = send(
            self._http,
            lambda: self._http.build_request("GET", url, headers={"x-ucdp-access-token": self._token}),
            source=SOURCE,
            policy=self._policy,
            sleep=self._sleep,
        )
        if response.status_code in (401, 403):
            # UCDP tokens are fixed strings: there is nothing to refresh.
            raise CredentialsRejectedError(SOURCE, CREDENTIALS_HINT)
        what = f"page {number} of GED {self.version} events"
        if response.status_code >= 400:
            hint = " Check sources.ucdp.version in config.yaml." if response.status_code == 404 else ""
            raise SourceResponseError(f"{SOURCE} refused {what} (HTTP {response.status_code}).{hint}")
        body = decode_json(response, source=SOURCE, what=what)
        if not isinstance(body, dict) or not isinstance(body.get("Result"), list) or "NextPageUrl" not in body:
            raise SourceResponseError(
                f"{SOURCE} sent {what} without 'Result' and 'NextPageUrl'; the pull stopped and the"
                " store holds everything up to the previous page. Run it again later."
            )
        rows = body["Result"]
        for position, row in enumerate(rows, start=1):
            if not isinstance(row, dict):
                raise SourceResponseError(f"{SOURCE} {what}, row {position} is not an object; the pull stopped.")
            missing = [name for name in REQUIRED_FIELDS if row.get(name) in (None, "")]
            if missing:
                raise SourceResponseError(
                    f"{SOURCE} {what}, row {position} (event {row.get('id') or '?'}) lacks"
                    f" {', '.join(missing)}. The pull stopped; the store holds everything up to the"
                    " previous page."
                )
        total = body.get("TotalPages")
        return UcdpPage(
            rows=rows,
            next_url=_path_and_query(body.get("NextPageUrl") or ""),
            total_pages=int(total) if isinstance(total, (int, float)) else None,
        )


def _path_and_query(address: str) -> str:
    """Path and query of a link. NextPageUrl is absolute; the token only ever goes to the
    configured base URL, whatever host a link names (and a proxy or mirror keeps working)."""
    if not address:
        return ""
    parts = urlsplit(address)
    return parts.path + (f"?{parts.query}" if parts.query else "")
