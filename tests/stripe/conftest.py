"""Stripe fixtures: localstripe and the recording server on 127.0.0.1, the web app
under uvicorn (so localstripe can deliver signed webhooks to it), a runtime whose
Stripe client points at the recording server."""

from __future__ import annotations

import socket
import threading
import time
import warnings

import httpx
import pytest
import uvicorn

from bot.config import Settings
from bot.handlers.stripe import client_for, configure, stripe_config
from bot.runtime import Runtime
from bot.web import build_app
from ledger.api import Ledger
from tests.stripe.fake_stripe import FakeStripe, LoopThread

SECRET_KEY = "sk_test_tipbot"
WEBHOOK_SECRET = "whsec_test_tipbot"


@pytest.fixture(scope="session")
def loop_thread():
    servers = LoopThread()
    yield servers
    servers.close()


@pytest.fixture(scope="session")
def localstripe_url(loop_thread: LoopThread) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from localstripe.server import app
    return loop_thread.serve(app)


@pytest.fixture
def fake(loop_thread: LoopThread, localstripe_url: str):
    server = FakeStripe(upstream=localstripe_url)
    server.url = loop_thread.serve(server.app())  # type: ignore[attr-defined]
    yield server
    loop_thread.run(server.close())


class Web:
    """bot.web's app served by uvicorn on 127.0.0.1, in a thread."""

    def __init__(self, runtime: Runtime) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        config = uvicorn.Config(build_app(runtime), log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]}, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)

    def post(self, path: str, content: bytes, headers: dict[str, str]) -> httpx.Response:
        return httpx.post(self.url + path, content=content, headers=headers, timeout=10)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def make_settings(db_url: str, api_url: str, **extra) -> Settings:
    values = {"database_url": db_url, "stripe_secret_key": SECRET_KEY, "stripe_webhook_secret": WEBHOOK_SECRET,
              "stripe_api_url": api_url, "stripe_concurrency": 4, "public_url": "https://tipbot.example"}
    values.update(extra)
    return Settings(**values)


@pytest.fixture
def runtime(ledger: Ledger, fake: FakeStripe, db_url: str) -> Runtime:
    runtime = Runtime(make_settings(db_url, fake.url), ledger=ledger, platforms={})  # type: ignore[attr-defined]
    configure(runtime.settings)
    return runtime


@pytest.fixture
def config(runtime: Runtime):
    from dataclasses import replace

    return replace(stripe_config(runtime.settings), backoff_base_ms=10)


@pytest.fixture
def client(config):
    return client_for(config)


@pytest.fixture
def web(runtime: Runtime):
    server = Web(runtime)
    yield server
    server.stop()
