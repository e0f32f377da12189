"""bot/web.py: routes from platforms, route modules and registered providers; /healthz."""

from __future__ import annotations

import httpx
import pytest
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from bot import web
from bot.config import Settings
from bot.runtime import Runtime
from ledger.api import Ledger

pytestmark = pytest.mark.anyio


async def test_registered_routes_are_served(ledger) -> None:
    async def hello(request):
        return PlainTextResponse("hello")

    def provider(runtime):
        return [Route("/test/hello", hello)]

    web.register_routes(provider)
    try:
        app = web.build_app(Runtime(Settings(), ledger=ledger, platforms={}))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
            assert (await http.get("/test/hello")).text == "hello"
            assert (await http.get("/nothing-here")).status_code == 404
    finally:
        web._providers.remove(provider)


def test_two_handlers_for_one_path_is_an_error(ledger) -> None:
    def provider(runtime):
        return [Route("/healthz", lambda request: None)]

    web.register_routes(provider)
    try:
        with pytest.raises(RuntimeError, match="/healthz"):
            web.build_app(Runtime(Settings(), ledger=ledger, platforms={}))
    finally:
        web._providers.remove(provider)


async def test_healthz_is_503_when_the_database_is_down() -> None:
    down = Ledger.connect("postgresql://postgres@127.0.0.1:1/nothing", upgrade=False,
                          connect_args={"connect_timeout": 2})
    app = web.build_app(Runtime(Settings(), ledger=down, platforms={}))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        response = await http.get("/healthz")
    assert response.status_code == 503 and response.json()["ok"] is False
    down.dispose()
