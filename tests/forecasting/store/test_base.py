"""The store's schema check: migrations run once per schema version, not on every command."""

from __future__ import annotations

import sqlalchemy as sa

from forecasting.store import open_store
from forecasting.store.base import MIGRATIONS, code_heads


def test_code_heads_are_alembics_heads():
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert code_heads() == frozenset(ScriptDirectory.from_config(config).get_heads())


def test_a_store_behind_the_code_is_brought_up_to_date(store_url):
    from alembic import command
    from alembic.config import Config

    store = open_store(store_url)
    heads = code_heads()
    newest = max(heads)
    # Take one branch back by its last revision, as a database made by an older release would
    # be: opening the store again must apply that revision.
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with store.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, f"{newest}-1")
    store.engine.dispose()
    with sa.create_engine(store_url).connect() as connection:
        assert newest not in set(connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalars())
    reopened = open_store(store_url)
    with reopened.engine.connect() as connection:
        applied = set(connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalars())
    reopened.engine.dispose()
    assert applied == set(heads)


def test_a_store_at_the_code_heads_is_not_migrated_again(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cw.db'}"
    open_store(url).engine.dispose()
    import alembic.command

    def refuse(*args, **kwargs):
        raise AssertionError("migrations ran on a store already at the code's heads")

    monkeypatch.setattr(alembic.command, "upgrade", refuse)
    reopened = open_store(url)
    with reopened.engine.connect() as connection:
        assert set(connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalars()) == set(code_heads())
    reopened.engine.dispose()


def test_a_new_sqlite_store_has_16_kib_pages_and_an_older_one_keeps_its_own(tmp_path):
    """Pages of 16 KiB halve the system calls of a bulk load's log and checkpoint; a store made
    with SQLite's 4 KiB pages keeps them (a page size is fixed once a file is in WAL mode)."""
    import sqlite3

    def pages(url: str) -> tuple[int, str]:
        store = open_store(url)
        with store.engine.connect() as connection:
            found = (connection.exec_driver_sql("PRAGMA page_size").scalar(),
                     connection.exec_driver_sql("PRAGMA journal_mode").scalar())
        store.engine.dispose()
        return found

    assert pages(f"sqlite:///{tmp_path / 'new.db'}") == (16384, "wal")
    older = sqlite3.connect(tmp_path / "older.db")
    older.execute("PRAGMA journal_mode=WAL")
    older.execute("CREATE TABLE kept (value)")
    older.execute("INSERT INTO kept VALUES (1)")
    older.commit()
    older.close()
    assert pages(f"sqlite:///{tmp_path / 'older.db'}") == (4096, "wal")
    with sqlite3.connect(tmp_path / "older.db") as connection:
        assert connection.execute("SELECT value FROM kept").fetchall() == [(1,)]
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_a_forked_worker_opens_connections_of_its_own_and_the_parents_keep_working(store):
    """A forked worker starts with an empty pool: had it taken its parent's pooled connection,
    both processes would talk over one socket (on PostgreSQL the pool's ping then waits for
    ever), and closing it there would end the parent's session."""
    import os

    from forecasting.models.executors import forked, usable_cores

    def session():
        with store.engine.connect() as connection:
            if store.dialect == "postgresql":
                return connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
            return connection.exec_driver_sql("SELECT count(*) FROM events").scalar()

    started = set()

    def in_worker():
        """The worker's pid, how many idle connections its pool had before its first call (its
        later calls find the one it made itself), and its session."""
        idle = store.engine.pool.checkedin() if os.getpid() not in started else 0
        started.add(os.getpid())
        return os.getpid(), idle, session()

    parent_session = session()
    assert store.engine.pool.checkedin() == 1  # a connection waits in the parent's pool
    workers = forked([in_worker] * 4, 2)
    if usable_cores() > 1:
        assert os.getpid() not in {pid for pid, _, _ in workers}
        assert {idle for _, idle, _ in workers} == {0}
    if store.dialect == "postgresql":
        assert parent_session not in {backend for _, _, backend in workers}
    assert session() == parent_session  # the parent's session goes on
