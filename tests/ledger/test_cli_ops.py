"""Operators' commands through the real `tipbot` entry point (bot.cli.main, and the
installed console script once), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
import sqlalchemy as sa

from bot.cli import main
from ledger import db
from ledger.api import Ledger
from ledger.models import accounts, tips, transfers
from ledger.money import Money
from tests.dbs import PG_ADMIN_URL

ROOT = Path(__file__).resolve().parents[2]


def tipbot(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def refuse_floats(text: str):
    raise AssertionError(f"a float in the JSON: {text}")


@pytest.fixture
def book(ledger: Ledger) -> dict[str, int]:
    """Two communities: 'demo' with alice 37.50 and bob 12.50, 'other' with erin 5.00."""
    with ledger.begin() as b:
        space = b.ensure_space("console", "local", community_name="demo")
        alice, bob = (b.ensure_member(space, f"U-{n}", n) for n in ("alice", "bob"))
        b.set_receiving(bob.id, True)
        erin = b.ensure_member(b.ensure_space("slack", "T2", community_name="other"), "U-erin", "erin")
    ledger.credit(alice.id, Money(5000, "USD"), by_admin=True, key="c1")
    ledger.credit(erin.id, Money(500, "USD"), by_admin=True, key="c2")
    ledger.tip_once(alice.id, [(bob.id, Money(1250, "USD"))], key="t1")
    return {"alice": alice.id, "bob": bob.id, "erin": erin.id}


def test_ledger_check_is_clean_on_a_consistent_book(capsys, db_url: str, book) -> None:
    code, out, err = tipbot(capsys, "ledger", "check", "--database", db_url)
    assert (code, err) == (0, "")
    assert "every balance matches its transfers" in out


def test_ledger_check_names_a_tampered_account(capsys, db_url: str, ledger: Ledger, book) -> None:
    with ledger.engine.begin() as connection:  # raw SQL, behind the ledger's back
        connection.execute(sa.text("UPDATE accounts SET balance_minor = balance_minor + 1 WHERE id = :id"),
                           {"id": book["bob"]})
    code, out, err = tipbot(capsys, "ledger", "check", "--database", db_url)
    assert code == 1 and out == ""
    assert "Ledger check FAILED: 2 problem(s)" in err
    assert (f"community 'demo' USD account {book['bob']} (member bob): balance differs: "
            f"cached balance 12.51, from its transfers 12.50") in err
    assert "community 'demo' USD: accounts do not sum to zero: they sum to 0.01, not 0" in err


def test_ledger_check_names_a_pair_whose_current_tip_is_not_its_newest(capsys, db_url: str, ledger: Ledger,
                                                                      book) -> None:
    for weekly_minor in (100, 200):
        ledger.set_tip(book["alice"], book["bob"], Money(weekly_minor, "USD"), key=f"w{weekly_minor}")
    ledger.set_tip(book["bob"], book["alice"], Money(300, "USD"), key="w300")
    code, out, _ = tipbot(capsys, "ledger", "check", "--database", db_url)
    assert code == 0 and "every current tip is its pair's newest version" in out

    with ledger.engine.begin() as connection:  # behind the ledger's back: the flag on the old version
        rows = connection.execute(sa.select(tips.c.id).where(tips.c.tipper_id == book["alice"])
                                  .order_by(tips.c.id)).scalars().all()
        connection.execute(tips.update().where(tips.c.id == rows[1]).values(is_current=False))
        connection.execute(tips.update().where(tips.c.id == rows[0]).values(is_current=True))
        connection.execute(tips.update().where(tips.c.tipper_id == book["bob"]).values(is_current=False))
    code, out, err = tipbot(capsys, "ledger", "check", "--database", db_url)
    assert code == 1 and out == ""
    assert "Ledger check FAILED: 2 problem(s)" in err
    assert (f"tip from member {book['alice']} to member {book['bob']}: version {rows[0]} is marked current "
            f"but a newer version exists") in err
    assert f"tip from member {book['bob']} to member {book['alice']}: no version is marked current" in err


def test_ledger_check_finds_a_deleted_transfer(capsys, db_url: str, ledger: Ledger, book) -> None:
    with ledger.engine.begin() as connection:
        connection.execute(transfers.delete().where(transfers.c.kind == "once"))
    code, _, err = tipbot(capsys, "ledger", "check", "--database", db_url)
    assert code == 1
    assert f"account {book['alice']} (member alice): balance differs: cached balance 37.50, " \
           f"from its transfers 50.00" in err
    assert f"account {book['bob']} (member bob): balance differs: cached balance 12.50, from its transfers 0.00" in err


def test_ledger_check_names_an_outside_account(capsys, db_url: str, ledger: Ledger, book) -> None:
    with ledger.engine.begin() as connection:
        connection.execute(accounts.update().where(accounts.c.kind == "manual").values(balance_minor=0))
    code, _, err = tipbot(capsys, "ledger", "check", "--database", db_url)
    assert code == 1
    assert "(outside account: manual): balance differs: cached balance 0.00, from its transfers -50.00" in err
    assert "(outside account: manual): balance differs: cached balance 0.00, from its transfers -5.00" in err


def test_ledger_balances_json(capsys, db_url: str, book) -> None:
    code, out, err = tipbot(capsys, "ledger", "balances", "--json", "--database", db_url)
    assert (code, err) == (0, "")
    rows = json.loads(out, parse_float=refuse_floats)
    assert [(r["community"], r["member"], r["balance"], r["balance_minor"], r["currency"]) for r in rows] == [
        ("demo", "alice", "37.50", 3750, "USD"), ("demo", "bob", "12.50", 1250, "USD"),
        ("other", "erin", "5.00", 500, "USD")]
    assert all(type(r["balance_minor"]) is int and type(r["balance"]) is str for r in rows)
    assert [r["member_id"] for r in rows] == [book["alice"], book["bob"], book["erin"]]

    code, out, _ = tipbot(capsys, "ledger", "balances", "--json", "--community", "other", "--database", db_url)
    assert code == 0 and [r["member"] for r in json.loads(out)] == ["erin"]


def test_ledger_balances_table_and_unknown_community(capsys, db_url: str, book) -> None:
    code, out, _ = tipbot(capsys, "ledger", "balances", "--database", db_url)
    assert code == 0
    assert "alice" in out and "37.50" in out and "erin" in out
    code, out, err = tipbot(capsys, "ledger", "balances", "--community", "nope", "--json", "--database", db_url)
    assert code == 2 and out == ""
    assert "No community is called 'nope'. Communities: demo, other." in err


def test_the_database_defaults_to_the_environment(capsys, monkeypatch, db_url: str, book) -> None:
    monkeypatch.setenv("TIPBOT_DATABASE_URL", db_url)
    code, out, _ = tipbot(capsys, "ledger", "balances", "--json")
    assert code == 0 and len(json.loads(out)) == 3


def test_a_missing_sqlite_file_is_reported_not_created(capsys, tmp_path: Path) -> None:
    missing = tmp_path / "typo.sqlite3"
    for command in (["ledger", "check"], ["ledger", "balances"]):
        code, out, err = tipbot(capsys, *command, "--database", f"sqlite:///{missing}")
        assert code == 2 and out == "" and f"No Tipbot database at {missing}" in err
    assert not missing.exists()


def test_db_upgrade_creates_a_sqlite_schema_and_is_safe_to_repeat(capsys, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.sqlite3'}"
    for _ in range(2):
        code, out, _ = tipbot(capsys, "db", "upgrade", "--database", url)
        assert code == 0
    engine = db.make_engine(url)
    heads = db.current_revisions(engine)
    script = ScriptDirectory(str(db.MIGRATIONS))
    applied = {r.revision for r in script.iterate_revisions(tuple(heads), "base")}
    assert applied == {r.revision for r in script.walk_revisions()}  # every revision, dependencies included
    assert out.strip().endswith(f"is at {', '.join(sorted(heads))}.")
    assert {"accounts", "transfers", "operations"} <= set(sa.inspect(engine).get_table_names())
    engine.dispose()
    code, out, _ = tipbot(capsys, "ledger", "check", "--database", url)
    assert code == 0


@pytest.mark.skipif(not PG_ADMIN_URL, reason="PostgreSQL: set TIPBOT_TEST_DATABASE_URL to run this")
def test_db_upgrade_creates_a_postgresql_schema(capsys) -> None:
    admin_url = sa.make_url(db.normalize_url(PG_ADMIN_URL))
    name = f"tipbot_test_upgrade_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    try:
        code, _, err = tipbot(capsys, "ledger", "check", "--database", url)
        assert code == 2 and "tipbot db upgrade" in err  # no schema yet: said, not a traceback
        for _ in range(2):
            code, out, _ = tipbot(capsys, "db", "upgrade", "--database", url)
            assert code == 0 and "is at" in out
        code, _, _ = tipbot(capsys, "ledger", "check", "--database", url)
        assert code == 0
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def test_the_installed_tipbot_command(db_url: str, book) -> None:
    script = Path(sys.executable).with_name("tipbot")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "bot.cli"]
    env = {**os.environ, "TIPBOT_DATABASE_URL": db_url}
    done = subprocess.run([*command, "ledger", "balances", "--json", "--community", "demo"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert [(r["member"], r["balance"]) for r in json.loads(done.stdout)] == [("alice", "37.50"), ("bob", "12.50")]


def test_help_says_what_each_ops_command_does(capsys) -> None:
    for argv, says in ((["db", "upgrade"], "SQLite files upgrade themselves"),
                       (["ledger", "check"], "Exit 0 when the book is clean, 1 with a report"),
                       (["ledger", "balances"], "balance_minor (integer minor units)")):
        with pytest.raises(SystemExit) as done:
            main([*argv, "--help"])
        assert done.value.code == 0
        out = " ".join(capsys.readouterr().out.split())
        assert says in out and "--database URL" in out
