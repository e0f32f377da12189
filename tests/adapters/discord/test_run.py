"""`tipbot run` with DISCORD_TOKEN: the client connects to a (mock) gateway on the web app's loop.

Nothing here points discord.py at the mock's gateway: the bot finds it from its settings
(TIPBOT_DISCORD_API_URL's `GET /gateway/bot`, or TIPBOT_DISCORD_GATEWAY_URL).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys

import discord
import pytest

from adapters.discord.platform import DiscordPlatform
from bot.cli_run import serve
from bot.config import Settings
from bot.compose import build_runtime
from bot.runtime import Runtime
from ledger.api import Ledger
from tests.adapters.discord.gateway import BOB, interaction, mention, run, string
from tests.adapters.discord.mock_discord import APP_ID, MockDiscord


@pytest.fixture
def discord_urls_restored():
    """The bot points discord.py's process-wide REST and gateway URLs at what it is configured
    with (the mock); put discord.py's own back for the tests after this one."""
    old_gateway, old_base = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY, discord.http.Route.BASE
    yield
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY, discord.http.Route.BASE = old_gateway, old_base


def _identify(mock: MockDiscord) -> dict:
    return next(p for p in mock.gateway_received if p["op"] == 2)


def test_tipbot_run_starts_discord_and_answers_over_the_gateway(ledger: Ledger, discord_urls_restored) -> None:
    async def story() -> None:
        mock = MockDiscord()
        base = await mock.start()
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
            assert mock.calls("GET", "/gateway/bot")  # the gateway came from the configured API
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
                                                                              discord_urls_restored) -> None:
    async def story() -> None:
        mock = MockDiscord()
        base = await mock.start()
        platform = DiscordPlatform()
        runtime = build_runtime(Settings(discord_token="test-token", discord_api_url=base, discord_shard_count=2,
                                         discord_shard_ids=[1], discord_gateway_url=mock.gateway_url),
                                ledger=ledger, platforms={"discord": platform})
        started = asyncio.create_task(platform.start(runtime))
        try:
            await mock.wait_until(lambda: any(p["op"] == 2 for p in mock.gateway_received))
            assert isinstance(platform.client(runtime), discord.AutoShardedClient)
            assert _identify(mock)["d"]["shard"] == [1, 2]  # this process runs shard 1 of 2
            assert not mock.calls("PUT", "/applications/")  # the process with shard 0 syncs
            assert not mock.calls("GET", "/gateway/bot")  # TIPBOT_DISCORD_GATEWAY_URL given: nothing to ask
            payload = interaction("balance")
            await mock.dispatch("INTERACTION_CREATE", payload)
            await mock.wait_for(lambda requests: any(r.path.startswith(f"/interactions/{payload['id']}/")
                                                     for r in requests))
        finally:
            await platform.stop()
            await asyncio.wait_for(started, 30)
        await mock.stop()

    run(story())


def test_tipbot_run_given_only_the_api_url_connects_its_gateway_there(tmp_path) -> None:
    """A real `tipbot run` process, configured with DISCORD_TOKEN and TIPBOT_DISCORD_API_URL
    (the mock's bare base URL) and nothing else of Discord's: its gateway reaches the mock,
    IDENTIFY arrives, and a slash command over that gateway is answered."""
    async def story() -> None:
        mock = MockDiscord()
        await mock.start()
        api = mock.base_url.removesuffix("/api/v10")  # one base URL for the whole bot
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_", "STRIPE_", "TIPBOT_"))}
        env.update(DISCORD_TOKEN="test-token", TIPBOT_DISCORD_API_URL=api)
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "run", "--port", "0", "--no-scheduler",
             "--database", f"sqlite:///{tmp_path}/run.sqlite3"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            await mock.wait_until(lambda: any(p["op"] == 2 for p in mock.gateway_received)
                                  or process.poll() is not None, timeout=60)
            assert process.poll() is None, process.stdout.read()
            assert _identify(mock)["d"]["token"] == "test-token"
            assert mock.calls("GET", "/gateway/bot")
            payload = interaction("tip", [mention("user", BOB), string("amount", "1")], mentioned=[BOB])
            await mock.dispatch("INTERACTION_CREATE", payload)
            await mock.wait_for(lambda requests: any(r.path.startswith(f"/interactions/{payload['id']}/")
                                                     for r in requests))
            process.send_signal(signal.SIGTERM)
            assert await asyncio.to_thread(process.wait, 30) == 0, process.stdout.read()
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            process.stdout.close()
            await mock.stop()

    run(story())
