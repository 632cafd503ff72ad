"""The declarative base, the engine and automatic migrations.

The store is the only package that imports SQLAlchemy ORM classes; everything outside it calls
the functions of its modules and gets DataFrames or domain records back.
"""

from __future__ import annotations

import ast
import functools
import logging
import os
import re
import weakref
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import DeclarativeBase

from forecasting.errors import ConflictwatchError

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"

# Stable constraint names, so that migrations can refer to them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Any constant works; it only has to be the same in every conflictwatch process.
_MIGRATION_LOCK_KEY = 7_411_203_995


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class StoreUnavailableError(ConflictwatchError):
    """The database named by --db / CONFLICTWATCH_DB / config.yaml cannot be used."""


@dataclass(frozen=True)
class Store:
    """An open, migrated database. Pass it to the functions of the store modules."""

    engine: Engine

    @property
    def dialect(self) -> str:
        """`sqlite` or `postgresql`."""
        return self.engine.dialect.name

    @property
    def display_url(self) -> str:
        """The URL with any password masked, safe for logs and messages."""
        return self.engine.url.render_as_string(hide_password=True)


def open_store(url: str) -> Store:
    """Connect to the database at a SQLAlchemy URL and bring its schema up to date.

    SQLite (`sqlite:///path.db`) and PostgreSQL (`postgresql+psycopg://...`; a plain
    `postgresql://` URL is read as psycopg 3) are supported.
    """
    engine = create_engine(url)
    shown = engine.url.render_as_string(hide_password=True)
    try:
        migrate(engine)
    except sa.exc.OperationalError as error:
        engine.dispose()
        raise StoreUnavailableError(
            f"cannot open the database {shown}: {error.orig}. Check --db / CONFLICTWATCH_DB and that the"
            " server is running."
        ) from None
    except sa.exc.DatabaseError as error:
        # SQLite says "file is not a database" for any file that is not one (a CSV given as --db).
        engine.dispose()
        raise StoreUnavailableError(
            f"cannot use {shown}: {error.orig}. --db / CONFLICTWATCH_DB must name a conflictwatch"
            " database (a SQLite file it created, or a new path), not another kind of file."
        ) from None
    return Store(engine=engine)


def create_engine(url: str) -> Engine:
    """An engine with the settings conflictwatch relies on (SQLite: WAL, foreign keys, locking)."""
    try:
        parsed = make_url(url)
    except sa.exc.ArgumentError:
        raise StoreUnavailableError(
            f"not a database URL: {url!r}. Use e.g. sqlite:///conflictwatch.db or "
            "postgresql+psycopg://user@host:5432/dbname"
        ) from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            _require_sqlite_folder(Path(parsed.database))
        engine = _engine(parsed, connect_args={"timeout": 60})
        _serialize_sqlite_writers(engine)
        return engine
    if parsed.get_backend_name() != "postgresql":
        raise StoreUnavailableError(
            f"unsupported database {parsed.get_backend_name()!r}: use SQLite or PostgreSQL"
        )
    return _engine(parsed, pool_pre_ping=True)


def _engine(url: sa.URL, **options) -> Engine:
    try:
        engine = sa.create_engine(url, **options)
    except (sa.exc.NoSuchModuleError, ModuleNotFoundError):
        raise StoreUnavailableError(
            f"no database driver {url.drivername!r}: use sqlite:///FILE.db or"
            " postgresql+psycopg://user@host:5432/dbname"
        ) from None
    _connections_of_own_process(engine)
    return engine


def _connections_of_own_process(engine: Engine) -> None:
    """A process forked from this one (a worker fitting rolling origins, `forecasting.models.
    executors.forked`) opens connections of its own instead of using the ones it inherited: one
    connection used by two processes corrupts both sessions (on PostgreSQL the pool's ping before
    a checkout then waits for ever). As SQLAlchemy advises ("Using Connection Pools with
    Multiprocessing or os.fork()"), the child starts with a new pool, dropping the inherited
    connections without closing them (closing them would end the parent's sessions too)."""
    kept = weakref.ref(engine)

    def forget_inherited() -> None:
        inherited = kept()
        if inherited is not None:
            inherited.dispose(close=False)

    os.register_at_fork(after_in_child=forget_inherited)


def _require_sqlite_folder(database: Path) -> None:
    """A SQLite file goes into a folder that exists: a mistyped folder is an error, not a new
    empty database somewhere unexpected."""
    folder = database.expanduser().absolute().parent
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist"
        raise StoreUnavailableError(
            f"cannot create the database {database}: the folder {folder} {what}. Create the folder"
            " first, or correct --db / CONFLICTWATCH_DB."
        )
    if database.expanduser().is_dir():
        raise StoreUnavailableError(f"cannot use {database} as the database: it is a folder; name a file in it")


def _serialize_sqlite_writers(engine: Engine) -> None:
    """Make SQLite transactions start with BEGIN IMMEDIATE.

    pysqlite otherwise defers BEGIN until the first write, so two processes that both read and
    then write deadlock on the lock upgrade instead of waiting their turn.
    """

    @sa_event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        # Pages of 16 KiB for a new file (an existing one keeps its own: SQLite ignores this
        # there): a bulk load writes every page to the write-ahead log and again into the file,
        # one system call each; with 4 KiB pages those calls took about 0.4 s of the 300,000-row
        # benchmark's 1.5 s of system CPU (docs/benchmarks.md). Set before WAL: it fixes the size.
        cursor.execute("PRAGMA page_size=16384")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # 256 MiB of page cache: index upkeep during a million-row ingest is several times
        # faster than with SQLite's 2 MiB default, and the memory is only taken when used.
        cursor.execute("PRAGMA cache_size=-262144")
        cursor.close()

    @sa_event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def dialect_insert(dialect: str):
    """The INSERT construct with `on_conflict_do_*` of the store's backend (`sqlite` or `postgresql`)."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def migrate(engine: Engine) -> None:
    """Apply every pending Alembic migration (all heads: each feature owns its own branch).

    A database already at the code's heads is left alone without loading Alembic: one query
    instead of about 0.2 s of imports and revision parsing on every command.
    """
    if _applied_heads(engine) == code_heads():
        return
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            # Two processes starting at once must not both create the tables.
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK_KEY})")
        config.attributes["connection"] = connection
        command.upgrade(config, "heads")


def code_heads() -> frozenset[str] | None:
    """The heads of the migration scripts shipped with the code (revisions no other revision
    builds on), read from their `revision` and `down_revision` lines; None when a script does
    not declare them plainly (then Alembic decides)."""
    return _code_heads(tuple(sorted((MIGRATIONS / "versions").glob("*.py"))))


@functools.lru_cache(maxsize=4)
def _code_heads(scripts: tuple[Path, ...]) -> frozenset[str] | None:
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in scripts:
        declared = dict(_DECLARATION.findall(script.read_text(encoding="utf-8")))
        if "revision" not in declared or "down_revision" not in declared:
            return None
        if declared.get("depends_on", "None") != "None":
            return None  # cross-branch dependencies: let Alembic work the heads out
        try:
            revision = ast.literal_eval(declared["revision"])
            down = ast.literal_eval(declared["down_revision"])
        except (ValueError, SyntaxError):
            return None
        revisions.add(revision)
        parents.update(down if isinstance(down, (tuple, list)) else [down] if down else [])
    return frozenset(revisions - parents)


_DECLARATION = re.compile(r"^(revision|down_revision|depends_on)\s*(?::[^=]*)?=\s*(.+?)\s*$", re.MULTILINE)


def _applied_heads(engine: Engine) -> frozenset[str] | None:
    """The revisions recorded in the database's `alembic_version` table; None without one."""
    with engine.connect() as connection:
        if not sa.inspect(connection).has_table("alembic_version"):
            return None
        rows = connection.exec_driver_sql("SELECT version_num FROM alembic_version").all()
    return frozenset(row[0] for row in rows)
