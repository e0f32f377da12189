"""Fixtures for /me: the mock OAuth providers on 127.0.0.1 and the real web app, driven
over HTTP with httpx (cookies kept, as a browser keeps them)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from bot.compose import build_runtime
from bot.runtime import Runtime
from bot.web import build_app
from ledger.api import Ledger
from tests.bot.webme.mock_oauth import MockOAuth
from tests.bot.webme.support import MeClient, signin_settings
from tests.dbs import dump_tables


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def mock_oauth() -> AsyncIterator[MockOAuth]:
    mock = MockOAuth()
    await mock.start()
    yield mock
    await mock.stop()


@dataclass
class Web:
    runtime: Runtime
    mock: MockOAuth
    me: MeClient

    def tables(self) -> dict:
        return dump_tables(self.runtime.ledger.engine)

    def client(self) -> MeClient:
        """Another browser: a client with cookies of its own."""
        app = self.me.http._transport.app  # type: ignore[attr-defined]
        return MeClient(httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver"),
                        self.mock)


@pytest.fixture
async def web(mock_oauth: MockOAuth, ledger: Ledger, db_url: str) -> AsyncIterator[Web]:
    runtime = build_runtime(signin_settings(db_url, mock_oauth), ledger=ledger, platforms={}, funding={})
    app = build_app(runtime)
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    yield Web(runtime, mock_oauth, MeClient(http, mock_oauth))
    await http.aclose()
