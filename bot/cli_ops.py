"""Operators' commands: `tipbot db upgrade`, `tipbot ledger check|balances`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import sqlalchemy as sa
from rich.console import Console
from rich.table import Table

from bot.cli_options import add_database_option, open_runtime
from ledger import db
from ledger.api import Ledger


def register(subparsers: argparse._SubParsersAction) -> None:
    db_parser = subparsers.add_parser(
        "db", help="create or upgrade the database schema",
        description="Manage the database schema (Alembic migrations shipped with Tipbot).")
    db_sub = db_parser.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    upgrade = db_sub.add_parser(
        "upgrade", help="create or upgrade the schema to the newest version",
        description="Create the tables, or upgrade them to the newest version. Safe to run again. "
                    "Run it before starting Tipbot on PostgreSQL; SQLite files upgrade themselves on start.")
    add_database_option(upgrade)
    upgrade.set_defaults(handler=cmd_db_upgrade)

    ledger_parser = subparsers.add_parser(
        "ledger", help="verify the book and list balances",
        description="Read-only commands for operators: verify the book, list balances.")
    ledger_sub = ledger_parser.add_subparsers(dest="ledger_command", metavar="ACTION", required=True)
    check = ledger_sub.add_parser(
        "check", help="recompute every balance from the transfers, check current tips and payday reservations; "
             "exit 1 on any difference",
        description="Recompute every account's balance from its transfers and compare it with the cached "
                    "balance; check that no member balance is below zero, that each community's accounts "
                    "sum to zero per currency, that each pair's current tip is its newest version, and that "
                    "every account's payday reservation is exactly what unsettled paydays' plans still spend "
                    "from it (none outside a running payday). Exit 0 "
                    "when the book is clean, 1 with a report naming every account or pair that differs, 2 "
                    "when the database can't be read.")
    add_database_option(check)
    check.set_defaults(handler=cmd_ledger_check)
    balances = ledger_sub.add_parser(
        "balances", help="every member's balance (--json for scripts)",
        description="Every member's balance, by community. With --json: a list of objects with "
                    "community, member_id, member, balance (exact decimal string, e.g. \"12.50\"), "
                    "balance_minor (integer minor units) and currency.")
    add_database_option(balances)
    balances.add_argument("--community", metavar="NAME", help="only the community called NAME")
    balances.add_argument("--json", action="store_true", help="print a JSON list instead of a table")
    balances.set_defaults(handler=cmd_ledger_balances)


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    engine = db.make_engine(args.database)
    try:
        db.upgrade(engine)
        print(f"Schema of {_shown(engine)} is at {', '.join(sorted(db.current_revisions(engine)))}.")
    finally:
        engine.dispose()
    return 0


def cmd_ledger_check(args: argparse.Namespace) -> int:
    ledger = _open(args)
    if ledger is None:
        return 2
    try:
        problems = ledger.read(lambda book: book.check())
    finally:
        ledger.dispose()
    if not problems:
        print("Ledger check: every balance matches its transfers, every community sums to zero, "
              "every current tip is its pair's newest version, and every reservation is what a running "
              "payday's plan spends.")
        return 0
    print(f"Ledger check FAILED: {len(problems)} problem(s):", file=sys.stderr)
    for problem in problems:
        print(f"  - {problem}", file=sys.stderr)
    return 1


def cmd_ledger_balances(args: argparse.Namespace) -> int:
    ledger = _open(args)
    if ledger is None:
        return 2
    try:
        rows = ledger.read(lambda book: book.balances(args.community))
        if args.community is not None and not rows and ledger.read(
                lambda book: book.community_by_name(args.community)) is None:
            names = [c.name for c in ledger.read(lambda book: book.all_communities())]
            print(f"No community is called {args.community!r}. Communities: {', '.join(names) or 'none yet'}.",
                  file=sys.stderr)
            return 2
    finally:
        ledger.dispose()
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    table = Table("community", "member", "balance", "currency")
    for row in rows:
        table.add_row(row["community"], row["member"], row["balance"], row["currency"])
    Console().print(table if rows else "No members yet.")
    return 0


def _open(args: argparse.Namespace) -> Ledger | None:
    """The ledger at --database for reading; None (after saying why) when there is none there.

    A mistyped SQLite path must not quietly create an empty database and call it clean.
    """
    url = args.database
    engine_url = sa.make_url(db.normalize_url(url or db.default_database_url()))
    if engine_url.get_backend_name() == "sqlite":
        path = engine_url.database
        if path and path != ":memory:" and not Path(path).expanduser().exists():
            print(f"No Tipbot database at {path}.", file=sys.stderr)
            return None
    try:
        ledger = open_runtime(args).ledger
        ledger.read(lambda book: book.all_communities())
    except sa.exc.DBAPIError as error:
        shown = engine_url.render_as_string(hide_password=True)
        reason = (str(error.orig).strip().splitlines() or [type(error).__name__])[0]
        print(f"Can't read the Tipbot database at {shown}: {reason}. Is the server running, and has "
              f"`tipbot db upgrade` been run?", file=sys.stderr)
        return None
    return ledger


def _shown(engine: sa.Engine) -> str:
    return engine.url.render_as_string(hide_password=True)
