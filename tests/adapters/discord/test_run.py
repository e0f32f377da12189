"""`tipbot run` with DISCORD_TOKEN: the client connects to a (mock) gateway on the web app's loop."""

from __future__ import annotations

import asyncio

import discord
import pytest
import yarl

from adapters.discord.platform import DiscordPlatform
from bot.cli_run import serve
from bot.config import Settings
from bot.compose import build_runtime
from bot.runtime import Runtime
from ledger.api import Ledger
from tests.adapters.discord.gateway import BOB, interaction, mention, run, string
from tests.adapters.discord.mock_discord import APP_ID, MockDiscord


@pytest.fixture
def gateway_patch():
    """A plain Client connects to Discord's fixed gateway URL: point it at the mock for the test."""
    old_gateway, old_base = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY, discord.http.Route.BASE
    yield
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY, discord.http.Route.BASE = old_gateway, old_base


def _identify(mock: MockDiscord) -> dict:
    return next(p for p in mock.gateway_received if p["op"] == 2)


def test_tipbot_run_starts_discord_and_answers_over_the_gateway(ledger: Ledger, gateway_patch) -> None:
    async def story() -> None:
        mock = MockDiscord()
        base = await mock.start()
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(mock.gateway_url)
        platform = DiscordPlatform()
        runtime = build_runtime(Settings(discord_token="test-token", discord_api_url=base, port=0, scheduler=False),
                          ledger=ledger, platforms={"discord": platform})
        stop = asyncio.Event()
        running = asyncio.create_task(serve(runtime, stop=stop))
        try:
            await mock.wait_until(lambda: any(p["op"] == 2 for p in mock.gateway_received))
            identify = _identify(mock)["d"]
            assert identify["token"] == "test-token"
            assert identify["intents"] == discord.Intents(guilds=True, guild_reactions=True).value  # nothing privileged
            assert mock.calls("PUT", f"/applications/{APP_ID}/commands")  # synced on start
            payload = interaction("tip", [mention("user", BOB), string("amount", "1")], mentioned=[BOB])
            await mock.dispatch("INTERACTION_CREATE", payload)
            await mock.wait_for(lambda requests: any(r.path.startswith(f"/interactions/{payload['id']}/")
                                                     for r in requests))
            (callback,) = mock.calls("POST", f"/interactions/{payload['id']}/")
            assert "$1.00 a week" in callback.json["data"]["embeds"][0]["description"]
        finally:
            stop.set()
            assert await asyncio.wait_for(running, 30) == 0
        await mock.wait_until(lambda: mock.connected() == 0)  # the client closed its gateway connection
        await mock.stop()

    run(story())


def test_a_sharded_process_runs_its_own_shards_and_leaves_the_sync_to_shard_0(ledger: Ledger,
                                                                              gateway_patch) -> None:
    async def story() -> None:
        mock = MockDiscord()
        base = await mock.start()
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(mock.gateway_url)
        platform = DiscordPlatform()
        runtime = build_runtime(Settings(discord_token="test-token", discord_api_url=base, discord_shard_count=2,
                                   discord_shard_ids=[1]), ledger=ledger, platforms={"discord": platform})
        started = asyncio.create_task(platform.start(runtime))
        try:
            await mock.wait_until(lambda: any(p["op"] == 2 for p in mock.gateway_received))
            assert isinstance(platform.client(runtime), discord.AutoShardedClient)
            assert _identify(mock)["d"]["shard"] == [1, 2]  # this process runs shard 1 of 2
            assert not mock.calls("PUT", "/applications/")  # the process with shard 0 syncs
            payload = interaction("balance")
            await mock.dispatch("INTERACTION_CREATE", payload)
            await mock.wait_for(lambda requests: any(r.path.startswith(f"/interactions/{payload['id']}/")
                                                     for r in requests))
        finally:
            await platform.stop()
            await asyncio.wait_for(started, 30)
        await mock.stop()

    run(story())
