"""Raw gateway payloads shaped like Discord's documented ones, and a harness that feeds them.

INTERACTION_CREATE: https://discord.com/developers/docs/interactions/receiving-and-responding#interaction-object
The harness logs a real Tipbot discord.py client in against MockDiscord and hands
payloads to the client's connection state exactly as its gateway reader would
(`parsers["INTERACTION_CREATE"](data)`); there is no websocket.
"""

from __future__ import annotations

import asyncio
import itertools
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator

import discord

from adapters.discord.platform import DiscordPlatform
from bot.config import Settings
from bot.compose import build_runtime
from bot.runtime import Runtime
from ledger.api import Ledger
from tests.adapters.discord.mock_discord import APP_ID, TIMESTAMP, MockDiscord, Recorded

MEMBER_PERMISSIONS = discord.Permissions(view_channel=True, send_messages=True, use_application_commands=True,
                                         embed_links=True, read_message_history=True)
ADMIN_PERMISSIONS = MEMBER_PERMISSIONS | discord.Permissions(manage_guild=True)
GUILD = "1300000000000000001"
OTHER_GUILD = "1300000000000000002"
CHANNEL = "1400000000000000001"
_ids = itertools.count(1500000000000000001)


def user(user_id: str, name: str) -> dict[str, Any]:
    return {"id": user_id, "username": name, "discriminator": "0", "global_name": name.title(), "avatar": None,
            "public_flags": 0}


ALICE = user("1600000000000000001", "alice")
BOB = user("1600000000000000002", "bob")
CAROL = user("1600000000000000003", "carol")


def _member(u: dict[str, Any], permissions: discord.Permissions) -> dict[str, Any]:
    return {"user": u, "roles": [], "joined_at": TIMESTAMP, "deaf": False, "mute": False, "flags": 0,
            "pending": False, "nick": None, "avatar": None, "premium_since": None,
            "permissions": str(permissions.value)}


def option(name: str, value: Any, kind: int) -> dict[str, Any]:
    return {"name": name, "type": kind, "value": value}


def string(name: str, value: str) -> dict[str, Any]:
    return option(name, value, 3)


def integer(name: str, value: int) -> dict[str, Any]:
    return option(name, value, 4)


def boolean(name: str, value: bool) -> dict[str, Any]:
    return option(name, value, 5)


def mention(name: str, u: dict[str, Any]) -> dict[str, Any]:
    return option(name, u["id"], 6)


def channel_option(name: str, channel_id: str, channel_name: str) -> dict[str, Any]:
    return option(name, channel_id, 7) | {"_channel": {"id": channel_id, "name": channel_name, "type": 0,
                                                        "permissions": str(ADMIN_PERMISSIONS.value),
                                                        "parent_id": None}}


def interaction(command: str, options: list[dict[str, Any]] = (), *, invoker: dict[str, Any] = ALICE,
                admin: bool = False, guild_id: str = GUILD, subcommand: str | None = None,
                mentioned: list[dict[str, Any]] = (), interaction_id: str | None = None) -> dict[str, Any]:
    """An APPLICATION_COMMAND interaction from a guild channel."""
    interaction_id = interaction_id or str(next(_ids))
    permissions = ADMIN_PERMISSIONS if admin else MEMBER_PERMISSIONS
    resolved: dict[str, Any] = {}
    if mentioned:
        resolved["users"] = {u["id"]: u for u in mentioned}
        resolved["members"] = {u["id"]: {k: v for k, v in _member(u, MEMBER_PERMISSIONS).items()
                                         if k not in ("user", "deaf", "mute")} for u in mentioned}
    channels = {o["value"]: o.pop("_channel") for o in options if "_channel" in o}
    if channels:
        resolved["channels"] = channels
    options = list(options)
    if subcommand is not None:
        options = [{"name": subcommand, "type": 1, "options": options}]
    data: dict[str, Any] = {"id": "1700000000000000001", "name": command, "type": 1, "options": options}
    if resolved:
        data["resolved"] = resolved
    return {
        "id": interaction_id, "application_id": APP_ID, "type": 2, "token": f"token-{interaction_id}",
        "version": 1, "guild_id": guild_id, "channel_id": CHANNEL,
        "channel": {"id": CHANNEL, "type": 0, "guild_id": guild_id, "name": "general", "position": 0,
                    "permission_overwrites": [], "nsfw": False, "parent_id": None},
        "member": _member(invoker, permissions), "data": data,
        "app_permissions": str(ADMIN_PERMISSIONS.value), "locale": "en-US", "guild_locale": "en-US",
        "entitlements": [], "authorizing_integration_owners": {"0": guild_id}, "context": 0,
        "attachment_size_limit": 10 * 1024 * 1024,
    }


def button_click(custom_id: str, *, invoker: dict[str, Any] = ALICE, guild_id: str = GUILD) -> dict[str, Any]:
    """A MESSAGE_COMPONENT interaction: a click on one of Tipbot's buttons."""
    interaction_id = str(next(_ids))
    return {
        "id": interaction_id, "application_id": APP_ID, "type": 3, "token": f"token-{interaction_id}", "version": 1,
        "guild_id": guild_id, "channel_id": CHANNEL,
        "channel": {"id": CHANNEL, "type": 0, "guild_id": guild_id, "name": "general", "position": 0,
                    "permission_overwrites": [], "nsfw": False, "parent_id": None},
        "member": _member(invoker, MEMBER_PERMISSIONS), "data": {"custom_id": custom_id, "component_type": 2},
        "app_permissions": str(ADMIN_PERMISSIONS.value), "locale": "en-US", "entitlements": [],
        "authorizing_integration_owners": {"0": guild_id}, "context": 0, "attachment_size_limit": 10 * 1024 * 1024,
    }


def message(author: dict[str, Any], *, message_id: str | None = None, content: str = "I fixed the build",
            bot: bool = False) -> dict[str, Any]:
    """A message in CHANNEL, as Discord resolves it for a message command."""
    return {"id": message_id or str(next(_ids)), "channel_id": CHANNEL, "author": {**author, "bot": bot},
            "content": content, "timestamp": TIMESTAMP, "edited_timestamp": None, "tts": False,
            "mention_everyone": False, "mentions": [], "mention_roles": [], "attachments": [], "embeds": [],
            "pinned": False, "type": 0, "flags": 0, "components": []}


def message_command(name: str, target: dict[str, Any], *, invoker: dict[str, Any] = ALICE,
                    guild_id: str = GUILD) -> dict[str, Any]:
    """An APPLICATION_COMMAND interaction of a message command (command type 3): right-click a
    message -> Apps -> `name`; the target message comes resolved."""
    payload = interaction(name, invoker=invoker, guild_id=guild_id)
    payload["data"] = {"id": "1700000000000000002", "name": name, "type": 3, "target_id": target["id"],
                       "resolved": {"messages": {target["id"]: target}}}
    return payload


def modal_submit(custom_id: str, values: dict[str, str | None], *, invoker: dict[str, Any] = ALICE,
                 guild_id: str = GUILD, interaction_id: str | None = None) -> dict[str, Any]:
    """A MODAL_SUBMIT interaction (type 5): each text input in its own action row, as Discord sends them."""
    interaction_id = interaction_id or str(next(_ids))
    rows = [{"type": 1, "components": [{"type": 4, "custom_id": key, "value": value or ""}]}
            for key, value in values.items()]
    return {
        "id": interaction_id, "application_id": APP_ID, "type": 5, "token": f"token-{interaction_id}", "version": 1,
        "guild_id": guild_id, "channel_id": CHANNEL,
        "channel": {"id": CHANNEL, "type": 0, "guild_id": guild_id, "name": "general", "position": 0,
                    "permission_overwrites": [], "nsfw": False, "parent_id": None},
        "member": _member(invoker, MEMBER_PERMISSIONS), "data": {"custom_id": custom_id, "components": rows},
        "app_permissions": str(ADMIN_PERMISSIONS.value), "locale": "en-US", "entitlements": [],
        "authorizing_integration_owners": {"0": guild_id}, "context": 0, "attachment_size_limit": 10 * 1024 * 1024,
    }


class Harness:
    def __init__(self, mock: MockDiscord, runtime: Runtime, platform: DiscordPlatform,
                 client: discord.Client) -> None:
        self.mock, self.runtime, self.platform, self.client = mock, runtime, platform, client

    async def send(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Dispatch like the gateway does, wait until the client has answered; return the reply embed."""
        self.client._connection.parsers["INTERACTION_CREATE"](payload)
        await settle()
        return self.reply(payload)

    def answers(self, payload: dict[str, Any]) -> list[Recorded]:
        token = payload["token"]
        return [r for r in self.mock.requests
                if r.path.startswith(f"/interactions/{payload['id']}/{token}/") or f"/{token}" in r.path]

    def reply(self, payload: dict[str, Any]) -> dict[str, Any]:
        """The last embed the member was shown for this interaction, with its message flags."""
        for r in reversed(self.answers(payload)):
            body = (r.json or {}).get("data", r.json) if r.path.startswith("/interactions/") else r.json
            if body and body.get("embeds"):
                return {**body["embeds"][0], "flags": body.get("flags", 0), "components": body.get("components", [])}
        raise AssertionError(f"no reply for interaction {payload['id']}: {self.answers(payload)}")

    def guild_join(self, guild_id: str, name: str) -> None:
        self.client._connection.parsers["GUILD_CREATE"]({
            "id": guild_id, "name": name, "icon": None, "owner_id": ALICE["id"], "roles": [], "emojis": [],
            "features": [], "member_count": 2, "members": [], "channels": [], "threads": [], "stickers": [],
            "joined_at": TIMESTAMP, "large": False, "verification_level": 0,
            "default_message_notifications": 0, "explicit_content_filter": 0, "mfa_level": 0,
            "system_channel_flags": 0, "premium_tier": 0, "nsfw_level": 0, "preferred_locale": "en-US",
            "voice_states": [], "presences": [],
        })


async def settle() -> None:
    """Wait for the client's event and command tasks (and what they started) to finish."""
    for _ in range(100):
        await asyncio.sleep(0)
        pending = [t for t in asyncio.all_tasks() if not t.done()
                   and (t.get_name() == "CommandTree-invoker" or t.get_name().startswith("discord.py"))]
        if not pending:
            return
        await asyncio.wait(pending, timeout=30)
    raise AssertionError("the client did not settle")


@asynccontextmanager
async def harness(ledger: Ledger, *, defer_after_seconds: float = 2.0, **settings: Any) -> AsyncIterator[Harness]:
    mock = MockDiscord()
    base = await mock.start()
    old_base = discord.http.Route.BASE
    platform = DiscordPlatform()
    platform.defer_after_seconds = defer_after_seconds
    runtime = build_runtime(Settings(discord_token="test-token", discord_api_url=base, **settings), ledger=ledger,
                      platforms={"discord": platform})
    try:
        client = await platform.login(runtime)
        yield Harness(mock, runtime, platform, client)
    finally:
        await platform.stop()
        await mock.stop()
        discord.http.Route.BASE = old_base


def run(coro) -> Any:
    return asyncio.run(coro)
