"""Operators' commands: `tipbot db upgrade`, `tipbot ledger check|balances|export`."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from contextlib import closing
from pathlib import Path

import sqlalchemy as sa
from rich.console import Console
from rich.table import Table

from bot.cli_options import add_database_option, open_runtime
from bot.runtime import Runtime
from ledger import db
from ledger.api import Ledger
from ledger.book import Book
from ledger.exports import EXPORT_FIELDS, write_csv, write_jsonl


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
        "ledger", help="verify the book, list balances, export transfers",
        description="Read-only commands for operators: verify the book, list balances, export transfers.")
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
    export = ledger_sub.add_parser(
        "export", help="every transfer of a community as CSV or JSON lines, for treasurers",
        description="Every transfer of the community, oldest first: transfer_id, created_at (UTC), kind, "
                    "amount (exact decimal), currency, from, to (member names, or the outside account: "
                    "manual, stripe, stripe_fees, losses), payday_week, note and external_ids (e.g. Stripe's "
                    "charge, PaymentIntent and Transfer ids). Streamed: memory stays flat for millions of rows.")
    add_database_option(export)
    export.add_argument("--community", metavar="NAME", required=True, help="the community called NAME")
    export.add_argument("--format", choices=("csv", "jsonl"), default="csv")
    export.add_argument("--since", metavar="DATE", type=dt.date.fromisoformat,
                        help="only transfers made on or after DATE (YYYY-MM-DD, UTC)")
    export.add_argument("--output", metavar="PATH", help="write to PATH instead of standard output")
    export.set_defaults(handler=cmd_ledger_export)


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


def _funding_hooks(runtime: Runtime, name: str) -> list:
    """The funding adapters' optional hook `name`, for those that have it."""
    return [hook for adapter in runtime.funding.values() if (hook := getattr(adapter, name, None)) is not None]


def cmd_ledger_export(args: argparse.Namespace) -> int:
    runtime = _open_runtime(args)
    if runtime is None:
        return 2
    ledger = runtime.ledger
    try:
        community = ledger.read(lambda book: book.community_by_name(args.community))
        if community is None:
            print(f"No community named {args.community!r}.", file=sys.stderr)
            return 2
        hooks = _funding_hooks(runtime, "export_references")

        def references(book: Book, rows) -> dict[int, str]:
            found: dict[int, list[str]] = {}
            for hook in hooks:
                for transfer_id, ids in hook(book, rows).items():
                    found.setdefault(transfer_id, []).append(ids)
            return {transfer_id: " ".join(ids) for transfer_id, ids in found.items()}

        payday_hooks = _funding_hooks(runtime, "export_paydays")

        def payday_of(book: Book, rows) -> dict[int, int]:
            return {transfer_id: payday_id
                    for hook in payday_hooks for transfer_id, payday_id in hook(book, rows).items()}

        out = open(args.output, "w", newline="", encoding="utf-8") if args.output else sys.stdout
        try:
            with closing(ledger.export_transfers(
                    community.id, since=args.since, references=references,
                    payday_of=payday_of if payday_hooks else None)) as rows:
                count = write_csv(rows, EXPORT_FIELDS, out) if args.format == "csv" else write_jsonl(rows, out)
        finally:
            if args.output:
                out.close()
    finally:
        ledger.dispose()
    if args.output:
        print(f"Wrote {count} transfers of {community.name} to {args.output}.", file=sys.stderr)
    return 0


def _open(args: argparse.Namespace) -> Ledger | None:
    """The ledger at --database for reading; None (after saying why) when there is none there."""
    runtime = _open_runtime(args)
    return None if runtime is None else runtime.ledger


def _open_runtime(args: argparse.Namespace) -> Runtime | None:
    """The runtime over the database at --database; None (after saying why) when there is none there.

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
        runtime = open_runtime(args)
        runtime.ledger.read(lambda book: book.all_communities())
    except sa.exc.DBAPIError as error:
        shown = engine_url.render_as_string(hide_password=True)
        reason = (str(error.orig).strip().splitlines() or [type(error).__name__])[0]
        print(f"Can't read the Tipbot database at {shown}: {reason}. Is the server running, and has "
              f"`tipbot db upgrade` been run?", file=sys.stderr)
        return None
    return runtime


def _shown(engine: sa.Engine) -> str:
    return engine.url.render_as_string(hide_password=True)
