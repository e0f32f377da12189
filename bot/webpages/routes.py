"""The routes of the public pages and badges, and what each one renders.

Every handler first asks the ledger for the community *if it is public*; a private or
unknown community, member or project gets the same 404 page. Database work runs in a
worker thread (`asyncio.to_thread`), never on the event loop. A community page, the one
costly read (an aggregate over all its current tips), is kept for
`settings.web_page_cache_seconds` (monotonic time, `Kept`), and so are a community's
badges (one aggregate for all its members: badges are read far more than pages). A change
shows there within that time, and so does turning a community private (its badges answer
404 within that time, its pages at once: whether it is public is asked on every page).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.chart import chart_png
from bot.runtime import Runtime
from bot.webpages import badges
from bot.webpages.render import BADGE_CACHE, PAGE_CACHE, cached_response, environment, etag_of, uncached_html
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


class Kept:
    """Values by key, each fresh for `seconds` (monotonic clock), at most `size` keys.

    One build per key at a time: a stale value is served while it runs, and only a key's
    very first callers wait for it (all of them for the same build), so a busy community
    costs one aggregate every `seconds`, not one per request. A build that finds nothing
    (None: the community is private now, or gone) drops the key. 0 seconds: no keeping."""

    def __init__(self, seconds: float, size: int = 1000) -> None:
        self.seconds = seconds
        self.size = size
        self._kept: dict[Hashable, tuple[float, Any]] = {}  # key -> (fresh until, value)
        self._building: dict[Hashable, asyncio.Future[Any]] = {}

    async def get(self, key: Hashable, build: Callable[[], Awaitable[Any]]) -> Any:
        if self.seconds <= 0:
            return await build()
        found = self._kept.get(key)
        if found is not None and found[0] > time.monotonic():
            return found[1]
        building = self._building.get(key)
        if building is None:
            building = asyncio.ensure_future(self._build(key, build))
            self._building[key] = building
        if found is not None:
            return found[1]
        return await asyncio.shield(building)

    async def _build(self, key: Hashable, build: Callable[[], Awaitable[Any]]) -> Any:
        try:
            value = await build()
            self._kept.pop(key, None)
            if value is not None:
                if len(self._kept) >= self.size:
                    self._kept.pop(next(iter(self._kept)))  # the oldest
                self._kept[key] = (time.monotonic() + self.seconds, value)
            return value
        finally:
            del self._building[key]


def routes(runtime: Runtime) -> list[BaseRoute]:
    pages = WebPages(runtime)
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


class WebPages:
    """The handlers, bound to one runtime (its ledger, clock, platforms and settings)."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.templates = environment(signin=runtime.settings.signin_configured)
        self.kept_pages = Kept(runtime.settings.web_page_cache_seconds)  # community id -> (body, etag)
        self.kept_badges = Kept(runtime.settings.web_page_cache_seconds)  # community name -> MemberBadges

    async def _read(self, op: Callable[[Book], Any]) -> Any:
        return await asyncio.to_thread(self.runtime.ledger.read, op)

    def _html(self, request: Request, template: str, status: int = 200, **context: Any) -> Response:
        body = self.templates.get_template(template).render(**context).encode()
        if status != 200:
            return uncached_html(body, status)
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
        async def build() -> tuple[bytes, str]:
            page = await self._read(lambda book: book.community_page(found))
            body = self.templates.get_template("community.html").render(
                title=found.name, page=page, community=found).encode()
            return body, etag_of(body)

        body, etag = await self.kept_pages.get(found.id, build)
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
        """A member's badge: from the community's badges kept for `web_page_cache_seconds` (a
        badge is read far more than any page), else in one statement."""
        community_name, name = request.path_params["community"], request.path_params["member"]
        if self.kept_badges.seconds <= 0:
            return await self._read(lambda book: book.member_badge(community_name, name))
        kept = await self.kept_badges.get(
            community_name, lambda: self._read(lambda book: book.member_badges(community_name)))
        return None if kept is None else kept.get(name)

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
