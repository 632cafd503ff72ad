"""UCDP GED as a live source (`conflictwatch pull ucdp`): one fixed release, read once.

GED releases are fixed, so a pull reads its whole configured version once (or, with `--since`,
the events dated from DATE) and skips a version it has already read completely. Every event of a
pull carries the pull's start as its version stamp, so a later pull (a newer release) replaces
what an earlier one stored. UCDP links pages (NextPageUrl). The HTTP client is
`ucdp_api.UcdpClient`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from forecasting.sources.live import Closing, Page, same_query

log = logging.getLogger(__name__)


class UcdpSource:
    name = "ucdp"
    bookkeeping = ("stamp",)

    def missing_credentials(self, secrets) -> str | None:
        if secrets.ucdp_token:
            return None
        return (
            "UCDP_TOKEN is not set. Set it in the environment (never in config.yaml) to pull"
            " from UCDP's GED API, or load a GED CSV download with `conflictwatch ingest`."
        )

    def query(self, checkpoint, settings, countries, since, today, now) -> dict[str, Any] | None:
        wanted = {
            "version": settings.version,
            "countries": countries,
            "start": since.isoformat() if since else None,
            "page_size": settings.page_size,
        }
        done = checkpoint.completed_query
        if checkpoint.query is None and since is None and done and same_query(done, wanted, ignore=self.bookkeeping):
            log.info("UCDP GED %s is already loaded for %s; nothing to pull", settings.version, ", ".join(countries))
            return None
        return wanted | {"stamp": now}

    def session(self, settings, secrets, *, policy, token_cache):
        from forecasting.sources.ucdp_api import UcdpClient

        return UcdpClient(settings.base_url, secrets.ucdp_token, settings.version, page_size=settings.page_size,
                          policy=policy)

    def first_url(self, client, query, since) -> str:
        return client.first_page(query["countries"], start=since)

    def pages(self, client, query, number, url) -> Iterator[Page]:
        from forecasting.sources.http import SourceResponseError

        while True:
            page = client.read_page(url, number=number)
            if page.next_url == url:
                raise SourceResponseError(f"UCDP page {number} links to itself as the next page; the pull stopped.")
            rows = [dict(row, timestamp=query["stamp"]) for row in page.rows]
            last = not page.next_url
            yield Page(rows=rows, number=number, next_url=page.next_url or None, last=last, total_pages=page.total_pages)
            if last:
                return
            number, url = number + 1, page.next_url

    def to_events(self, raw):
        from forecasting.sources.ucdp_csv import ucdp_rows_to_events

        return ucdp_rows_to_events(raw)

    def closing(self, client, checkpoint, query, settings) -> Closing:
        return Closing(
            deletions=[],
            deletions_since=None,
            advance_watermark=False,
            log_file=f"UCDP GED API {settings.base_url} version {settings.version}",
            log_format="ucdp-api",
        )


UCDP = UcdpSource()
