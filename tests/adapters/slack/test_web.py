"""bot/web.py: routes from the platforms and funding adapters the runtime was built with; /healthz."""

from __future__ import annotations

import httpx
import pytest
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from bot import web
from bot.compose import build_runtime
from bot.config import Settings
from bot.platform import Platform
from ledger.api import Ledger

pytestmark = pytest.mark.anyio


class Routed(Platform):
    name = "routed"

    def __init__(self, *routes: Route) -> None:
        self.routes = list(routes)

    def web_routes(self, runtime):
        return self.routes


async def test_a_platforms_routes_are_served(ledger) -> None:
    async def hello(request):
        return PlainTextResponse("hello")

    runtime = build_runtime(Settings(), ledger=ledger, platforms={"routed": Routed(Route("/test/hello", hello))},
                            funding={})
    app = web.build_app(runtime)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        assert (await http.get("/test/hello")).text == "hello"
        assert (await http.get("/nothing-here")).status_code == 404


def test_two_handlers_for_one_path_is_an_error(ledger) -> None:
    routed = Routed(Route("/healthz", lambda request: None))
    with pytest.raises(RuntimeError, match="/healthz"):
        web.build_app(build_runtime(Settings(), ledger=ledger, platforms={"routed": routed}, funding={}))


async def test_healthz_is_503_when_the_database_is_down() -> None:
    down = Ledger.connect("postgresql://postgres@127.0.0.1:1/nothing", upgrade=False,
                          connect_args={"connect_timeout": 2})
    app = web.build_app(build_runtime(Settings(), ledger=down, platforms={}, funding={}))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        response = await http.get("/healthz")
    assert response.status_code == 503 and response.json()["ok"] is False
    down.dispose()
