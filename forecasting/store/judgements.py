"""The ensemble's judgements of its members, and its members' forecasts at each rolling origin,
kept between runs (`forecasting.models.memo`).

Judgements: one row per forecast month and settings; a judgement saved for a month replaces the
one kept for the same month and settings, whose history has changed since (otherwise its key, a
digest of the history, would have matched). Origins: likewise one row per last month seen and
settings; the origins seen before the oldest one a judgement used are deleted after it, so the
table holds about one judgement's window. The same table keeps the members' forecasts from a
month's whole history (the next month's newest origin), one row a panel, each replacing the
month before's. A cache: any row may be deleted at any time, at the cost of computing it again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from forecasting.store.base import Base, Store, dialect_insert


class EnsembleJudgement(Base):
    __tablename__ = "ensemble_judgements"
    __table_args__ = (sa.Index(None, "forecast_month", "settings"),)

    key: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    forecast_month: Mapped[str] = mapped_column(sa.String(7))
    settings: Mapped[str] = mapped_column(sa.String(40))
    judgement: Mapped[str] = mapped_column(sa.Text)
    saved_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True))


class EnsembleOrigin(Base):
    __tablename__ = "ensemble_origins"
    __table_args__ = (sa.Index(None, "seen_until", "settings"),)

    key: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    seen_until: Mapped[str] = mapped_column(sa.String(7))
    settings: Mapped[str] = mapped_column(sa.String(40))
    forecasts: Mapped[bytes] = mapped_column(sa.LargeBinary)
    saved_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True))


_TABLE = EnsembleJudgement.__table__
_ORIGINS = EnsembleOrigin.__table__


class StoredJudgements:
    """`forecasting.models.memo.Judgements` in a store."""

    def __init__(self, store: Store):
        self.store = store

    def load(self, key: str) -> str | None:
        with self.store.engine.connect() as connection:
            return connection.execute(sa.select(_TABLE.c.judgement).where(_TABLE.c.key == key)).scalar()

    def save(self, key: str, forecast_month: str, settings: str, judgement: str) -> None:
        row = {"key": key, "forecast_month": forecast_month, "settings": settings, "judgement": judgement,
               "saved_at": dt.datetime.now(dt.timezone.utc)}
        with self.store.engine.begin() as connection:
            connection.execute(sa.delete(_TABLE).where(
                (_TABLE.c.forecast_month == forecast_month) & (_TABLE.c.settings == settings) & (_TABLE.c.key != key)
            ))
            # Two processes judging the same history at once save the same row: the second is a no-op.
            connection.execute(dialect_insert(self.store.dialect)(_TABLE).values(row).on_conflict_do_nothing())


class StoredOrigins:
    """`forecasting.models.memo.Origins` in a store."""

    def __init__(self, store: Store):
        self.store = store

    def load(self, keys: Sequence[str]) -> dict[str, bytes]:
        with self.store.engine.connect() as connection:
            rows = connection.execute(sa.select(_ORIGINS.c.key, _ORIGINS.c.forecasts).where(_ORIGINS.c.key.in_(list(keys))))
            return {key: bytes(forecasts) for key, forecasts in rows}

    def save(self, origins: list[tuple[str, str, str, bytes]]) -> None:
        now = dt.datetime.now(dt.timezone.utc)
        with self.store.engine.begin() as connection:
            for key, seen_until, settings, forecasts in origins:
                connection.execute(sa.delete(_ORIGINS).where(
                    (_ORIGINS.c.seen_until == seen_until) & (_ORIGINS.c.settings == settings) & (_ORIGINS.c.key != key)
                ))
                row = {"key": key, "seen_until": seen_until, "settings": settings, "forecasts": forecasts,
                       "saved_at": now}
                connection.execute(dialect_insert(self.store.dialect)(_ORIGINS).values(row).on_conflict_do_nothing())

    def forget_before(self, month: str, *, settings: str | None = None) -> None:
        condition = _ORIGINS.c.seen_until < month
        if settings is not None:
            condition &= _ORIGINS.c.settings == settings
        with self.store.engine.begin() as connection:
            connection.execute(sa.delete(_ORIGINS).where(condition))


def count_origins(store: Store) -> int:
    """How many rows of members' forecasts the store keeps: at rolling origins, and from the
    newest month's whole history."""
    with store.engine.connect() as connection:
        return connection.execute(sa.select(sa.func.count()).select_from(_ORIGINS)).scalar_one()


def count_judgements(store: Store) -> int:
    """How many judgements the store keeps."""
    with store.engine.connect() as connection:
        return connection.execute(sa.select(sa.func.count()).select_from(_TABLE)).scalar_one()
