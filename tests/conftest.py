"""Shared fixtures: `db_url` and `ledger` run each test on SQLite and, when
TIPBOT_TEST_DATABASE_URL is set, on PostgreSQL too. `clock` pins the time the
`ledger` (and every Runtime built on it) reads."""

from __future__ import annotations

import datetime as dt
import os

import pytest

from ledger.api import Ledger
from ledger.clock import SYSTEM_CLOCK, FixedClock
from tests.dbs import BACKENDS, PgDatabase, SqliteTemplate, pg_reachable_or_reason
from tests.moments import PINNED

os.environ.setdefault("TIPBOT_DATABASE_URL", "sqlite:////nonexistent/tests-must-pass-a-database")


MOMENTS_ENV = "TIPBOT_TEST_MOMENTS"  # scripts/test-moments: UTC moments, comma-separated


def pytest_configure(config: pytest.Config) -> None:
    reason = pg_reachable_or_reason()
    if reason:  # CI sets the URL: never skip PostgreSQL quietly
        pytest.exit(reason, returncode=1)
    if _moments():
        try:
            import time_machine  # noqa: F401
        except ImportError as error:  # asked for fixed moments: never run at the real one instead
            pytest.exit(f"{MOMENTS_ENV} needs time-machine (the test extras): {error}", returncode=1)


def _moments() -> list[dt.datetime]:
    text = os.environ.get(MOMENTS_ENV, "")
    try:
        return [dt.datetime.fromisoformat(part.strip()).replace(tzinfo=dt.timezone.utc)
                for part in text.split(",") if part.strip()]
    except ValueError as error:
        pytest.exit(f"{MOMENTS_ENV}={text!r}: {error}", returncode=1)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """With TIPBOT_TEST_MOMENTS set, each test marked `clock` runs once per moment."""
    moments = _moments()
    if moments and metafunc.definition.get_closest_marker("clock") is not None:
        metafunc.parametrize("real_moment", moments, indirect=True,
                             ids=[m.strftime("%Y-%m-%dT%H:%M:%S") for m in moments])


@pytest.fixture(autouse=True)
def real_moment(request: pytest.FixtureRequest):
    """Under TIPBOT_TEST_MOMENTS: the real clock (what the system clock, Slack's and
    Stripe's signature checks read) starts at the test's moment and ticks on.
    Monotonic time stays real, and so do both databases' clocks. Otherwise: nothing."""
    moment = getattr(request, "param", None)
    if moment is None:
        yield None
        return
    import time_machine

    with time_machine.travel(moment, tick=True):
        assert abs(SYSTEM_CLOCK.now() - moment) < dt.timedelta(minutes=1), "the real clock did not move"
        yield moment


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
