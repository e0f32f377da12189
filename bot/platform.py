"""The adapter boundary: how platforms plug into the bot without the bot importing them.

Each adapter package exposes `platform = SomePlatform()` and is listed under the
`tipbot.platforms` entry point group in pyproject.toml. The bot discovers them at
run time; a platform whose optional dependencies are missing is skipped.
"""

from __future__ import annotations

import argparse
import logging
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.reply import Summary
    from bot.runtime import Runtime

log = logging.getLogger(__name__)


class Platform:
    """Base class for adapters; override what the platform supports."""

    name: str = ""

    def add_cli(self, subparsers: argparse._SubParsersAction) -> None:
        """Add platform-specific `tipbot` subcommands (the console adds `tipbot console`)."""

    def configured(self, runtime: Runtime) -> bool:
        """Whether `tipbot run` should start this platform with the current settings."""
        return False

    def web_routes(self, runtime: Runtime) -> list[Any]:
        """Starlette routes to mount in the web app (Slack's /slack/events)."""
        return []

    async def start(self, runtime: Runtime) -> None:
        """Start long-running clients (Socket Mode, the Discord gateway) on the running loop."""

    async def stop(self) -> None:
        """Stop what start() started."""

    async def post_summary(self, runtime: Runtime, space_external_id: str, channel_id: str,
                           summary: Summary) -> None:
        """Post a payday summary (with its chart) to a channel of one space."""
        raise NotImplementedError(f"{self.name} cannot post summaries")

    async def send_direct(self, runtime: Runtime, space_external_id: str, user_id: str, text: str) -> None:
        """Send `text` privately to one member of a space (`user_id`: the platform's user id).

        The payday tells tippers whose tips went unfunded why, this way. Raise
        NotImplementedError when the platform has no direct messages: the bot then
        tries the member's other spaces and counts them as not told.
        """
        raise NotImplementedError(f"{self.name} cannot send direct messages")


def discover() -> dict[str, Platform]:
    """Every installed platform adapter, by name."""
    found: dict[str, Platform] = {}
    for entry in entry_points(group="tipbot.platforms"):
        try:
            platform = entry.load()
        except ImportError as error:  # optional extra not installed
            log.debug("platform %s unavailable: %s", entry.name, error)
            continue
        found[platform.name or entry.name] = platform
    return found
