"""The set-based payday against a plain reference model of the rules in docs/architecture.md ("Payday"), on random
small communities (SQLite; the SQL is the same on PostgreSQL, which the other
payday tests cover)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.api import Ledger
from ledger.check import check_reservations
from tests.ledger.payday_helpers import Town

NAMES = ["a", "b", "c", "d", "e"]


def reference_payday(balances: dict[str, int], receiving: dict[str, bool],
                     tips: list[tuple[str, str, int]]) -> tuple[set[tuple[str, str, int]], dict[str, int]]:
    """Rounds until nothing more is paid; each tipper pays their due tips oldest first
    while the balance (as it was when the round began) covers the next one whole."""
    balances = dict(balances)
    queues: dict[str, list[tuple[str, str, int]]] = {}
    for tip in tips:  # `tips` is in ctime order, one current amount per pair
        if receiving[tip[1]]:
            queues.setdefault(tip[0], []).append(tip)
    paid: set[tuple[str, str, int]] = set()
    paid_count = {tipper: 0 for tipper in queues}
    while True:
        moves = []
        for tipper, queue in queues.items():
            available = balances[tipper]
            for tip in queue[paid_count[tipper]:]:
                if tip[2] > available:
                    break  # the first tip that can't be covered waits, and so do the later ones
                available -= tip[2]
                moves.append(tip)
        if not moves:
            return paid, balances
        for tipper, tippee, amount in moves:
            balances[tipper] -= amount
            balances[tippee] += amount
            paid_count[tipper] += 1
            paid.add((tipper, tippee, amount))


communities = st.fixed_dictionaries({
    "balances": st.fixed_dictionaries({name: st.integers(0, 30) for name in NAMES}),
    "receiving": st.fixed_dictionaries({name: st.booleans() for name in NAMES}),
    "tips": st.lists(
        st.tuples(st.sampled_from(NAMES), st.sampled_from(NAMES), st.integers(1, 20)).filter(lambda t: t[0] != t[1]),
        max_size=14),
})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(community=communities)
def test_the_set_based_payday_matches_the_reference_model(community, sqlite_template, tmp_path_factory):
    ledger = Ledger.connect(sqlite_template.fresh(tmp_path_factory.mktemp("model")), upgrade=False)
    town = Town(ledger)
    for name in NAMES:
        town.member(name, receiving=community["receiving"][name], balance=community["balances"][name])
    current: dict[tuple[str, str], int] = {}
    order: list[tuple[str, str]] = []
    for tipper, tippee, amount in community["tips"]:
        town.tip(tipper, tippee, amount)  # a later amount for the same pair keeps its first ctime
        if (tipper, tippee) not in current:
            order.append((tipper, tippee))
        current[(tipper, tippee)] = amount
    tips = [(tipper, tippee, current[(tipper, tippee)]) for tipper, tippee in order]

    expected_paid, expected_balances = reference_payday(community["balances"], community["receiving"], tips)
    result = town.payday(crash=None)

    assert town.paid(result.payday_id) == expected_paid
    assert town.balances() == expected_balances
    due = [t for t in tips if community["receiving"][t[1]]]
    assert result.stats["tips_paid"] + result.stats["unfunded_tips"] == len(due)
    assert result.stats["pledges"] == len(tips) - len(due)
    assert ledger.read(lambda book: check_reservations(book.conn)) == []  # every reservation released
    ledger.dispose()
