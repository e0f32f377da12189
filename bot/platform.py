"""The adapter boundary: what a chat platform is to the bot, and what it can do.

Each platform adapter is a package that names a factory under the `tipbot.platforms`
entry point group in pyproject.toml (`slack = "adapters.slack:platform"`); the
composition root (bot/compose.py) calls it with the settings. Nothing registers itself
on import, and a platform whose optional dependencies are missing is skipped there.

The core never compares platform names: it asks the platform what it can do (the
capability attributes below, errbot's `Backend` style). The defaults describe a plain
text platform such as the console.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.reply import Reply, Summary
    from bot.runtime import Runtime


class Platform:
    """Base class for adapters; override what the platform supports."""

    name: str = ""
    label: str = "this platform"  # how members call it ("Slack")
    # Capabilities the core asks about.
    direct_messages: bool = False  # send_direct() reaches a member privately
    buttons: bool = False  # replies can carry buttons (a large weekly tip is confirmed with one)
    confirm_by_text: bool = True  # `/tip @bob 40 confirm` is typed as text (Slack, console)
    files: bool = False  # can attach the payday chart and a reply's file (`/tip history csv`)
    ephemeral_replies: bool = False  # a reply only the asker sees
    needs_summary_channel: bool = False  # summaries go nowhere until an admin picks a channel
    escaped_mentions: bool = False  # mentions arrive as ids; a bare `@name` names nobody for sure
    who_are_admins: str = ""  # one sentence for refusals: who may run admin commands here

    def mention(self, user_id: str, name: str | None = None) -> str:
        """How a reply names a member so the platform renders a mention."""
        return f"<@{user_id}>" if self.escaped_mentions else (name or user_id)

    def channel_mention(self, channel_id: str, channel_name: str | None = None) -> str:
        return f"#{channel_name or channel_id}"

    def tip_command(self, display_name: str) -> str:
        """The exact `/tip` a member types here to tip `display_name` 1 a week (the web pages show it)."""
        return f"/tip @{display_name} 1"

    def tip_project_command(self, project_name: str) -> str | None:
        """The exact `/tip` that tips a project 1 a week here; None: projects are tipped elsewhere."""
        return f"/tip {project_name} 1"

    def space_url(self, space_external_id: str) -> str | None:
        """A link into one space (a Slack workspace, a Discord server) for the web pages; None: none."""
        return None

    def add_cli(self, subparsers: argparse._SubParsersAction) -> None:
        """Add platform-specific `tipbot` subcommands (the console adds `tipbot console`)."""

    def configured(self, runtime: Runtime) -> bool:
        """Whether `tipbot run` should start this platform with the current settings."""
        return False

    def web_routes(self, runtime: Runtime) -> list[Any]:
        """Starlette routes to mount in the web app (Slack's /slack/events)."""
        return []

    def body_limits(self) -> dict[str, int]:
        """The largest request body this platform's routes take, by path prefix
        ({"/slack/": 1048576}); a route not named gets the core's `max_body_bytes`."""
        return {}

    async def start(self, runtime: Runtime) -> None:
        """Start long-running clients (Socket Mode, the Discord gateway) on the running loop."""

    async def stop(self) -> None:
        """Stop what start() started."""

    async def post_summary(self, runtime: Runtime, space_external_id: str, channel_id: str,
                           summary: Summary) -> None:
        """Post a payday summary (with its chart) to a channel of one space."""
        raise NotImplementedError(f"{self.name} cannot post summaries")

    async def find_summary(self, runtime: Runtime, space_external_id: str, channel_id: str,
                           summary: Summary) -> bool | None:
        """Whether `summary` (by `summary.marker`) is already in the channel; None: cannot tell.

        Asked only when a process took over an announcement another one died in, for spaces
        it had not recorded as posted: the post may have gone out just before the crash."""
        return None

    async def post_message(self, runtime: Runtime, space_external_id: str, channel_id: str, reply: Reply) -> None:
        """Post `reply` for everyone in a channel of one space (the weekly spotlight), with its
        buttons where the platform has them. A click on one comes back as an `Action`."""
        raise NotImplementedError(f"{self.name} cannot post messages")

    async def send_direct(self, runtime: Runtime, space_external_id: str, user_id: str, text: str) -> None:
        """Send `text` privately to one member of a space (`user_id`: the platform's user id).

        The payday tells tippers whose tips went unfunded why, this way. Raise
        NotImplementedError when the platform has no direct messages: the bot then
        tries the member's other spaces and counts them as not told.
        """
        raise NotImplementedError(f"{self.name} cannot send direct messages")


PLAIN_TEXT = Platform()  # what the core assumes of a platform not running in this process
