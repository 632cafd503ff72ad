"""Live sources (APIs pulled page by page) behind one protocol, and their registry.

`conflictwatch pull` is one loop (`jobs.pull`) over what a `LiveSource` says: what to ask for,
how to open a session, the pages, how to turn a page's rows into events, and how to close a
completed pull (deletions, whether the incremental mark moves). The loop owns what every source
shares: the claim on the source, resuming an interrupted pull, validation and settlement tiers,
storing each page with its checkpoint, progress and the result.

Adding a source: one module here with a class that has these methods, one line in `LIVE_SOURCES`,
and its settings and credentials in `jobs/config.py` (docs/architecture.md, "Add a source").
Modules are named, not imported, so that `conflictwatch --help` loads none of them.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from forecasting.errors import ConflictwatchError

if TYPE_CHECKING:
    import pandas as pd

    from forecasting.sources.http import RetryPolicy

#: Source name -> "module:attribute" of its `LiveSource`.
LIVE_SOURCES: dict[str, str] = {
    "acled": "forecasting.sources.acled_pull:ACLED",
    "ucdp": "forecasting.sources.ucdp_pull:UCDP",
}


class UnknownSourceError(ConflictwatchError):
    """A live source was named that the registry does not hold."""


@dataclass(frozen=True)
class Page:
    """One page of a pull: its rows (as the API gave them), its number (1-based), the address of
    the next page where the source links pages (else None), whether it is the last, and the
    total number of pages where the source says."""

    rows: list[dict[str, Any]]
    number: int
    next_url: str | None
    last: bool
    total_pages: int | None = None


@dataclass(frozen=True)
class Closing:
    """How a completed pull is closed: events the source deleted since the last pull, the mark
    the next pull reads deletions from, whether the incremental mark moves, and the ingest-log
    entry."""

    deletions: list[tuple[str, int]]
    deletions_since: int | None
    advance_watermark: bool
    log_file: str
    log_format: str


class LiveSource(Protocol):
    """What `jobs.pull` needs of a live source. `settings` is the source's section of the
    configuration (`config.sources.<name>`), `secrets` the credentials read from the environment."""

    name: str
    #: Query keys that are bookkeeping (start time, version stamp): a resumed pull asks for the
    #: same thing whatever they say.
    bookkeeping: tuple[str, ...]

    def missing_credentials(self, secrets: Any) -> str | None:
        """What to set, when a credential the source needs is not set; else None."""

    def query(self, checkpoint: Any, settings: Any, countries: list[str], since: dt.date | None,
              today: dt.date, now: int) -> dict[str, Any] | None:
        """What this pull asks for (stored with the checkpoint, JSON), or None when there is
        nothing to pull (a fixed release already read completely). `now` is unix seconds."""

    def session(self, settings: Any, secrets: Any, *, policy: RetryPolicy, token_cache: Any) -> AbstractContextManager[Any]:
        """An open client (signed in where the source needs it)."""

    def first_url(self, client: Any, query: dict[str, Any], since: dt.date | None) -> str | None:
        """The first page's address, for sources that link pages; None for numbered pages."""

    def pages(self, client: Any, query: dict[str, Any], number: int, url: str | None) -> Iterator[Page]:
        """The pages from page `number` (at `url` where pages are linked) to the last."""

    def to_events(self, raw: pd.DataFrame) -> pd.DataFrame:
        """A page's rows (text columns as the API names them) as event-record columns."""

    def closing(self, client: Any, checkpoint: Any, query: dict[str, Any], settings: Any) -> Closing:
        """How to close the completed pull (see `Closing`)."""


def live_source(name: str) -> LiveSource:
    """The registered source called `name`; `UnknownSourceError` naming the known ones otherwise."""
    if name not in LIVE_SOURCES:
        raise UnknownSourceError(f"unknown source {name!r}: choose one of {', '.join(LIVE_SOURCES)}")
    module, attribute = LIVE_SOURCES[name].split(":")
    return getattr(importlib.import_module(module), attribute)


def same_query(first: dict[str, Any], second: dict[str, Any], *, ignore: tuple[str, ...]) -> bool:
    """Two pull queries ask for the same thing (ignoring bookkeeping keys such as start time)."""
    return {key: value for key, value in first.items() if key not in ignore} == {
        key: value for key, value in second.items() if key not in ignore
    }
