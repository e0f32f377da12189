"""Leaderboard periods follow the injected clock, not the wall clock: `week` starts on the
clock's Monday 00:00 UTC, and nothing after the clock's now counts."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.handlers.chat import period_start
from ledger.clock import FixedClock
from tests.adapters.console.support import Console

UTC = dt.timezone.utc
FAR_FUTURE = dt.datetime(2100, 6, 16, 10, 0, tzinfo=UTC)  # a Wednesday
LONG_AGO = dt.datetime(2001, 1, 1, tzinfo=UTC)


def test_periods_are_calendar_periods_of_the_clock() -> None:
    assert period_start("week", FAR_FUTURE) == dt.datetime(2100, 6, 14, tzinfo=UTC)  # Monday
    assert period_start("month", FAR_FUTURE) == dt.datetime(2100, 6, 1, tzinfo=UTC)
    assert period_start("year", FAR_FUTURE) == dt.datetime(2100, 1, 1, tzinfo=UTC)
    assert period_start("all", FAR_FUTURE) is None


def test_the_period_is_the_clocks(console: Console, clock: FixedClock) -> None:
    console.script("""
        treasurer: /tip admin credit @alice 5
        bob: /tip receive on
        bob: /tip profile public
        alice: /tip @bob 2 once
    """)
    clock.set(FAR_FUTURE)
    assert "no tips yet" in console.ok("bob: /tip top week").text
    assert "no tips yet" in console.ok("bob: /tip top year").text
    assert "1. bob: $2.00" in console.ok("bob: /tip top all").text
    clock.set(LONG_AGO)
    assert "no tips yet" in console.ok("bob: /tip top all").text  # not yet happened


@pytest.mark.parametrize("line", ["top week week", "top given received", "top 2024", "top all given extra"])
def test_bad_top_words_are_refused(console: Console, line: str) -> None:
    console.refused(f"bob: /tip {line}", "invalid", "Usage: `/tip top")
