"""`tipbot`: the command line for members (console) and operators.

The core's subcommands come from bot/cli_ops.py, bot/cli_payday.py and bot/cli_run.py;
each installed platform and funding adapter adds its own (`tipbot console`,
`tipbot discord`, `tipbot stripe`), found by the composition root.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from bot import cli_ops, cli_payday, cli_run
from bot.compose import installed_funding, installed_platforms
from bot.config import Settings
from bot.logs import configure as configure_logs
from bot.logs import first_line
from ledger.clock import Clock


def build_parser(settings: Settings | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tipbot",
        description="Tipbot: weekly and one-off tips inside developer communities.",
        epilog="Start with `tipbot console` to try it in this terminal.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in (cli_ops, cli_payday, cli_run):
        module.register(subparsers)
    settings = settings if settings is not None else Settings()
    for extension in [*installed_platforms(settings).values(), *installed_funding(settings).values()]:
        extension.add_cli(subparsers)
    return parser


def main(argv: list[str] | None = None, clock: Clock | None = None) -> int:
    """Run one `tipbot` command; `clock` (tests pin it) is what every subcommand's runtime reads."""
    parser = build_parser()
    args = parser.parse_args(argv)
    args.clock = clock
    configure_logs(logging.DEBUG if args.verbose else logging.WARNING)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 0
    try:
        return int(args.handler(args) or 0)
    except (NoSuchModuleError, ArgumentError) as error:  # `foo://...`, or no URL shape at all
        logging.getLogger(__name__).debug("bad database URL", exc_info=True)
        print(f"tipbot: {_database_shown(args)} is not a database URL Tipbot can use ({first_line(error)}); "
              f"use postgresql://USER@HOST/DB or sqlite:///PATH.", file=sys.stderr)
        return 2
    except DBAPIError as error:  # unreachable, refused, no such database, no permission...
        logging.getLogger(__name__).debug("database error", exc_info=True)
        print(f"tipbot: can't use the database {_database_shown(args)}: {first_line(error.orig or error)}",
              file=sys.stderr)
        return 2


def _database_shown(args: argparse.Namespace) -> str:
    """The database URL the command used, without its password."""
    url = getattr(args, "database", None) or os.environ.get("TIPBOT_DATABASE_URL")
    if not url:
        return "(the default SQLite file)"
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return repr(url.split("@")[-1])  # unparseable: at least no credentials


if __name__ == "__main__":
    sys.exit(main())
