"""ACLED as a live source (`conflictwatch pull acled`): incremental by `timestamp`, with deletions.

The first pull loads every event since `start_date`; later ones ask only for events whose
`timestamp` is at or after the newest one a completed pull of the same countries received, then
apply ACLED's deleted-events list. Events ingested from files never move that mark. `--since
DATE` re-reads every event dated from DATE instead. The HTTP client is `acled_api.AcledClient`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from forecasting.sources.live import Closing, Page

log = logging.getLogger(__name__)


class AcledSource:
    name = "acled"
    bookkeeping = ("started", "end")

    def missing_credentials(self, secrets) -> str | None:
        if secrets.acled_username and secrets.acled_password:
            return None
        return (
            "ACLED_USERNAME and ACLED_PASSWORD are not set. Set both in the environment (never"
            " in config.yaml) to pull from ACLED, or load an ACLED export with `conflictwatch ingest`."
        )

    def query(self, checkpoint, settings, countries, since, today, now) -> dict[str, Any]:
        if since is not None:
            wanted = {"kind": "since", "countries": countries, "start": since.isoformat(), "newer_than": None}
        else:
            # Only what earlier completed pulls of these countries loaded counts: events from an
            # export (perhaps of one country) or the synthetic sample say nothing about what ACLED
            # holds, so until a pull has loaded these countries this one loads them from start_date.
            covered = checkpoint.watermark_countries
            watermark = checkpoint.timestamp_watermark if covered is not None and set(countries) <= set(covered) else None
            if watermark is None and checkpoint.timestamp_watermark is not None:
                log.info(
                    "ACLED: no completed pull has loaded %s yet; loading every event since %s",
                    ", ".join(countries), settings.start_date,
                )
            wanted = {"kind": "incremental", "countries": countries, "start": settings.start_date, "newer_than": watermark}
        return wanted | {"end": today.isoformat(), "limit": settings.page_size, "started": now}

    def session(self, settings, secrets, *, policy, token_cache):
        from forecasting.sources.acled_api import AcledClient

        return AcledClient(
            settings.base_url, secrets.acled_username, secrets.acled_password, policy=policy, token_cache=token_cache
        )

    def first_url(self, client, query, since) -> None:
        return None  # pages are numbered

    def pages(self, client, query, number, url) -> Iterator[Page]:
        def fetch(page: int) -> list[dict[str, Any]]:
            return client.read_events(
                countries=query["countries"],
                start=dt.date.fromisoformat(query["start"]),
                end=dt.date.fromisoformat(query["end"]),
                page=page,
                limit=query["limit"],
                newer_than=query["newer_than"],
            )

        next_pages = ThreadPoolExecutor(max_workers=1, thread_name_prefix="acled-next-page")
        try:
            pending = next_pages.submit(fetch, number)
            while pending is not None:
                rows = pending.result()
                last = len(rows) < query["limit"]
                # Download the next page while this one is validated and stored, so the network
                # and the database work at the same time. It is only ever stored after this one,
                # so the checkpoint still moves one page at a time.
                pending = None if last else next_pages.submit(fetch, number + 1)
                yield Page(rows=rows, number=number, next_url=None, last=last)
                number += 1
        finally:
            # After an error or a stop signal, do not wait for a download still in flight (up to
            # the request timeout): nothing of it would be stored.
            next_pages.shutdown(wait=False, cancel_futures=True)

    def to_events(self, raw):
        from forecasting.sources.acled_csv import acled_rows_to_events

        return acled_rows_to_events(raw)

    def closing(self, client, checkpoint, query, settings) -> Closing:
        deletions, deletions_since = self._deletions(client, checkpoint, query)
        return Closing(
            deletions=deletions,
            deletions_since=deletions_since,
            advance_watermark=query["kind"] == "incremental",
            log_file=f"ACLED API {settings.base_url}",
            log_format="acled-api",
        )

    def _deletions(self, client, checkpoint, query) -> tuple[list[tuple[str, int]], int]:
        """ACLED's deletions since the last pull, and the mark the next pull starts from."""
        since = checkpoint.deletions_since
        if since is None:
            since = query["newer_than"]
        if since is None:
            # A first, full load holds nothing deleted before it; watch from its start (a day
            # early: ACLED's clock and ours need not agree).
            return [], query["started"] - 24 * 3600
        limit = query["limit"]
        deletions: list[tuple[str, int]] = []
        page = 1
        while True:
            rows = client.read_deletions(since=since, page=page, limit=limit)
            deletions.extend(rows)
            if len(rows) < limit:
                break
            page += 1
        newest = max((deleted for _, deleted in deletions), default=since)
        log.debug("ACLED lists %d deletions since %d", len(deletions), since)
        return deletions, max(since, newest)


ACLED = AcledSource()
