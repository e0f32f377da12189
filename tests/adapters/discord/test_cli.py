"""`tipbot discord sync|invite-url` against the mock Discord REST server."""

from __future__ import annotations

import asyncio

import discord
import pytest

from bot.cli import main
from tests.adapters.discord.gateway import GUILD, run
from tests.adapters.discord.mock_discord import APP_ID, MockDiscord


@pytest.fixture
def restore_route():
    old = discord.http.Route.BASE
    yield
    discord.http.Route.BASE = old


async def _tipbot(mock: MockDiscord, monkeypatch: pytest.MonkeyPatch, *argv: str) -> int:
    monkeypatch.setenv("DISCORD_TOKEN", "test-token")
    monkeypatch.setenv("TIPBOT_DISCORD_API_URL", mock.base_url)
    return await asyncio.to_thread(main, list(argv))  # the CLI runs its own event loop


def test_invite_url_names_the_application_and_the_permissions(monkeypatch, capsys, restore_route) -> None:
    async def story() -> None:
        mock = MockDiscord()
        await mock.start()
        try:
            assert await _tipbot(mock, monkeypatch, "discord", "invite-url") == 0
        finally:
            await mock.stop()
        assert not mock.calls("PUT", "/applications/")  # nothing synced by asking for the URL

    run(story())
    url = capsys.readouterr().out.strip()
    assert url == (f"https://discord.com/oauth2/authorize?client_id={APP_ID}"
                   "&scope=bot+applications.commands&permissions=52224")


def test_sync_registers_the_commands_in_the_development_guilds(monkeypatch, capsys, restore_route) -> None:
    async def story() -> None:
        mock = MockDiscord()
        await mock.start()
        monkeypatch.setenv("TIPBOT_DISCORD_GUILD_IDS", f"[{GUILD}]")
        try:
            assert await _tipbot(mock, monkeypatch, "discord", "sync") == 0
        finally:
            await mock.stop()
        (put,) = mock.calls("PUT", "/applications/")
        assert put.path == f"/applications/{APP_ID}/guilds/{GUILD}/commands"
        assert "tip" in {command["name"] for command in put.json}

    run(story())
    assert "Synced 18 commands" in capsys.readouterr().out


def test_without_a_token_it_says_so(monkeypatch, capsys) -> None:
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    assert main(["discord", "sync"]) == 2
    assert "DISCORD_TOKEN is not set" in capsys.readouterr().err
