"""What the HTTP benches share: a free loopback port, waiting for `tipbot run` to answer,
percentiles, and running the load generator on uvloop when it is installed (the generator
should cost the machine as little as it can)."""

from __future__ import annotations

import asyncio
import socket
import subprocess
from collections.abc import Coroutine
from typing import Any

import aiohttp


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


async def wait_healthy(base: str, server: subprocess.Popen, seconds: float = 20.0) -> None:
    """Until the server answers /healthz; exits if it died or took longer than `seconds`."""
    async with aiohttp.ClientSession() as session:
        for _ in range(int(seconds / 0.05)):
            try:
                async with session.get(f"{base}/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            if server.poll() is not None:
                raise SystemExit("tipbot run exited")
            await asyncio.sleep(0.05)
    raise SystemExit("tipbot run did not answer /healthz")


def run_fast(main: Coroutine[Any, Any, Any]) -> Any:
    """Run `main` on uvloop when installed, else on asyncio's own loop."""
    try:
        import uvloop
        loop_factory = uvloop.new_event_loop
    except ImportError:
        loop_factory = None
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        return runner.run(main)
