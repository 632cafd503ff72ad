"""The pull step: a live source -> validated, tiered events -> the store, page by page.

`pull_source` is what the CLI (`conflictwatch pull`) and the scheduled pipeline call. Each page
is stored together with the checkpoint that says which page comes next, so a pull that dies
(killed, network gone, bad page) resumes on the next run exactly where it stopped.

One loop for every live source: what differs between them (what to ask for, sessions, pages,
deletions) is the source's `forecasting.sources.live.LiveSource`, found in its registry
(`LIVE_SOURCES`); ACLED's incremental pulls and UCDP's fixed releases are described in
`forecasting/sources/acled_pull.py` and `ucdp_pull.py`.

Real events stored by a pull replace the shipped synthetic sample: the first page holding them
deletes the sample's rows in its own transaction, and the pull warns that it did.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from forecasting.errors import ConflictwatchError

if TYPE_CHECKING:
    import pandas as pd

    from forecasting.gazetteer import Gazetteer
    from forecasting.sources.live import LiveSource
    from forecasting.store import Store
    from jobs.config import Config, Secrets

log = logging.getLogger(__name__)

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


def enabled_sources(config: Config) -> list[str]:
    """The live sources enabled in config.yaml (`sources.<name>.enabled`), in registry order."""
    from forecasting.sources.live import LIVE_SOURCES

    return [name for name in LIVE_SOURCES if getattr(config.sources, name).enabled]


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
    """Download new and revised events of `source` (a name of `LIVE_SOURCES`: `acled`, `ucdp`) into `store`.

    `since` re-reads every event dated from that day instead of only what changed. Countries
    come from `config.watch_area`; credentials from `secrets`. Raises `MissingCredentialsError`
    when they are not set, `PullInProgressError` when another pull of the source is running,
    and the `forecasting.sources.http` errors when the source fails; in every case the store
    keeps every page stored before the failure and the next run resumes after it.
    """
    from forecasting.gazetteer import load_gazetteer
    from forecasting.sources.live import live_source
    from forecasting.store import pulls

    live = live_source(source)
    if gazetteer is None:
        gazetteer = load_gazetteer([config.resolve(name) for name in config.gazetteer.extra_files])
    owner = pulls.new_owner()
    checkpoint = pulls.claim_source(store, source, owner, LEASE)
    try:
        return _Run(store, config, source, owner, gazetteer, progress).pull(live, checkpoint, secrets, since)
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
        from jobs.ingest import event_bounds

        # Pages are validated against the contract as of the day the pull began.
        self.bounds = event_bounds(config.data)
        self.pages = self.events = self.inserted = self.updated = 0
        self.began = time.perf_counter()

    def pull(self, live: LiveSource, checkpoint, secrets: Secrets, since: dt.date | None) -> PullResult:
        """Ask the source for what it holds that the store does not, page by page; close the pull."""
        from forecasting.redaction import redact
        from forecasting.store import pulls

        missing = live.missing_credentials(secrets)
        if missing:
            raise MissingCredentialsError(missing)
        settings = getattr(self.config.sources, live.name)
        today = dt.datetime.now(dt.timezone.utc).date()
        wanted = live.query(checkpoint, settings, list(self.config.watch_area.countries), since, today, int(time.time()))
        if wanted is None:
            return self._result(0, None)
        token_cache = getattr(settings, "token_cache", None)
        with live.session(settings, secrets, policy=settings.retry_policy(),
                          token_cache=self.config.resolve(token_cache) if token_cache else None) as client:
            first_url = live.first_url(client, wanted, since)
            query, resumed_from, checkpoint = self._resume_or_start(
                checkpoint, wanted, since, next_page=1, next_url=first_url, ignore=live.bookkeeping
            )
            if checkpoint.phase == "pages":
                for page in live.pages(client, query, checkpoint.next_page or 1, checkpoint.next_url):
                    events = self._page_events(page.rows, live.to_events, page.number)
                    self._store_page(events, len(page.rows), next_page=page.number + 1, next_url=page.next_url,
                                     last=page.last, total=page.total_pages)
            closing = live.closing(client, checkpoint, query, settings)
        deleted, _ = pulls.finish_pull(
            self.store,
            live.name,
            self.owner,
            deletions=closing.deletions,
            deletions_since=closing.deletions_since,
            advance_watermark=closing.advance_watermark,
            # The ingest log is a table anyone with the store reads: no password of the base URL.
            log_file=redact(closing.log_file, secrets.values()),
            log_format=closing.log_format,
        )
        return self._result(deleted, resumed_from)

    # --- shared -------------------------------------------------------------------------------

    def _resume_or_start(self, checkpoint, wanted, since, *, next_page, next_url, ignore):
        """Continue an interrupted pull, or begin `wanted`. Returns (query, resumed_from, checkpoint).

        A plain pull always finishes an interrupted one first (same frozen query, so no page is
        read twice or skipped). A `--since` pull that asks for something else starts afresh.
        """
        from forecasting.sources.live import same_query
        from forecasting.store import pulls

        if checkpoint.query is not None and (since is None or same_query(checkpoint.query, wanted, ignore=ignore)):
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
        validated = validate_events(to_events(raw), pd.Series(range(1, len(raw) + 1)), self.bounds)
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
