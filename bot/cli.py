"""`tipbot`: the command line for members (console) and operators.

The core's subcommands come from bot/cli_ops.py, bot/cli_payday.py and bot/cli_run.py;
each installed platform and funding adapter adds its own (`tipbot console`,
`tipbot discord`, `tipbot stripe`), found by the composition root.
"""

from __future__ import annotations

import argparse
import logging
import sys

from bot import cli_ops, cli_payday, cli_run
from bot.compose import installed_funding, installed_platforms
from bot.config import Settings


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
