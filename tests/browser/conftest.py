"""Fixtures for tests in a real browser (Playwright for Python driving Debian's chromium).

- `web_server`: a `tipbot run`-style server for the public pages: the real app
  (`bot.web.build_app`) over the composition root, on the test's database (both backends);
  `.url` is its base URL, `.console` a console session on its community `test` (to tip,
  as members do).
- `signin_site`: the same app with the real Slack platform (Bolt, signed slash commands, a
  mock Slack Web API) and sign-in pointed at mock Slack OpenID / Discord OAuth servers;
  the mocks run on an event loop in a thread of their own (`LoopThread`), so the test
  itself can use Playwright's sync API.
- Both serve with uvicorn on 127.0.0.1 at a free port, in a thread of this process (`serve`).
- `browser`: chromium from the system (`shutil.which("chromium")`; Playwright's own
  download cannot work offline). Missing chromium FAILS the test, never skips it:
  `.ci/run` installs it (`apt-get install -y chromium`).
- `page`: a fresh page in that browser (downloads accepted); `screenshot(page, name)` saves
  a full-page PNG under test-artifacts/screenshots/ (gitignored).
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from starlette.types import ASGIApp

from bot.compose import build_runtime
from bot.runtime import Runtime
from bot.web import build_app
from ledger.api import Ledger
from ledger.clock import FixedClock
from tests.adapters.console.support import Console, make_runtime
from tests.adapters.slack.conftest import sign, slack_settings, slash_payload
from tests.adapters.slack.mock_slack import MockSlack
from tests.bot.webme.mock_oauth import DISCORD_CLIENT, SLACK_CLIENT, MockOAuth
from tests.bot.webme.support import SESSION_SECRET
from tests.dbs import dump_tables

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def free_socket() -> socket.socket:
    """A socket bound to a free port on 127.0.0.1, for `serve` (bound first: the URL is known before)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    return sock


def url_of(sock: socket.socket) -> str:
    return f"http://127.0.0.1:{sock.getsockname()[1]}"


@contextmanager
def serve(app: ASGIApp, sock: socket.socket) -> Iterator[str]:
    """Serve `app` with uvicorn on `sock` in a daemon thread, as `tipbot run` does; its base URL."""
    import uvicorn  # the [web] extra

    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the web server did not start")
        time.sleep(0.02)
    try:
        yield url_of(sock)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


@dataclass
class WebServer:
    url: str  # http://127.0.0.1:PORT
    runtime: Runtime
    console: Console


@pytest.fixture
def web_server(db_url: str, clock: FixedClock) -> Iterator[WebServer]:
    runtime = make_runtime(db_url, clock, web_page_cache_seconds=0)
    try:
        with serve(build_app(runtime), free_socket()) as url:
            yield WebServer(url, runtime, Console(runtime))
    finally:
        runtime.ledger.dispose()


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
    from adapters.slack.platform import SlackPlatform

    loop = LoopThread()
    slack, oauth = MockSlack(), MockOAuth()
    slack.users = {"UADMIN": {"is_admin": True, "name": "admin"}}
    loop.run(slack.start())
    loop.run(oauth.start())
    sock = free_socket()
    settings = slack_settings(
        slack, database_url=db_url, public_url=url_of(sock), session_secret=SESSION_SECRET,
        slack_signin_client_id=SLACK_CLIENT[0], slack_signin_client_secret=SLACK_CLIENT[1], slack_openid_url=oauth.url,
        discord_signin_client_id=DISCORD_CLIENT[0], discord_signin_client_secret=DISCORD_CLIENT[1],
        discord_oauth_url=oauth.url)
    runtime = build_runtime(settings, ledger=ledger, platforms={"slack": SlackPlatform()}, funding={})
    runtime.platforms["slack"].app(runtime, process_before_response=True)
    try:
        with serve(build_app(runtime), sock) as url:
            yield SigninSite(url, runtime, slack, oauth, loop)
    finally:
        loop.run(runtime.platforms["slack"].stop())
        loop.run(oauth.stop())
        loop.run(slack.stop())
        loop.close()


def chromium_path() -> str:
    found = shutil.which("chromium")
    if found is None:
        pytest.fail("chromium is not installed: `apt-get install -y chromium` (.ci/run does it). "
                    "Browser tests never skip.", pytrace=False)
    return found


@pytest.fixture
def browser():
    """Per test, not per session: Playwright's sync API keeps an event loop running in this
    thread while it is started, and other tests in the same worker call asyncio.run()."""
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=executable)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1000, "height": 800})  # accepts downloads
    opened = context.new_page()
    opened.set_default_timeout(15_000)
    yield opened
    context.close()


def screenshot(page, name: str) -> Path:
    """Save the whole page as test-artifacts/screenshots/NAME.png (gitignored); returns the path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
