"""Posting outside requests within Slack's rate limits.

Slack allows about one message per second per channel (chat.postMessage, "special"
tier) and limits each method per workspace; past them it answers 429 with
Retry-After, which the client's retry handler honours (adapters/slack/app.py). The
pacer keeps us under the limits in the first place when many paydays post at once:
posts to one channel at least `channel_interval_seconds` apart, at most
`per_workspace` posts in flight per workspace. Other workspaces and channels never
wait for each other.
"""

from __future__ import annotations

import asyncio
import collections
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager


class Pacer:
    def __init__(self, *, channel_interval_seconds: float = 1.0, per_workspace: int = 4,
                 monotonic: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.channel_interval_seconds = channel_interval_seconds
        self.per_workspace = per_workspace
        self._monotonic = monotonic
        self._sleep = sleep
        self._next_post_at: dict[tuple[str, str], float] = {}
        self._workspaces: dict[str, asyncio.Semaphore] = collections.defaultdict(
            lambda: asyncio.Semaphore(self.per_workspace))

    @asynccontextmanager
    async def slot(self, team_id: str, channel_id: str) -> AsyncIterator[None]:
        """Wait for the channel's turn and a free place in the workspace, then post."""
        async with self._workspaces[team_id]:
            key = (team_id, channel_id)
            now = self._monotonic()
            at = max(now, self._next_post_at.get(key, now))
            self._next_post_at[key] = at + self.channel_interval_seconds  # claimed before sleeping
            if at > now:
                await self._sleep(at - now)
            yield
