"""Slow and oversized clients against `tipbot run`'s real uvicorn server on 127.0.0.1, over
raw sockets, with short deadlines from the settings. The only thing awaited is that the
server closed the connection (within a generous bound, never a measured duration)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest

from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from bot.cli_run import serve
from bot.config import Settings
from bot.compose import build_runtime
from bot.platform import Platform
from bot.runtime import Runtime

pytestmark = pytest.mark.anyio

GENEROUS_SECONDS = 30  # far above the deadlines below: only "closed at all" is asserted


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def echo_length(request: Request) -> PlainTextResponse:
    return PlainTextResponse(str(len(await request.body())))


class Echo(Platform):
    """A platform whose only part is one route that reads the whole body."""

    name = "echo"

    def web_routes(self, runtime: Runtime) -> list[Route]:
        return [Route("/test/echo", echo_length, methods=["POST"])]


@pytest.fixture
async def port(ledger) -> AsyncIterator[int]:
    settings = Settings(host="127.0.0.1", port=0, scheduler=False, http_header_timeout_seconds=0.5,
                        http_body_timeout_seconds=0.5, http_keep_alive_seconds=0.5, http_max_header_bytes=4096)
    stop = asyncio.Event()
    ports: list[int] = []
    running = asyncio.create_task(serve(build_runtime(settings, ledger=ledger, platforms={"echo": Echo()}, funding={}), stop=stop,
                                        started=ports.append))
    while not ports:
        assert not running.done(), running.result()
        await asyncio.sleep(0.02)
    try:
        yield ports[0]
    finally:
        stop.set()
        assert await asyncio.wait_for(running, 30) == 0


async def read_until_closed(reader: asyncio.StreamReader) -> bytes:
    """Everything the server sends until it closes the connection."""
    return await asyncio.wait_for(reader.read(), GENEROUS_SECONDS)


async def connect(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.transport.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return reader, writer


async def test_a_silent_connection_is_closed(port: int) -> None:
    reader, writer = await connect(port)
    assert await read_until_closed(reader) == b""
    writer.close()


async def test_headers_that_never_finish_are_cut_off(port: int) -> None:
    reader, writer = await connect(port)
    writer.write(b"POST /slack/events HTTP/1.1\r\nHost: t\r\nX-Slow: ")
    await writer.drain()
    assert await read_until_closed(reader) == b""
    writer.close()


async def test_headers_trickled_a_byte_at_a_time_are_cut_off(port: int) -> None:
    reader, writer = await connect(port)
    writer.write(b"GET /healthz HTTP/1.1\r\n")

    async def trickle() -> None:
        for _ in range(10 * GENEROUS_SECONDS):
            writer.write(b"X")
            await writer.drain()
            await asyncio.sleep(0.1)

    trickling = asyncio.create_task(trickle())
    try:
        assert await read_until_closed(reader) == b""
    finally:
        trickling.cancel()
        writer.close()


async def test_a_body_that_stops_coming_gets_408_and_is_closed(port: int) -> None:
    reader, writer = await connect(port)
    writer.write(b"POST /test/echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n{\"partial\": ")
    await writer.drain()
    answer = await read_until_closed(reader)
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:40]
    writer.close()


async def test_oversized_headers_are_refused(port: int) -> None:
    reader, writer = await connect(port)
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Big: " + b"a" * 8192 + b"\r\n\r\n")
    await writer.drain()
    answer = await read_until_closed(reader)
    assert answer.startswith(b"HTTP/1.1 400 "), answer[:40]
    writer.close()


async def test_an_idle_keep_alive_connection_is_closed_after_its_answer(port: int) -> None:
    reader, writer = await connect(port)
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
    await writer.drain()
    answer = await read_until_closed(reader)
    assert answer.startswith(b"HTTP/1.1 200 ") and answer.endswith(b'{"ok":true}')
    writer.close()


async def test_a_chunked_body_over_the_limit_is_413_and_the_rest_is_not_read(port: int) -> None:
    reader, writer = await connect(port)
    writer.write(b"POST /test/echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n")
    chunk = b"%x\r\n%s\r\n" % (64 * 1024, b"a" * 64 * 1024)
    answer = b""
    try:
        for _ in range(200):  # 12.5 MiB, far past the 64 KiB limit; the server stops taking it
            writer.write(chunk)
            await asyncio.wait_for(writer.drain(), GENEROUS_SECONDS)
            if reader.at_eof() or len(reader._buffer):  # noqa: SLF001 - the answer came early
                break
        answer = await read_until_closed(reader)
    except ConnectionError:  # closed with our chunks unread: the kernel may reset instead of FIN
        pass
    finally:
        writer.close()
    assert answer == b"" or answer.startswith(b"HTTP/1.1 413 "), answer[:40]


async def test_a_body_within_the_limit_is_served(port: int) -> None:
    reader, writer = await connect(port)
    writer.write(b"POST /test/echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello")
    await writer.drain()
    answer = await read_until_closed(reader)
    assert answer.startswith(b"HTTP/1.1 200 ") and answer.endswith(b"\r\n\r\n5")
    writer.close()
