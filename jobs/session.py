"""What every command gets: the configuration, the secrets and, on first use, the store.

Built once by the command line's global options (`jobs.cli`) and handed to each command module;
nothing slow is imported at the top (the store and the gazetteer load on first use).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Optional

from forecasting.errors import ConflictwatchError
from jobs.config import Config, Secrets

if TYPE_CHECKING:
    from forecasting.gazetteer import Gazetteer
    from forecasting.store import Store


class EmptyStoreError(ConflictwatchError):
    """The store holds no data and config.yaml says not to load the synthetic sample."""


@dataclass
class Session:
    """The configuration, the secrets, the database URL; the store and gazetteer on first use."""

    config: Config
    secrets: Secrets
    db_url: str
    _store: Optional["Store"] = field(default=None, repr=False)
    _gazetteer: Optional["Gazetteer"] = field(default=None, repr=False)

    @property
    def store(self) -> "Store":
        if self._store is None:
            from forecasting.store import open_store

            self._store = open_store(self.db_url)
        return self._store

    @property
    def gazetteer(self) -> "Gazetteer":
        if self._gazetteer is None:
            from forecasting.gazetteer import load_gazetteer

            extra = [self.config.resolve(name) for name in self.config.gazetteer.extra_files]
            self._gazetteer = load_gazetteer(extra)
        return self._gazetteer

    def load_sample_if_empty(self) -> None:
        """Make sure there is data to work on, the same way for every command that reads it
        (series, forecast, backtest, detect, report): an empty store gets the shipped synthetic
        sample when config.yaml's data.sample_when_empty says so (with a warning on stderr that
        the data are synthetic); otherwise an empty store is an `EmptyStoreError`, not an empty
        result. The gazetteer and the ingest code are only loaded when the sample is."""
        from forecasting.store.events import holds_no_data

        if not holds_no_data(self.store):
            return
        from jobs.ingest import ingest_sample_if_empty

        if not self.config.data.sample_when_empty:
            raise EmptyStoreError(
                "the store holds no events: ingest a file (conflictwatch ingest FILE), pull a source"
                " (conflictwatch pull), or set data.sample_when_empty: true in config.yaml to use the"
                " synthetic sample"
            )
        ingest_sample_if_empty(self.store, self.gazetteer, seat_radius_km=self.config.gazetteer.seat_radius_km)


def session(context) -> Session:
    """The `Session` the global options stored on a Typer/click context."""
    return context.obj
