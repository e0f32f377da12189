"""An announcement taken over after its process died delivers nothing twice
(bot.summary.announce, ledger.payday.deliveries): the summary of each space once, even when
the process died between posting and recording it, and each direct message at most once."""

from __future__ import annotations

import asyncio

import pytest

from bot.compose import build_runtime
from bot.platform import Platform
from bot.runtime import Runtime
from bot.summary import announce
from ledger.payday.deliveries import delivered
from ledger.payday.engine import run_payday
from tests.adapters.console.support import Console
from tests.bot.test_receipts import payday_town
from tests.ledger.payday_helpers import WEEK


class Died(BaseException):
    """Stands for kill -9: nothing after it runs, no handler sees it."""


class Channel(Platform):
    """A platform whose summaries land in `posts` (shared, as a real channel is); it can
    die right after the platform accepted its `die_after_posts`-th summary, or before its
    `die_at_direct`-th direct message."""

    name = "console"

    def __init__(self, posts: list[str], die_after_posts: int = 0, die_at_direct: int = 0) -> None:
        self.posts = posts
        self.direct: list[str] = []
        self.die_after_posts = die_after_posts
        self.die_at_direct = die_at_direct
        self.asked: list[str] = []

    async def post_summary(self, runtime, space_external_id, channel_id, summary) -> None:
        self.posts.append(summary.marker)
        if len(self.posts) == self.die_after_posts:
            raise Died

    async def find_summary(self, runtime, space_external_id, channel_id, summary) -> bool:
        self.asked.append(summary.marker)
        return summary.marker in self.posts

    async def send_direct(self, runtime, space_external_id, user_id, text) -> None:
        if len(self.direct) + 1 == self.die_at_direct:
            raise Died
        self.direct.append(user_id)


def runtime_with(console: Console, platform: Platform) -> Runtime:
    return build_runtime(console.runtime.settings, ledger=console.runtime.ledger, platforms={"console": platform})


def test_a_process_dying_between_posting_and_recording_is_taken_over_without_a_second_post(console: Console) -> None:
    community_id = payday_town(console)
    result = run_payday(console.runtime.ledger, community_id, WEEK)
    channel: list[str] = []
    dying = Channel(channel, die_after_posts=1)

    with pytest.raises(Died):
        asyncio.run(announce(runtime_with(console, dying), result))
    assert channel == [f"Tipbot payday #{result.payday_id}"]

    taker = Channel(channel)
    outcome = asyncio.run(announce(runtime_with(console, taker), result, takeover=True))

    assert outcome.delivered == {"console:test": "already posted"} and taker.asked == channel
    assert channel == [f"Tipbot payday #{result.payday_id}"]  # still once
    # nobody was told anything yet: david (his unfunded tip), then the receipts of homer and david
    assert taker.direct == ["david", "homer", "david"] and outcome.notified == 1 and outcome.receipts == 2
    again = asyncio.run(announce(runtime_with(console, Channel(channel)), result, takeover=True))
    assert again.skipped is not None  # announced: nothing more


def test_a_process_dying_mid_receipts_is_taken_over_and_no_message_goes_twice(console: Console) -> None:
    community_id = payday_town(console)
    result = run_payday(console.runtime.ledger, community_id, WEEK)
    assert result.payday_id is not None
    payday_id = result.payday_id
    channel: list[str] = []
    dying = Channel(channel, die_at_direct=2)  # david's unfunded-tip notice goes; it dies at the first receipt

    with pytest.raises(Died):
        asyncio.run(announce(runtime_with(console, dying), result))
    assert len(channel) == 1 and dying.direct == ["david"]
    assert len(console.runtime.ledger.read(lambda book: delivered(book, payday_id, "unfunded"))) == 1
    assert len(console.runtime.ledger.read(lambda book: delivered(book, payday_id, "receipt"))) == 1  # claimed

    taker = Channel(channel)
    outcome = asyncio.run(announce(runtime_with(console, taker), result, takeover=True))

    assert outcome.delivered == {"console:test": "already posted"} and taker.asked == []  # recorded: not asked
    assert len(channel) == 1
    # the notice is not sent again, nor the receipt the dead process claimed (at most once); the other goes
    assert len(taker.direct) == 1 and outcome.notified == 0 and outcome.receipts == 1
    assert outcome.receipts_unsent == []


def test_a_failed_direct_message_gives_its_claim_back_for_a_later_attempt(console: Console) -> None:
    community_id = payday_town(console)
    result = run_payday(console.runtime.ledger, community_id, WEEK)
    assert result.payday_id is not None
    payday_id = result.payday_id

    class Refusing(Channel):
        async def send_direct(self, runtime, space_external_id, user_id, text) -> None:
            raise ConnectionError("the platform is down")

    outcome = asyncio.run(announce(runtime_with(console, Refusing([])), result))

    assert sorted(outcome.receipts_unsent) == ["david", "homer"]
    assert console.runtime.ledger.read(lambda book: delivered(book, payday_id, "receipt")) == set()
    assert console.runtime.ledger.read(lambda book: delivered(book, payday_id, "summary")) != set()
