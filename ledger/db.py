"""Engines and schema upgrades for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import os
import time
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from platformdirs import user_data_dir

MIGRATIONS = Path(__file__).parent / "migrations"


def default_database_url() -> str:
    """`TIPBOT_DATABASE_URL`, else a SQLite file in the user's data directory."""
    url = os.environ.get("TIPBOT_DATABASE_URL")
    if url:
        return url
    path = Path(user_data_dir("tipbot", appauthor=False)) / "tipbot.sqlite3"
    return f"sqlite:///{path}"


def normalize_url(url: str) -> str:
    """Plain `postgresql://` URLs use psycopg 3, the driver Tipbot installs."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def make_engine(url: str | None = None, **kwargs) -> sa.Engine:
    url = normalize_url(url or default_database_url())
    if url.startswith("sqlite"):
        return _sqlite_engine(url, **kwargs)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    engine = sa.create_engine(url, **kwargs)
    if not kwargs.get("pool_pre_ping"):
        _ping_after_idle(engine)
    return engine


# A connection idle this long is pinged before use. Pinging on every checkout
# (pool_pre_ping) costs three round trips per transaction with psycopg (BEGIN,
# SELECT 1, ROLLBACK), a third of a one-off tip; busy connections are known to be
# alive, and Ledger.run retries a transaction whose connection died before commit.
PING_AFTER_IDLE_SECONDS = 10.0


def _ping_after_idle(engine: sa.Engine) -> None:
    @sa.event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection, record) -> None:
        record.info["idle_since"] = time.monotonic()

    @sa.event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection, record, _proxy) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            cursor = dbapi_connection.cursor()
            cursor.execute("SELECT 1")
            cursor.close()
            dbapi_connection.rollback()
        except Exception as error:  # the pool replaces the connection and tries again
            raise sa.exc.DisconnectionError(str(error)) from error


def _sqlite_engine(url: str, **kwargs) -> sa.Engine:
    database = sa.engine.make_url(url).database
    if database and database != ":memory:":
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    kwargs.setdefault("connect_args", {"timeout": 30, "check_same_thread": False})
    engine = sa.create_engine(url, **kwargs)

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        # Take transaction control from pysqlite so we can BEGIN IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA busy_timeout = 30000")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        # Writers take the write lock up front: no deadlock on lock upgrade.
        if connection.get_execution_options().get("tipbot_readonly"):
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def alembic_config(connection: sa.Connection) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def upgrade(engine: sa.Engine) -> None:
    """Bring the schema to the newest revision (every branch head).

    SQLite can only change a CHECK or a foreign key by rebuilding the table, which
    its documented procedure does with foreign keys off (they can't be switched
    inside a transaction); they are checked before the upgrade commits.
    """
    if not is_sqlite(engine):
        with engine.begin() as connection:
            command.upgrade(alembic_config(connection), "heads")
        return
    with engine.connect() as connection:
        sqlite = connection.connection.driver_connection
        sqlite.execute("PRAGMA foreign_keys = OFF")  # outside any transaction, as it must be
        try:
            with connection.begin():
                command.upgrade(alembic_config(connection), "heads")
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                if broken:
                    raise RuntimeError(f"schema upgrade broke foreign keys: {broken[:5]}")
        finally:
            sqlite.execute("PRAGMA foreign_keys = ON")


def current_revisions(engine: sa.Engine) -> set[str]:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads())


def pending_revisions(engine: sa.Engine) -> set[str]:
    """Heads of the migration scripts the database has not reached (empty: schema current)."""
    from alembic.script import ScriptDirectory

    with engine.connect() as connection:
        heads = set(ScriptDirectory.from_config(alembic_config(connection)).get_heads())
    current = current_revisions(engine)
    return {head for head in heads if head not in current}


def is_sqlite(engine: sa.Engine) -> bool:
    return engine.dialect.name == "sqlite"
