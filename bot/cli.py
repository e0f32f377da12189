"""`tipbot`: the command line for members (console) and operators."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from bot.platform import discover

# Modules that add subcommands; each has register(subparsers).
COMMAND_MODULES = ("bot.cli_ops", "bot.cli_payday", "bot.cli_run", "bot.cli_stripe")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tipbot",
        description="Tipbot: weekly and one-off tips inside developer communities.",
        epilog="Start with `tipbot console` to try it in this terminal.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name != name:
                raise
            continue
        module.register(subparsers)
    for platform in discover().values():
        platform.add_cli(subparsers)
    return parser


def add_database_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database", metavar="URL", default=None,
                        help="database URL (default: $TIPBOT_DATABASE_URL, else the embedded SQLite file)")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if not getattr(args, "handler", None):
        parser.print_help()
        return 0
    return int(args.handler(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
