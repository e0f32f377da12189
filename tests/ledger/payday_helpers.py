"""Building small communities for payday tests, through the ledger API only."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from ledger.api import Ledger
from ledger.check import check_ledger
from ledger.models import transfers
from ledger.money import Money
from ledger.payday.engine import run_payday

WEEK = dt.date(2026, 11, 23)  # a Monday
T0 = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


class Town:
    """A console community whose members are named; money in minor units (USD cents)."""

    def __init__(self, ledger: Ledger, name: str = "town") -> None:
        self.ledger = ledger
        with ledger.begin() as book:
            self.space = book.ensure_space("console", name, community_name=name)
        self.community_id = self.space.community_id
        self.ids: dict[str, int] = {}
        self.clock = T0

    def member(self, name: str, *, receiving: bool = True, balance: int = 0) -> int:
        with self.ledger.begin() as book:
            member = book.ensure_member(self.space, name, name)
            book.set_receiving(member.id, receiving)
            if balance:
                book.credit(member.id, Money(balance, "USD"), by_admin=True)
        self.ids[name] = member.id
        return member.id

    def tip(self, tipper: str, tippee: str, amount: int) -> None:
        """A weekly tip; each call is one minute later than the last (ctime order)."""
        self.clock += dt.timedelta(minutes=1)
        for name in (tipper, tippee):
            if name not in self.ids:
                self.member(name)
        with self.ledger.begin() as book:
            book.set_tip(self.ids[tipper], self.ids[tippee], Money(amount, "USD"), now=self.clock)

    def credit(self, name: str, amount: int) -> None:
        self.ledger.credit(self.ids[name], Money(amount, "USD"), by_admin=True, key=None)

    def balances(self) -> dict[str, int]:
        with self.ledger.begin(readonly=True) as book:
            return {name: book.balance(member_id).amount_minor for name, member_id in self.ids.items()}

    def payday(self, week: dt.date = WEEK, **kwargs):
        return run_payday(self.ledger, self.community_id, week, **kwargs)

    def paid(self, payday_id: int) -> set[tuple[str, str, int]]:
        names = {v: k for k, v in self.ids.items()}
        with self.ledger.begin(readonly=True) as book:
            rows = book.conn.execute(sa.select(transfers).where(transfers.c.payday_id == payday_id))
            return {(names[r.from_account_id], names[r.to_account_id], r.amount_minor) for r in rows}


def book_state(ledger: Ledger) -> dict:
    """Transfers (without ids and times) and balances: what two runs must agree on."""
    with ledger.begin(readonly=True) as book:
        conn = book.conn
        moved = sorted(conn.execute(sa.text(
            "SELECT from_account_id, to_account_id, amount_minor, kind, payday_id FROM transfers"
        )).all())
        balances = sorted(conn.execute(sa.text("SELECT id, balance_minor FROM accounts")).all())
        stages = conn.execute(sa.text("SELECT community_id, week_start, stage, stats FROM paydays ORDER BY id")).all()
        assert check_ledger(conn) == []
    return {"transfers": [tuple(r) for r in moved], "balances": [tuple(r) for r in balances],
            "paydays": [(r[0], str(r[1]), r[2], r[3]) for r in stages]}


def chained_town(ledger: Ledger, name: str = "town") -> Town:
    """Issue 4's chained example: alice has 50 and tips homer 50; homer tips janet 20;
    janet tips david 5; david tips homer 20."""
    town = Town(ledger, name)
    town.member("alice", balance=50)
    for member in ("homer", "janet", "david"):
        town.member(member)
    town.tip("alice", "homer", 50)
    town.tip("homer", "janet", 20)
    town.tip("janet", "david", 5)
    town.tip("david", "homer", 20)
    return town
