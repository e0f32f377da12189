"""A scratch PostgreSQL database for one bench run: created empty, always dropped.

The server is `TIPBOT_BENCH_DATABASE_URL` (default: the local test server).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from ledger import db

ADMIN_URL = os.environ.get("TIPBOT_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")


@contextmanager
def scratch_postgres(label: str, *, upgrade: bool = False) -> Iterator[str]:
    """Yield the URL of a new database `tipbot_bench_<label>_<random>`, at the newest schema
    when `upgrade`; drop it afterwards, whatever happened."""
    admin_url = sa.make_url(db.normalize_url(ADMIN_URL))
    name = f"tipbot_bench_{label}_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        url = admin_url.set(database=name).render_as_string(hide_password=False)
        if upgrade:
            engine = db.make_engine(url)
            db.upgrade(engine)
            engine.dispose()
        yield url
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
