"""Rendering for the whole web app, the public pages and /me (bot/webme) alike: one Jinja2
environment over one templates folder (one layout, base.html; autoescaped), its filters
(money, URL path segments, a bot reply as HTML), and the two kinds of HTML response: a
public page with an ETag (304 when the browser already has it) and Cache-Control, and a
page that must never be kept (/me, refusals, 404s). docs/architecture.md, "Web pages"."""

from __future__ import annotations

import functools
import hashlib
import re
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from ledger.money import format_money

PAGE_CACHE = "public, no-cache"  # browsers and proxies keep a page, and ask again (a 304 costs little)
BADGE_CACHE = "public, max-age=300"  # README badges: shields.io and GitHub's camo cache them too
NEVER_KEPT = "no-store"  # signed-in pages, refusals, 404s
_CODE = re.compile(r"`([^`\n]+)`")


def reply_html(text: str) -> Markup:
    """A bot reply's text as HTML: every character escaped, `code` spans kept, lines kept."""
    lines = []
    for line in str(text).split("\n"):
        parts = _CODE.split(line)
        lines.append(Markup("").join(Markup("<code>{}</code>").format(part) if i % 2 else escape(part)
                                     for i, part in enumerate(parts)))
    return Markup("<br>\n").join(lines)


def environment(*, signin: bool) -> Environment:
    """The templates of every page. `signin`: sign-in is configured, so the layout links to
    /me (Sign in, Your tips) on every page, public ones too. A page of /me passes `me` (the
    signed-in member) and `csrf`; a public page passes `community` and `title`."""
    env = Environment(loader=PackageLoader("bot.webpages", "templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["money"] = format_money
    env.filters["part"] = lambda text: quote(str(text), safe="")  # one path segment of a URL
    env.filters["reply_html"] = reply_html
    env.globals.update(signin=signin, me=None, community=None, csrf=None)
    return env


def uncached_html(body: str | bytes, status_code: int = 200) -> HTMLResponse:
    """A page no browser or proxy may keep: anything signed in, a refusal, a 404."""
    return HTMLResponse(body, status_code=status_code, headers={"Cache-Control": NEVER_KEPT})


@functools.lru_cache(maxsize=8192)  # the same badge bodies again and again
def etag_of(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'


def cached_response(request: Request, body: bytes, media_type: str, cache_control: str,
                    etag: str | None = None) -> Response:
    """`body` with its ETag; 304 with no body when the request already names that ETag."""
    etag = etag or etag_of(body)
    headers = {"ETag": etag, "Cache-Control": cache_control, "X-Content-Type-Options": "nosniff"}
    asked = request.headers.get("if-none-match", "")
    if etag in (tag.strip() for tag in asked.split(",")) or asked.strip() == "*":
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)
