"""Stripe fixtures: localstripe and the recording server on 127.0.0.1, the web app
under uvicorn (so localstripe can deliver signed webhooks to it), a runtime whose
Stripe client points at the recording server."""

from __future__ import annotations

import socket
import threading
import time
import warnings
from dataclasses import replace

import httpx
import pytest
import uvicorn

from adapters.stripe import StripeFunding
from adapters.stripe.config import StripeSettings
from bot.config import Settings
from bot.compose import build_runtime
from bot.runtime import Runtime
from bot.web import build_app
from ledger.api import Ledger
from tests.adapters.stripe.fake_stripe import FakeStripe, LoopThread

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


def stripe_funding(settings: Settings, api_url: str) -> StripeFunding:
    return StripeFunding(settings, StripeSettings(
        stripe_secret_key=SECRET_KEY, stripe_webhook_secret=WEBHOOK_SECRET, stripe_api_url=api_url,
        stripe_concurrency=4))


@pytest.fixture
def runtime(ledger: Ledger, fake: FakeStripe, db_url: str) -> Runtime:
    settings = Settings(database_url=db_url, public_url="https://tipbot.example")
    return build_runtime(settings, ledger=ledger, platforms={},
                         funding={"stripe": stripe_funding(settings, fake.url)})  # type: ignore[attr-defined]


@pytest.fixture
def config(runtime: Runtime):
    return replace(runtime.funding["stripe"].config, backoff_base_ms=10)


@pytest.fixture
def client(runtime: Runtime, config):
    return runtime.funding["stripe"].client(config)


@pytest.fixture
def web(runtime: Runtime):
    server = Web(runtime)
    yield server
    server.stop()
