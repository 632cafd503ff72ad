"""The pull step: a live source -> validated, tiered events -> the store, page by page.

`pull_source` is what the CLI (`conflictwatch pull`) and the scheduled pipeline call. Each page
is stored together with the checkpoint that says which page comes next, so a pull that dies
(killed, network gone, bad page) resumes on the next run exactly where it stopped.

ACLED pulls are incremental: the first one loads every event since `start_date`; later ones ask
only for events whose `timestamp` is at or after the newest one a completed pull of the same
countries received, then apply ACLED's deleted-events list. Events ingested from files never move
that mark. `--since DATE` re-reads every event dated from DATE instead.

Real events stored by a pull replace the shipped synthetic sample: the first page holding them
deletes the sample's rows in its own transaction, and the pull warns that it did.
UCDP GED releases are fixed, so a UCDP pull reads its whole configured version once (or, with
`--since`, the events dated from DATE) and skips a version it has already read completely.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from forecasting.errors import ConflictwatchError

if TYPE_CHECKING:
    import pandas as pd

    from forecasting.gazetteer import Gazetteer
    from forecasting.sources.http import RetryPolicy
    from forecasting.store import Store
    from jobs.config import Config, Secrets

log = logging.getLogger(__name__)

SOURCES = ("acled", "ucdp")

#: How long a pull's claim on its source holds without renewal; renewed after every page.
#: A pull that died on this host is taken over at once (its process is gone); one that died
#: on another host after this long.
LEASE = dt.timedelta(minutes=30)


class MissingCredentialsError(ConflictwatchError):
    """A live source was asked for but its credentials are not in the environment."""


@dataclass(frozen=True)
class PullResult:
    """What one pull run did.

    `pages` and the event counts are this run's (a resumed pull counts only what it fetched
    after resuming); `resumed_from` is the page this run started at when it continued an
    interrupted pull, else None. `deleted` counts stored events removed because the source
    deleted them.
    """

    source: str
    pages: int
    events_received: int
    inserted: int
    updated: int
    deleted: int
    resumed_from: int | None


@dataclass(frozen=True)
class PullProgress:
    """Reported after each stored page: this run's pages and events so far, and the total
    number of pages when the source says (UCDP does; ACLED does not)."""

    source: str
    pages: int
    events: int
    total_pages: int | None
    seconds: float


def pull_source(
    store: Store,
    config: Config,
    secrets: Secrets,
    source: str,
    *,
    since: dt.date | None = None,
    gazetteer: Gazetteer | None = None,
    progress: Callable[[PullProgress], None] | None = None,
) -> PullResult:
    """Download new and revised events of `source` (`acled` or `ucdp`) into `store`.

    `since` re-reads every event dated from that day instead of only what changed. Countries
    come from `config.watch_area`; credentials from `secrets`. Raises `MissingCredentialsError`
    when they are not set, `PullInProgressError` when another pull of the source is running,
    and the `forecasting.sources.http` errors when the source fails; in every case the store
    keeps every page stored before the failure and the next run resumes after it.
    """
    from forecasting.gazetteer import load_gazetteer
    from forecasting.store import pulls

    if source not in SOURCES:
        raise ConflictwatchError(f"unknown source {source!r}: choose one of {', '.join(SOURCES)}")
    if gazetteer is None:
        gazetteer = load_gazetteer([config.resolve(name) for name in config.gazetteer.extra_files])
    owner = pulls.new_owner()
    checkpoint = pulls.claim_source(store, source, owner, LEASE)
    try:
        run = _Run(store, config, source, owner, gazetteer, progress)
        if source == "acled":
            return run.acled(checkpoint, secrets, since)
        return run.ucdp(checkpoint, secrets, since)
    finally:
        # After success the lease is already released; after a failure this frees it for the
        # next run, which resumes from the checkpoint.
        pulls.release_source(store, source, owner)


class _Run:
    """One pull run's state: what it stored so far, for progress and the result."""

    def __init__(self, store, config, source, owner, gazetteer, progress):
        self.store = store
        self.config = config
        self.source = source
        self.owner = owner
        self.gazetteer = gazetteer
        self.progress = progress
        self.pages = self.events = self.inserted = self.updated = 0
        self.began = time.perf_counter()

    # --- ACLED --------------------------------------------------------------------------------

    def acled(self, checkpoint, secrets: Secrets, since: dt.date | None) -> PullResult:
        from forecasting.sources.acled_api import AcledClient
        from forecasting.sources.acled_csv import acled_rows_to_events
        from forecasting.store import pulls

        settings = self.config.sources.acled
        if not (secrets.acled_username and secrets.acled_password):
            raise MissingCredentialsError(
                "ACLED_USERNAME and ACLED_PASSWORD are not set. Set both in the environment (never"
                " in config.yaml) to pull from ACLED, or load an ACLED export with `conflictwatch ingest`."
            )
        today = dt.datetime.now(dt.timezone.utc).date()
        countries = list(self.config.watch_area.countries)
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
        wanted |= {"end": today.isoformat(), "limit": settings.page_size, "started": int(time.time())}

        query, resumed_from, checkpoint = self._resume_or_start(checkpoint, wanted, since, next_page=1)
        token_cache = self.config.resolve(settings.token_cache) if settings.token_cache else None
        with AcledClient(
            settings.base_url,
            secrets.acled_username,
            secrets.acled_password,
            policy=_policy(settings),
            token_cache=token_cache,
        ) as client:
            def fetch(number: int) -> list[dict[str, Any]]:
                return client.read_events(
                    countries=query["countries"],
                    start=dt.date.fromisoformat(query["start"]),
                    end=dt.date.fromisoformat(query["end"]),
                    page=number,
                    limit=query["limit"],
                    newer_than=query["newer_than"],
                )

            page = checkpoint.next_page or 1
            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="acled-next-page") as next_pages:
                pending = next_pages.submit(fetch, page) if checkpoint.phase == "pages" else None
                while pending is not None:
                    rows = pending.result()
                    last = len(rows) < query["limit"]
                    # Download the next page while this one is validated and stored, so the
                    # network and the database work at the same time. It is only ever stored
                    # after this one, so the checkpoint still moves one page at a time.
                    pending = None if last else next_pages.submit(fetch, page + 1)
                    events = self._page_events(rows, acled_rows_to_events, page)
                    self._store_page(events, len(rows), next_page=page + 1, next_url=None, last=last, total=None)
                    page += 1

            deletions, deletions_since = self._acled_deletions(client, checkpoint, query)
        deleted, _ = pulls.finish_pull(
            self.store,
            "acled",
            self.owner,
            deletions=deletions,
            deletions_since=deletions_since,
            advance_watermark=query["kind"] == "incremental",
            log_file=f"ACLED API {settings.base_url}",
            log_format="acled-api",
        )
        return self._result(deleted, resumed_from)

    def _acled_deletions(self, client, checkpoint, query) -> tuple[list[tuple[str, int]], int]:
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

    # --- UCDP ---------------------------------------------------------------------------------

    def ucdp(self, checkpoint, secrets: Secrets, since: dt.date | None) -> PullResult:
        from forecasting.sources.ucdp_api import UcdpClient
        from forecasting.sources.ucdp_csv import ucdp_rows_to_events
        from forecasting.store import pulls

        settings = self.config.sources.ucdp
        if not secrets.ucdp_token:
            raise MissingCredentialsError(
                "UCDP_TOKEN is not set. Set it in the environment (never in config.yaml) to pull"
                " from UCDP's GED API, or load a GED CSV download with `conflictwatch ingest`."
            )
        countries = list(self.config.watch_area.countries)
        wanted = {
            "version": settings.version,
            "countries": countries,
            "start": since.isoformat() if since else None,
            "page_size": settings.page_size,
        }
        done = checkpoint.completed_query
        if checkpoint.query is None and since is None and done and _same(done, wanted, ignore=("stamp",)):
            log.info("UCDP GED %s is already loaded for %s; nothing to pull", settings.version, ", ".join(countries))
            return self._result(0, None)
        # Every event of this pull carries the pull's start as its version stamp, so that a later
        # pull (a newer GED release) replaces what an earlier one stored.
        wanted["stamp"] = int(time.time())

        with UcdpClient(
            settings.base_url, secrets.ucdp_token, settings.version, page_size=settings.page_size, policy=_policy(settings)
        ) as client:
            first = client.first_page(countries, start=since)
            query, resumed_from, checkpoint = self._resume_or_start(
                checkpoint, wanted, since, next_page=1, next_url=first, ignore=("stamp",)
            )
            number = checkpoint.next_page or 1
            address = checkpoint.next_url
            phase = checkpoint.phase
            while phase == "pages":
                page = client.read_page(address, number=number)
                rows = [dict(row, timestamp=query["stamp"]) for row in page.rows]
                events = self._page_events(rows, ucdp_rows_to_events, number)
                if page.next_url == address:
                    from forecasting.sources.http import SourceResponseError

                    raise SourceResponseError(f"UCDP page {number} links to itself as the next page; the pull stopped.")
                last = not page.next_url
                self._store_page(
                    events, len(rows), next_page=number + 1, next_url=page.next_url or None, last=last, total=page.total_pages
                )
                number, address = number + 1, page.next_url
                phase = "finishing" if last else "pages"
        pulls.finish_pull(
            self.store,
            "ucdp",
            self.owner,
            deletions=[],
            deletions_since=None,
            advance_watermark=False,
            log_file=f"UCDP GED API {settings.base_url} version {settings.version}",
            log_format="ucdp-api",
        )
        return self._result(0, resumed_from)

    # --- shared -------------------------------------------------------------------------------

    def _resume_or_start(self, checkpoint, wanted, since, *, next_page, next_url=None, ignore=("started", "end")):
        """Continue an interrupted pull, or begin `wanted`. Returns (query, resumed_from, checkpoint).

        A plain pull always finishes an interrupted one first (same frozen query, so no page is
        read twice or skipped). A `--since` pull that asks for something else starts afresh.
        """
        from forecasting.store import pulls

        if checkpoint.query is not None and (since is None or _same(checkpoint.query, wanted, ignore=ignore)):
            resumed_from = checkpoint.next_page if checkpoint.phase == "pages" else None
            log.info(
                "%s: resuming the interrupted pull at page %s (%d pages stored before)",
                self.source.upper(), checkpoint.next_page, checkpoint.pages_done,
            )
            return checkpoint.query, resumed_from, checkpoint
        if checkpoint.query is not None:
            log.warning(
                "%s: dropping the interrupted pull (%d pages stored) for this --since pull; the next"
                " plain pull still starts from the last completed one, so nothing is missed",
                self.source.upper(), checkpoint.pages_done,
            )
        started = pulls.start_pull(self.store, self.source, self.owner, wanted, next_page=next_page, next_url=next_url)
        return wanted, None, started

    def _page_events(self, rows: list[dict[str, Any]], to_events, page: int) -> pd.DataFrame:
        """A page's rows as a validated, tiered event frame; a page with any invalid row stops
        the pull before anything of it is stored."""
        import pandas as pd

        from forecasting.events import MAX_LISTED_PROBLEMS, validate_events
        from forecasting.gazetteer import assign_tiers
        from forecasting.sources.http import SourceResponseError

        # JSON gives numbers as numbers; the event record is validated from text, as files are.
        names = list(dict.fromkeys(name for row in rows for name in row)) or ["event_date", "fatalities"]
        raw = pd.DataFrame(
            {
                name: pd.Series(
                    [value if value is None or isinstance(value, str) else str(value) for value in (row.get(name) for row in rows)],
                    dtype=object,
                )
                for name in names
            }
        )
        validated = validate_events(to_events(raw), pd.Series(range(1, len(raw) + 1)))
        if not validated.rejects.empty:
            problems = "; ".join(
                f"row {int(row.line)}: {row.reason}" for row in validated.rejects.head(MAX_LISTED_PROBLEMS).itertuples()
            )
            raise SourceResponseError(
                f"{self.source.upper()} page {page} has {len(validated.rejects)} rows that are not"
                f" valid events ({problems}). The pull stopped; the store holds everything up to the"
                " previous page. Run it again later; if this persists, report it to the source."
            )
        events = validated.events
        if len(events):
            events["tier"] = assign_tiers(events, self.gazetteer, seat_radius_km=self.config.gazetteer.seat_radius_km)
        return events

    def _store_page(self, events, rows_received, *, next_page, next_url, last, total) -> None:
        from forecasting.store import pulls

        saved = pulls.save_pulled_page(
            self.store,
            self.source,
            self.owner,
            events,
            rows_received=rows_received,
            next_page=next_page,
            next_url=next_url,
            last_page=last,
            lease=LEASE,
        )
        if saved.synthetic_removed:
            log.warning(
                "%s: removed the %d events of the shipped SYNTHETIC sample from the store: real events"
                " have arrived, and the two are never kept together",
                self.source.upper(), saved.synthetic_removed,
            )
        self.pages += 1
        self.events += rows_received
        self.inserted += saved.inserted
        self.updated += saved.updated
        log.debug("%s page %d: %d events, %d new, %d revised", self.source.upper(), next_page - 1, rows_received, saved.inserted, saved.updated)
        if self.progress is not None:
            self.progress(
                PullProgress(self.source, self.pages, self.events, total, time.perf_counter() - self.began)
            )

    def _result(self, deleted: int, resumed_from: int | None) -> PullResult:
        result = PullResult(
            source=self.source,
            pages=self.pages,
            events_received=self.events,
            inserted=self.inserted,
            updated=self.updated,
            deleted=deleted,
            resumed_from=resumed_from,
        )
        log.info(
            "%s pull: %d pages, %d events received, %d new, %d revised, %d deleted%s",
            self.source.upper(), result.pages, result.events_received, result.inserted, result.updated,
            result.deleted, f" (resumed at page {resumed_from})" if resumed_from else "",
        )
        return result


def _policy(settings) -> RetryPolicy:
    from forecasting.sources.http import RetryPolicy

    return RetryPolicy(
        attempts=settings.attempts,
        base_delay_s=settings.backoff_seconds,
        max_delay_s=settings.max_backoff_seconds,
        max_retry_after_s=settings.max_retry_after_seconds,
        timeout_s=settings.timeout_seconds,
    )


def _same(first: dict, second: dict, *, ignore: tuple[str, ...]) -> bool:
    """Two pull queries ask for the same thing (ignoring bookkeeping keys such as start time)."""
    strip = lambda query: {key: value for key, value in query.items() if key not in ignore}  # noqa: E731
    return strip(first) == strip(second)
