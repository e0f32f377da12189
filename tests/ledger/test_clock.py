"""The product reads one clock, the ledger's: with it pinned years away from today,
every time the database stores (created_at and the like included) is that clock's,
and the scheduler decides what is due by it alone. Both databases."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from bot.config import Settings
from bot.compose import build_runtime
from bot.scheduler import run_due_paydays
from ledger.clock import SYSTEM_CLOCK, FixedClock
from ledger.linking import (
    INVITE_TTL, LINK_TTL, create_invite, create_link_code, join_community, link_identity,
)
from ledger.money import Money
from ledger.notices import mark_sent, queue_notices, unsent_notices
from tests.dbs import stored_times

pytestmark = pytest.mark.clock  # CI runs these again at fixed moments (.ci/run)

UTC = dt.timezone.utc
TUESDAY = dt.datetime(2031, 3, 4, 8, 15, 7, tzinfo=UTC)  # far from any day the suite runs on
THURSDAY = dt.datetime(2031, 3, 6, 12, 0, 30, tzinfo=UTC)  # 30 s after the default payday time


def test_every_time_the_ledger_stores_comes_from_its_clock(ledger, clock):
    clock.set(TUESDAY)
    usd = lambda minor: Money(minor, "USD")  # noqa: E731
    with ledger.begin() as book:
        space = book.ensure_space("console", "town", community_name="town")
        alice = book.ensure_member(space, "alice", "alice")
        bob = book.ensure_member(space, "bob", "bob")
        book.set_receiving(bob.id, True)
        book.set_tip(alice.id, bob.id, usd(30))
        invite = create_invite(book, space.id, by_admin=True)
        code = create_link_code(book, alice.id, space.id)
        queue_notices(book, [(alice.id, "hello")], dedupe_prefix="test")
    ledger.credit(alice.id, usd(100), by_admin=True, key="credit-1")  # an idempotency record
    ledger.tip_once(alice.id, [(bob.id, usd(5))], key=None)
    assert invite.expires_at == TUESDAY + INVITE_TTL and code.expires_at == TUESDAY + LINK_TTL

    with ledger.begin() as book:
        guild = book.ensure_space("discord", "guild", community_name="guild")
        join_community(book, guild.id, invite.code, by_admin=True)
        assert link_identity(book, guild.id, "alice-on-discord", code.code).id == alice.id

    clock.set(THURSDAY)
    with ledger.begin() as book:
        [(notice_id, _member, _text)] = unsent_notices(book, space.community_id)
        assert mark_sent(book, notice_id)
    runtime = build_runtime(Settings(database_url=str(ledger.engine.url)), ledger=ledger, platforms={}, funding={})
    assert runtime.clock is clock
    runs = asyncio.run(run_due_paydays(runtime))  # no moment given: the runtime's clock says Thursday
    [run] = [r for r in runs if r.result.community_id == space.community_id]  # (and the guild's empty one)
    assert (run.result.status, run.result.week_start, run.result.stats["paid_minor"]) == (
        "ran", dt.date(2031, 3, 3), 30)

    times = stored_times(ledger.engine)
    expiring = {"link_codes.expires_at": {TUESDAY + INVITE_TTL, TUESDAY + LINK_TTL}}
    for column, values in times.items():
        assert values <= expiring.get(column, {TUESDAY, THURSDAY}), column
    for column in ("communities.created_at", "spaces.created_at", "members.created_at", "identities.created_at",
                   "operations.created_at", "transfers.created_at", "tips.ctime", "member_notices.sent_at",
                   "link_codes.used_at",
                   "paydays.started_at", "paydays.finished_at", "payday_stages.recorded_at",
                   "payday_rounds.recorded_at"):
        assert column in times, column


def test_a_link_code_expires_by_the_ledgers_clock(ledger, clock):
    with ledger.begin() as book:
        space = book.ensure_space("console", "town", community_name="town")
        alice = book.ensure_member(space, "alice", "alice")
        code = create_link_code(book, alice.id, space.id)
    clock.advance(LINK_TTL)
    with ledger.begin() as book:
        with pytest.raises(Exception, match="expired"):
            link_identity(book, space.id, "alice-again", code.code)


def test_clocks_are_utc_and_aware():
    assert SYSTEM_CLOCK.now().tzinfo is not None and SYSTEM_CLOCK.now().utcoffset() == dt.timedelta(0)
    local = dt.datetime(2031, 3, 30, 3, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert FixedClock(local).now() == dt.datetime(2031, 3, 30, 1, 0, tzinfo=UTC)
    with pytest.raises(ValueError):
        FixedClock(dt.datetime(2031, 3, 30, 1, 0))
