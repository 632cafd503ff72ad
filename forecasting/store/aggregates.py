"""ACLED's admin2-month aggregates (HDX): monthly counts for a store without event-level data.

Loaded by `ingest` (an HDX CSV or XLSX), inside the same transaction as the events of the same
command; read by the series and by detection when the store holds no events.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from forecasting.store.base import Base, Store, dialect_insert


class HdxAggregate(Base):
    __tablename__ = "hdx_aggregates"
    __table_args__ = (sa.UniqueConstraint("country", "admin1", "admin2", "year", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    country: Mapped[str] = mapped_column(sa.Text)
    admin1: Mapped[str] = mapped_column(sa.Text)
    admin2: Mapped[str] = mapped_column(sa.Text)
    iso3: Mapped[str | None] = mapped_column(sa.String(3))
    year: Mapped[int]
    month: Mapped[int] = mapped_column(sa.SmallInteger)
    events: Mapped[int]
    fatalities: Mapped[int]
    file: Mapped[str] = mapped_column(sa.Text)
    loaded_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True))


_AGGREGATES = HdxAggregate.__table__


@dataclass(frozen=True)
class AggregateSaveResult:
    """What loading one aggregate file did: cells new to the store, and cells replaced."""

    inserted: int
    updated: int


def write_aggregates(
    connection: sa.Connection, dialect: str, files: list[tuple[pd.DataFrame, str]]
) -> list[AggregateSaveResult]:
    """Upsert the admin2-month cells of several files (each: a frame with country, admin1,
    admin2, iso3, year, month, events, fatalities, and the file's name) inside a transaction the
    caller holds, so that they commit with the rest of an ingest or not at all.

    A cell already stored (same country, admin1, admin2, year, month) takes the new file's
    counts: a later HDX release revises earlier months.
    """
    loaded_at = dt.datetime.now(dt.timezone.utc)
    keys = ["country", "admin1", "admin2", "year", "month"]
    insert = dialect_insert(dialect)(_AGGREGATES)
    statement = insert.on_conflict_do_update(
        index_elements=keys,
        set_={name: insert.excluded[name] for name in ("iso3", "events", "fatalities", "file", "loaded_at")},
    )
    results = []
    for cells, file in files:
        existing = connection.execute(sa.select(*[_AGGREGATES.c[k] for k in keys])).all()
        known = {tuple(row) for row in existing}
        records = [
            {
                "country": row.country,
                "admin1": row.admin1,
                "admin2": row.admin2,
                "iso3": None if pd.isna(row.iso3) else row.iso3,
                "year": int(row.year),
                "month": int(row.month),
                "events": int(row.events),
                "fatalities": int(row.fatalities),
                "file": file,
                "loaded_at": loaded_at,
            }
            for row in cells.itertuples(index=False)
        ]
        updated = sum(tuple(record[k] for k in keys) in known for record in records)
        if records:
            connection.execute(statement, records)
        results.append(AggregateSaveResult(inserted=len(records) - updated, updated=updated))
    return results


def aggregate_monthly_counts(
    store: Store,
    by: list[str],
    *,
    countries: list[str] | None = None,
    until: dt.date | None = None,
) -> pd.DataFrame:
    """HDX admin2-month counts summed per month and per `by` (a subset of country, admin1,
    admin2); the same shape as `forecasting.store.events.monthly_counts`."""
    keys = [_AGGREGATES.c[name] for name in by] + [_AGGREGATES.c.year, _AGGREGATES.c.month]
    query = sa.select(
        *keys,
        sa.func.sum(_AGGREGATES.c.events).label("events"),
        sa.func.sum(_AGGREGATES.c.fatalities).label("fatalities"),
    ).group_by(*keys)
    if countries:
        query = query.where(_AGGREGATES.c.country.in_(countries))
    if until is not None:
        query = query.where(
            (_AGGREGATES.c.year < until.year)
            | ((_AGGREGATES.c.year == until.year) & (_AGGREGATES.c.month <= until.month))
        )
    with store.engine.connect() as connection:
        frame = pd.read_sql_query(query, connection)
    return frame.astype({"year": "int64", "month": "int64", "events": "int64", "fatalities": "int64"})


def aggregate_month_span(store: Store) -> tuple[pd.Period, pd.Period] | None:
    """The oldest and newest months of the stored HDX aggregates, or None when there are none."""
    key = _AGGREGATES.c.year * 12 + _AGGREGATES.c.month - 1
    with store.engine.connect() as connection:
        oldest, newest = connection.execute(sa.select(sa.func.min(key), sa.func.max(key))).one()
    if newest is None:
        return None
    return tuple(pd.Period(year=int(key) // 12, month=int(key) % 12 + 1, freq="M") for key in (oldest, newest))


def count_aggregates(store: Store) -> int:
    """How many admin2-month cells the store holds."""
    with store.engine.connect() as connection:
        return connection.execute(sa.select(sa.func.count()).select_from(_AGGREGATES)).scalar_one()
