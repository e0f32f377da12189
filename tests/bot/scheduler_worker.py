"""One scheduler process for tests/bot/test_many_communities.py: `tipbot run`'s scheduler
loop (bot.scheduler.run_scheduler) with a recording platform, the clock pinned.

    python -m tests.bot.scheduler_worker URL NOW OUTDIR NAME [HANG_AT]

Appends each summary it posts to OUTDIR/NAME.posts (a line "COMMUNITY MARKER", flushed
before the next); the OUTDIR/*.posts files together are the channel, which `find_summary`
searches as Slack's conversations.history or Discord's channel history would be, starts when OUTDIR/go exists, stops when OUTDIR/stop exists. With
HANG_AT, the HANG_AT-th summary hangs before it is posted (OUTDIR/NAME.hung says so):
the test kills the process there."""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
from pathlib import Path

from bot.compose import build_runtime
from bot.config import Settings
from bot.platform import Platform
from bot.scheduler import run_scheduler
from ledger.api import Ledger
from ledger.clock import FixedClock


class FilePlatform(Platform):
    name = "console"

    def __init__(self, posts: Path, hung: Path, hang_at: int | None) -> None:
        self.channel = posts.parent
        self.file = posts.open("a", encoding="utf-8")
        self.hung = hung
        self.hang_at = hang_at
        self.count = 0

    async def post_summary(self, runtime, space_external_id, channel_id, summary) -> None:
        self.count += 1
        if self.count == self.hang_at:
            self.hung.touch()
            await asyncio.Event().wait()  # until killed
        self.file.write(f"{summary.community_name} {summary.marker}\n")
        self.file.flush()

    async def find_summary(self, runtime, space_external_id, channel_id, summary) -> bool:
        return any(f" {summary.marker}\n" in posts.read_text() for posts in self.channel.glob("*.posts"))

    async def send_direct(self, runtime, space_external_id, user_id, text) -> None:
        return None


async def main(url: str, now: dt.datetime, out: Path, name: str, hang_at: int | None) -> None:
    platform = FilePlatform(out / f"{name}.posts", out / f"{name}.hung", hang_at)
    settings = Settings(database_url=url, scheduler_retry_seconds=0.2, payday_concurrency=4)
    ledger = Ledger.connect(url, upgrade=False, clock=FixedClock(now))  # the ledger's clock, pinned
    runtime = build_runtime(settings, ledger=ledger, platforms={"console": platform}, funding={})
    runtime.ledger.ping()
    while not (out / "go").exists():
        await asyncio.sleep(0.01)
    stop = asyncio.Event()

    async def watch() -> None:
        while not (out / "stop").exists():
            await asyncio.sleep(0.05)
        stop.set()

    watcher = asyncio.create_task(watch())
    await run_scheduler(runtime, stop)
    await watcher


if __name__ == "__main__":
    url, now, out, name = sys.argv[1:5]
    hang = int(sys.argv[5]) if len(sys.argv) > 5 else None
    asyncio.run(main(url, dt.datetime.fromisoformat(now), Path(out), name, hang))
