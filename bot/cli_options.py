"""What every `tipbot` subcommand shares: the --database option, and the runtime built
by the composition root from the settings and the command line."""

from __future__ import annotations

import argparse
from typing import Any

from bot.compose import build_runtime
from bot.config import Settings
from bot.runtime import Runtime
from ledger.clock import Clock


def add_database_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database", metavar="URL", default=None,
                        help="database URL (default: $TIPBOT_DATABASE_URL, else the embedded SQLite file)")


def settings_from(args: argparse.Namespace, **overrides: Any) -> Settings:
    """The settings, with --database (when given) and `overrides` on top of the environment."""
    if getattr(args, "database", None):
        overrides["database_url"] = args.database
    return Settings(**overrides)


def open_runtime(args: argparse.Namespace, clock: Clock | None = None, **overrides: Any) -> Runtime:
    """The runtime for one subcommand, on `clock`, else the clock `main` was given, else the system's."""
    return build_runtime(settings_from(args, **overrides), clock or getattr(args, "clock", None))
