"""`tipbot console` in script mode: through its Python entry and as a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from ledger.api import Ledger
from tests.adapters.console.support import run_console_entry
from tests.dbs import dump_tables

TIPBOT = str(Path(sys.executable).parent / "tipbot")

SCRIPT = """\
# a comment, then a blank line: neither is a message

treasurer: /tip admin credit @alice 20 dues
alice: /tip @bob 1
bob:/tip receive on
alice: /tip @bob 2 once thanks
nobody said this
alice: /tip @alice 1
alice: /tip
"""


def test_script_prints_each_reply_in_order(db_url: str) -> None:
    out = run_console_entry(db_url, SCRIPT, "--admin", "treasurer")
    blocks = out.strip().split("\n\n")
    assert [block.splitlines()[0] for block in blocks] == [
        "treasurer: /tip admin credit @alice 20 dues",
        "alice: /tip @bob 1",
        "bob:/tip receive on",
        "alice: /tip @bob 2 once thanks",
        "nobody said this",
        "alice: /tip @alice 1",
        "alice: /tip",
    ]
    assert blocks[0].splitlines()[1:] == [
        '  Recorded $20.00 paid in by alice ("dues"). Their balance is now $20.00.',
        '  (DM to alice) An admin recorded $20.00 paid in to your Tipbot balance ("dues"). Your balance is $20.00.',
    ]
    assert "  You now tip bob $1.00 a week, about $4.33 a month." in blocks[1]
    assert "  (DM to bob) alice pledged $1.00 a week to you" in blocks[1]
    assert "  ✗ Start each line with who is speaking, like `alice: /tip @bob 1`." in blocks[4]
    assert blocks[5].splitlines()[1] == "  ✗ You can't tip yourself."
    assert "    Balance:     $18.00" in blocks[6].splitlines()


def test_json_is_one_object_per_message_line(db_url: str) -> None:
    out = run_console_entry(db_url, SCRIPT, "--admin", "treasurer", "--json")
    objects = [json.loads(line) for line in out.splitlines()]
    assert len(objects) == 7
    assert [(o["user"], o["ok"]) for o in objects] == [
        ("treasurer", True), ("alice", True), ("bob", True), ("alice", True), (None, False), ("alice", False),
        ("alice", True)]
    assert objects[0]["input"] == "treasurer: /tip admin credit @alice 20 dues"
    assert objects[4]["code"] == "malformed_line" and objects[4]["input"] == "nobody said this"
    assert objects[5]["code"] == "self_tip" and objects[5]["text"] == "You can't tip yourself."
    for o in objects:
        assert {"user", "input", "ok", "text", "visibility"} <= o.keys()
        assert o["visibility"] == "ephemeral"
    assert objects[3]["direct_messages"] == [
        {"user_id": "bob", "text": 'alice gave you a one-off tip of $2.00 ("thanks"). It is in your balance now '
                                   '(`/tip balance`).'}]
    assert dict(objects[6]["fields"])["Balance"] == "$18.00"


def test_members_are_created_by_name_and_only_named_admins_are_admins(db_url: str) -> None:
    out = run_console_entry(db_url, "ann: /tip admin credit @zed 5\nbea: /tip admin credit @zed 5\n"
                                    "cy: /tip admin credit @zed 5\n",
                            "--admin", "ann", "--admin", "bea", "--json")
    assert [json.loads(line)["ok"] for line in out.splitlines()] == [True, True, False]
    ledger = Ledger.connect(db_url, upgrade=False)
    try:
        rows = ledger.read(lambda b: b.balances("test"))
    finally:
        ledger.dispose()
    # cy's refusal rolled back everything, even cy's first appearance
    assert {(r["member"], r["balance"]) for r in rows} == {("ann", "0.00"), ("bea", "0.00"), ("zed", "10.00")}


def test_subprocess_json_through_the_installed_command(db_url: str) -> None:
    script = ("treasurer: /tip admin credit @alice 10\nbob: /tip receive on\nalice: /tip @bob 3 once\n"
              "alice: /tip @bob 8 once\nalice: /tip @bob 1e3\n\x00garbage\n")
    done = subprocess.run([TIPBOT, "console", "--database", db_url, "--community", "test", "--admin", "treasurer",
                           "--json"], input=script, capture_output=True, text=True, timeout=120, check=True)
    objects = [json.loads(line) for line in done.stdout.splitlines()]
    assert [o["ok"] for o in objects] == [True, True, True, False, False, False]
    assert objects[3]["code"] == "insufficient_balance"
    assert objects[4]["code"] == "malformed_amount"
    assert done.stderr == ""
    ledger = Ledger.connect(db_url, upgrade=False)
    try:
        balances = {r["member"]: r["balance"] for r in ledger.read(lambda b: b.balances("test"))}
        before = dump_tables(ledger.engine)
    finally:
        ledger.dispose()
    assert balances == {"treasurer": "0.00", "alice": "7.00", "bob": "3.00"}
    # Running only refused lines afterwards changes nothing at all.
    subprocess.run([TIPBOT, "console", "--database", db_url, "--community", "test", "--json"],
                   input="alice: /tip @bob 8 once\nbob: /tip @bob 1\nalice: /tip admin credit @alice 5\n",
                   capture_output=True, text=True, timeout=120, check=True)
    ledger = Ledger.connect(db_url, upgrade=False)
    try:
        assert dump_tables(ledger.engine) == before
    finally:
        ledger.dispose()


def test_default_database_is_a_file_in_the_user_data_directory(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("TIPBOT_DATABASE_URL", "TIPBOT_CONFIG")}
    env["XDG_DATA_HOME"] = str(tmp_path / "data")
    env["HOME"] = str(tmp_path)
    first = subprocess.run([TIPBOT, "console"], input="alice: /tip @bob 1\n", env=env, capture_output=True,
                           text=True, timeout=120, check=True)
    assert first.stdout.startswith("alice: /tip @bob 1\n  You now tip bob $1.00 a week")
    assert (tmp_path / "data" / "tipbot" / "tipbot.sqlite3").is_file()
    second = subprocess.run([TIPBOT, "console"], input="alice: /tip\n", env=env, capture_output=True,
                            text=True, timeout=120, check=True)
    assert "  bob: $1.00 a week" in second.stdout  # the same file, kept between runs


def test_console_is_listed_in_the_cli_help() -> None:
    done = subprocess.run([TIPBOT, "console", "--help"], capture_output=True, text=True, timeout=120, check=True)
    for option in ("--database URL", "--community NAME", "--admin NAME", "--json", "alice: /tip @bob 1"):
        assert option in done.stdout


def test_later_moves_the_console_clock_on_so_a_script_reaches_next_weeks_payday(db_url: str) -> None:
    script = """\
treasurer: /tip admin credit @alice 5
bob: /tip receive on
alice: /tip @bob 1
treasurer: /tip admin payday now
treasurer: /tip admin payday now
later 7 days
treasurer: /tip admin payday now
later 7 fortnights
"""
    replies = [json.loads(line) for line in run_console_entry(
        db_url, script, "--admin", "treasurer", "--json", "--at", "2026-11-25T09:30").splitlines()]
    first, again, later, second, wrong = replies[3:]
    assert first["ok"] and "Payday" in first["text"]
    assert not again["ok"] or "already" in again["text"]  # the same week: ran already
    assert later["ok"] and later["text"].startswith("It is now ")
    assert second["ok"] and "Payday" in second["text"] and "already" not in second["text"]
    assert wrong["ok"] is False and wrong["code"] == "malformed_line"
    ledger = Ledger.connect(db_url, upgrade=False)
    assert ledger.read(lambda book: book.conn.exec_driver_sql("SELECT COUNT(*) FROM paydays").scalar_one()) == 2
    ledger.dispose()


def test_at_starts_the_console_clock_at_the_given_moment(db_url: str) -> None:
    """`--at` makes a script replay the same way on any day; the clock runs on from there."""
    replies = [json.loads(line) for line in run_console_entry(
        db_url, "later 1 day\n", "--json", "--at", "2030-01-03T12:00").splitlines()]
    assert replies[0]["text"].startswith("It is now Friday 4 January 2030, 12:0"), replies[0]["text"]


def test_at_refuses_what_is_not_a_time() -> None:
    done = subprocess.run([TIPBOT, "console", "--at", "next thursday"], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2 and "is not a time like 2026-11-26T12:00" in done.stderr
    assert "Traceback" not in done.stderr


def test_later_is_refused_on_a_clock_that_cannot_be_moved(db_url: str) -> None:
    from adapters.console.session import ConsoleSession
    from bot.compose import build_runtime
    from bot.config import Settings
    from ledger.clock import SystemClock

    ledger = Ledger.connect(db_url, upgrade=False, clock=SystemClock())
    session = ConsoleSession(build_runtime(Settings(database_url=db_url), ledger=ledger))
    result = session.run_line("later 1 week")
    assert result is not None and not result.reply.ok and result.reply.code == "fixed_clock"
    ledger.dispose()
