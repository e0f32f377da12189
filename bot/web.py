"""The web app: one Starlette app for every HTTP endpoint Tipbot serves.

Its routes are `/healthz` (alive: 200 while the database answers, 503 otherwise),
`/readyz` (ready: the database answers and its migrations are current), `/metrics`
(Prometheus, bot/metrics.py) and those
of the runtime's route providers, which the composition root collected from the
platforms (Slack: /slack/events, /slack/install, ...) and the funding adapters
(Stripe: /stripe/webhook, /stripe/return). Nothing here imports an adapter.
Every route's body is limited before it is buffered (by the limits the adapters declared
for their routes, `Runtime.body_limits`; `max_body_bytes` elsewhere), and has a deadline
(bot.edge).

`tipbot run` serves it; for HTTP-only workers behind a load balancer:
`uvicorn --factory bot.web:create_app --workers 4`.
"""

from __future__ import annotations

import asyncio
import logging

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot.compose import build_runtime
from bot.edge import EdgeMiddleware
from bot.runtime import Runtime

log = logging.getLogger(__name__)


def collect_routes(runtime: Runtime) -> list[BaseRoute]:
    routes: list[BaseRoute] = [Route("/healthz", _healthz(runtime), methods=["GET"], name="healthz"),
                               Route("/readyz", _readyz(runtime), methods=["GET"], name="readyz"),
                               Route("/metrics", _metrics(runtime), methods=["GET"], name="metrics")]
    for provider in runtime.route_providers:
        routes += provider(runtime)
    paths = [getattr(r, "path", None) for r in routes]
    duplicates = {p for p in paths if p is not None and paths.count(p) > 1}
    if duplicates:
        raise RuntimeError(f"two handlers for {sorted(duplicates)}")
    return routes


def build_app(runtime: Runtime) -> Starlette:
    settings = runtime.settings
    # Inside Starlette's error middleware, outside its routing: a refusal raised while an
    # endpoint reads the body comes back here and is answered, never logged as an error.
    edge = Middleware(EdgeMiddleware, limits=runtime.body_limits, default_limit=settings.max_body_bytes,
                      body_timeout_seconds=settings.http_body_timeout_seconds)
    app = Starlette(routes=collect_routes(runtime), middleware=[edge])
    app.state.runtime = runtime
    return app


def create_app() -> Starlette:
    """For `uvicorn --factory bot.web:create_app`: settings from the environment."""
    return build_app(build_runtime())


def _healthz(runtime: Runtime):
    async def healthz(request: Request) -> JSONResponse:
        try:
            await asyncio.to_thread(runtime.ledger.ping)
        except Exception as error:  # noqa: BLE001 - reported as unhealthy, never raised
            log.warning("health check failed: %s", type(error).__name__)
            return JSONResponse({"ok": False, "database": "unreachable"}, status_code=503)
        return JSONResponse({"ok": True})

    return healthz


def _readyz(runtime: Runtime):
    """Ready for traffic: the database answers and its schema is at every migration head
    (a load balancer keeps a worker out until `tipbot db upgrade` ran)."""
    async def readyz(request: Request) -> JSONResponse:
        try:
            pending = await asyncio.to_thread(runtime.ledger.pending_migrations)
        except Exception as error:  # noqa: BLE001 - reported as not ready, never raised
            log.warning("readiness check failed: %s", type(error).__name__)
            return JSONResponse({"ready": False, "database": "unreachable"}, status_code=503)
        if pending:
            return JSONResponse({"ready": False, "migrations": "pending: run `tipbot db upgrade`"}, status_code=503)
        return JSONResponse({"ready": True})

    return readyz


def _metrics(runtime: Runtime):
    async def metrics(request: Request) -> Response:
        if runtime.metrics.registry is None:
            return PlainTextResponse("prometheus-client is not installed (pip install 'tipbot[web]')\n",
                                     status_code=501)
        body, content_type = runtime.metrics.exposition()
        return Response(body, media_type=content_type)

    return metrics
