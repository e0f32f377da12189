"""Shared fixtures for tests in a real browser (Playwright for Python driving Debian's chromium).

- `web_server`: a `tipbot run`-style server: uvicorn on 127.0.0.1 at a free port, serving
  the real app (`bot.web.build_app`) over the composition root, on the test's database
  (both backends), in a thread of this process; `.url` is its base URL, `.console` a
  console session on its community `test` (to tip, as members do).
- `browser`: chromium from the system (`shutil.which("chromium")`; Playwright's own
  download cannot work offline). Missing chromium FAILS the test, never skips it:
  `.ci/run` installs it (`apt-get install -y chromium`).
- `page`: a fresh page in that browser; `screenshot(page, name)` saves a full-page PNG
  under test-artifacts/screenshots/ (gitignored).
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.runtime import Runtime
from bot.web import build_app
from ledger.clock import FixedClock
from tests.adapters.console.support import Console, make_runtime

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


@dataclass
class WebServer:
    url: str  # http://127.0.0.1:PORT
    runtime: Runtime
    console: Console


@pytest.fixture
def web_server(db_url: str, clock: FixedClock) -> Iterator[WebServer]:
    import uvicorn  # the [web] extra

    runtime = make_runtime(db_url, clock, web_page_cache_seconds=0)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(build_app(runtime), log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the web server did not start")
        time.sleep(0.02)
    try:
        yield WebServer(f"http://127.0.0.1:{port}", runtime, Console(runtime))
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()
        runtime.ledger.dispose()


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
        yield launched
        launched.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1000, "height": 800})
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
