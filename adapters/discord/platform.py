"""The Discord platform: what `tipbot run` starts and where payday summaries go."""

from __future__ import annotations

import importlib.util
import logging
import weakref
from typing import TYPE_CHECKING

from bot.config import Settings
from bot.platform import Platform

if TYPE_CHECKING:
    from adapters.discord.client import ShardedTipbotClient, TipbotClient
    from bot.reply import Summary
    from bot.runtime import Runtime

log = logging.getLogger(__name__)

if importlib.util.find_spec("discord") is None:  # the `discord` extra is not installed: skip this platform
    raise ImportError("discord.py is not installed (pip install 'tipbot[discord]')")


class DiscordPlatform(Platform):
    name = "discord"

    def __init__(self) -> None:
        self._clients: weakref.WeakKeyDictionary[Runtime, TipbotClient | ShardedTipbotClient] = (
            weakref.WeakKeyDictionary())
        self.defer_after_seconds = 2.0  # answer in the callback if the bot is this quick, else defer

    def configured(self, runtime: Runtime) -> bool:
        return runtime.settings.discord_token is not None

    def client(self, runtime: Runtime) -> TipbotClient | ShardedTipbotClient:
        """This runtime's client, built on first use (not yet logged in)."""
        found = self._clients.get(runtime)
        if found is None:
            from adapters.discord.client import apply_api_url, make_client

            apply_api_url(runtime.settings.discord_api_url)
            found = make_client(runtime, defer_after_seconds=self.defer_after_seconds)
            self._clients[runtime] = found
        return found

    async def login(self, runtime: Runtime, *, sync_commands: bool = True) -> TipbotClient | ShardedTipbotClient:
        """Log in over REST (and sync the commands); no gateway connection yet."""
        client = self.client(runtime)
        if client.user is None:
            token = Settings.secret(runtime.settings.discord_token)
            if not token:
                raise RuntimeError("DISCORD_TOKEN is not set")
            client.sync_on_login = sync_commands
            await client.login(token)
        return client

    async def start(self, runtime: Runtime) -> None:
        """Log in, sync the commands, then stay connected to the gateway until stop()."""
        client = await self.login(runtime)
        await client.connect(reconnect=True)

    async def stop(self) -> None:
        for client in list(self._clients.values()):
            if not client.is_closed():
                await client.close()
        self._clients.clear()

    async def post_summary(self, runtime: Runtime, space_external_id: str, channel_id: str,
                           summary: Summary) -> None:
        """The summary embed with its chart attached; raises when Discord refuses (the caller goes on)."""
        from adapters.discord import render

        # A process without the gateway (`tipbot payday`) only needs REST: log in, don't sync.
        client = await self.login(runtime, sync_commands=False)
        channel = client.get_partial_messageable(int(channel_id), guild_id=int(space_external_id))
        embed, chart = render.summary_message(summary)
        if chart is None:
            await channel.send(embed=embed)
        else:
            await channel.send(embed=embed, file=chart)


platform = DiscordPlatform()
