"""Runtime: the objects one Tipbot process shares (settings, ledger, bot, platforms)."""

from __future__ import annotations

import logging
from functools import cached_property
from typing import TYPE_CHECKING

from bot.config import Settings
from bot.platform import Platform, discover
from bot.reply import Summary
from ledger.api import Ledger
from ledger.clock import Clock

if TYPE_CHECKING:
    from bot.app import TipBot

log = logging.getLogger(__name__)


class Runtime:
    def __init__(self, settings: Settings | None = None, *, ledger: Ledger | None = None,
                 platforms: dict[str, Platform] | None = None, clock: Clock | None = None) -> None:
        if ledger is not None and clock is not None and ledger.clock is not clock:
            raise ValueError("a Runtime reads its ledger's clock: build the Ledger with this clock")
        self.settings = settings or Settings()
        self._ledger = ledger
        self._platforms = platforms
        self._clock = clock

    @cached_property
    def ledger(self) -> Ledger:
        return self._ledger or Ledger.connect(self.settings.database_url, clock=self._clock)

    @property
    def clock(self) -> Clock:
        """The process's one clock: the ledger's (see ledger/clock.py)."""
        return self._clock or self.ledger.clock

    @cached_property
    def platforms(self) -> dict[str, Platform]:
        return self._platforms if self._platforms is not None else discover()

    @cached_property
    def bot(self) -> TipBot:
        from bot.app import TipBot

        return TipBot(self)

    async def deliver_summary(self, community_id: int, summary: Summary) -> dict[str, str]:
        """Post `summary` to every space of the community that has a summary channel.

        A failing space is logged and reported, and never stops the others.
        Returns {space external id: "posted" | "no channel" | "failed: ..."}.
        """
        results: dict[str, str] = {}
        spaces = self.ledger.read(lambda book: book.spaces_of(community_id))
        for space in spaces:
            key = f"{space.platform}:{space.external_id}"
            platform = self.platforms.get(space.platform)
            if platform is None:
                results[key] = "failed: platform not running"
                continue
            if not space.summary_channel_id and space.platform != "console":
                results[key] = "no channel"
                continue
            try:
                await platform.post_summary(self, space.external_id, space.summary_channel_id or "", summary)
                results[key] = "posted"
            except Exception as error:  # one space failing must not stop the others
                log.exception("posting the payday summary to %s failed", key)
                results[key] = f"failed: {type(error).__name__}"
        return results
