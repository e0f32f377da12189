"""Projects at payday, on real SQL: funded in the same rounds as members, then split among
their maintainers by the rule of ledger/split.py (the SQL must agree with it), leftovers
carried and paid later, pledges to projects nobody receives for, the take cap's memory of
last week. Every payday leaves `ledger check` clean."""

from __future__ import annotations

import datetime as dt
import random

import sqlalchemy as sa

from ledger.api import Ledger
from ledger.check import check_ledger
from ledger.models import accounts
from ledger.money import Money
from ledger.project_tables import payday_projects
from ledger.split import split
from tests.ledger.payday_helpers import WEEK, Town

NEXT_WEEK = WEEK + dt.timedelta(days=7)


class StackTown(Town):
    """A Town whose members can also make, maintain, take from and tip projects."""

    def __init__(self, ledger: Ledger, name: str = "town") -> None:
        super().__init__(ledger, name)
        with ledger.begin() as book:
            self.community = book.community(self.community_id)
            book.set_new_take_allowance(self.community, Money(100_000, "USD"), by_admin=True)

    def _member(self, book, name: str):
        return book.member(self.ids[name])

    def project(self, name: str, *maintainers: str) -> int:
        with self.ledger.begin() as book:
            first = self._member(book, maintainers[0])
            for who in maintainers:  # one at a time: seniority follows the order named
                self.clock += dt.timedelta(minutes=1)
                book.add_project(self.community, first, name, [self.ids[who]] if who != maintainers[0] else [],
                                 now=self.clock)
            project_id = book.project(self.community_id, name).id
        self.ids[name] = project_id
        return project_id

    def take(self, who: str, project: str, amount: int):
        with self.ledger.begin() as book:
            return book.set_take(self.community, self._member(book, who), project, Money(amount, "USD"))

    def tip_project(self, tipper: str, project: str, amount: int) -> None:
        self.clock += dt.timedelta(minutes=1)
        with self.ledger.begin() as book:
            book.set_project_tip(self._member(book, tipper), book.project(self.community_id, project),
                                 self.community, Money(amount, "USD"), now=self.clock)

    def balances(self) -> dict[str, int]:
        """Members' and projects' balances, by name."""
        with self.ledger.begin(readonly=True) as book:
            rows = dict(book.conn.execute(sa.select(accounts.c.id, accounts.c.balance_minor)).all())
        return {name: int(rows[account_id]) for name, account_id in self.ids.items()}

    def record(self, payday_id: int, project: str) -> tuple[int, int, int, int]:
        with self.ledger.begin(readonly=True) as book:
            row = book.conn.execute(sa.select(payday_projects).where(
                payday_projects.c.payday_id == payday_id, payday_projects.c.project_id == self.ids[project])).one()
            assert check_ledger(book.conn) == []
        return (row.income_minor, row.pool_minor, row.paid_minor, row.carried_minor)


def test_income_below_the_takes_is_shared_in_proportion_remainder_by_largest_fraction(ledger: Ledger) -> None:
    town = StackTown(ledger)
    town.member("alice", balance=5000)
    for name in ("bob", "carol", "dave"):
        town.member(name)
    town.project("pillow", "bob", "carol", "dave")
    for who, take in (("bob", 300), ("carol", 400), ("dave", 500)):
        town.take(who, "pillow", take)
    town.tip_project("alice", "pillow", 1000)
    result = town.payday()
    # 1000 x 300/1200 = 250, x 400/1200 = 333.33, x 500/1200 = 416.67: the unit left goes to dave
    assert town.paid(result.payday_id) == {
        ("alice", "pillow", 1000), ("pillow", "bob", 250), ("pillow", "carol", 333), ("pillow", "dave", 417)}
    assert town.record(result.payday_id, "pillow") == (1000, 1000, 1000, 0)
    assert result.stats["projects_income_minor"] == 1000 and result.stats["top_projects"] == [["pillow", 1000]]


def test_an_over_funded_project_carries_the_rest_and_pays_it_out_the_next_week(ledger: Ledger) -> None:
    town = StackTown(ledger)
    town.member("alice", balance=1000)
    town.member("bob")
    town.member("carol")
    town.project("plone", "bob", "carol")
    town.take("bob", "plone", 300)
    town.take("carol", "plone", 200)
    town.tip_project("alice", "plone", 1000)
    first = town.payday()
    assert town.paid(first.payday_id) == {("alice", "plone", 1000), ("plone", "bob", 300), ("plone", "carol", 200)}
    assert town.record(first.payday_id, "plone") == (1000, 1000, 500, 500)
    assert town.balances()["plone"] == 500  # the leftover, carried
    second = town.payday(NEXT_WEEK)  # alice has nothing left: no income, the leftover pays the takes
    assert town.paid(second.payday_id) == {("plone", "bob", 300), ("plone", "carol", 200)}
    assert town.record(second.payday_id, "plone") == (0, 500, 500, 0)
    assert town.balances() == {"alice": 0, "bob": 600, "carol": 400, "plone": 0}


def test_takes_all_zero_share_equally_and_a_project_without_receivers_gets_pledges(ledger: Ledger) -> None:
    town = StackTown(ledger)
    town.member("alice", balance=2000)
    town.member("bob")
    town.member("carol")
    town.member("dave", receiving=False)
    town.project("zope", "bob", "carol")
    town.project("buildout", "dave")
    town.tip_project("alice", "zope", 101)
    town.tip_project("alice", "buildout", 500)
    result = town.payday()
    assert town.paid(result.payday_id) == {("alice", "zope", 101), ("zope", "bob", 51), ("zope", "carol", 50)}
    assert town.record(result.payday_id, "buildout") == (0, 0, 0, 0)
    assert result.stats["pledges"] == 1 and result.stats["pledged_minor"] == 500
    assert town.balances()["alice"] == 1899


def test_projects_are_funded_in_the_same_rounds_and_maintainers_paid_the_same_payday(ledger: Ledger) -> None:
    town = StackTown(ledger)
    town.member("alice", balance=700)
    town.member("bob")
    town.member("carol")
    town.project("pillow", "carol")
    town.take("carol", "pillow", 1000)
    town.tip("alice", "bob", 700)
    town.tip_project("bob", "pillow", 400)  # funded in round 2, from what bob got in round 1
    result = town.payday()
    assert town.paid(result.payday_id) == {("alice", "bob", 700), ("bob", "pillow", 400), ("pillow", "carol", 400)}


def test_the_take_cap_remembers_last_weeks_share(ledger: Ledger) -> None:
    town = StackTown(ledger)
    with ledger.begin() as book:
        book.set_new_take_allowance(town.community, Money(100, "USD"), by_admin=True)
    town.member("alice", balance=10_000)
    town.member("bob")
    town.project("pillow", "bob")
    capped = town.take("bob", "pillow", 1000)
    assert (capped.new_minor, capped.capped) == (100, True)
    town.tip_project("alice", "pillow", 1000)
    first = town.payday()
    assert ("pillow", "bob", 100) in town.paid(first.payday_id)
    raised = town.take("bob", "pillow", 1000)  # up to 2 x 100 this week
    assert (raised.old_minor, raised.new_minor, raised.cap_minor, raised.capped) == (100, 200, 200, True)
    second = town.payday(NEXT_WEEK)
    assert ("pillow", "bob", 200) in town.paid(second.payday_id)
    assert town.record(second.payday_id, "pillow") == (1000, 1900, 200, 1700)


def test_the_split_in_sql_equals_the_rule_for_many_random_projects(ledger: Ledger) -> None:
    rng = random.Random(13)
    town = StackTown(ledger)
    town.member("alice", balance=10**7)
    people = [f"m{i}" for i in range(8)]
    for name in people:
        town.member(name)
    expected: dict[str, list[tuple[str, int]]] = {}
    for n in range(30):
        name = f"p{n}"
        maintainers = rng.sample(people, rng.randint(1, 5))
        town.project(name, *maintainers)
        takes = [rng.choice([0, 0, 1, 7, 100, 333, 1000, rng.randint(0, 5000)]) for _ in maintainers]
        if n % 5 == 0:
            takes = [0] * len(takes)
        for who, take in zip(maintainers, takes):
            if take:
                town.take(who, name, take)
        leftover = rng.choice([0, 0, rng.randint(1, 3000)])
        if leftover:
            with ledger.begin() as book:
                book.tip_project_once(book.member(town.ids["alice"]), book.project(town.community_id, name),
                                      town.community, Money(leftover, "USD"))
        income = rng.choice([0, rng.randint(1, 9000)])
        if income:
            town.tip_project("alice", name, income)
        shares = split(leftover + income, takes)
        expected[name] = [(who, share) for who, share in zip(maintainers, shares) if share]
    result = town.payday()
    paid = town.paid(result.payday_id)
    for name, shares in expected.items():
        assert {(p, who, amount) for p, who, amount in paid if p == name} == {(name, w, s) for w, s in shares}, name
    with ledger.begin(readonly=True) as book:
        assert check_ledger(book.conn) == []


def test_receipts_name_projects_given_to_and_a_maintainers_share_per_project(ledger: Ledger) -> None:
    from ledger.payday.receipts import payday_receipts

    town = StackTown(ledger)
    town.member("alice", balance=5000)
    town.member("bob")
    town.project("pillow", "bob")
    town.project("plone", "bob")
    town.take("bob", "pillow", 300)
    town.tip_project("alice", "pillow", 500)
    town.tip_project("alice", "plone", 200)
    with ledger.begin() as book:
        for name in ("alice", "bob"):
            book.set_receipts(town.ids[name], True)
    result = town.payday()
    with ledger.begin(readonly=True) as book:
        receipts = {r.member_name: r for r in payday_receipts(book.conn, result.payday_id)}
    assert [(line.other_name, line.amount_minor) for line in receipts["alice"].gave] == [
        ("project pillow", 500), ("project plone", 200)]
    assert [(line.other_name, line.amount_minor) for line in receipts["bob"].received] == [
        ("project pillow", 300), ("project plone", 200)]
