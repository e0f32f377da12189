"""The HTTP edge: refuse junk before it costs memory, a connection or the event loop.

- `EdgeMiddleware` (pure ASGI, wrapped around the whole web app): a per-route body limit
  counted on the bytes as they arrive, with or without Content-Length (413, connection
  closed), a deadline for the whole body (408, connection closed), and a turnstile that
  starts at most `REQUESTS_PER_TURN` requests per event-loop turn, so a burst of thousands
  is taken in order while `/healthz` and the replies in flight still get their turns.
- `header_timeout_protocol()`: uvicorn's HTTP protocol with what uvicorn lacks, a deadline
  for a request's line and headers (also for a connection that never sends anything) and
  a cap on their size; past either the connection is closed.
"""

from __future__ import annotations

import asyncio
import collections
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from starlette.requests import ClientDisconnect

log = logging.getLogger(__name__)

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# Requests started per event-loop turn: a Slack command costs the loop about 1 ms, so a
# turn stays well under /healthz's 100 ms while a burst still goes at the loop's full speed.
REQUESTS_PER_TURN = 4
UNPACED_PATHS = frozenset({"/healthz"})


class _Refused(Exception):
    """Raised from `receive` to stop a request whose body is too large or too slow."""

    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.status = status
        self.text = text


class Turnstile:
    """At most `per_turn` entries per event-loop turn; the rest wait, first come first served."""

    def __init__(self, per_turn: int) -> None:
        self.per_turn = per_turn
        self._entered = 0
        self._waiting: collections.deque[asyncio.Future[None]] = collections.deque()
        self._turn_scheduled = False

    async def enter(self) -> None:
        if self._entered < self.per_turn and not self._waiting:
            self._entered += 1
            self._next_turn_soon()
            return
        future = asyncio.get_running_loop().create_future()
        self._waiting.append(future)
        self._next_turn_soon()
        await future

    def _next_turn_soon(self) -> None:
        if not self._turn_scheduled:
            self._turn_scheduled = True
            asyncio.get_running_loop().call_soon(self._turn)

    def _turn(self) -> None:
        """A new loop turn: let the next few in (they run in the turn after this one)."""
        self._turn_scheduled = False
        self._entered = 0
        while self._waiting and self._entered < self.per_turn:
            future = self._waiting.popleft()
            if not future.done():  # a client that went away has been cancelled
                future.set_result(None)
                self._entered += 1
        if self._waiting or self._entered:
            self._next_turn_soon()


class EdgeMiddleware:
    """Body limits by path prefix (longest wins, `default_limit` otherwise), a body deadline, pacing."""

    def __init__(self, app: ASGIApp, *, limits: Mapping[str, int], default_limit: int,
                 body_timeout_seconds: float, per_turn: int = REQUESTS_PER_TURN) -> None:
        self.app = app
        self.limits = sorted(limits.items(), key=lambda item: -len(item[0]))
        self.default_limit = default_limit
        self.body_timeout_seconds = body_timeout_seconds
        self.turnstile = Turnstile(per_turn)

    def limit_for(self, path: str) -> int:
        for prefix, limit in self.limits:
            if path.startswith(prefix):
                return limit
        return self.default_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = _content_length(scope)
        if declared is not None and declared > limit:  # refused before a byte of it is read
            await _answer(send, 413, "request body too large")
            return
        if scope["path"] not in UNPACED_PATHS:
            await self.turnstile.enter()

        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.body_timeout_seconds
        received = 0
        body_done = False
        started = False

        async def limited_receive() -> Message:
            nonlocal received, body_done
            if body_done:  # the app waits for a disconnect: nothing to count or time
                return await receive()
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                raise _Refused(408, "request body too slow") from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _Refused(413, "request body too large")
                body_done = not message.get("more_body", False)
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracked_send)
        except _Refused as refused:
            if not started:
                await _answer(send, refused.status, refused.text)
        except ClientDisconnect:  # the client went away mid-body: there is nobody to answer
            pass


def _content_length(scope: Scope) -> int | None:
    """The declared length; a malformed one counts as too large (uvicorn's parser refuses most first)."""
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() and len(value) <= 18 else 1 << 62
    return None


async def _answer(send: Send, status: int, text: str) -> None:
    """A plain answer that also closes the connection: the rest of the body is never read."""
    body = text.encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode()),
        (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


def header_timeout_protocol(header_timeout_seconds: float, max_header_bytes: int) -> type:
    """uvicorn's httptools protocol, closing connections whose request line and headers are too
    slow (counted from the connection opening, or from the request's first byte) or too large."""
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    class HeaderTimeoutProtocol(HttpToolsProtocol):
        _header_timer: asyncio.TimerHandle | None = None
        _header_bytes = 0

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._header_bytes = 0
            self._arm()

        def on_url(self, url: bytes) -> None:
            self._count(len(url))
            super().on_url(url)

        def on_header(self, name: bytes, value: bytes) -> None:
            self._count(len(name) + len(value))
            super().on_header(name, value)

        def on_headers_complete(self) -> None:
            self._disarm()  # the body has a deadline of its own (EdgeMiddleware)
            super().on_headers_complete()

        def _count(self, size: int) -> None:
            self._header_bytes += size
            if self._header_bytes > max_header_bytes:
                raise ValueError("request headers too large")  # uvicorn answers 400 and closes

        def _arm(self) -> None:
            self._disarm()
            self._header_timer = self.loop.call_later(header_timeout_seconds, self._headers_too_slow)

        def _disarm(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def _headers_too_slow(self) -> None:
            self._header_timer = None
            if not self.transport.is_closing():
                self.transport.close()

    return HeaderTimeoutProtocol
