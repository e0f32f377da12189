"""Reaction tips in the core (bot/reactions.py) on both databases, with a pinned clock: mapped and
unmapped emojis, own and bot messages, a replayed event, the daily cap, refusals for the reactor
only, and authors told in one batched message."""

from __future__ import annotations

import asyncio
import datetime as dt

from bot.compose import build_runtime
from bot.invocation import UserRef
from bot.reactions import BATCH, Reaction, handle_reaction, tell_reaction_authors
from ledger.clock import FixedClock
from tests.adapters.console.support import Console
from tests.bot.test_receipts import RecordingConsole

UTC = dt.timezone.utc
NOON = dt.datetime(2100, 6, 16, 12, 0, tzinfo=UTC)


def react(reactor: str, author: str, emoji: str = "taco", message: str = "C1:1", **kw) -> Reaction:
    return Reaction("console", "test", UserRef(reactor, reactor), UserRef(author, author), emoji, message, **kw)


def setup(console: Console, clock: FixedClock) -> tuple:
    console.script("""
        treasurer: /tip admin credit @alice 10
        treasurer: /tip admin reactions :taco: 1
        treasurer: /tip admin reactions 👍 0.25
        bob: /tip receive on
    """)
    platform = RecordingConsole()
    clock.set(NOON)
    runtime = build_runtime(console.runtime.settings, clock, ledger=console.runtime.ledger,
                            platforms={"console": platform})
    return runtime, platform


def test_a_mapped_reaction_tips_once_and_the_author_hears_once(console: Console, clock: FixedClock) -> None:
    runtime, platform = setup(console, clock)
    listed = console.ok("alice: /tip admin reactions").text
    assert ":taco: $1.00" in listed and "👍 $0.25" in listed and "does not refund" in listed

    assert handle_reaction(runtime, react("alice", "bob")) is None
    assert handle_reaction(runtime, react("alice", "bob")) is None  # the same event again: nothing moves
    assert handle_reaction(runtime, react("alice", "bob", "👍")) is None
    assert handle_reaction(runtime, react("alice", "bob", "taco", "C1:2")) is None
    assert handle_reaction(runtime, react("alice", "bob", "smile")) is None  # not mapped
    assert handle_reaction(runtime, react("alice", "alice")) is None  # own message
    assert handle_reaction(runtime, react("alice", "robot", author_is_bot=True)) is None
    assert console.balance("alice") == "7.75" and console.balance("bob") == "2.25"
    assert "one-off tip from alice (\"reaction :taco:\")" in console.ok("bob: /tip history").text

    assert asyncio.run(tell_reaction_authors(runtime, NOON + BATCH - dt.timedelta(seconds=1))) == 0
    assert platform.direct == []  # not yet: more reactions may come
    assert asyncio.run(tell_reaction_authors(runtime, NOON + BATCH)) == 1
    [(_, user, text)] = platform.direct
    assert user == "bob" and text.startswith("Your messages got 3 reactions that tipped you $2.25 in all (:taco: 👍)")
    assert asyncio.run(tell_reaction_authors(runtime, NOON + 2 * BATCH)) == 0  # told once
    assert console.runtime.ledger.read(lambda book: book.check()) == []


def test_refusals_go_to_the_reactor_and_change_nothing(console: Console, clock: FixedClock) -> None:
    runtime, _ = setup(console, clock)
    before = console.tables()
    refused = handle_reaction(runtime, react("alice", "carol"))  # carol does not receive
    assert refused is not None and not refused.ok and refused.code == "not_receiving"
    assert refused.text.startswith("Your :taco: reaction did not tip:")
    refused = handle_reaction(runtime, react("dave", "bob"))  # no balance
    assert refused is not None and refused.code == "insufficient_balance"
    console.ok("alice: /tip receive on")
    before = console.tables()
    for n in range(5):  # the default cap: 5.00 a day
        assert handle_reaction(runtime, react("alice", "bob", message=f"C1:{n}")) is None
    over = handle_reaction(runtime, react("alice", "bob", message="C1:99"))
    assert over is not None and over.code == "reaction_cap" and "$5.00" in over.text
    assert console.balance("alice") == "5.00"
    clock.set(NOON + dt.timedelta(days=1))  # a new UTC day
    assert handle_reaction(runtime, react("alice", "bob", message="C1:99")) is None
    assert console.balance("alice") == "4.00"
    console.ok("treasurer: /tip admin reactions cap 0")
    assert handle_reaction(runtime, react("alice", "bob", message="C1:100")).code == "reaction_cap"
    assert before != console.tables()


def test_admin_reactions_commands(console: Console) -> None:
    console.refused("bob: /tip admin reactions :taco: 1", "not_admin")
    console.ok("treasurer: /tip admin reactions :taco: 1")
    assert "it was $1.00" in console.ok("treasurer: /tip admin reactions :taco: 2").text
    console.refused("treasurer: /tip admin reactions taco 1", "invalid", "is not an emoji")
    console.refused("treasurer: /tip admin reactions :taco: -1", None, "negative")
    console.refused("treasurer: /tip admin reactions :taco: 1000", "over_limit")
    console.refused("treasurer: /tip admin reactions remove :nope:", "invalid", "does not tip anything")
    assert ":taco: no longer tips" in console.ok("treasurer: /tip admin reactions remove :taco:").text
    assert "No reaction tips here yet" in console.ok("bob: /tip admin reactions").text
