"""Test databases: a fresh, migrated SQLite file or PostgreSQL database per test.

PostgreSQL runs when TIPBOT_TEST_DATABASE_URL is set (CI sets it). Each pytest
worker gets a database of its own, created from that URL and dropped at the end,
so parallel runs never see each other's rows; tests truncate it before use.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import uuid
import weakref
from pathlib import Path

import sqlalchemy as sa

from ledger import db

PG_ADMIN_URL = os.environ.get("TIPBOT_TEST_DATABASE_URL")
BACKENDS = ["sqlite", "postgresql"] if PG_ADMIN_URL else ["sqlite"]


def pg_reachable_or_reason() -> str | None:
    if not PG_ADMIN_URL:
        return None
    try:
        engine = sa.create_engine(db.normalize_url(PG_ADMIN_URL), connect_args={"connect_timeout": 5})
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
        engine.dispose()
    except Exception as error:  # noqa: BLE001 - reported verbatim
        return f"TIPBOT_TEST_DATABASE_URL={PG_ADMIN_URL} is not reachable: {error}"
    return None


class SqliteTemplate:
    """One migrated SQLite file per session, copied for each test (fast)."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / "template.sqlite3"
        engine = db.make_engine(f"sqlite:///{self.path}")
        db.upgrade(engine)
        engine.dispose()  # the last connection closing checkpoints the WAL into the file
        assert not Path(f"{self.path}-wal").exists()

    def fresh(self, directory: Path) -> str:
        target = directory / f"tipbot-{uuid.uuid4().hex[:8]}.sqlite3"
        shutil.copyfile(self.path, target)
        return f"sqlite:///{target}"


class PgDatabase:
    """A PostgreSQL database of this worker's, migrated once, truncated per test."""

    def __init__(self, worker: str) -> None:
        assert PG_ADMIN_URL
        self.name = f"tipbot_test_{worker}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        admin = sa.make_url(db.normalize_url(PG_ADMIN_URL))
        self._admin = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
        with self._admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{self.name}"')
        self.url = admin.set(database=self.name).render_as_string(hide_password=False)
        engine = db.make_engine(self.url)
        db.upgrade(engine)
        engine.dispose()

    def fresh(self) -> str:
        engine = sa.create_engine(self.url, poolclass=sa.pool.NullPool)
        with engine.begin() as connection:
            tables = connection.execute(sa.text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
            )).scalars().all()
            if tables:
                names = ", ".join(f'"{t}"' for t in tables)
                connection.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
        engine.dispose()
        return self.url

    def drop(self) -> None:
        with self._admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        self._admin.dispose()


_reflected: weakref.WeakKeyDictionary[sa.Engine, tuple[frozenset[str], sa.MetaData]] = weakref.WeakKeyDictionary()


def _metadata_of(engine: sa.Engine) -> sa.MetaData:
    """The engine's reflected tables, reflected again only when the table names change
    (reflection costs far more than the dump; tests call this before and after each refusal)."""
    names = frozenset(sa.inspect(engine).get_table_names())
    cached = _reflected.get(engine)
    if cached is None or cached[0] != names:
        metadata = sa.MetaData()
        metadata.reflect(engine)
        cached = _reflected[engine] = (names, metadata)
    return cached[1]


def dump_tables(engine: sa.Engine) -> dict[str, list[tuple]]:
    """Every row of every table, for asserting that a refusal changed nothing."""
    metadata = _metadata_of(engine)
    state: dict[str, list[tuple]] = {}
    with engine.connect() as connection:
        for name, table in sorted(metadata.tables.items()):
            if name == "alembic_version":
                continue
            order = list(table.primary_key.columns) or list(table.columns)
            state[name] = [tuple(row) for row in connection.execute(sa.select(table).order_by(*order))]
    return state


def stored_times(engine: sa.Engine) -> dict[str, set[dt.datetime]]:
    """Every timestamp the database holds, by "table.column", as aware UTC datetimes
    (tables the product does not own, Slack's OAuth store and Alembic's, left out)."""
    metadata = _metadata_of(engine)
    found: dict[str, set[dt.datetime]] = {}
    with engine.connect() as connection:
        for name, table in sorted(metadata.tables.items()):
            if name == "alembic_version" or name.startswith("slack_"):
                continue
            for column in table.columns:
                if not isinstance(column.type, sa.DateTime):
                    continue
                values = connection.execute(sa.select(column).where(column.is_not(None))).scalars()
                found[f"{name}.{column.name}"] = {
                    v.astimezone(dt.timezone.utc) if v.tzinfo else v.replace(tzinfo=dt.timezone.utc) for v in values}
    return {key: values for key, values in found.items() if values}
