"""Shared fixtures: `db_url` and `ledger` run each test on SQLite and, when
TIPBOT_TEST_DATABASE_URL is set, on PostgreSQL too. `clock` pins the time the
`ledger` (and every Runtime built on it) reads."""

from __future__ import annotations

import os

import pytest

from ledger.api import Ledger
from ledger.clock import FixedClock
from tests.dbs import BACKENDS, PgDatabase, SqliteTemplate, pg_reachable_or_reason
from tests.moments import PINNED

os.environ.setdefault("TIPBOT_DATABASE_URL", "sqlite:////nonexistent/tests-must-pass-a-database")


def pytest_configure(config: pytest.Config) -> None:
    reason = pg_reachable_or_reason()
    if reason:  # CI sets the URL: never skip PostgreSQL quietly
        pytest.exit(reason, returncode=1)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> SqliteTemplate:
    return SqliteTemplate(tmp_path_factory.mktemp("template"))


@pytest.fixture(scope="session")
def pg_database(worker_id: str):
    if "postgresql" not in BACKENDS:
        pytest.skip("PostgreSQL: set TIPBOT_TEST_DATABASE_URL to run this")
    database = PgDatabase(worker_id)
    yield database
    database.drop()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """A fresh, migrated, empty database on each backend."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_template").fresh(tmp_path)
    return request.getfixturevalue("pg_database").fresh()


@pytest.fixture
def pg_url(request: pytest.FixtureRequest) -> str:
    """A fresh PostgreSQL database (tests of concurrency and locking)."""
    return request.getfixturevalue("pg_database").fresh()


@pytest.fixture
def clock() -> FixedClock:
    """The time as the product sees it: PINNED (tests/moments.py) until a test moves it."""
    return FixedClock(PINNED)


@pytest.fixture
def ledger(db_url: str, clock: FixedClock):
    ledger = Ledger.connect(db_url, upgrade=False, clock=clock)
    yield ledger
    ledger.dispose()
