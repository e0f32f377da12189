"""The Slack platform: what `tipbot run` starts and where payday summaries go."""

from __future__ import annotations

import importlib.util
import logging
import weakref
from typing import TYPE_CHECKING, Any

from adapters.slack.config import SlackSettings
from bot.config import Settings
from bot.platform import Platform

if TYPE_CHECKING:
    from adapters.slack.app import SlackApp
    from adapters.slack.socket import SocketMode
    from bot.reply import Reply, Summary
    from bot.runtime import Runtime

log = logging.getLogger(__name__)

# The `slack` extra's library is imported inside the methods below (a heavy import every
# `tipbot` start would pay); without it, this module refuses to import and the root skips it.
if importlib.util.find_spec("slack_bolt") is None:
    raise ImportError("slack_bolt is not installed (pip install 'tipbot[slack]')")


class SlackPlatform(Platform):
    name = "slack"
    label = "Slack"
    direct_messages = True
    buttons = True
    confirm_by_text = True  # `/tip @bob 40 confirm` works too
    files = True
    ephemeral_replies = True
    needs_summary_channel = True
    escaped_mentions = True
    who_are_admins = "Slack workspace admins and owners are Tipbot admins, and anyone named in the configuration."

    def channel_mention(self, channel_id: str, channel_name: str | None = None) -> str:
        return f"<#{channel_id}>"

    def space_url(self, space_external_id: str) -> str | None:
        """The workspace in Slack's web client (a team id opens it; Slack asks who you are)."""
        return f"https://app.slack.com/client/{space_external_id}"

    def __init__(self, slack_settings: SlackSettings | None = None) -> None:
        self.slack_settings = slack_settings or SlackSettings()
        self._apps: weakref.WeakKeyDictionary[Runtime, SlackApp] = weakref.WeakKeyDictionary()
        self._sockets: list[SocketMode] = []

    def configured(self, runtime: Runtime) -> bool:
        s = runtime.settings
        return bool(s.slack_bot_token or s.slack_app_token or (s.slack_client_id and s.slack_client_secret))

    @staticmethod
    def socket_mode(runtime: Runtime) -> bool:
        return runtime.settings.slack_app_token is not None

    def app(self, runtime: Runtime, *, process_before_response: bool = False) -> SlackApp:
        """This runtime's Bolt app, built on first use (tests pass process_before_response=True)."""
        found = self._apps.get(runtime)
        if found is None:
            from adapters.slack.app import SlackApp

            found = SlackApp(runtime, process_before_response=process_before_response)
            self._apps[runtime] = found
        return found

    def web_routes(self, runtime: Runtime) -> list[Any]:
        """/slack/events (HTTP mode) and the OAuth install pages (many workspaces)."""
        if not self.configured(runtime):
            return []
        from adapters.slack.web import routes

        events = not self.socket_mode(runtime)
        if events and runtime.settings.slack_signing_secret is None:
            log.error("SLACK_SIGNING_SECRET is not set, so /slack/events is not served: "
                      "every request would fail its signature check")
            events = False
        return routes(self.app(runtime), events=events)

    def body_limits(self) -> dict[str, int]:
        """Slack's events and interactions carry whole messages and views: more than other routes."""
        return {"/slack/": self.slack_settings.slack_max_body_bytes}

    async def start(self, runtime: Runtime) -> None:
        if not self.socket_mode(runtime):
            return  # HTTP mode: the web app serves /slack/events
        from adapters.slack.socket import SocketMode

        socket = SocketMode(self.app(runtime), Settings.secret(runtime.settings.slack_app_token) or "")
        self._sockets.append(socket)
        await socket.start()

    async def stop(self) -> None:
        while self._sockets:
            await self._sockets.pop().stop()
        for app in list(self._apps.values()):
            await app.close()

    async def post_summary(self, runtime: Runtime, space_external_id: str, channel_id: str,
                           summary: Summary) -> None:
        from adapters.slack.summaries import post_summary

        await post_summary(self.app(runtime), space_external_id, channel_id, summary)

    async def find_summary(self, runtime: Runtime, space_external_id: str, channel_id: str,
                           summary: Summary) -> bool | None:
        from adapters.slack.summaries import find_summary

        return await find_summary(self.app(runtime), space_external_id, channel_id, summary)

    async def post_message(self, runtime: Runtime, space_external_id: str, channel_id: str, reply: Reply) -> None:
        from adapters.slack.summaries import post_message

        await post_message(self.app(runtime), space_external_id, channel_id, reply)

    async def send_direct(self, runtime: Runtime, space_external_id: str, user_id: str, text: str) -> None:
        from adapters.slack.summaries import send_direct

        await send_direct(self.app(runtime), space_external_id, user_id, text)


def platform(settings: Settings) -> SlackPlatform:
    """The `tipbot.platforms` entry point's factory (the adapter reads its own settings too)."""
    return SlackPlatform(SlackSettings())
