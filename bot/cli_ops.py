"""Operators' commands: `tipbot db upgrade`, `tipbot ledger check|balances`."""

from __future__ import annotations

import argparse
import json
import sys

from rich.console import Console
from rich.table import Table

from bot.cli import add_database_option
from ledger import db
from ledger.api import Ledger
from ledger.check import check_ledger


def register(subparsers: argparse._SubParsersAction) -> None:
    db_parser = subparsers.add_parser("db", help="database schema")
    db_sub = db_parser.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    upgrade = db_sub.add_parser("upgrade", help="create or upgrade the schema to the newest version")
    add_database_option(upgrade)
    upgrade.set_defaults(handler=cmd_db_upgrade)

    ledger_parser = subparsers.add_parser("ledger", help="inspect and verify the book")
    ledger_sub = ledger_parser.add_subparsers(dest="ledger_command", metavar="ACTION", required=True)
    check = ledger_sub.add_parser(
        "check", help="recompute every balance from the transfers; exit 1 on any difference")
    add_database_option(check)
    check.set_defaults(handler=cmd_ledger_check)
    balances = ledger_sub.add_parser("balances", help="every member's balance")
    add_database_option(balances)
    balances.add_argument("--community", metavar="NAME", help="only this community")
    balances.add_argument("--json", action="store_true", help="print a JSON list")
    balances.set_defaults(handler=cmd_ledger_balances)


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    engine = db.make_engine(args.database)
    db.upgrade(engine)
    print(f"Schema is at {', '.join(sorted(db.current_revisions(engine)))}.")
    return 0


def cmd_ledger_check(args: argparse.Namespace) -> int:
    ledger = Ledger.connect(args.database)
    with ledger.begin(readonly=True) as book:
        problems = check_ledger(book.conn)
    if not problems:
        print("Ledger check: every balance matches its transfers, and every community sums to zero.")
        return 0
    print(f"Ledger check FAILED: {len(problems)} problem(s):", file=sys.stderr)
    for problem in problems:
        print(f"  - {problem}", file=sys.stderr)
    return 1


def cmd_ledger_balances(args: argparse.Namespace) -> int:
    ledger = Ledger.connect(args.database)
    rows = ledger.read(lambda book: book.balances(args.community))
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    table = Table("community", "member", "balance", "currency")
    for row in rows:
        table.add_row(row["community"], row["member"], row["balance"], row["currency"])
    Console().print(table if rows else "No members yet.")
    return 0
