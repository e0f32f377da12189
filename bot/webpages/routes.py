"""The routes of the public pages and badges, and what each one renders.

Every handler first asks the ledger for the community *if it is public*; a private or
unknown community, member or project gets the same 404 page. Database work runs in a
worker thread (`asyncio.to_thread`), never on the event loop. A community page, the one
costly read (an aggregate over all its current tips), is kept for
`settings.web_page_cache_seconds` (monotonic time) by `PageCache`; whether the community
is public is asked on every request, so turning pages off takes effect at once.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from bot.chart import chart_png
from bot.runtime import Runtime
from bot.webpages import badges
from bot.webpages.render import BADGE_CACHE, PAGE_CACHE, cached_response, environment, etag_of
from ledger.book import Book
from ledger.pages import Receiving
from ledger.records import Community, Space

CHART_WEEKS = 12


@dataclass(frozen=True)
class WayToTip:
    """How to tip someone from one space of the community: the exact command, and a link into it."""

    label: str  # "Slack"
    space_name: str | None
    url: str | None
    command: str | None  # None: this platform has no command for it


class PageCache:
    """Rendered community pages by community id, each kept for `seconds` (monotonic clock)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._pages: dict[int, tuple[float, bytes, str]] = {}

    def get(self, community_id: int) -> tuple[bytes, str] | None:
        found = self._pages.get(community_id)
        if found is None or found[0] <= time.monotonic():
            return None
        return found[1], found[2]

    def put(self, community_id: int, body: bytes) -> str:
        etag = etag_of(body)
        if self.seconds > 0:
            self._pages[community_id] = (time.monotonic() + self.seconds, body, etag)
        return etag


def routes(runtime: Runtime) -> list[BaseRoute]:
    pages = Pages(runtime)
    return [
        # Badges first: a member's name may hold a "/" (`{member:path}`).
        Route("/c/{community}/@{member:path}/receiving.svg", pages.member_badge_svg, methods=["GET"]),
        Route("/c/{community}/@{member:path}/receiving.json", pages.member_badge_json, methods=["GET"]),
        Route("/c/{community}/@{member:path}", pages.member, methods=["GET"], name="web_member"),
        Route("/c/{community}/projects/{project}/receiving.svg", pages.project_badge_svg, methods=["GET"]),
        Route("/c/{community}/projects/{project}/receiving.json", pages.project_badge_json, methods=["GET"]),
        Route("/c/{community}/projects/{project}", pages.project, methods=["GET"], name="web_project"),
        Route("/c/{community}/chart.png", pages.chart, methods=["GET"], name="web_chart"),
        Route("/c/{community}", pages.community, methods=["GET"], name="web_community"),
    ]


class Pages:
    """The handlers, bound to one runtime (its ledger, clock, platforms and settings)."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.templates = environment()
        self.cache = PageCache(runtime.settings.web_page_cache_seconds)

    async def _read(self, op: Callable[[Book], Any]) -> Any:
        return await asyncio.to_thread(self.runtime.ledger.read, op)

    def _html(self, request: Request, template: str, status: int = 200, **context: Any) -> Response:
        body = self.templates.get_template(template).render(**context).encode()
        if status != 200:
            return HTMLResponse(body, status_code=status, headers={"Cache-Control": "no-store"})
        return cached_response(request, body, "text/html; charset=utf-8", PAGE_CACHE)

    def not_found(self, request: Request) -> Response:
        """The same page for a private community and one that does not exist."""
        return self._html(request, "not_found.html", status=404, title="Not found")

    def ways_to_tip(self, spaces: tuple[Space, ...], name: str, *, project: bool = False) -> list[WayToTip]:
        ways = []
        for space in spaces:
            platform = self.runtime.platform(space.platform)
            command = platform.tip_project_command(name) if project else platform.tip_command(name)
            ways.append(WayToTip(platform.label if platform.name else space.platform.capitalize(), space.name,
                                 platform.space_url(space.external_id), command))
        return ways

    def _badge_links(self, path: str) -> dict[str, str]:
        public = self.runtime.settings.public_url.rstrip("/")
        return {"badge_path": f"{path}/receiving", "badge_url": f"{public}{path}/receiving",
                "page_url": f"{public}{path}"}

    # pages

    async def community(self, request: Request) -> Response:
        name = request.path_params["community"]
        found: Community | None = await self._read(lambda book: book.public_community(name))
        if found is None:
            return self.not_found(request)
        cached = self.cache.get(found.id)
        if cached is not None:
            return cached_response(request, cached[0], "text/html; charset=utf-8", PAGE_CACHE, etag=cached[1])
        page = await self._read(lambda book: book.community_page(found))
        body = self.templates.get_template("community.html").render(
            title=found.name, page=page, community=found).encode()
        etag = self.cache.put(found.id, body)
        return cached_response(request, body, "text/html; charset=utf-8", PAGE_CACHE, etag=etag)

    async def chart(self, request: Request) -> Response:
        name = request.path_params["community"]

        def read(book: Book):
            community = book.public_community(name)
            return None if community is None else (community, book.recent_paydays(community.id, CHART_WEEKS))

        found = await self._read(read)
        if found is None:
            return self.not_found(request)
        community, recent = found
        given = {week: int(stats.get("paid_minor", 0)) for week, stats in recent}
        today = self.runtime.clock.now().date()
        last = recent[-1][0] if recent else today - dt.timedelta(days=today.weekday())
        weeks = [(last - dt.timedelta(weeks=back), given.get(last - dt.timedelta(weeks=back), 0))
                 for back in range(CHART_WEEKS - 1, -1, -1)]
        png = await asyncio.to_thread(chart_png, weeks, community.currency)
        return cached_response(request, png, "image/png", BADGE_CACHE)

    async def member(self, request: Request) -> Response:
        community_name, name = request.path_params["community"], request.path_params["member"]

        def read(book: Book):
            community = book.public_community(community_name)
            return None if community is None else book.member_page(community, name)

        page = await self._read(read)
        if page is None:
            return self.not_found(request)
        path = f"/c/{quote(page.community.name, safe='')}/@{quote(page.name, safe='')}"
        return self._html(request, "member.html", title=f"{page.name} in {page.community.name}", page=page,
                          community=page.community, ways=self.ways_to_tip(page.spaces, page.name),
                          **self._badge_links(path))

    async def project(self, request: Request) -> Response:
        community_name, name = request.path_params["community"], request.path_params["project"]

        def read(book: Book):
            community = book.public_community(community_name)
            return None if community is None else book.project_page(community, name)

        page = await self._read(read)
        if page is None:
            return self.not_found(request)
        path = f"/c/{quote(page.community.name, safe='')}/projects/{quote(page.name, safe='')}"
        return self._html(request, "project.html", title=f"{page.name} in {page.community.name}", page=page,
                          community=page.community, ways=self.ways_to_tip(page.spaces, page.name, project=True),
                          **self._badge_links(path))

    # badges

    async def _member_receiving(self, request: Request) -> Receiving | None:
        community_name, name = request.path_params["community"], request.path_params["member"]

        def read(book: Book):
            community = book.public_community(community_name)
            return None if community is None else book.member_receiving_by_name(community, name)

        return await self._read(read)

    async def _project_receiving(self, request: Request) -> Receiving | None:
        community_name, name = request.path_params["community"], request.path_params["project"]

        def read(book: Book):
            community = book.public_community(community_name)
            return None if community is None else book.project_receiving_by_name(community, name)

        return await self._read(read)

    def _svg(self, request: Request, receiving: Receiving | None) -> Response:
        if receiving is None:
            return self.not_found(request)
        return cached_response(request, badges.svg(receiving), "image/svg+xml", BADGE_CACHE)

    def _json(self, request: Request, receiving: Receiving | None) -> Response:
        if receiving is None:
            return self.not_found(request)
        return cached_response(request, badges.endpoint_json(receiving), "application/json", BADGE_CACHE)

    async def member_badge_svg(self, request: Request) -> Response:
        return self._svg(request, await self._member_receiving(request))

    async def member_badge_json(self, request: Request) -> Response:
        return self._json(request, await self._member_receiving(request))

    async def project_badge_svg(self, request: Request) -> Response:
        return self._svg(request, await self._project_receiving(request))

    async def project_badge_json(self, request: Request) -> Response:
        return self._json(request, await self._project_receiving(request))
