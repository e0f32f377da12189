"""The payday's split in SQL (ledger/payday/projects.py) against the plain reference model of
tests/ledger/test_split.py, for random takes, incomes and leftovers, on both databases.

Each example is a community of its own in the same database: a few projects, each with
maintainers (oldest first, some not receiving), takes, a leftover carried in (a one-off tip
before the payday) and a week's income (a weekly tip). One payday; then what each receiving
maintainer was paid must be the model's share, the shares must sum to what the project paid
out (its `take` transfers and `payday_projects.paid_minor`), nothing is negative, the rest is
carried, running the payday again changes nothing, and `ledger check` is clean."""

from __future__ import annotations

import itertools

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.api import Ledger
from ledger.check import check_ledger
from ledger.money import Money
from ledger.project_tables import payday_projects
from tests.ledger.payday_helpers import book_state
from tests.ledger.test_payday_projects import StackTown
from tests.ledger.test_split import reference

_towns = itertools.count()

takes = st.one_of(st.sampled_from([0, 100, 300]), st.integers(0, 5000))  # equal takes: ties to the oldest
maintainers = st.lists(st.tuples(takes, st.booleans()), min_size=1, max_size=4)  # (take, receives)
# mostly below the takes (shared in proportion), sometimes above (carried); within the default $100.00 limits
amounts = st.one_of(st.just(0), st.integers(1, 400), st.integers(1, 10_000))
projects = st.lists(st.fixed_dictionaries({
    "maintainers": maintainers,
    "leftover": amounts,
    "income": amounts,
}), min_size=1, max_size=3)


def expected(project: dict) -> tuple[list[int], int, int]:
    """(each maintainer's share, oldest first, 0 for those who don't receive; income; pool)."""
    receiving = [take for take, receives in project["maintainers"] if receives]
    income = project["income"] if receiving else 0  # nobody receives: the weekly tip is a pledge
    pool = project["leftover"] + income
    shares = iter(reference(pool, receiving) if receiving else [])
    return [next(shares) if receives else 0 for _, receives in project["maintainers"]], income, pool


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(community=projects)
def test_the_payday_split_equals_the_reference_model(ledger: Ledger, community: list[dict]) -> None:
    town = StackTown(ledger, name=f"model{next(_towns)}")
    town.member("alice", balance=10**6)
    for p, project in enumerate(community):
        names = [f"p{p}m{i}" for i in range(len(project["maintainers"]))]
        for name in names:
            town.member(name)
        town.project(f"p{p}", *names)
        for name, (take, _) in zip(names, project["maintainers"]):
            if take:
                town.take(name, f"p{p}", take)
        if project["leftover"]:  # carried in: while everyone still receives
            with ledger.begin() as book:
                book.tip_project_once(book.member(town.ids["alice"]), book.project(town.community_id, f"p{p}"),
                                      town.community, Money(project["leftover"], "USD"))
        with ledger.begin() as book:
            for name, (_, receives) in zip(names, project["maintainers"]):
                book.set_receiving(town.ids[name], receives)
        if project["income"]:
            town.tip_project("alice", f"p{p}", project["income"])

    result = town.payday()
    paid = town.paid(result.payday_id)
    state = book_state(ledger)  # asserts ledger check is clean
    assert town.payday().status == "already_ran" and book_state(ledger) == state  # a rerun pays nothing twice

    for p, project in enumerate(community):
        shares, income, pool = expected(project)
        names = [f"p{p}m{i}" for i in range(len(shares))]
        got = {who: amount for source, who, amount in paid if source == f"p{p}"}
        assert got == {who: share for who, share in zip(names, shares) if share}, (p, project)
        assert all(amount > 0 for amount in got.values())
        with ledger.begin(readonly=True) as book:
            row = book.conn.execute(sa.select(payday_projects).where(
                payday_projects.c.payday_id == result.payday_id,
                payday_projects.c.project_id == town.ids[f"p{p}"])).one()
            assert check_ledger(book.conn) == []
        assert (row.income_minor, row.pool_minor) == (income, pool)
        assert row.paid_minor == sum(shares) == sum(got.values())  # the shares are what is paid out
        assert row.carried_minor == pool - sum(shares) >= 0
        assert town.balances()[f"p{p}"] == row.carried_minor
