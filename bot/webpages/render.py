"""Jinja2 for the web pages: autoescaped templates from this package, money and URL filters,
and responses with an ETag (304 when the browser already has it) and Cache-Control."""

from __future__ import annotations

import functools
import hashlib
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, StrictUndefined
from starlette.requests import Request
from starlette.responses import Response

from ledger.money import format_money

PAGE_CACHE = "public, no-cache"  # browsers and proxies keep a page, and ask again (a 304 costs little)
BADGE_CACHE = "public, max-age=300"  # README badges: shields.io and GitHub's camo cache them too


def environment() -> Environment:
    env = Environment(loader=PackageLoader("bot.webpages", "templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["money"] = format_money
    env.filters["part"] = lambda text: quote(str(text), safe="")  # one path segment of a URL
    return env


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
