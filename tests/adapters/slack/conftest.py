"""Fixtures for the Slack adapter: a mock Slack Web API on loopback, and Tipbot's real
web app (Bolt inside Starlette) driven with signed HTTP requests through httpx."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from adapters.slack.config import SlackSettings
from adapters.slack.platform import SlackPlatform
from bot.config import Settings
from bot.compose import build_runtime
from bot.runtime import Runtime
from bot.web import build_app
from ledger.api import Ledger
from tests.adapters.slack.mock_slack import MockSlack

SIGNING_SECRET = "test-signing-secret"
TEAM = "T1"
_triggers = itertools.count(1)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def sign(body: str, timestamp: int | None = None, secret: str = SIGNING_SECRET) -> dict[str, str]:
    """Slack's request signature: HMAC-SHA256 of `v0:{timestamp}:{body}` with the signing secret."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(timestamp), "X-Slack-Signature": f"v0={digest}"}


def slash_payload(mock: MockSlack, text: str, *, user: str = "U1", user_name: str = "alice", team: str = TEAM,
                  trigger_id: str | None = None, channel: str = "C1") -> dict[str, str]:
    return {
        "token": "legacy-verification-token", "team_id": team, "team_domain": f"team-{team.lower()}",
        "channel_id": channel, "channel_name": "general", "user_id": user, "user_name": user_name,
        "command": "/tip", "text": text, "api_app_id": "A1", "is_enterprise_install": "false",
        "response_url": mock.response_url(),
        "trigger_id": trigger_id or f"{next(_triggers)}.1700000000.abcdef",
    }


@dataclass
class SlackHarness:
    mock: MockSlack
    runtime: Runtime
    ledger: Ledger
    http: httpx.AsyncClient

    async def close(self) -> None:
        await self.http.aclose()
        await self.runtime.platforms["slack"].stop()

    async def post_signed(self, body: str, *, content_type: str = "application/x-www-form-urlencoded",
                          headers: dict[str, str] | None = None) -> httpx.Response:
        return await self.http.post("/slack/events", content=body.encode(), headers={
            "Content-Type": content_type, **sign(body), **(headers or {})})

    async def slash(self, text: str, **kwargs: Any) -> httpx.Response:
        """A signed `/tip` slash command, exactly as Slack sends it."""
        return await self.post_signed(urlencode(slash_payload(self.mock, text, **kwargs)))

    async def tip(self, text: str, **kwargs: Any) -> dict[str, Any]:
        """`/tip text`, and the reply that came back through the response URL."""
        before = len(self.mock.of("response_url"))
        response = await self.slash(text, **kwargs)
        assert response.status_code == 200, response.text
        replies = await self.mock.wait_for("response_url", before + 1)
        return replies[before].args


def slack_settings(mock: MockSlack, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "slack_bot_token": "xoxb-test", "slack_signing_secret": SIGNING_SECRET, "slack_api_url": mock.api_url,
        "scheduler": False, "public_url": "http://testserver",
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
async def mock_slack() -> AsyncIterator[MockSlack]:
    mock = MockSlack()
    await mock.start()
    yield mock
    await mock.stop()


async def harness(mock: MockSlack, ledger: Ledger, *, process_before_response: bool = True,
                  adapter_settings: SlackSettings | None = None, **settings: Any) -> SlackHarness:
    """The real web app; process_before_response=False is production mode, as `tipbot run` serves it.
    `settings` are the core's; `adapter_settings` the Slack adapter's own (its body limit)."""
    platform = SlackPlatform(adapter_settings or SlackSettings())
    runtime = build_runtime(slack_settings(mock, **settings), ledger=ledger, platforms={"slack": platform})
    runtime.platforms["slack"].app(runtime, process_before_response=process_before_response)
    app = build_app(runtime)
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    return SlackHarness(mock, runtime, ledger, http)


@pytest.fixture
async def slack(mock_slack: MockSlack, ledger: Ledger) -> AsyncIterator[SlackHarness]:
    """Single-workspace mode (SLACK_BOT_TOKEN), process_before_response=True."""
    h = await harness(mock_slack, ledger)
    yield h
    await h.close()


def block_actions_payload(mock: MockSlack, action_id: str, value: str, *, user: str = "U1", team: str = TEAM,
                          message_ts: str = "1700000000.000100", trigger_id: str | None = None) -> dict[str, Any]:
    """A button click, as Slack posts it (form field `payload`, JSON)."""
    return {
        "type": "block_actions", "team": {"id": team, "domain": f"team-{team.lower()}"},
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": team},
        "api_app_id": "A1", "token": "legacy-verification-token",
        "container": {"type": "message", "message_ts": message_ts, "channel_id": "C1", "is_ephemeral": True},
        "trigger_id": trigger_id or f"{next(_triggers)}.1700000000.click",
        "channel": {"id": "C1", "name": "general"}, "response_url": mock.response_url(),
        "actions": [{"action_id": action_id, "block_id": "b1", "value": value, "type": "button",
                     "action_ts": "1700000001.000200", "text": {"type": "plain_text", "text": "Yes"}}],
    }


def event_payload(event: dict[str, Any], *, team: str = TEAM, event_id: str = "Ev1") -> dict[str, Any]:
    return {"token": "legacy-verification-token", "team_id": team, "api_app_id": "A1", "event": event,
            "type": "event_callback", "event_id": event_id, "event_time": 1700000000,
            "authorizations": [{"team_id": team, "user_id": f"UBOT{team}", "is_bot": True}]}
