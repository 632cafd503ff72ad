"""Shared fixtures: real SQLite and PostgreSQL stores, and small event files.

Every store test runs twice, on a SQLite file and on PostgreSQL at 127.0.0.1:5432 (database
`test`, user `postgres`). The PostgreSQL run uses a database of its own, created for this test
session and dropped after it, so parallel sessions do not meet. Where no PostgreSQL server is
reachable the PostgreSQL variants skip, except on CI (CI=true), where they fail.
"""

from __future__ import annotations

import fcntl
import functools
import itertools
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


#: Set by tests/mutation.py: test sessions take a database of this pool instead of creating one.
POSTGRES_POOL = os.environ.get("CONFLICTWATCH_TEST_POSTGRES_POOL", "")


@pytest.fixture(scope="session")
def postgres_url():
    """A fresh PostgreSQL database for this test session (under `make mutate`, one of its pool)."""
    if POSTGRES_POOL:
        yield _pooled_database()
        return
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


def _pooled_database() -> str:
    """A database of the pool that no other process holds, created at its first use and kept.

    mutmut runs each mutant's tests in a session of its own, in a forked process: creating,
    migrating and dropping a database for each took longer than most mutants' tests. A process
    holds its database by a lock on a file named after it until it exits; `store_url` empties
    the database before each test, and tests/mutation.py drops the pool (`drop_postgres_pool`)."""
    if os.getpid() in _POOLED:
        return _POOLED[os.getpid()]
    for slot in itertools.count():
        lock = open(Path(tempfile.gettempdir()) / f"{POSTGRES_POOL}_{slot}.lock", "w")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            continue
        name = f"{POSTGRES_POOL}_{slot}"
        admin = sa.create_engine(POSTGRES_SERVER, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            if connection.exec_driver_sql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'").first() is None:
                connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        admin.dispose()
        _POOL_LOCKS.append(lock)  # open, and so held, until the process exits
        url = sa.engine.make_url(POSTGRES_SERVER).set(database=name).render_as_string(hide_password=False)
        _POOLED[os.getpid()] = url
        return url


_POOLED: dict[int, str] = {}
_POOL_LOCKS: list = []


def drop_postgres_pool(pool: str) -> None:
    """Drop the databases of `pool` and remove their lock files (after the processes using them)."""
    admin = sa.create_engine(POSTGRES_SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        names = connection.exec_driver_sql(
            "SELECT datname FROM pg_database WHERE datname LIKE %(pattern)s", {"pattern": f"{pool}\\_%"}
        ).scalars().all()
        for name in names:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()
    for lock in Path(tempfile.gettempdir()).glob(f"{pool}_*.lock"):
        lock.unlink()


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


@pytest.fixture
def postgres_store(postgres_url) -> Store:
    """The session's PostgreSQL database, emptied of rows and opened: for what only PostgreSQL
    does (a test of both databases takes `store`)."""
    _empty_postgres(postgres_url)
    opened = open_store(postgres_url)
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
    """Every table empty and every sequence back at its start. Only the tables holding rows are
    truncated: TRUNCATE gives each table and index new files, a fifth of a second for all of
    them on a busy server, for each test."""
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        tables = connection.exec_driver_sql(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
        ).scalars().all()
        holding = connection.exec_driver_sql(
            " UNION ALL ".join(f"SELECT '{table}' WHERE EXISTS (SELECT FROM \"{table}\")" for table in tables)
        ).scalars().all() if tables else []
        if holding:
            connection.exec_driver_sql("TRUNCATE " + ", ".join(f'"{table}"' for table in holding) + " CASCADE")
        for sequence in connection.exec_driver_sql(
            "SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'"
        ).scalars():
            connection.exec_driver_sql(f'ALTER SEQUENCE "{sequence}" RESTART')
    engine.dispose()


@pytest.fixture
def write_acled(tmp_path):
    """Write an ACLED-format CSV from row lines; returns its path."""

    def write(name: str, rows: list[str], header: str = ACLED_HEADER) -> Path:
        path = tmp_path / name
        path.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
        return path

    return write
