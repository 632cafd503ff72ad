"""Stored events and the ingest log: saving event frames, and reading events and monthly counts."""

from __future__ import annotations

import datetime as dt
import io
import time
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from forecasting.events import EVENT_COLUMNS, FLOAT_COLUMNS, INTEGER_COLUMNS
from forecasting.store.base import Base, Store


class Event(Base):
    __tablename__ = "events"
    __table_args__ = (
        sa.UniqueConstraint("source", "source_id"),
        sa.Index(None, "country", "event_date"),
        sa.Index(None, "event_date"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True)
    source: Mapped[str] = mapped_column(sa.String(16))
    source_id: Mapped[str] = mapped_column(sa.String(64))
    event_date: Mapped[dt.date] = mapped_column(sa.Date)
    year: Mapped[int]
    month: Mapped[int] = mapped_column(sa.SmallInteger)
    time_precision: Mapped[int | None] = mapped_column(sa.SmallInteger)
    disorder_type: Mapped[str | None] = mapped_column(sa.Text)
    event_type: Mapped[str | None] = mapped_column(sa.Text)
    sub_event_type: Mapped[str | None] = mapped_column(sa.Text)
    actor1: Mapped[str | None] = mapped_column(sa.Text)
    assoc_actor_1: Mapped[str | None] = mapped_column(sa.Text)
    inter1: Mapped[str | None] = mapped_column(sa.Text)
    actor2: Mapped[str | None] = mapped_column(sa.Text)
    assoc_actor_2: Mapped[str | None] = mapped_column(sa.Text)
    inter2: Mapped[str | None] = mapped_column(sa.Text)
    interaction: Mapped[str | None] = mapped_column(sa.Text)
    civilian_targeting: Mapped[str | None] = mapped_column(sa.Text)
    iso: Mapped[int | None]
    region: Mapped[str | None] = mapped_column(sa.Text)
    country: Mapped[str] = mapped_column(sa.Text)
    admin1: Mapped[str | None] = mapped_column(sa.Text)
    admin2: Mapped[str | None] = mapped_column(sa.Text)
    admin3: Mapped[str | None] = mapped_column(sa.Text)
    location: Mapped[str | None] = mapped_column(sa.Text)
    latitude: Mapped[float | None] = mapped_column(sa.Float)
    longitude: Mapped[float | None] = mapped_column(sa.Float)
    geo_precision: Mapped[int | None] = mapped_column(sa.SmallInteger)
    sources: Mapped[str | None] = mapped_column(sa.Text)
    source_scale: Mapped[str | None] = mapped_column(sa.Text)
    notes: Mapped[str | None] = mapped_column(sa.Text)
    fatalities: Mapped[int]
    tags: Mapped[str | None] = mapped_column(sa.Text)
    timestamp: Mapped[int] = mapped_column(sa.BigInteger)
    tier: Mapped[str] = mapped_column(sa.String(20))


class IngestLog(Base):
    __tablename__ = "ingest_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    file: Mapped[str] = mapped_column(sa.Text)
    format: Mapped[str] = mapped_column(sa.String(16))
    rows_read: Mapped[int]
    inserted: Mapped[int]
    updated: Mapped[int]
    unchanged: Mapped[int]
    rejected: Mapped[int]
    started_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True))
    seconds: Mapped[float]


@dataclass(frozen=True)
class SaveResult:
    """What one save did: events new to the store, replaced by a newer version, or left as they were."""

    inserted: int
    updated: int
    unchanged: int


@dataclass(frozen=True)
class LoadRecord:
    """One line of the ingest log, written in the same transaction as the events it describes."""

    file: str
    format: str
    rows_read: int
    rejected: int
    started_at: dt.datetime


_TABLE = Event.__table__
_DATA_COLUMNS = list(EVENT_COLUMNS)
_KEY = ("source", "source_id")


def save_events(store: Store, loads: list[tuple[pd.DataFrame, LoadRecord]]) -> list[SaveResult]:
    """Upsert validated event frames, each with its ingest-log record, in one transaction.

    An event new to the store is inserted; one whose `timestamp` is newer than the stored
    version replaces it; an older or equal one is ignored. Either every frame is saved and
    logged, or (on any error) nothing is.
    """
    results = []
    with store.engine.begin() as connection:
        for events, record in loads:
            began = time.perf_counter()
            result = _upsert(connection, store.dialect, events)
            connection.execute(
                sa.insert(IngestLog.__table__).values(
                    file=record.file,
                    format=record.format,
                    rows_read=record.rows_read,
                    inserted=result.inserted,
                    updated=result.updated,
                    unchanged=result.unchanged,
                    rejected=record.rejected,
                    started_at=record.started_at,
                    seconds=time.perf_counter() - began,
                )
            )
            results.append(result)
    return results


def _upsert(connection: sa.Connection, dialect: str, events: pd.DataFrame) -> SaveResult:
    if events.empty:
        return SaveResult(0, 0, 0)
    # Bulk-load into a temporary staging table, then merge with set-based SQL: row-by-row ORM
    # upserts would be two orders of magnitude slower at a million events.
    connection.exec_driver_sql("DROP TABLE IF EXISTS staging_events")
    connection.exec_driver_sql(
        "CREATE TEMPORARY TABLE staging_events AS SELECT "
        + ", ".join(_DATA_COLUMNS)
        + " FROM events WHERE 1 = 0"
    )
    _bulk_load(connection, dialect, events[_DATA_COLUMNS])

    key_match = "e.source = s.source AND e.source_id = s.source_id"
    inserted = connection.exec_driver_sql(
        f"SELECT count(*) FROM staging_events s WHERE NOT EXISTS (SELECT 1 FROM events e WHERE {key_match})"
    ).scalar_one()
    updated = connection.exec_driver_sql(
        f"SELECT count(*) FROM staging_events s JOIN events e ON {key_match} WHERE s.timestamp > e.timestamp"
    ).scalar_one()

    updates = ", ".join(f"{name} = excluded.{name}" for name in _DATA_COLUMNS if name not in _KEY)
    columns = ", ".join(_DATA_COLUMNS)
    # "WHERE true" keeps SQLite from reading ON CONFLICT as part of a join clause.
    connection.exec_driver_sql(
        f"INSERT INTO events ({columns}) SELECT {columns} FROM staging_events WHERE true "
        f"ON CONFLICT (source, source_id) DO UPDATE SET {updates} "
        "WHERE excluded.timestamp > events.timestamp"
    )
    connection.exec_driver_sql("DROP TABLE staging_events")
    return SaveResult(inserted=inserted, updated=updated, unchanged=len(events) - inserted - updated)


def _bulk_load(connection: sa.Connection, dialect: str, events: pd.DataFrame) -> None:
    driver_connection = connection.connection.driver_connection
    if dialect == "postgresql":
        buffer = io.StringIO()
        _as_database_values(events).to_csv(buffer, index=False, header=False, na_rep="\\N")
        buffer.seek(0)
        with driver_connection.cursor() as cursor:
            with cursor.copy(
                f"COPY staging_events ({', '.join(events.columns)}) FROM STDIN WITH (FORMAT csv, NULL '\\N')"
            ) as copy:
                while chunk := buffer.read(1 << 20):
                    copy.write(chunk)
    else:
        placeholders = ", ".join("?" for _ in events.columns)
        rows = _as_database_values(events).itertuples(index=False, name=None)
        driver_connection.executemany(
            f"INSERT INTO staging_events ({', '.join(events.columns)}) VALUES ({placeholders})", rows
        )


def _as_database_values(events: pd.DataFrame) -> pd.DataFrame:
    """Plain Python values: ISO dates, ints, floats and None for missing."""
    values = {}
    for name in events.columns:
        column = events[name]
        if name == "event_date":
            values[name] = column.dt.strftime("%Y-%m-%d")
        elif name in INTEGER_COLUMNS:
            values[name] = column.astype("Int64").astype(object)
        elif name in FLOAT_COLUMNS:
            values[name] = column.astype("float64").astype(object)
        else:
            values[name] = column.astype(object)
        values[name] = values[name].where(pd.notna(values[name]), None)
    return pd.DataFrame(values)


def load_events(
    store: Store,
    *,
    countries: list[str] | None = None,
    start: dt.date | None = None,
    until: dt.date | None = None,
    columns: list[str] | None = None,
) -> pd.DataFrame:
    """Stored events as an event frame, oldest first.

    `until` is inclusive: events dated after it are never returned, which is what lets
    `detect --as-of` use no data after the as-of date.
    """
    names = list(columns or EVENT_COLUMNS)
    query = sa.select(*[_TABLE.c[name] for name in names]).order_by(_TABLE.c.event_date, _TABLE.c.id)
    query = _filtered(query, countries, start, until)
    with store.engine.connect() as connection:
        frame = pd.read_sql_query(query, connection)
    return _typed(frame)


def monthly_counts(
    store: Store,
    by: list[str],
    *,
    countries: list[str] | None = None,
    until: dt.date | None = None,
) -> pd.DataFrame:
    """Events and fatalities per month and per combination of the `by` columns, counted in SQL.

    Returns columns `by` + `year`, `month`, `events`, `fatalities`; months without events are
    absent (the series module zero-fills them).
    """
    keys = [_TABLE.c[name] for name in by] + [_TABLE.c.year, _TABLE.c.month]
    query = sa.select(
        *keys,
        sa.func.count().label("events"),
        sa.func.sum(_TABLE.c.fatalities).label("fatalities"),
    ).group_by(*keys)
    query = _filtered(query, countries, None, until)
    with store.engine.connect() as connection:
        frame = pd.read_sql_query(query, connection)
    return frame.astype({"year": "int64", "month": "int64", "events": "int64", "fatalities": "int64"})


def count_events(store: Store) -> int:
    """How many events the store holds."""
    with store.engine.connect() as connection:
        return connection.execute(sa.select(sa.func.count()).select_from(_TABLE)).scalar_one()


def data_cutoff(store: Store) -> dt.date | None:
    """The date of the newest stored event, or None for an empty store."""
    with store.engine.connect() as connection:
        newest = connection.execute(sa.select(sa.func.max(_TABLE.c.event_date))).scalar_one()
    return pd.Timestamp(newest).date() if newest is not None else None


def ingest_log(store: Store, limit: int = 50) -> pd.DataFrame:
    """The most recent loads, newest first."""
    table = IngestLog.__table__
    query = sa.select(table).order_by(table.c.id.desc()).limit(limit)
    with store.engine.connect() as connection:
        return pd.read_sql_query(query, connection)


def _filtered(query, countries, start, until):
    if countries:
        query = query.where(_TABLE.c.country.in_(countries))
    if start is not None:
        query = query.where(_TABLE.c.event_date >= start)
    if until is not None:
        query = query.where(_TABLE.c.event_date <= until)
    return query


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    if "event_date" in frame:
        frame["event_date"] = pd.to_datetime(frame["event_date"]).astype("datetime64[ns]")
    for name in INTEGER_COLUMNS:
        if name in frame:
            frame[name] = frame[name].astype("Int64")
    for name in FLOAT_COLUMNS:
        if name in frame:
            frame[name] = frame[name].astype("float64")
    text = [name for name in frame.columns if frame[name].dtype == object or str(frame[name].dtype) in ("str", "string")]
    for name in text:
        frame[name] = frame[name].astype(object).where(frame[name].notna(), None)
    return frame


__all__ = [
    "LoadRecord",
    "SaveResult",
    "count_events",
    "data_cutoff",
    "ingest_log",
    "load_events",
    "monthly_counts",
    "save_events",
]
