"""Schema upgrades keep what is already there: 0007 marks the newest version of each pair current."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from alembic import command

from ledger import db
from tests.dbs import PG_ADMIN_URL

BEFORE = "0001_core"  # the tips table as it was before 0007_current_tips


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request, tmp_path) -> Iterator[str]:
    """A database with no schema at all, on each engine."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'upgrade.sqlite3'}"
        return
    if not PG_ADMIN_URL:
        pytest.skip("PostgreSQL: set TIPBOT_TEST_DATABASE_URL to run this")
    admin = sa.create_engine(db.normalize_url(PG_ADMIN_URL), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    name = f"tipbot_test_migrate_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield sa.make_url(db.normalize_url(PG_ADMIN_URL)).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def test_upgrading_marks_the_newest_version_of_each_pair_current(empty_url: str) -> None:
    engine = db.make_engine(empty_url)
    try:
        with engine.begin() as connection:
            command.upgrade(db.alembic_config(connection), BEFORE)
            run = connection.exec_driver_sql
            run("INSERT INTO communities (id, name, currency) VALUES (1, 'c', 'USD')")
            for member_id in (1, 2, 3):
                run(f"INSERT INTO accounts (id, community_id, currency, kind) VALUES ({member_id}, 1, 'USD', 'member')")
                run(f"INSERT INTO members (id, community_id, display_name) VALUES ({member_id}, 1, 'm{member_id}')")
            versions = [(1, 2, 100), (1, 3, 50), (1, 2, 200), (2, 1, 70), (1, 2, 0)]  # (tipper, tippee, amount)
            for n, (tipper, tippee, amount) in enumerate(versions, start=1):
                run(f"INSERT INTO tips (id, community_id, tipper_id, tippee_id, weekly_amount_minor, ctime, mtime) "
                    f"VALUES ({n}, 1, {tipper}, {tippee}, {amount}, '2026-11-25 09:30:00', '2026-11-25 09:30:00')")
        db.upgrade(engine)
        with engine.connect() as connection:
            flags = connection.exec_driver_sql("SELECT id, is_current FROM tips ORDER BY id").all()
        assert [(n, bool(current)) for n, current in flags] == [
            (1, False), (2, True), (3, False), (4, True), (5, True)]
    finally:
        engine.dispose()


def test_upgrading_to_projects_keeps_accounts_transfers_and_tips(empty_url: str) -> None:
    """0011_projects rebuilds accounts, transfers and tips on SQLite (new CHECKs, a new foreign
    key): every row survives, foreign keys hold, and the new rules apply."""
    engine = db.make_engine(empty_url)
    try:
        with engine.begin() as connection:
            command.upgrade(db.alembic_config(connection), "0007_current_tips")
            run = connection.exec_driver_sql
            run("INSERT INTO communities (id, name, currency) VALUES (1, 'c', 'USD')")
            run("INSERT INTO accounts (id, community_id, currency, kind, balance_minor) VALUES (9, 1, 'USD', 'manual', -500)")
            for member_id, balance in ((1, 400), (2, 100)):
                run(f"INSERT INTO accounts (id, community_id, currency, kind, balance_minor) "
                    f"VALUES ({member_id}, 1, 'USD', 'member', {balance})")
                run(f"INSERT INTO members (id, community_id, display_name) VALUES ({member_id}, 1, 'm{member_id}')")
            run("INSERT INTO transfers (id, community_id, currency, from_account_id, to_account_id, amount_minor, kind) "
                "VALUES (1, 1, 'USD', 9, 1, 500, 'credit'), (2, 1, 'USD', 1, 2, 100, 'once')")
            run("INSERT INTO tips (id, community_id, tipper_id, tippee_id, weekly_amount_minor, ctime, mtime) "
                "VALUES (1, 1, 1, 2, 100, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)")
        db.upgrade(engine)
        with engine.begin() as connection:
            run = connection.exec_driver_sql
            assert run("SELECT id, kind, balance_minor FROM accounts ORDER BY id").all() == [
                (1, "member", 400), (2, "member", 100), (9, "manual", -500)]
            assert run("SELECT id, amount_minor FROM transfers ORDER BY id").all() == [(1, 500), (2, 100)]
            assert [tuple(r) for r in run("SELECT id, tippee_id, is_current FROM tips").all()] == [(1, 2, True)]
            run("INSERT INTO accounts (id, community_id, currency, kind) VALUES (10, 1, 'USD', 'project'), "
                "(11, 1, 'USD', 'project')")  # many project accounts per community
            run("INSERT INTO tips (id, community_id, tipper_id, tippee_id, weekly_amount_minor, ctime, mtime) "
                "VALUES (2, 1, 1, 10, 100, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)")  # a tip to a project account
        for statement in ("UPDATE accounts SET balance_minor = -1 WHERE id = 10",
                          "INSERT INTO accounts (community_id, currency, kind) VALUES (1, 'USD', 'manual')",
                          "INSERT INTO tips (id, community_id, tipper_id, tippee_id, weekly_amount_minor, ctime, mtime)"
                          " VALUES (3, 1, 1, 77, 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"):
            with pytest.raises(sa.exc.IntegrityError):
                with engine.begin() as connection:
                    connection.exec_driver_sql(statement)
    finally:
        engine.dispose()


def test_the_history_has_one_head() -> None:
    """New revisions chain after the newest (docs/architecture.md, "Migrations"); a second
    head means a revision was based on an old one."""
    from alembic.script import ScriptDirectory

    assert ScriptDirectory(str(db.MIGRATIONS)).get_heads() == ["0019_payday_tips_anonymous"]
