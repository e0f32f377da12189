"""Read-side queries: balances, history, listings for operators."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ledger.errors import UnknownMember
from ledger.exports import member_history, statement
from ledger.models import accounts, communities, members, transfers
from ledger.money import Money, decimal_string
from ledger.records import HistoryLine

MAX_HISTORY = 100


class Queries:
    conn: sa.Connection

    def balance(self, member_id: int) -> Money:
        """A member's balance (outside accounts are not members: refused like strangers)."""
        row = self.conn.execute(
            sa.select(accounts.c.balance_minor, accounts.c.currency)
            .join(members, members.c.id == accounts.c.id).where(accounts.c.id == member_id)
        ).first()
        if row is None:
            raise UnknownMember("That member is not part of this community.")
        return Money(row.balance_minor, row.currency)

    def spendable(self, member_id: int) -> Money:
        """What a member can spend now: their balance less what a running payday has reserved."""
        row = self.conn.execute(
            sa.select((accounts.c.balance_minor - accounts.c.reserved_minor).label("free_minor"), accounts.c.currency)
            .join(members, members.c.id == accounts.c.id).where(accounts.c.id == member_id)
        ).first()
        if row is None:
            raise UnknownMember("That member is not part of this community.")
        return Money(int(row.free_minor), row.currency)

    def history(self, member_id: int, limit: int = 10, *, before_id: int | None = None) -> list[HistoryLine]:
        """The member's newest transfers, signed from their point of view; with `before_id`,
        the newest of those older than that transfer (one page after another, by id)."""
        limit = max(1, min(limit, MAX_HISTORY))
        self.member(member_id)  # type: ignore[attr-defined]  # refuses unknown members
        other = members.alias("other")
        mine = sa.or_(transfers.c.from_account_id == member_id, transfers.c.to_account_id == member_id)
        other_id = sa.case((transfers.c.from_account_id == member_id, transfers.c.to_account_id),
                           else_=transfers.c.from_account_id)
        # An anonymous tip's payee never sees its payer's name.
        hidden = sa.and_(transfers.c.anonymous, transfers.c.to_account_id == member_id)
        if before_id is not None:
            mine = sa.and_(mine, transfers.c.id < before_id)
        rows = self.conn.execute(
            sa.select(transfers, sa.case((hidden, None), else_=other.c.display_name).label("other_name"))
            .outerjoin(other, other.c.id == other_id)
            .where(mine).order_by(transfers.c.id.desc()).limit(limit)
        )
        return [
            HistoryLine(r.id, r.created_at, r.kind,
                        -r.amount_minor if r.from_account_id == member_id else r.amount_minor,
                        r.other_name, r.note, anonymous=bool(r.anonymous))
            for r in rows
        ]

    def history_rows(self, member_id: int) -> list[dict[str, Any]]:
        """All of the member's transfers, oldest first, for `/tip history csv` (ledger/exports.py)."""
        self.member(member_id)  # type: ignore[attr-defined]  # refuses unknown members
        return member_history(self.conn, member_id)

    def statement(self, member_id: int, year: int) -> list[tuple[int, int, int]]:
        """(month, given_minor, received_minor) for `/tip statement YEAR`."""
        return statement(self.conn, member_id, year)

    def balances(self, community_name: str | None = None) -> list[dict[str, Any]]:
        """Every member's balance, for `tipbot ledger balances`."""
        query = (
            sa.select(communities.c.name.label("community"), members.c.id, members.c.display_name,
                      accounts.c.balance_minor, accounts.c.currency)
            .join(accounts, accounts.c.id == members.c.id)
            .join(communities, communities.c.id == members.c.community_id)
            .order_by(communities.c.name, members.c.display_name, members.c.id)
        )
        if community_name is not None:
            query = query.where(communities.c.name == community_name)
        return [
            {"community": r.community, "member_id": r.id, "member": r.display_name,
             "balance": decimal_string(r.balance_minor, r.currency), "balance_minor": r.balance_minor,
             "currency": r.currency}
            for r in self.conn.execute(query)
        ]
