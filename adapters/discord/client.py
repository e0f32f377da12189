"""The discord.py client: slash commands, button clicks, servers adding the bot.

Intents: `guilds` and `guild_reactions` (neither privileged). Slash commands and
buttons arrive as interactions whatever the intents; reaction tips need the raw
MESSAGE_REACTION_ADD events, which carry the message's author (`message_author_id`),
so Tipbot reads no message content and no member lists.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

import discord
import yarl
from discord import app_commands

from adapters.discord import render, tip_author
from adapters.discord.commands import install
from adapters.discord.respond import DEFER_AFTER_SECONDS, Responder
from bot.invocation import UserRef
from bot.reactions import Reaction, handle_reaction
from bot.spaces import register_space

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger(__name__)


def intents() -> discord.Intents:
    result = discord.Intents.none()
    result.guilds = True  # on_guild_join, and the guild cache interactions resolve against
    result.guild_reactions = True  # MESSAGE_REACTION_ADD: reaction tips
    return result


def apply_api_url(url: str | None) -> None:
    """Point discord.py's REST client (and interaction webhooks) at another base URL.

    `http://host:port` gets Discord's API path appended; a URL that already names
    `/api/vN` is used as it is.
    """
    if not url:
        return
    base = url.rstrip("/")
    if "/api/v" not in base:
        base = f"{base}/api/v{discord.http.INTERNAL_API_VERSION}"
    discord.http.Route.BASE = base


async def apply_gateway_url(client: discord.Client, gateway_url: str | None, api_url: str | None) -> None:
    """Point discord.py's gateway websocket where the configured API lives.

    discord.py dials its fixed default (wss://gateway.discord.gg) for a plain client and for
    a sharded one with a shard count, so with only TIPBOT_DISCORD_API_URL set a proxy (or a
    mock Discord) would get the REST calls and never the gateway. Here the gateway is
    TIPBOT_DISCORD_GATEWAY_URL when set, else what that API answers to `GET /gateway/bot`
    (the logged-in client asks, so the bot token goes along). Without either setting,
    discord.py's default stays. Process-wide, like `apply_api_url`: one process talks to one Discord.
    """
    if not gateway_url and api_url:
        _, gateway_url, _ = await client.http.get_bot_gateway()
    if gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)


class _Tipbot:
    """What both client kinds share; mixed in before discord.Client."""

    tree: app_commands.CommandTree
    sync_on_login: bool

    def _setup_tipbot(self, runtime: Runtime, defer_after_seconds: float) -> None:
        self.runtime = runtime
        self.sync_on_login = False
        self.tree = app_commands.CommandTree(self)  # type: ignore[arg-type]
        self.responder = Responder(runtime, self, defer_after_seconds=defer_after_seconds)  # type: ignore[arg-type]
        install(self.tree, self.responder)
        self.tree.error(self._on_command_error)

    def syncs_commands(self) -> bool:
        """One process syncs: the unsharded one, or the one running shard 0."""
        shard_ids = self.runtime.settings.discord_shard_ids
        return not shard_ids or 0 in shard_ids

    async def setup_hook(self) -> None:
        if self.sync_on_login and self.syncs_commands():
            await self.sync_commands()

    async def sync_commands(self) -> None:
        """Register the commands: globally, or in the development guilds named in settings."""
        guild_ids = self.runtime.settings.discord_guild_ids
        if not guild_ids:
            synced = await self.tree.sync()
            log.info("synced %d Discord commands globally", len(synced))
            return
        for guild_id in guild_ids:
            guild = discord.Object(id=guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("synced %d Discord commands to guild %s", len(synced), guild_id)

    async def on_guild_join(self, guild: discord.Guild) -> None:
        """A server added the bot: give it its space and community now."""
        try:
            await asyncio.to_thread(register_space, self.runtime, "discord", str(guild.id), guild.name)
        except Exception:
            log.exception("could not register Discord server %s", guild.id)

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """Button clicks on our replies and "Tip the author" modals submitted (slash and message
        commands go through the command tree)."""
        kind = interaction.type
        answered = (discord.InteractionType.component, discord.InteractionType.modal_submit)
        if kind not in answered or not interaction.data:
            return
        parsed = render.parse_custom_id(str(interaction.data.get("custom_id", "")))
        if parsed is None:
            return
        if kind is discord.InteractionType.modal_submit:
            if parsed[0] == tip_author.ACTION:
                await self.responder.tip_author(interaction, parsed[1])
            return
        await self.responder.action(interaction, *parsed)

    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        """A reaction in a server: a one-off tip to the message's author when the emoji is mapped
        (bot/reactions.py). A refusal reaches the reactor by DM, never the channel."""
        author_id = payload.message_author_id
        if payload.guild_id is None or author_id is None:
            return
        member = payload.member
        if member is not None and member.bot or payload.user_id == getattr(self.user, "id", None):
            return
        author = self.get_user(author_id)  # type: ignore[attr-defined]
        author_is_bot = author_id == getattr(self.user, "id", None) or bool(author is not None and author.bot)
        emoji = payload.emoji
        key = f"{emoji.name}:{emoji.id}" if emoji.id else (emoji.name or "")
        reaction = Reaction(
            platform="discord", space_id=str(payload.guild_id),
            reactor=UserRef(str(payload.user_id), member.display_name if member is not None else None),
            author=UserRef(str(author_id), author.display_name if author is not None else None), emoji=key,
            message_id=f"{payload.channel_id}:{payload.message_id}", author_is_bot=author_is_bot)
        try:
            reply = await asyncio.to_thread(handle_reaction, self.runtime, reaction)
            if reply is not None:
                channel = await self.create_dm(discord.Object(id=payload.user_id))  # type: ignore[attr-defined]
                await channel.send(embed=render.embed(reply))
        except Exception:
            log.exception("reaction tip in Discord server %s failed", payload.guild_id)

    async def _on_command_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        if isinstance(error, app_commands.CommandNotFound):
            text = "That command is no longer available; type / to see Tipbot's commands."
        elif isinstance(error, app_commands.TransformerError):
            text = "One of the options isn't valid here; nothing changed."
        elif isinstance(error, app_commands.CheckFailure):
            text = "You can't use that command here; nothing changed."
        else:
            log.error("Discord command failed", exc_info=error)
            text = "Something went wrong on our side; nothing was changed. Please try again."
        try:
            await self.responder.refuse(interaction, text)
        except discord.HTTPException:
            log.warning("could not answer interaction %s after an error", interaction.id)


class TipbotClient(_Tipbot, discord.Client):
    def __init__(self, runtime: Runtime, *, defer_after_seconds: float = DEFER_AFTER_SECONDS, **options: Any) -> None:
        super().__init__(intents=intents(), **options)
        self._setup_tipbot(runtime, defer_after_seconds)


class ShardedTipbotClient(_Tipbot, discord.AutoShardedClient):
    def __init__(self, runtime: Runtime, *, defer_after_seconds: float = DEFER_AFTER_SECONDS, **options: Any) -> None:
        super().__init__(intents=intents(), **options)
        self._setup_tipbot(runtime, defer_after_seconds)


def make_client(runtime: Runtime, **options: Any) -> TipbotClient | ShardedTipbotClient:
    """AutoShardedClient when a shard count is configured, with this process's shard ids."""
    settings = runtime.settings
    if settings.discord_shard_count:
        return ShardedTipbotClient(runtime, shard_count=settings.discord_shard_count,
                                   shard_ids=settings.discord_shard_ids or None, **options)
    return TipbotClient(runtime, **options)
