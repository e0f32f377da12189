"""The Discord platform: what `tipbot run` starts and where payday summaries go."""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import logging
import weakref
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

from adapters.discord import cli
from bot.config import Settings
from bot.platform import Platform

if TYPE_CHECKING:
    from adapters.discord.client import ShardedTipbotClient, TipbotClient
    from bot.reply import Reply, Summary
    from bot.runtime import Runtime

log = logging.getLogger(__name__)
T = TypeVar("T")
HISTORY_LOOKBACK = 50  # recent messages searched for a summary (a takeover follows a crash within minutes)

# The `discord` extra's library is imported inside the methods below (a heavy import every
# `tipbot` start would pay); without it, this module refuses to import and the root skips it.
if importlib.util.find_spec("discord") is None:
    raise ImportError("discord.py is not installed (pip install 'tipbot[discord]')")


class DiscordPlatform(Platform):
    name = "discord"
    label = "Discord"
    direct_messages = True
    buttons = True
    confirm_by_text = False  # typed options: `confirm: True`
    files = True
    ephemeral_replies = True
    needs_summary_channel = True
    escaped_mentions = True
    who_are_admins = "Members with the Manage Server permission are Tipbot admins, and anyone named in the configuration."

    def tip_command(self, display_name: str) -> str:
        return f"/tip user:@{display_name} amount:1"

    def tip_project_command(self, project_name: str) -> str | None:
        return f"/project tip name:{project_name} amount:1"

    def space_url(self, space_external_id: str) -> str | None:
        return f"https://discord.com/channels/{space_external_id}"

    def channel_mention(self, channel_id: str, channel_name: str | None = None) -> str:
        return f"<#{channel_id}>"

    def __init__(self) -> None:
        self._clients: weakref.WeakKeyDictionary[Runtime, TipbotClient | ShardedTipbotClient] = (
            weakref.WeakKeyDictionary())
        from adapters.discord.respond import DEFER_AFTER_SECONDS

        self.defer_after_seconds = DEFER_AFTER_SECONDS  # tests set 0: every command counts as slow

    def add_cli(self, subparsers: argparse._SubParsersAction) -> None:
        cli.register(subparsers)

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
        from adapters.discord.client import apply_gateway_url

        client = await self.login(runtime)
        settings = runtime.settings
        await apply_gateway_url(client, settings.discord_gateway_url, settings.discord_api_url)
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

        async def post(client: TipbotClient | ShardedTipbotClient) -> None:
            channel = client.get_partial_messageable(int(channel_id), guild_id=int(space_external_id))
            embed, chart = render.summary_message(summary)
            if chart is None:
                await channel.send(embed=embed)
            else:
                await channel.send(embed=embed, file=chart)

        await self._with_client(runtime, post)

    async def find_summary(self, runtime: Runtime, space_external_id: str, channel_id: str,
                           summary: Summary) -> bool | None:
        """Whether the bot's recent messages in the channel hold this payday's summary (its embed
        footer carries `summary.marker`); None when Discord will not say."""
        import discord

        async def find(client: TipbotClient | ShardedTipbotClient) -> bool | None:
            channel = client.get_partial_messageable(int(channel_id), guild_id=int(space_external_id))
            try:
                async for message in channel.history(limit=HISTORY_LOOKBACK):
                    if client.user is not None and message.author.id == client.user.id and any(
                            embed.footer.text == summary.marker for embed in message.embeds):
                        return True
            except discord.HTTPException as error:
                log.warning("cannot tell whether the summary is in channel %s: %s", channel_id, error)
                return None
            return False

        return await self._with_client(runtime, find)

    async def post_message(self, runtime: Runtime, space_external_id: str, channel_id: str, reply: Reply) -> None:
        """An embed everyone in the channel sees (the weekly spotlight), with its buttons."""
        from adapters.discord import render

        async def post(client: TipbotClient | ShardedTipbotClient) -> None:
            channel = client.get_partial_messageable(int(channel_id), guild_id=int(space_external_id))
            view = render.view(reply)
            await channel.send(embed=render.embed(reply), **({"view": view} if view is not None else {}))

        await self._with_client(runtime, post)

    async def send_direct(self, runtime: Runtime, space_external_id: str, user_id: str, text: str) -> None:
        """A direct message to one member (payday notices); raises when Discord refuses."""
        from adapters.discord import render
        from bot.reply import Reply

        async def send(client: TipbotClient | ShardedTipbotClient) -> None:
            channel = await client.create_dm(discord_object(int(user_id)))
            await channel.send(embed=render.embed(Reply(text=text, title="Tipbot")))

        await self._with_client(runtime, send)

    async def _with_client(self, runtime: Runtime,
                           work: Callable[[TipbotClient | ShardedTipbotClient], Awaitable[T]]) -> T:
        """Run REST work on the loop the client lives on.

        The client's HTTP session belongs to its event loop; a caller on another loop
        (a handler thread running a payday) hands the work over. A process without
        the gateway (`tipbot payday`) logs in over REST only, without syncing commands.
        """
        client = self._clients.get(runtime)
        if client is not None and client.user is not None:
            loop = client.loop
            if loop is asyncio.get_running_loop():
                return await work(client)
            if loop.is_running():
                return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(work(client), loop))
            del self._clients[runtime]  # its loop is gone (one-shot CLI runs): a fresh client on this one
        return await work(await self.login(runtime, sync_commands=False))


def discord_object(snowflake: int):
    import discord

    return discord.Object(id=snowflake)


def platform(settings: Settings) -> DiscordPlatform:
    """The `tipbot.platforms` entry point's factory."""
    return DiscordPlatform()
