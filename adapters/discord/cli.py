"""`tipbot discord sync|invite-url`: operator chores that need only REST, no gateway."""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot.compose import build_runtime
from bot.config import Settings
from bot.runtime import Runtime
from ledger.api import Ledger

INVITE_PERMISSIONS = 1024 | 2048 | 16384 | 32768  # View Channels, Send Messages, Embed Links, Attach Files
INVITE_URL = "https://discord.com/oauth2/authorize?client_id={app_id}&scope=bot+applications.commands&permissions={p}"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "discord", help="Discord: sync the slash commands, print the invite URL",
        description="Needs DISCORD_TOKEN. `tipbot run` syncs the commands on start; these work without it.")
    actions = parser.add_subparsers(dest="discord_action", metavar="ACTION", required=True)
    sync = actions.add_parser("sync", help="register the slash commands now (globally, or in TIPBOT_DISCORD_GUILD_IDS)")
    sync.set_defaults(handler=lambda args: _run(_sync))
    invite = actions.add_parser("invite-url", help="print the URL that adds the bot to a server")
    invite.set_defaults(handler=lambda args: _run(_invite_url))


def _run(action) -> int:
    settings = Settings()
    # REST chores: the ledger is never read, so the database is neither opened nor upgraded.
    runtime = build_runtime(settings, ledger=Ledger.connect(settings.database_url, upgrade=False))
    if runtime.settings.discord_token is None:
        print("DISCORD_TOKEN is not set.", file=sys.stderr)
        return 2
    return asyncio.run(action(runtime))


async def _sync(runtime: Runtime) -> int:
    platform = runtime.platforms["discord"]
    try:
        client = await platform.login(runtime, sync_commands=False)
        await client.sync_commands()
        where = runtime.settings.discord_guild_ids or "every server (global commands may take a while to appear)"
        print(f"Synced {len(client.tree.get_commands())} commands to {where}.")
    finally:
        await platform.stop()
    return 0


async def _invite_url(runtime: Runtime) -> int:
    platform = runtime.platforms["discord"]
    try:
        client = await platform.login(runtime, sync_commands=False)
        print(INVITE_URL.format(app_id=client.application_id, p=INVITE_PERMISSIONS))
    finally:
        await platform.stop()
    return 0
