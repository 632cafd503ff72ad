"""The event store: SQLite by default, PostgreSQL by URL; schema by Alembic migrations.

`open_store(url)` returns a migrated `Store`; the functions in `forecasting.store.events` (and the
other modules of this package) take it and return DataFrames or domain records.
"""

from forecasting.store.base import Store, StoreUnavailableError, open_store

__all__ = ["Store", "StoreUnavailableError", "open_store"]
