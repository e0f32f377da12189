"""Statements and exports (issue 16): `/tip history csv` read back with Python's csv equals the
ledger's rows; `/tip statement YEAR` by month; `tipbot ledger export` as CSV and JSON lines."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.cli import main
from ledger.models import accounts, members, transfers
from ledger.money import decimal_string
from tests.adapters.console.support import Console

SETUP = """
alice: /tip receive on
bob: /tip receive on
carol: /tip receive on
dave: /tip receive on
treasurer: /tip admin credit @alice 100 dues, "May"
treasurer: /tip admin credit @bob 20
alice: /tip @bob 5 once thanks, for the "review"
alice: /tip @carol 3.50 once
bob: /tip @alice 1.25 once
alice: /tip @dave 2 once
"""


@pytest.fixture(autouse=True)
def data_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))  # where the console writes without SQLite


def transfer_rows(console: Console) -> list:
    """The transfers table itself, with both ends' names (member, or outside account kind)."""
    def read(book):
        f, t = members.alias("f"), members.alias("t")
        fa, ta = accounts.alias("fa"), accounts.alias("ta")
        return book.conn.execute(
            sa.select(transfers, sa.func.coalesce(f.c.display_name, fa.c.kind).label("from_name"),
                      sa.func.coalesce(t.c.display_name, ta.c.kind).label("to_name"))
            .join(fa, fa.c.id == transfers.c.from_account_id).join(ta, ta.c.id == transfers.c.to_account_id)
            .outerjoin(f, f.c.id == transfers.c.from_account_id).outerjoin(t, t.c.id == transfers.c.to_account_id)
            .order_by(transfers.c.id)).all()
    return console.runtime.ledger.read(read)


def test_history_csv_read_back_equals_the_ledgers_rows(console: Console) -> None:
    console.script(SETUP)

    reply = console.ok("alice: /tip history csv")

    path = Path(re.search(r"Written to (.+)$", reply.text, re.M)[1])
    with path.open(newline="", encoding="utf-8") as f:
        read_back = list(csv.DictReader(f))
    alice_rows = [r for r in transfer_rows(console) if "alice" in (r.from_name, r.to_name)]
    expected = [{
        "transfer_id": str(r.id), "kind": r.kind,
        "amount": decimal_string(-r.amount_minor if r.from_name == "alice" else r.amount_minor, r.currency),
        "currency": r.currency, "other": r.to_name if r.from_name == "alice" else r.from_name, "note": r.note or "",
    } for r in alice_rows]
    assert [{k: v for k, v in row.items() if k != "created_at"} for row in read_back] == expected
    assert [row["amount"] for row in read_back] == ["100.00", "-5.00", "-3.50", "1.25", "-2.00"]
    assert read_back[0]["note"] == 'dues, "May"'  # commas and quotes survive the round trip
    assert "5 transfers" in reply.text and reply.attachment is None  # the console wrote it instead


def test_a_platform_without_files_is_told_so_and_nothing_changes(console: Console) -> None:
    console.script(SETUP)
    console.runtime.platforms["console"].files = False  # type: ignore[attr-defined]
    try:
        console.refused("alice: /tip history csv", "no_files", "/tip history 100")
    finally:
        console.runtime.platforms["console"].files = True  # type: ignore[attr-defined]


def test_statement_gives_given_and_received_by_month(console: Console) -> None:
    console.script(SETUP)
    rows = [r for r in transfer_rows(console) if r.kind in ("tip", "once")]
    moment = rows[0].created_at  # the database's clock, not the test's
    assert all((r.created_at.year, r.created_at.month) == (moment.year, moment.month) for r in rows)

    reply = console.ok(f"alice: /tip statement {moment.year}")

    month = moment.strftime("%B")
    assert f"{month}: $10.50 / $1.25" in reply.text
    assert dict(reply.fields) == {"Given": "$10.50", "Received": "$1.25"}
    assert "No tips given or received in 2001" in console.ok("alice: /tip statement 2001").text
    console.refused("alice: /tip statement 99", "invalid", "Which year?")


def test_statement_puts_each_month_on_its_own_line_and_each_year_apart(console: Console, clock) -> None:
    console.script(SETUP)  # November 2026 (the pinned moment)
    clock.set(dt.datetime(2026, 12, 31, 23, 59, tzinfo=dt.timezone.utc))
    console.script("alice: /tip @bob 1 once\ncarol: /tip @alice 0.75 once")
    clock.set(dt.datetime(2027, 1, 1, 0, 1, tzinfo=dt.timezone.utc))
    console.script("alice: /tip @carol 2 once")

    year = console.ok("alice: /tip statement 2026")
    assert year.text.splitlines()[1:] == ["November: $10.50 / $1.25", "December: $1.00 / $0.75"]
    assert dict(year.fields) == {"Given": "$11.50", "Received": "$2.00"}
    assert console.ok("alice: /tip statement 2027").text.splitlines()[1:] == ["January: $2.00 / $0.00"]
    assert console.ok("alice: /tip statement").text.splitlines()[1:] == ["January: $2.00 / $0.00"]  # this year


def export(db_url: str, capsys, *args: str) -> tuple[int, str]:
    code = main(["ledger", "export", "--community", "test", *args, "--database", db_url])
    return code, capsys.readouterr().out


def test_ledger_export_gives_every_transfer_as_csv_and_jsonl(console: Console, db_url: str, capsys) -> None:
    console.script(SETUP)
    rows = transfer_rows(console)

    code, out = export(db_url, capsys, "--format", "csv")
    assert code == 0
    read_back = list(csv.DictReader(io.StringIO(out, newline="")))
    assert [(int(r["transfer_id"]), r["kind"], r["amount"], r["from"], r["to"], r["note"]) for r in read_back] == [
        (r.id, r.kind, decimal_string(r.amount_minor, r.currency), r.from_name, r.to_name, r.note or "")
        for r in rows]
    assert read_back[0]["from"] == "manual" and read_back[0]["payday_week"] == ""

    code, out = export(db_url, capsys, "--format", "jsonl")
    assert code == 0 and [json.loads(line)["transfer_id"] for line in out.splitlines()] == [r.id for r in rows]

    code, out = export(db_url, capsys, "--since", "2999-01-01")
    assert code == 0 and out.splitlines() == [",".join(("transfer_id", "created_at", "kind", "amount", "currency",
                                                        "from", "to", "payday_week", "note", "external_ids"))]
    assert main(["ledger", "export", "--community", "nowhere", "--database", db_url]) == 2
