"""The ledger API on real SQL, on SQLite and (with TIPBOT_TEST_DATABASE_URL) PostgreSQL.

Every call does what it says; every refusal is a typed error with a message a member
can act on and leaves every table exactly as it was (compared row by row with
tests.dbs.dump_tables); a repeated idempotency key returns the first outcome and
writes nothing, even when the request would now be refused.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa

from ledger.api import Ledger
from ledger.book import Book
from ledger.check import check_ledger
from ledger.errors import (
    InsufficientBalance, InvalidRequest, MalformedAmount, NotAdmin, NotReceiving, OverLimit, Refusal, SelfTip,
    UnknownMember, WrongFundingMode,
)
from ledger.models import accounts, communities, identities, members, operations, tips, transfers
from ledger.money import Money, parse_money
from ledger.records import Community, Member, Space
from tests.dbs import dump_tables


def usd(text: str) -> Money:
    return parse_money(text, "USD")


@dataclass
class World:
    """A community 'demo' (USD) on the console with alice ($50.00), bob and carol
    receiving, dave not receiving; and a community 'other' with erin."""

    ledger: Ledger
    space: Space
    community: Community
    alice: Member
    bob: Member
    carol: Member
    dave: Member
    erin: Member

    def balance(self, member: Member) -> int:
        return self.ledger.read(lambda b: b.balance(member.id)).amount_minor

    def run(self, op: Callable[[Book], Any], key: str | None = None):
        return self.ledger.run(op, key=key)


@pytest.fixture
def world(ledger: Ledger) -> World:
    with ledger.begin() as book:
        space = book.ensure_space("console", "local", name="Console", community_name="demo")
        people = {name: book.ensure_member(space, f"U-{name}", name) for name in ("alice", "bob", "carol", "dave")}
        for name in ("bob", "carol"):
            book.set_receiving(people[name].id, True)
        other_space = book.ensure_space("slack", "T-other", community_name="other")
        erin = book.ensure_member(other_space, "U-erin", "erin")
        book.set_receiving(erin.id, True)
        community = book.community(space.community_id)
    ledger.credit(people["alice"].id, usd("50"), by_admin=True, key="seed:alice")
    ledger.credit(erin.id, usd("5"), by_admin=True, key="seed:erin")
    people = {name: ledger.read(lambda b, m=m: b.member(m.id)) for name, m in people.items()}
    return World(ledger, space, community, erin=ledger.read(lambda b: b.member(erin.id)), **people)


def assert_refused(ledger: Ledger, error: type[Refusal], op: Callable[[Book], Any], *, key: str | None = None,
                   says: str | None = None) -> Refusal:
    """`op` is refused with `error` (a message saying `says`) and no table changed."""
    before = dump_tables(ledger.engine)
    with pytest.raises(error, match=says) as refusal:
        ledger.run(op, key=key)
    assert refusal.value.message and refusal.value.code != Refusal.code
    assert dump_tables(ledger.engine) == before
    return refusal.value


def rows(ledger: Ledger, table: sa.Table, *where) -> list:
    with ledger.engine.connect() as connection:
        return list(connection.execute(sa.select(table).where(*where).order_by(table.c.id)))


def assert_books_balance(ledger: Ledger) -> None:
    with ledger.engine.connect() as connection:
        assert check_ledger(connection) == []


# Directory: communities, spaces, members

def test_space_with_members_reads_the_space_its_community_and_known_members_at_once(world: World) -> None:
    found = world.ledger.read(lambda b: b.space_with_members("console", "local", ["U-alice", "U-bob", "U-nobody"]))
    assert found is not None
    space, community, known = found
    assert (space, community) == (world.space, world.community)
    assert known == {"U-alice": world.alice, "U-bob": world.bob}
    assert world.ledger.read(lambda b: b.space_with_members("console", "local", []))[2] == {}
    assert world.ledger.read(lambda b: b.space_with_members("console", "elsewhere", ["U-alice"])) is None


def test_ensure_community_creates_once_with_defaults_and_a_manual_account(ledger: Ledger) -> None:
    first = ledger.run(lambda b: b.ensure_community("pyramid", "EUR")).value
    again = ledger.run(lambda b: b.ensure_community("pyramid", "EUR")).value
    assert first == again
    assert (first.currency, first.funding_mode, first.max_weekly_minor, first.max_once_minor) == (
        "EUR", "manual", 10000, 10000)
    outside = rows(ledger, accounts, accounts.c.community_id == first.id)
    assert [(a.kind, a.currency, a.balance_minor) for a in outside] == [("manual", "EUR", 0)]
    assert ledger.read(lambda b: b.community_by_name("pyramid")) == first
    assert ledger.read(lambda b: b.community_by_name("nope")) is None
    assert [c.name for c in ledger.read(lambda b: b.all_communities())] == ["pyramid"]


def test_ensure_community_refuses_an_unknown_currency(ledger: Ledger) -> None:
    assert_refused(ledger, MalformedAmount, lambda b: b.ensure_community("x", "XYZ"), says="XYZ")


def test_ensure_space_gives_a_new_space_its_own_community_and_can_join_one(ledger: Ledger) -> None:
    slack = ledger.run(lambda b: b.ensure_space("slack", "T1", name="Plone")).value
    assert ledger.run(lambda b: b.ensure_space("slack", "T1")).value == slack
    community = ledger.read(lambda b: b.community(slack.community_id))
    assert community.name == "slack:T1"
    discord = ledger.run(lambda b: b.ensure_space("discord", "G1", community_name="slack:T1")).value
    assert discord.community_id == slack.community_id and discord.id != slack.id
    assert ledger.read(lambda b: b.spaces_of(community.id)) == [slack, discord]
    assert ledger.read(lambda b: b.space("slack", "T1")) == slack
    assert ledger.read(lambda b: b.space("slack", "T2")) is None


def test_ensure_member_is_get_or_create_by_platform_identity(ledger: Ledger) -> None:
    space = ledger.run(lambda b: b.ensure_space("console", "local")).value
    alice = ledger.run(lambda b: b.ensure_member(space, "U1", "alice")).value
    assert ledger.run(lambda b: b.ensure_member(space, "U1", "renamed")).value == alice
    bob = ledger.run(lambda b: b.ensure_member(space, "U2")).value
    assert (alice.display_name, alice.receiving, alice.community_id) == ("alice", False, space.community_id)
    assert bob.display_name == "U2" and bob.id != alice.id
    other = ledger.run(lambda b: b.ensure_space("slack", "T9")).value
    elsewhere = ledger.run(lambda b: b.ensure_member(other, "U1", "alice")).value
    assert elsewhere.id not in (alice.id, bob.id) and elsewhere.community_id == other.community_id
    # Member id == account id: an empty member account in the community's currency.
    account = rows(ledger, accounts, accounts.c.id == alice.id)[0]
    assert (account.kind, account.balance_minor, account.currency, account.community_id) == (
        "member", 0, "USD", space.community_id)
    assert len(rows(ledger, identities, identities.c.member_id == alice.id)) == 1
    assert ledger.read(lambda b: b.find_member(space, "U1")) == alice
    assert ledger.read(lambda b: b.find_member(space, "U404")) is None
    assert ledger.read(lambda b: b.find_member_by_name(space.community_id, "alice")) == alice
    assert ledger.read(lambda b: b.identities_of(alice.id)) == [(space, "U1")]
    assert ledger.read(lambda b: b.balance(alice.id)) == Money(0, "USD")


def test_unknown_members_are_refused_everywhere(world: World) -> None:
    missing = 987654
    for op in (lambda b: b.member(missing), lambda b: b.balance(missing), lambda b: b.history(missing),
               lambda b: b.tips_given(missing), lambda b: b.tips_received(missing),
               lambda b: b.set_receiving(missing, True),
               lambda b: b.credit(missing, usd("1"), by_admin=True)):
        assert_refused(world.ledger, UnknownMember, op, says="not part of this community")


def test_outside_accounts_are_not_members(world: World) -> None:
    outside = world.ledger.run(lambda b: b.outside_account(world.community, "manual")).value
    assert_refused(world.ledger, UnknownMember, lambda b: b.balance(outside))
    assert_refused(world.ledger, UnknownMember, lambda b: b.tip_once(world.alice.id, [(outside, usd("1"))]))


# Receiving

def test_set_receiving_opts_in_and_out_and_says_whether_it_changed(world: World) -> None:
    ledger, dave = world.ledger, world.dave
    assert ledger.set_receiving(dave.id, True).value is True
    assert ledger.set_receiving(dave.id, True).value is False
    assert ledger.read(lambda b: b.member(dave.id)).receiving is True
    assert ledger.set_receiving(dave.id, False).value is True
    assert ledger.read(lambda b: b.member(dave.id)).receiving is False


# Weekly tips

def test_set_tip_appends_versions_keeps_ctime_and_zero_ends_it(world: World) -> None:
    ledger, alice, bob = world.ledger, world.alice, world.bob
    t0 = dt.datetime(2026, 1, 1, 12, tzinfo=dt.timezone.utc)
    t1, t2, t3 = (t0 + dt.timedelta(days=d) for d in (1, 2, 3))
    first = ledger.run(lambda b: b.set_tip(alice.id, bob.id, usd("1"), note="thanks", now=t0)).value
    assert (first.old_weekly_minor, first.new_weekly_minor, first.pledge, first.unchanged) == (0, 100, False, False)
    raised = ledger.run(lambda b: b.set_tip(alice.id, bob.id, usd("2.50"), now=t1)).value
    assert (raised.old_weekly_minor, raised.new_weekly_minor) == (100, 250)
    same = ledger.run(lambda b: b.set_tip(alice.id, bob.id, usd("2.5"), now=t2)).value
    assert same.unchanged
    versions = rows(ledger, tips, tips.c.tipper_id == alice.id)
    assert [(v.weekly_amount_minor, v.ctime, v.mtime, v.note) for v in versions] == [
        (100, t0, t0, "thanks"), (250, t0, t1, None)]  # ctime kept, nothing rewritten
    given = ledger.read(lambda b: b.tips_given(alice.id))
    assert [(t.other_id, t.other_name, t.weekly_amount_minor, t.ctime, t.pledge) for t in given] == [
        (bob.id, "bob", 250, t0, False)]
    received = ledger.read(lambda b: b.tips_received(bob.id))
    assert [(t.other_id, t.other_name, t.weekly_amount_minor) for t in received] == [(alice.id, "alice", 250)]

    ended = ledger.run(lambda b: b.set_tip(alice.id, bob.id, usd("0"), now=t2)).value
    assert (ended.old_weekly_minor, ended.new_weekly_minor) == (250, 0)
    assert ledger.read(lambda b: b.tips_given(alice.id)) == []
    assert ledger.read(lambda b: b.tips_received(bob.id)) == []
    assert_refused(ledger, InvalidRequest, lambda b: b.set_tip(alice.id, bob.id, usd("0")), says="no weekly tip")

    ledger.run(lambda b: b.set_tip(alice.id, bob.id, usd("3"), now=t3))
    versions = rows(ledger, tips, tips.c.tipper_id == alice.id)
    assert [(v.weekly_amount_minor, v.ctime) for v in versions] == [(100, t0), (250, t0), (0, t0), (300, t3)]
    assert [v.is_current for v in versions] == [False, False, False, True]  # only the newest counts
    assert rows(ledger, transfers, transfers.c.kind == "tip") == []  # weekly tips move money only at payday


def test_the_schema_allows_one_current_version_per_pair(world: World) -> None:
    ledger, alice, bob = world.ledger, world.alice, world.bob
    ledger.run(lambda b: b.set_tip(alice.id, bob.id, usd("1")))
    now = ledger.clock.now()
    second = dict(community_id=world.community.id, tipper_id=alice.id, tippee_id=bob.id, weekly_amount_minor=200,
                  ctime=now, mtime=now, is_current=True)
    with pytest.raises(sa.exc.IntegrityError):
        with ledger.engine.begin() as connection:
            connection.execute(tips.insert().values(**second))
    with ledger.engine.begin() as connection:  # an old version beside it is fine
        connection.execute(tips.insert().values(**{**second, "is_current": False}))
    assert ledger.read(lambda b: b.current_tip(alice.id, bob.id)).weekly_amount_minor == 100


def test_a_weekly_tip_to_a_member_not_receiving_is_a_pledge_announced_once(world: World) -> None:
    ledger, dave = world.ledger, world.dave
    first = ledger.run(lambda b: b.set_tip(world.alice.id, dave.id, usd("1"))).value
    assert first.pledge and first.notify_pledge
    raised = ledger.run(lambda b: b.set_tip(world.alice.id, dave.id, usd("2"))).value
    assert raised.pledge and not raised.notify_pledge
    second_tipper = ledger.run(lambda b: b.set_tip(world.bob.id, dave.id, usd("1"))).value
    assert second_tipper.pledge and not second_tipper.notify_pledge
    assert [t.pledge for t in ledger.read(lambda b: b.tips_given(world.alice.id))] == [True]
    assert [t.pledge for t in ledger.read(lambda b: b.tips_received(dave.id))] == [True, True]
    ledger.set_receiving(dave.id, True)
    assert [t.pledge for t in ledger.read(lambda b: b.tips_received(dave.id))] == [False, False]


def test_weekly_tip_refusals_change_nothing(world: World) -> None:
    ledger, alice, bob = world.ledger, world.alice, world.bob
    ledger.run(lambda b: b.set_tip(alice.id, bob.id, usd("1")))
    assert_refused(ledger, SelfTip, lambda b: b.set_tip(alice.id, alice.id, usd("1")), says="yourself")
    assert_refused(ledger, OverLimit, lambda b: b.set_tip(alice.id, bob.id, usd("100.01")), says=r"\$100.00")
    assert_refused(ledger, UnknownMember, lambda b: b.set_tip(alice.id, 424242, usd("1")))
    assert_refused(ledger, UnknownMember, lambda b: b.set_tip(424242, bob.id, usd("1")))
    assert_refused(ledger, UnknownMember, lambda b: b.set_tip(alice.id, world.erin.id, usd("1")),
                   says="not part of this community")
    assert_refused(ledger, InvalidRequest, lambda b: b.set_tip(alice.id, bob.id, Money(100, "EUR")), says="USD")
    assert_refused(ledger, InvalidRequest, lambda b: b.set_tip(alice.id, bob.id, Money(-100, "USD")))
    for typed in ("1e3", "NaN", "-1", "1,5", "0x10", "1.005"):
        assert_refused(ledger, MalformedAmount, lambda b, t=typed: b.set_tip(alice.id, bob.id, usd(t)))
    assert ledger.read(lambda b: b.set_tip(alice.id, bob.id, usd("100"))).new_weekly_minor == 10000  # the limit itself


# One-off tips

def test_a_one_off_tip_moves_money_now(world: World) -> None:
    ledger, alice, bob = world.ledger, world.alice, world.bob
    result = ledger.tip_once(alice.id, [(bob.id, usd("12.50"))], key="once:1", note="  great   talk ").value
    assert result["total_minor"] == 1250 and result["currency"] == "USD" and result["recipients"] == ["bob"]
    assert (world.balance(alice), world.balance(bob)) == (3750, 1250)
    (transfer,) = rows(ledger, transfers, transfers.c.kind == "once")
    assert transfer.id == result["transfer_ids"][0]
    assert (transfer.from_account_id, transfer.to_account_id, transfer.amount_minor, transfer.note,
            transfer.payday_id) == (alice.id, bob.id, 1250, "great talk", None)
    assert_books_balance(ledger)


def test_a_one_off_tip_to_several_members_is_all_or_nothing(world: World) -> None:
    ledger, alice, bob, carol, dave = world.ledger, world.alice, world.bob, world.carol, world.dave
    result = ledger.tip_once(alice.id, [(bob.id, usd("10")), (carol.id, usd("15"))], key="once:both").value
    assert result["total_minor"] == 2500 and result["recipients"] == ["bob", "carol"]
    assert len(result["transfer_ids"]) == 2
    assert (world.balance(alice), world.balance(bob), world.balance(carol)) == (2500, 1000, 1500)
    # Each gift alone fits the balance (25.00), together they don't: nothing moves.
    assert_refused(ledger, InsufficientBalance,
                   lambda b: b.tip_once(alice.id, [(bob.id, usd("20")), (carol.id, usd("20"))]),
                   says=r"needs \$40.00 and the balance is \$25.00")
    # One recipient can't receive: the others get nothing either.
    assert_refused(ledger, NotReceiving, lambda b: b.tip_once(alice.id, [(bob.id, usd("1")), (dave.id, usd("1"))]),
                   says="dave has not opted in")
    assert_refused(ledger, InvalidRequest, lambda b: b.tip_once(alice.id, [(bob.id, usd("1")), (bob.id, usd("1"))]),
                   says="only once")
    assert_refused(ledger, UnknownMember,
                   lambda b: b.tip_once(alice.id, [(bob.id, usd("1")), (world.erin.id, usd("1"))]))
    assert_refused(ledger, OverLimit, lambda b: b.tip_once(alice.id, [(bob.id, usd("1")), (carol.id, usd("100.01"))]))
    assert_books_balance(ledger)


def test_one_off_tip_refusals_change_nothing(world: World) -> None:
    ledger, alice, bob, carol = world.ledger, world.alice, world.bob, world.carol
    assert_refused(ledger, InsufficientBalance, lambda b: b.tip_once(alice.id, [(bob.id, usd("50.01"))]),
                   says="Not enough balance")
    assert_refused(ledger, InsufficientBalance, lambda b: b.tip_once(bob.id, [(carol.id, usd("0.01"))]),
                   says=r"balance is \$0.00")
    assert_refused(ledger, NotReceiving, lambda b: b.tip_once(alice.id, [(world.dave.id, usd("1"))]),
                   says="weekly tip waits as a pledge")
    assert_refused(ledger, SelfTip, lambda b: b.tip_once(alice.id, [(alice.id, usd("1"))]))
    ledger.set_receiving(alice.id, True)
    assert_refused(ledger, SelfTip, lambda b: b.tip_once(alice.id, [(alice.id, usd("1"))]))
    assert_refused(ledger, OverLimit, lambda b: b.tip_once(alice.id, [(bob.id, usd("100.01"))]))
    assert_refused(ledger, UnknownMember, lambda b: b.tip_once(alice.id, [(31337, usd("1"))]))
    assert_refused(ledger, UnknownMember, lambda b: b.tip_once(31337, [(bob.id, usd("1"))]), says="not a member")
    assert_refused(ledger, UnknownMember, lambda b: b.tip_once(alice.id, [(world.erin.id, usd("1"))]))
    assert_refused(ledger, UnknownMember, lambda b: b.tip_once(world.erin.id, [(bob.id, usd("1"))]))
    assert_refused(ledger, InvalidRequest, lambda b: b.tip_once(alice.id, [(bob.id, Money(0, "USD"))]))
    assert_refused(ledger, InvalidRequest, lambda b: b.tip_once(alice.id, [(bob.id, Money(100, "EUR"))]))
    assert_refused(ledger, InvalidRequest, lambda b: b.tip_once(alice.id, []))
    assert_refused(ledger, MalformedAmount, lambda b: b.tip_once(alice.id, [(bob.id, usd("1e3"))]))
    many = [(bob.id, usd("0.01"))] * 26
    assert_refused(ledger, InvalidRequest, lambda b: b.tip_once(alice.id, many), says="at most 25")
    # The exact balance and the exact limit are fine.
    ledger.run(lambda b: b.set_limits(world.community.id, max_weekly=None, max_once=usd("50"), by_admin=True))
    ledger.tip_once(alice.id, [(bob.id, usd("50"))], key=None)
    assert (world.balance(alice), world.balance(bob)) == (0, 5000)


# Manual credit and debit

def test_admins_credit_and_debit_against_the_outside_account(world: World) -> None:
    ledger, bob = world.ledger, world.bob
    credited = ledger.credit(bob.id, usd("20"), by_admin=True, key="credit:bob", note="dues").value
    assert credited["balance_minor"] == 2000 and credited["member"] == "bob" and credited["amount_minor"] == 2000
    debited = ledger.debit(bob.id, usd("7.25"), by_admin=True, key="debit:bob").value
    assert debited["balance_minor"] == 1275
    outside = ledger.run(lambda b: b.outside_account(world.community, "manual")).value
    assert ledger.read(lambda b: b.conn.execute(
        sa.select(accounts.c.balance_minor).where(accounts.c.id == outside)).scalar_one()) == -(5000 + 2000 - 725)
    kinds = [(t.kind, t.from_account_id, t.to_account_id, t.amount_minor) for t in
             rows(ledger, transfers, sa.or_(transfers.c.from_account_id == bob.id, transfers.c.to_account_id == bob.id))]
    assert kinds == [("credit", outside, bob.id, 2000), ("debit", bob.id, outside, 725)]
    assert_books_balance(ledger)


def test_credit_and_debit_refusals_change_nothing(world: World) -> None:
    ledger, bob = world.ledger, world.bob
    assert_refused(ledger, NotAdmin, lambda b: b.credit(bob.id, usd("1"), by_admin=False), says="Only an admin")
    assert_refused(ledger, NotAdmin, lambda b: b.debit(world.alice.id, usd("1"), by_admin=False))
    assert_refused(ledger, InsufficientBalance, lambda b: b.debit(world.alice.id, usd("50.01"), by_admin=True))
    assert_refused(ledger, InvalidRequest, lambda b: b.credit(bob.id, usd("0"), by_admin=True))
    assert_refused(ledger, InvalidRequest, lambda b: b.credit(bob.id, Money(1, "JPY"), by_admin=True))
    assert_refused(ledger, MalformedAmount, lambda b: b.credit(bob.id, usd("NaN"), by_admin=True))
    ledger.run(lambda b: b.set_funding_mode(world.community.id, "stripe", by_admin=True))
    assert_refused(ledger, WrongFundingMode, lambda b: b.credit(bob.id, usd("1"), by_admin=True), says="Stripe")
    assert_refused(ledger, WrongFundingMode, lambda b: b.debit(world.alice.id, usd("1"), by_admin=True))


# Community settings

def test_set_limits_is_for_admins_and_applies_at_once(world: World) -> None:
    ledger, cid = world.ledger, world.community.id
    assert_refused(ledger, NotAdmin, lambda b: b.set_limits(cid, max_weekly=usd("5"), max_once=None, by_admin=False))
    assert_refused(ledger, InvalidRequest, lambda b: b.set_limits(cid, max_weekly=usd("0"), max_once=None,
                                                                   by_admin=True), says="more than zero")
    assert_refused(ledger, InvalidRequest, lambda b: b.set_limits(cid, max_weekly=Money(5, "EUR"), max_once=None,
                                                                   by_admin=True))
    changed = ledger.run(lambda b: b.set_limits(cid, max_weekly=usd("5"), max_once=usd("2"), by_admin=True)).value
    assert (changed.max_weekly_minor, changed.max_once_minor) == (500, 200)
    kept = ledger.run(lambda b: b.set_limits(cid, max_weekly=None, max_once=usd("3"), by_admin=True)).value
    assert (kept.max_weekly_minor, kept.max_once_minor) == (500, 300)
    assert_refused(ledger, OverLimit, lambda b: b.set_tip(world.alice.id, world.bob.id, usd("5.01")), says=r"\$5.00")
    assert_refused(ledger, OverLimit, lambda b: b.tip_once(world.alice.id, [(world.bob.id, usd("3.01"))]))
    ledger.tip_once(world.alice.id, [(world.bob.id, usd("3"))], key="at-limit")


def test_set_funding_mode_is_for_admins(world: World) -> None:
    ledger, cid = world.ledger, world.community.id
    assert_refused(ledger, NotAdmin, lambda b: b.set_funding_mode(cid, "stripe", by_admin=False))
    assert_refused(ledger, InvalidRequest, lambda b: b.set_funding_mode(cid, "paypal", by_admin=True),
                   says="manual, stripe")
    assert ledger.run(lambda b: b.set_funding_mode(cid, "stripe", by_admin=True)).value.funding_mode == "stripe"
    assert ledger.run(lambda b: b.set_funding_mode(cid, "manual", by_admin=True)).value.funding_mode == "manual"


def test_set_summary_channel_is_for_admins(world: World) -> None:
    ledger, sid = world.ledger, world.space.id
    assert_refused(ledger, NotAdmin, lambda b: b.set_summary_channel(sid, "C1", "#tips", by_admin=False))
    space = ledger.run(lambda b: b.set_summary_channel(sid, "C1", "#tips", by_admin=True)).value
    assert (space.summary_channel_id, space.summary_channel_name) == ("C1", "#tips")
    assert ledger.read(lambda b: b.space_by_id(sid)) == space


# Reading

def test_history_is_newest_first_and_signed_for_the_member(world: World) -> None:
    ledger, alice, bob, carol = world.ledger, world.alice, world.bob, world.carol
    ledger.tip_once(alice.id, [(bob.id, usd("2"))], key="h1", note="one")
    ledger.tip_once(bob.id, [(carol.id, usd("0.50"))], key="h2")
    ledger.debit(bob.id, usd("1"), by_admin=True, key="h3")
    lines = ledger.read(lambda b: b.history(bob.id))
    assert [(h.kind, h.amount_minor, h.other_name, h.note) for h in lines] == [
        ("debit", -100, None, None), ("once", -50, "carol", None), ("once", 200, "alice", "one")]
    assert all(h.created_at.tzinfo is not None for h in lines)
    assert [h.kind for h in ledger.read(lambda b: b.history(bob.id, limit=1))] == ["debit"]
    assert [(h.kind, h.amount_minor) for h in ledger.read(lambda b: b.history(alice.id))] == [
        ("once", -200), ("credit", 5000)]


def test_balances_list_every_member_as_exact_strings_and_ints(world: World) -> None:
    ledger = world.ledger
    ledger.tip_once(world.alice.id, [(world.bob.id, usd("12.50"))], key="b1")
    everyone = ledger.read(lambda b: b.balances())
    assert [(r["community"], r["member"], r["balance"], r["balance_minor"], r["currency"]) for r in everyone] == [
        ("demo", "alice", "37.50", 3750, "USD"), ("demo", "bob", "12.50", 1250, "USD"),
        ("demo", "carol", "0.00", 0, "USD"), ("demo", "dave", "0.00", 0, "USD"),
        ("other", "erin", "5.00", 500, "USD")]
    assert [r["member"] for r in ledger.read(lambda b: b.balances("other"))] == ["erin"]
    assert ledger.read(lambda b: b.balances("nobody")) == []
    # No float anywhere: JSON of every value is ints and strings.
    assert "." not in "".join(json.dumps(r["balance_minor"]) for r in everyone)
    assert all(type(r["balance_minor"]) is int for r in everyone)
    assert type(ledger.read(lambda b: b.balance(world.bob.id)).amount_minor) is int


# Idempotency

def test_a_repeated_key_returns_the_first_outcome_and_writes_nothing(world: World) -> None:
    ledger, alice, bob = world.ledger, world.alice, world.bob
    first = ledger.tip_once(alice.id, [(bob.id, usd("30"))], key="slack:T1:trigger-1")
    assert not first.repeated
    after_first = dump_tables(ledger.engine)
    again = ledger.tip_once(alice.id, [(bob.id, usd("30"))], key="slack:T1:trigger-1")
    assert again.repeated and again.value == first.value
    assert dump_tables(ledger.engine) == after_first
    # Alice spends what is left: the repeat would now be refused, yet still answers the first outcome.
    ledger.tip_once(alice.id, [(bob.id, usd("20"))], key="slack:T1:trigger-2")
    spent = dump_tables(ledger.engine)
    late = ledger.tip_once(alice.id, [(bob.id, usd("30"))], key="slack:T1:trigger-1")
    assert late.repeated and late.value == first.value
    assert dump_tables(ledger.engine) == spent
    assert (world.balance(alice), world.balance(bob)) == (0, 5000)
    assert len(rows(ledger, transfers, transfers.c.kind == "once")) == 2
    assert_books_balance(ledger)


def test_repeats_of_every_keyed_call_write_nothing(world: World) -> None:
    ledger, alice, bob = world.ledger, world.alice, world.bob
    calls = [
        ("credit", lambda: ledger.credit(bob.id, usd("3"), by_admin=True, key="k:credit")),
        ("debit", lambda: ledger.debit(bob.id, usd("1"), by_admin=True, key="k:debit")),
        ("tip", lambda: ledger.set_tip(alice.id, bob.id, usd("2"), key="k:tip")),
        ("run", lambda: ledger.run(lambda b: b.tip_once(alice.id, [(bob.id, usd("1"))]), key="k:run")),
    ]
    for _, call in calls:
        first = call()
        assert not first.repeated
        state = dump_tables(ledger.engine)
        again = call()
        assert again.repeated and again.value == json.loads(json.dumps(first.value))
        assert dump_tables(ledger.engine) == state
    # A changed tip does not make the old key apply again.
    ledger.set_tip(alice.id, bob.id, usd("5"), key="k:tip2")
    state = dump_tables(ledger.engine)
    assert ledger.set_tip(alice.id, bob.id, usd("2"), key="k:tip").value["new_weekly_minor"] == 200
    assert dump_tables(ledger.engine) == state
    assert len(rows(ledger, operations)) == 2 + 5  # two seeds, five keyed calls
    # A debit key repeated after the balance is gone still answers its first outcome.
    ledger.debit(bob.id, world.ledger.read(lambda b: b.balance(bob.id)), by_admin=True, key="k:drain")
    assert ledger.debit(bob.id, usd("1"), by_admin=True, key="k:debit").repeated


def test_a_refusal_records_nothing_so_the_key_can_be_used_once_fixed(world: World) -> None:
    ledger, bob, carol = world.ledger, world.bob, world.carol
    assert_refused(ledger, InsufficientBalance, lambda b: b.tip_once(bob.id, [(carol.id, usd("1"))]), key="k:x")
    assert rows(ledger, operations, operations.c.key == "k:x") == []
    ledger.credit(bob.id, usd("1"), by_admin=True, key="k:fund")
    done = ledger.tip_once(bob.id, [(carol.id, usd("1"))], key="k:x")
    assert not done.repeated and world.balance(carol) == 100


def test_keys_must_be_short_and_non_empty(world: World) -> None:
    for key in ("", "k" * 256):
        with pytest.raises(ValueError):
            world.ledger.tip_once(world.alice.id, [(world.bob.id, usd("1"))], key=key)


def test_the_schema_itself_refuses_a_negative_member_balance(world: World) -> None:
    before = dump_tables(world.ledger.engine)
    with pytest.raises(sa.exc.IntegrityError):
        with world.ledger.begin() as book:
            book.conn.execute(accounts.update().where(accounts.c.id == world.bob.id).values(balance_minor=-1))
    with pytest.raises(sa.exc.IntegrityError):
        with world.ledger.begin() as book:
            book.conn.execute(transfers.insert().values(
                community_id=world.community.id, currency="USD", from_account_id=world.alice.id,
                to_account_id=world.erin.id, amount_minor=1, kind="once"))
    assert dump_tables(world.ledger.engine) == before


# The primitive under every movement of money

def test_apply_moves_moves_sets_atomically(world: World) -> None:
    ledger, community = world.ledger, world.community
    alice, bob, carol = world.alice.id, world.bob.id, world.carol.id
    outside = ledger.run(lambda b: b.outside_account(community, "manual")).value
    ids = ledger.run(lambda b: b.apply_moves(community, [(alice, bob, 1000), (bob, carol, 400), (alice, carol, 100)],
                                             kind="tip")).value
    assert len(ids) == 3 and ids == sorted(ids)
    assert (world.balance(world.alice), world.balance(world.bob), world.balance(world.carol)) == (3900, 600, 500)
    # Moves that cancel out still record both transfers.
    ledger.run(lambda b: b.apply_moves(community, [(bob, carol, 200), (carol, bob, 200)], kind="tip"))
    assert (world.balance(world.bob), world.balance(world.carol)) == (600, 500)
    # A member short by one minor unit refuses the whole set; outside accounts may overdraw.
    assert_refused(ledger, InsufficientBalance, lambda b: b.apply_moves(
        community, [(outside, carol, 5), (carol, bob, 506)], kind="tip", overdraw=frozenset({outside})),
        says=r"needs \$5.01 and the balance is \$5.00")  # the net debit
    assert_refused(ledger, InsufficientBalance, lambda b: b.apply_moves(community, [(outside, carol, 5)], kind="credit"))
    assert_refused(ledger, UnknownMember, lambda b: b.apply_moves(community, [(alice, 999999, 5)], kind="tip"))
    assert_refused(ledger, UnknownMember, lambda b: b.apply_moves(community, [(alice, world.erin.id, 5)], kind="tip"))
    ledger.run(lambda b: b.apply_moves(community, [(outside, carol, 5), (carol, bob, 505)], kind="tip",
                                       overdraw=frozenset({outside})))
    assert (world.balance(world.carol), world.balance(world.bob)) == (0, 1105)
    assert_books_balance(ledger)
