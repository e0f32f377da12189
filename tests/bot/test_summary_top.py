"""The weekly summary's top receivers (bot/summary_top.py): at most three, public profiles only,
amounts or counts as the community's leaderboards show, only the payday's week, and never a
tipper's name (an anonymous tip stays anonymous)."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.summary import build_summary
from ledger.clock import FixedClock
from ledger.payday.engine import run_payday
from tests.adapters.console.support import Console
from tests.ledger.payday_helpers import WEEK
from tests.moments import PINNED


def tipped_week(console: Console, clock: FixedClock) -> int:
    """frank (private) received most; bob (anonymously), carol, dave and erin (all public) less.
    Returns the community id."""
    console.script("""
        treasurer: /tip admin credit @alice 30
        alice: /tip profile public
        bob: /tip receive on
        carol: /tip receive on
        dave: /tip receive on
        erin: /tip receive on
        frank: /tip receive on
        bob: /tip profile public
        carol: /tip profile public
        dave: /tip profile public
        erin: /tip profile public
    """)
    clock.set(dt.datetime.combine(WEEK, dt.time(12), tzinfo=dt.timezone.utc) - dt.timedelta(days=2))
    console.ok("alice: /tip @erin 8 once")  # last week's: not in this week's summary
    clock.set(PINNED)
    console.script("""
        alice: /tip @frank 9 once
        alice: /tip @bob 4 once anonymous
        alice: /tip @carol 3 once
        alice: /tip @dave 1 once
        alice: /tip @dave 1 once
        alice: /tip @erin 1 once
    """)
    return console.runtime.ledger.read(lambda book: book.community_by_name("test")).id


@pytest.mark.clock  # also run at fixed moments (.ci/run)
def test_the_summary_names_the_weeks_top_three_public_receivers(console: Console, clock: FixedClock) -> None:
    community_id = tipped_week(console, clock)
    result = run_payday(console.runtime.ledger, community_id, WEEK)

    text = build_summary(console.runtime, result).text
    assert text.splitlines()[-1] == "Top receivers this week: bob ($4.00), carol ($3.00), dave ($2.00)."
    assert "frank" not in text and "erin" not in text  # private; fourth this week
    assert "alice" not in text  # the tipper: never named, least of all for bob's anonymous tip

    console.ok("treasurer: /tip admin top counts")
    text = build_summary(console.runtime, result).text
    assert text.splitlines()[-1] == "Top receivers this week: dave (2 tips), bob (1 tip), carol (1 tip)."


@pytest.mark.clock
def test_no_public_receiver_no_line(console: Console) -> None:
    console.script("""
        treasurer: /tip admin credit @alice 5
        bob: /tip receive on
        alice: /tip @bob 2 once
    """)
    community_id = console.runtime.ledger.read(lambda book: book.community_by_name("test")).id
    text = build_summary(console.runtime, run_payday(console.runtime.ledger, community_id, WEEK)).text
    assert "Top receivers" not in text and "bob" not in text
