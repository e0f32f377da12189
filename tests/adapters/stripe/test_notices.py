"""Decline notices reach the tipper: queued in the outbox by the payday, sent once
by the payday announcement, never lost to a crash between the two."""

from __future__ import annotations

import asyncio

from bot.platform import Platform
from bot.compose import build_runtime
from bot.runtime import Runtime
from bot.summary import Announcement, deliver_notices
from ledger.notices import unsent_notices
from tests.adapters.stripe.helpers import StripeTown


class RecordingConsole(Platform):
    """The console space's platform, able to send direct messages (recorded)."""

    name = "console"

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str]] = []

    async def send_direct(self, runtime, space_external_id: str, user_id: str, text: str) -> None:
        self.sent.append((space_external_id, user_id, text))


def test_a_decline_is_queued_once_and_delivered_once(ledger, client, config, fake, runtime):
    town = StripeTown(ledger, client, config, fake)
    town.card("carol", "pm_card_chargeCustomerFail")
    town.recipient("bob")
    town.tip("carol", "bob", 1000)

    town.payday(0)
    town.payday(0)  # the same week again: already ran, nothing new queued
    community_id = town.community_id
    queued = ledger.read(lambda book: unsent_notices(book, community_id))
    assert [(member, "/tip fund" in text) for _, member, text in queued] == [(town.ids["carol"], True)]

    console = RecordingConsole()
    sender = build_runtime(runtime.settings, ledger=ledger, platforms={"console": console})
    first, second = Announcement(None), Announcement(None)
    asyncio.run(deliver_notices(sender, community_id, first))
    asyncio.run(deliver_notices(sender, community_id, second))

    assert first.notified == 1 and second.notified == 0
    [(space, user, text)] = console.sent
    assert user == "carol" and "/tip fund" in text
    assert ledger.read(lambda book: unsent_notices(book, community_id)) == []
