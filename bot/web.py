"""The web app: one Starlette app for every HTTP endpoint Tipbot serves.

Routes come from three places, so no module here imports an adapter:
- each platform's `web_routes(runtime)` (Slack: /slack/events, /slack/install, ...);
- modules named in ROUTE_MODULES that define `routes(runtime)` (bot.stripe_web);
- providers added with `register_routes(provider)`.
`/healthz` answers 200 while the database answers, 503 otherwise.
Every route's body is limited before it is buffered, and has a deadline (bot.edge).

`tipbot run` serves it; for HTTP-only workers behind a load balancer:
`uvicorn --factory bot.web:create_app --workers 4`.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

import sqlalchemy as sa
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from bot.edge import EdgeMiddleware

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger(__name__)

RouteProvider = Callable[["Runtime"], list[BaseRoute]]

# Modules that contribute routes with `routes(runtime) -> list[BaseRoute]` (like bot.cli's COMMAND_MODULES).
ROUTE_MODULES = ("bot.stripe_web",)

_providers: list[RouteProvider] = []


def register_routes(provider: RouteProvider) -> RouteProvider:
    """Add a route provider (usable as a decorator); it is called once per app built."""
    if provider not in _providers:
        _providers.append(provider)
    return provider


def _module_providers() -> list[RouteProvider]:
    found: list[RouteProvider] = []
    for name in ROUTE_MODULES:
        try:
            module = importlib.import_module(name)  # importing may also register_routes()
        except ModuleNotFoundError as error:
            if error.name != name:
                raise
            continue
        provider = getattr(module, "routes", None)
        if callable(provider):
            found.append(provider)
    return found


def collect_routes(runtime: Runtime) -> list[BaseRoute]:
    routes: list[BaseRoute] = [Route("/healthz", _healthz(runtime), methods=["GET"], name="healthz")]
    for platform in runtime.platforms.values():
        routes += platform.web_routes(runtime)
    for provider in [*_module_providers(), *_providers]:
        routes += provider(runtime)
    paths = [getattr(r, "path", None) for r in routes]
    duplicates = {p for p in paths if p is not None and paths.count(p) > 1}
    if duplicates:
        raise RuntimeError(f"two handlers for {sorted(duplicates)}")
    return routes


def body_limits(runtime: Runtime) -> dict[str, int]:
    """Body limits by path prefix; every other route gets `max_body_bytes`."""
    settings = runtime.settings
    return {"/slack/": settings.slack_max_body_bytes, "/stripe/webhook": settings.stripe_max_body_bytes}


def build_app(runtime: Runtime) -> Starlette:
    settings = runtime.settings
    # Inside Starlette's error middleware, outside its routing: a refusal raised while an
    # endpoint reads the body comes back here and is answered, never logged as an error.
    edge = Middleware(EdgeMiddleware, limits=body_limits(runtime), default_limit=settings.max_body_bytes,
                      body_timeout_seconds=settings.http_body_timeout_seconds)
    app = Starlette(routes=collect_routes(runtime), middleware=[edge])
    app.state.runtime = runtime
    return app


def create_app() -> Starlette:
    """For `uvicorn --factory bot.web:create_app`: settings from the environment."""
    from bot.runtime import Runtime

    return build_app(Runtime())


def _healthz(runtime: Runtime):
    def ping() -> None:
        runtime.ledger.read(lambda book: book.conn.execute(sa.text("SELECT 1")).scalar_one())

    async def healthz(request: Request) -> JSONResponse:
        try:
            await asyncio.to_thread(ping)
        except Exception as error:  # noqa: BLE001 - reported as unhealthy, never raised
            log.warning("health check failed: %s", type(error).__name__)
            return JSONResponse({"ok": False, "database": "unreachable"}, status_code=503)
        return JSONResponse({"ok": True})

    return healthz
