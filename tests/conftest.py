"""Shared fixtures: real SQLite and PostgreSQL stores, and small event files.

Every store test runs twice, on a SQLite file and on PostgreSQL at 127.0.0.1:5432 (database
`test`, user `postgres`). The PostgreSQL run uses a database of its own, created for this test
session and dropped after it, so parallel sessions do not meet. Where no PostgreSQL server is
reachable the PostgreSQL variants skip, except on CI (CI=true), where they fail.
"""

from __future__ import annotations

import functools
import os
import shutil
import tempfile
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from factories import ACLED_HEADER
from forecasting.store import Store, open_store

POSTGRES_SERVER = os.environ.get("CONFLICTWATCH_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
ON_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def postgres_url():
    """A fresh PostgreSQL database for this test session."""
    admin = sa.create_engine(POSTGRES_SERVER, isolation_level="AUTOCOMMIT")
    name = f"cw_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sa.exc.OperationalError as error:
        admin.dispose()
        message = f"PostgreSQL is not reachable at {POSTGRES_SERVER}: {error.orig}"
        if ON_CI:
            pytest.fail(message + " (on CI the PostgreSQL tests must run)")
        pytest.skip(message)
    url = sa.engine.make_url(POSTGRES_SERVER).set(database=name).render_as_string(hide_password=False)
    yield url
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path) -> str:
    """A database URL with an empty, migrated schema: a SQLite file, or the session's PostgreSQL
    database emptied of rows."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'conflictwatch.db'}"
    url = request.getfixturevalue("postgres_url")
    _empty_postgres(url)
    return url


@pytest.fixture
def store(store_url) -> Store:
    """The store at `store_url`, opened. A SQLite store starts as a copy of one migrated once per
    process (the same file a fresh migration writes, at a tenth of the time: `make mutate` opens
    one for every test of every mutant)."""
    if store_url.startswith("sqlite:///"):
        shutil.copyfile(_migrated_sqlite(), store_url.removeprefix("sqlite:///"))
    opened = open_store(store_url)
    yield opened
    opened.engine.dispose()


@functools.cache
def _migrated_sqlite() -> Path:
    """An empty SQLite store at the code's heads, in a folder removed when the process exits.
    Closing its engine checkpoints the write-ahead log into the file, so the file alone is the
    whole store."""
    folder = tempfile.TemporaryDirectory(prefix="conflictwatch-migrated-")
    _TEMPORARY.append(folder)
    path = Path(folder.name) / "migrated.db"
    open_store(f"sqlite:///{path}").engine.dispose()
    return path


#: Keeps `_migrated_sqlite`'s folder alive (and so its file) until the process exits.
_TEMPORARY: list[tempfile.TemporaryDirectory] = []


def _empty_postgres(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        tables = connection.exec_driver_sql(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
        ).scalars().all()
        if tables:
            connection.exec_driver_sql(
                "TRUNCATE " + ", ".join(f'"{table}"' for table in tables) + " RESTART IDENTITY CASCADE"
            )
    engine.dispose()


@pytest.fixture
def write_acled(tmp_path):
    """Write an ACLED-format CSV from row lines; returns its path."""

    def write(name: str, rows: list[str], header: str = ACLED_HEADER) -> Path:
        path = tmp_path / name
        path.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
        return path

    return write
