"""Fixtures for the signed-in browser stories: `tipbot run`'s app served by uvicorn on
127.0.0.1 with the real Slack platform (Bolt, signed slash commands, a mock Slack Web API)
and sign-in pointed at mock Slack OpenID / Discord OAuth servers, all on loopback; and
Debian's chromium driven by Playwright (missing chromium fails, never skips).

The mocks run on an event loop in a thread of their own, uvicorn in another, so the test
itself can use Playwright's sync API. Screenshots go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from bot.compose import build_runtime
from bot.runtime import Runtime
from bot.web import build_app
from ledger.api import Ledger
from tests.adapters.slack.conftest import slack_settings, slash_payload, sign
from tests.adapters.slack.mock_slack import MockSlack
from tests.bot.webme.mock_oauth import DISCORD_CLIENT, SLACK_CLIENT, MockOAuth
from tests.bot.webme.support import SESSION_SECRET
from tests.dbs import dump_tables

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


class LoopThread:
    """An asyncio loop in a daemon thread, for servers the sync test talks to."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coroutine, timeout: float = 30.0) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@dataclass
class SigninSite:
    url: str
    runtime: Runtime
    slack: MockSlack
    oauth: MockOAuth
    loop: LoopThread

    def slash(self, text: str, *, user: str, user_name: str) -> str:
        """A signed Slack `/tip text` to the running server; the reply Slack would show."""
        before = len(self.slack.of("response_url"))
        body = urlencode(slash_payload(self.slack, text, user=user, user_name=user_name))
        response = httpx.post(f"{self.url}/slack/events", content=body.encode(), timeout=30, headers={
            "Content-Type": "application/x-www-form-urlencoded", **sign(body)})
        assert response.status_code == 200, response.text
        replies = self.loop.run(self.slack.wait_for("response_url", before + 1))
        return str(replies[before].args.get("text", ""))

    def tables(self) -> dict:
        return dump_tables(self.runtime.ledger.engine)


@pytest.fixture
def signin_site(ledger: Ledger, db_url: str) -> Iterator[SigninSite]:
    import uvicorn  # the [web] extra

    from adapters.slack.platform import SlackPlatform

    loop = LoopThread()
    slack, oauth = MockSlack(), MockOAuth()
    slack.users = {"UADMIN": {"is_admin": True, "name": "admin"}}
    loop.run(slack.start())
    loop.run(oauth.start())
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    settings = slack_settings(
        slack, database_url=db_url, public_url=url, session_secret=SESSION_SECRET,
        slack_signin_client_id=SLACK_CLIENT[0], slack_signin_client_secret=SLACK_CLIENT[1], slack_openid_url=oauth.url,
        discord_signin_client_id=DISCORD_CLIENT[0], discord_signin_client_secret=DISCORD_CLIENT[1],
        discord_oauth_url=oauth.url)
    runtime = build_runtime(settings, ledger=ledger, platforms={"slack": SlackPlatform()}, funding={})
    runtime.platforms["slack"].app(runtime, process_before_response=True)
    server = uvicorn.Server(uvicorn.Config(build_app(runtime), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the web server did not start"
        time.sleep(0.02)
    try:
        yield SigninSite(url, runtime, slack, oauth, loop)
    finally:
        server.should_exit = True
        thread.join(10)
        loop.run(runtime.platforms["slack"].stop())
        loop.run(oauth.stop())
        loop.run(slack.stop())
        loop.close()


@pytest.fixture
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    if executable is None:  # never skip quietly: CI installs it (.ci/run)
        pytest.fail("chromium is not installed: `apt-get install -y chromium` (Debian's package)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable)
        try:
            yield browser
        finally:
            browser.close()


def screenshot(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
