"""Funding semantics of the payday (docs/architecture.md, "Payday"), on both databases."""

from __future__ import annotations

import datetime as dt

from ledger.payday.stats import unfunded_notices
from tests.dbs import dump_tables
from tests.ledger.payday_helpers import WEEK, Town, book_state, chained_town


def test_chained_funding_in_one_payday(ledger):
    town = chained_town(ledger)

    result = town.payday()

    assert result.status == "ran"
    assert town.balances() == {"alice": 0, "homer": 30, "janet": 15, "david": 5}
    assert town.paid(result.payday_id) == {("alice", "homer", 50), ("homer", "janet", 20), ("janet", "david", 5)}
    stats = result.stats
    assert stats["tips_paid"] == 3 and stats["paid_minor"] == 75 and stats["rounds"] == 3
    assert stats["unfunded_tips"] == 1 and stats["unfunded_minor"] == 20
    assert stats["tippers"] == 3 and stats["recipients"] == 3
    with ledger.begin(readonly=True) as book:
        notices = unfunded_notices(book.conn, result.payday_id)
    assert [(n.tipper_name, n.tips, n.unfunded_minor, n.balance_minor, n.first_waiting_tippee)
            for n in notices] == [("david", 1, 20, 5, "homer")]
    book_state(ledger)  # ledger check is clean


def test_oldest_first_and_the_first_unfundable_tip_waits(ledger):
    town = Town(ledger)
    town.member("ann", balance=100)
    for name in ("b", "c", "d"):
        town.member(name)
    town.tip("ann", "b", 60)   # oldest: paid
    town.tip("ann", "c", 50)   # can't be covered by the 40 left: waits
    town.tip("ann", "d", 10)   # would fit, but must not jump the queue

    result = town.payday()

    assert town.paid(result.payday_id) == {("ann", "b", 60)}
    assert town.balances() == {"ann": 40, "b": 60, "c": 0, "d": 0}
    assert result.stats["unfunded_tips"] == 2 and result.stats["unfunded_minor"] == 60


def test_a_tip_is_paid_whole_or_not_at_all(ledger):
    town = Town(ledger)
    town.member("ann", balance=99)
    town.member("bob")
    town.tip("ann", "bob", 100)
    result = town.payday()
    assert town.paid(result.payday_id) == set()
    assert town.balances() == {"ann": 99, "bob": 0}


def test_order_is_by_ctime_not_by_amount_or_id(ledger):
    town = Town(ledger)
    town.member("ann", balance=30)
    town.member("old")
    town.member("new")
    town.tip("ann", "old", 30)
    town.tip("ann", "new", 5)
    town.tip("ann", "old", 20)  # changing an amount keeps the pair's ctime: still first
    result = town.payday()
    assert town.paid(result.payday_id) == {("ann", "old", 20), ("ann", "new", 5)}


def test_money_received_in_a_round_funds_waiting_tips_later(ledger):
    town = Town(ledger)
    town.member("a", balance=10)
    town.member("b", balance=5)
    town.member("c")
    town.tip("b", "c", 15)   # b's oldest: waits for a's tip
    town.tip("b", "a", 1)    # behind it: waits too in round 1
    town.tip("a", "b", 10)
    result = town.payday()
    assert town.paid(result.payday_id) == {("a", "b", 10), ("b", "c", 15)}
    # after round 2 b has 0 left, so the 1 to a stays unfunded
    assert town.balances() == {"a": 0, "b": 0, "c": 15}
    assert result.stats["rounds"] == 2 and result.stats["unfunded_tips"] == 1


def test_pledges_to_members_not_receiving_are_skipped_not_blocking(ledger):
    town = Town(ledger)
    town.member("ann", balance=10)
    town.member("shy", receiving=False)
    town.member("bob")
    town.tip("ann", "shy", 10)  # older, but a pledge: never paid, never blocks
    town.tip("ann", "bob", 10)
    result = town.payday()
    assert town.paid(result.payday_id) == {("ann", "bob", 10)}
    assert result.stats["pledges"] == 1 and result.stats["pledged_minor"] == 10
    assert result.stats["unfunded_tips"] == 0


def test_changed_and_ended_tips_and_several_weeks(ledger):
    town = Town(ledger)
    town.member("ann", balance=100)
    town.member("bob")
    town.member("cat")
    town.tip("ann", "bob", 10)
    town.tip("ann", "cat", 20)
    first = town.payday(WEEK)
    assert first.stats["new_tips"] == 2 and first.stats["ended_tips"] == 0
    assert first.stats["change_minor"] is None

    town.tip("ann", "bob", 15)   # changed
    town.tip("ann", "cat", 0)    # ended
    second = town.payday(WEEK + dt.timedelta(days=7))
    assert town.paid(second.payday_id) == {("ann", "bob", 15)}
    s = second.stats
    assert (s["new_tips"], s["ended_tips"], s["changed_tips"]) == (0, 1, 1)
    assert s["previous_paid_minor"] == 30 and s["change_minor"] == -15
    assert town.balances() == {"ann": 55, "bob": 25, "cat": 20}

    third = town.payday(WEEK + dt.timedelta(days=14))
    assert third.stats["change_minor"] == 0
    assert town.balances() == {"ann": 40, "bob": 40, "cat": 20}
    book_state(ledger)


def test_a_second_run_for_the_same_week_changes_nothing(ledger):
    town = Town(ledger)
    town.member("ann", balance=10)
    town.member("bob")
    town.tip("ann", "bob", 3)
    first = town.payday()
    before = dump_tables(ledger.engine)
    again = town.payday()
    assert again.status == "already_ran" and again.payday_id == first.payday_id
    assert again.stats == first.stats
    assert dump_tables(ledger.engine) == before


def test_no_tips_is_a_quiet_payday(ledger):
    town = Town(ledger)
    town.member("ann", balance=10)
    result = town.payday()
    assert result.status == "ran" and result.stats["tips_paid"] == 0 and result.stats["rounds"] == 0
