"""Socket Mode: the same Bolt app over Slack's WebSocket, for hosts Slack cannot reach.

The app token (`xapp-...`) opens the connection through `apps.connections.open`
on the same Web API base URL as every other call (TIPBOT_SLACK_API_URL).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

if TYPE_CHECKING:
    from adapters.slack.app import SlackApp

log = logging.getLogger(__name__)


class SocketMode:
    def __init__(self, slack: SlackApp, app_token: str) -> None:
        if not app_token.startswith("xapp-"):
            raise ValueError("SLACK_APP_TOKEN must be an app-level token (it starts with xapp-)")
        self.handler = AsyncSocketModeHandler(slack.bolt, app_token)

    async def start(self) -> None:
        """Connect and return; the client keeps receiving on the running loop."""
        await self.handler.connect_async()
        log.info("Slack Socket Mode connected")

    async def stop(self) -> None:
        await self.handler.close_async()
