"""The composition root: the one place that builds a running Tipbot from its settings.

`build_runtime(settings, clock)` builds the ledger, the platforms (installed adapters
found through the `tipbot.platforms` entry points; each names a factory called here
with the settings), the funding adapters (`tipbot.funding`; each brings its payday
processor, `/tip fund` and `/tip payout`, web routes and CLI), the command table
(every handler module's COMMANDS and ACTIONS), the web route providers and the body
limits the adapters declare for their routes, and the slot the scheduler's loop goes in.
Every entry point (the `tipbot` CLI, `tipbot run`, `uvicorn --factory
bot.web:create_app`, the console, the tests) builds through it; nothing registers
itself by being imported.
"""

from __future__ import annotations

import logging
from importlib.metadata import entry_points
from typing import Any

from bot.app import TipBot
from bot.config import Settings
from bot.funding import FundingAdapter
from bot.handlers import CommandTable, admin, chat, funding, info, linking, payday, projects, spotlight, tips
from bot.metrics import Metrics
from bot.platform import Platform
from bot.runtime import Runtime, RouteProvider
from ledger.api import Ledger
from ledger.clock import Clock
from ledger.payday.claims import PaydayClaims

log = logging.getLogger(__name__)

HANDLER_MODULES = (tips, info, admin, payday, linking, funding, projects, chat, spotlight)


def installed(group: str, settings: Settings) -> dict[str, Any]:
    """Call the factory each installed entry point of `group` names, with the settings.

    An adapter whose optional dependencies are not installed is skipped (its import fails)."""
    found: dict[str, Any] = {}
    for entry in entry_points(group=group):
        try:
            factory = entry.load()
        except ImportError as error:  # its extra is not installed
            log.debug("%s %s unavailable: %s", group, entry.name, error)
            continue
        made = factory(settings)
        found[getattr(made, "name", None) or getattr(made, "mode", None) or entry.name] = made
    return found


def installed_platforms(settings: Settings) -> dict[str, Platform]:
    return installed("tipbot.platforms", settings)


def installed_funding(settings: Settings) -> dict[str, FundingAdapter]:
    return installed("tipbot.funding", settings)


def web_pages(runtime: Runtime) -> list[Any]:
    """The public pages and badges (bot/webpages); imported here, when the web app is built,
    because it needs the [web] extra (Starlette, Jinja2) that the core install lacks."""
    from bot.webpages import routes

    return routes(runtime)


def core_route_providers() -> list[RouteProvider]:
    """The bot's own web pages: /me (bot/webme), when the [web] extra is installed."""
    try:
        from bot.webme.routes import routes as signed_in  # needs the [web] extra (starlette, jinja2, httpx)
    except ImportError as error:
        log.debug("the signed-in web pages are unavailable: %s", error)
        return []
    return [signed_in]


def body_limits(adapters: list[Any]) -> dict[str, int]:
    """The adapters' own body limits by path prefix (`body_limits()`, optional on a funding
    adapter); two adapters may not limit the same prefix."""
    limits: dict[str, int] = {}
    for adapter in adapters:
        declared = getattr(adapter, "body_limits", None)
        for prefix, limit in (declared() if declared is not None else {}).items():
            if prefix in limits:
                raise RuntimeError(f"two body limits for {prefix}")
            limits[prefix] = limit
    return limits


def build_runtime(settings: Settings | None = None, clock: Clock | None = None, *, ledger: Ledger | None = None,
                  platforms: dict[str, Platform] | None = None,
                  funding: dict[str, FundingAdapter] | None = None) -> Runtime:
    """A Runtime from the settings (the environment when None); tests may pass their own
    ledger, platforms or funding adapters, and pin the clock."""
    settings = settings if settings is not None else Settings()
    if ledger is not None and clock is not None and ledger.clock is not clock:
        raise ValueError("the runtime reads its ledger's clock: build the Ledger with this clock")
    ledger = ledger if ledger is not None else Ledger.connect(settings.database_url, clock=clock)
    platforms = installed_platforms(settings) if platforms is None else platforms
    funding = installed_funding(settings) if funding is None else funding
    routes: list[RouteProvider] = [p.web_routes for p in platforms.values()]
    routes += [f.web_routes for f in funding.values()]
    routes.append(web_pages)
    routes += core_route_providers()
    runtime = Runtime(settings=settings, ledger=ledger, platforms=platforms, funding=funding,
                      commands=CommandTable.merge(*HANDLER_MODULES), route_providers=routes,
                      body_limits=body_limits([*platforms.values(), *funding.values()]),
                      claims=PaydayClaims(ledger), metrics=Metrics())
    for adapter in funding.values():
        adapter.use_metrics(runtime.metrics)
    runtime.bot = TipBot(runtime)
    return runtime
