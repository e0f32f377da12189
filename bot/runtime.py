"""Runtime: what one Tipbot process shares, built once by the composition root
(bot/compose.py) from the settings: the ledger, the platforms, the funding adapters,
the command table, the web route providers and the body limits of their routes, the
payday claims, and the loop the scheduler runs on.

A plain container: nothing here builds anything or reads the environment.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.config import Settings
from bot.funding import FundingAdapter
from bot.metrics import Metrics
from bot.platform import PLAIN_TEXT, Platform
from bot.reply import Summary
from ledger.api import Ledger
from ledger.clock import Clock
from ledger.payday import deliveries
from ledger.payday.claims import PaydayClaims
from ledger.payday.processors import ProcessorFactory

if TYPE_CHECKING:
    from bot.app import TipBot
    from bot.handlers import CommandTable
    from ledger.records import Space

log = logging.getLogger(__name__)

RouteProvider = Callable[["Runtime"], list[Any]]


@dataclass(eq=False)
class Runtime:
    settings: Settings
    ledger: Ledger
    platforms: dict[str, Platform]
    funding: dict[str, FundingAdapter]
    commands: CommandTable
    route_providers: list[RouteProvider]
    # The largest request body by path prefix, as the adapters declared them for their
    # routes (bot/web.py; any other route gets `settings.max_body_bytes`).
    body_limits: dict[str, int]
    claims: PaydayClaims  # which due paydays this process works on (shared with other processes)
    metrics: Metrics  # this process's Prometheus metrics (bot/metrics.py), on a registry of its own
    bot: TipBot = field(init=False)  # set by the composition root (the bot needs the runtime)
    # The payday scheduler's event loop while it runs in this process (platform clients live
    # there); handler threads hand their async platform work to it.
    loop: asyncio.AbstractEventLoop | None = None

    def platform(self, name: str) -> Platform:
        """The platform called `name`; a plain text one when it does not run in this process."""
        return self.platforms.get(name, PLAIN_TEXT)

    @property
    def clock(self) -> Clock:
        """The process's one clock: the ledger's (see ledger/clock.py)."""
        return self.ledger.clock

    @property
    def processors(self) -> dict[str, ProcessorFactory]:
        """The payday processor of each funding mode this process can run (configured adapters)."""
        return {mode: adapter.processor for mode, adapter in self.funding.items() if adapter.configured()}

    def channel_poster(self, space: Space) -> tuple[Platform | None, str]:
        """The platform that can post to `space`'s summary channel, or None and why not."""
        platform = self.platforms.get(space.platform)
        if platform is None:
            return None, "failed: platform not running"
        if not space.summary_channel_id and platform.needs_summary_channel:
            return None, "no channel"
        return platform, ""

    async def deliver_summary(self, community_id: int, summary: Summary, *, resumed: bool = False) -> dict[str, str]:
        """Post `summary` to every space of the community that has a summary channel, once.

        A summary of a payday (`summary.payday_id`) is recorded per space as soon as the
        platform accepts it (ledger.payday.deliveries); spaces already recorded are skipped.
        `resumed`: this announcement takes over one a dead process began, so a space not
        recorded may still have the post (the process died between posting and recording):
        the platform is asked first (Platform.find_summary). A failing space is logged and
        reported, and never stops the others.
        Returns {space external id: "posted" | "already posted" | "no channel" | "failed: ..."}.
        """
        results: dict[str, str] = {}
        payday_id = summary.payday_id
        spaces = await asyncio.to_thread(self.ledger.read, lambda book: book.spaces_of(community_id))
        done = set() if payday_id is None else await asyncio.to_thread(
            self.ledger.read, lambda book: deliveries.delivered(book, payday_id, "summary"))
        for space in spaces:
            key = f"{space.platform}:{space.external_id}"
            if space.id in done:
                results[key] = "already posted"
                continue
            platform, unreachable = self.channel_poster(space)
            if platform is None:
                results[key] = unreachable
                continue
            try:
                found = resumed and payday_id is not None and await platform.find_summary(
                    self, space.external_id, space.summary_channel_id or "", summary)
                if not found:
                    await platform.post_summary(self, space.external_id, space.summary_channel_id or "", summary)
                if payday_id is not None:
                    await asyncio.to_thread(self.ledger.run, lambda book, s=space.id: deliveries.record(
                        book, payday_id, "summary", s, self.clock.now()))
                results[key] = "already posted" if found else "posted"
                self.metrics.summaries.labels(space.platform, "found" if found else "posted").inc()
            except Exception as error:  # one space failing must not stop the others
                log.exception("posting the payday summary to %s failed", key)
                results[key] = f"failed: {type(error).__name__}"
                self.metrics.summaries.labels(space.platform, "failed").inc()
        return results
