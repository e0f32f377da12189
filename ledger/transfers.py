"""Moving money: one-off tips, manual credits and debits.

Every movement is an immutable transfer row plus two balance updates in the same
transaction. Balances move by conditional UPDATE (never read-then-write), and rows
are locked in ascending account id order so concurrent transfers can't deadlock.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from ledger.directory import require_admin
from ledger.errors import (
    InsufficientBalance, InvalidRequest, NotReceiving, OverLimit, SelfTip, UnknownMember, WrongFundingMode,
)
from ledger.models import accounts, communities, members, transfers
from ledger.money import MAX_AMOUNT_MINOR, Money, format_money
from ledger.records import Community

MAX_RECIPIENTS = 25  # one command tips at most this many members at once
NOTE_LENGTH = 500

_debit = (
    accounts.update()
    .where(accounts.c.id == sa.bindparam("account_id"), accounts.c.balance_minor >= sa.bindparam("amount"))
    .values(balance_minor=accounts.c.balance_minor - sa.bindparam("amount"))
    .returning(accounts.c.balance_minor)
)
_credit = (
    accounts.update()
    .where(accounts.c.id == sa.bindparam("account_id"))
    .values(balance_minor=accounts.c.balance_minor + sa.bindparam("amount"))
)
_overdraw = (  # outside accounts stand for the world; they may go below zero
    accounts.update()
    .where(accounts.c.id == sa.bindparam("account_id"))
    .values(balance_minor=accounts.c.balance_minor - sa.bindparam("amount"))
)


class Transfers:
    conn: sa.Connection

    def apply_moves(self, community: Community, moves: Sequence[tuple[int, int, int]], *, kind: str,
                    note: str | None = None, payday_id: int | None = None,
                    overdraw: frozenset[int] = frozenset()) -> list[int]:
        """Record `moves` (from_id, to_id, amount_minor) atomically; returns transfer ids.

        Accounts in `overdraw` (outside accounts) may go negative; a member account
        that can't cover its debits refuses the whole set with InsufficientBalance.
        """
        deltas: dict[int, int] = {}
        for from_id, to_id, amount in moves:
            assert type(amount) is int and 0 < amount <= MAX_AMOUNT_MINOR, amount
            assert from_id != to_id
            deltas[from_id] = deltas.get(from_id, 0) - amount
            deltas[to_id] = deltas.get(to_id, 0) + amount
        for account_id in sorted(deltas):  # ascending: the lock order
            delta = deltas[account_id]
            if delta > 0:
                self.conn.execute(_credit, {"account_id": account_id, "amount": delta})
            elif delta < 0 and account_id in overdraw:
                self.conn.execute(_overdraw, {"account_id": account_id, "amount": -delta})
            elif delta < 0:
                if self.conn.execute(_debit, {"account_id": account_id, "amount": -delta}).first() is None:
                    self._refuse_insufficient(community, account_id, -delta)
        rows = [
            {"community_id": community.id, "currency": community.currency, "from_account_id": f,
             "to_account_id": t, "amount_minor": a, "kind": kind, "note": note, "payday_id": payday_id}
            for f, t, a in moves
        ]
        if len(rows) == 1:
            return [self.conn.execute(transfers.insert().returning(transfers.c.id), rows[0]).scalar_one()]
        result = self.conn.execute(transfers.insert().returning(transfers.c.id, sort_by_parameter_order=True), rows)
        return list(result.scalars())

    def _refuse_insufficient(self, community: Community, account_id: int, needed: int) -> None:
        balance = self.conn.execute(sa.select(accounts.c.balance_minor).where(accounts.c.id == account_id)).scalar()
        if balance is None:
            raise UnknownMember("That member is not part of this community.")
        raise InsufficientBalance(
            f"Not enough balance: this needs {format_money(needed, community.currency)} "
            f"and the balance is {format_money(balance, community.currency)}."
        )

    def tip_once(self, tipper_id: int, gifts: Sequence[tuple[int, Money]], *, note: str | None = None) -> dict[str, Any]:
        """A one-off tip to one or several members, paid now from the tipper's balance: all or nothing."""
        if not gifts:
            raise InvalidRequest("Name at least one member to tip.")
        if len(gifts) > MAX_RECIPIENTS:
            raise InvalidRequest(f"Tip at most {MAX_RECIPIENTS} members at once.")
        ids = [tipper_id] + [tippee_id for tippee_id, _ in gifts]
        if len(set(ids[1:])) != len(gifts):
            raise InvalidRequest("Each member can appear only once in one tip.")
        found = {
            row.id: row for row in self.conn.execute(
                sa.select(members.c.id, members.c.community_id, members.c.display_name, members.c.receiving,
                          communities.c.currency, communities.c.max_once_minor, communities.c.name,
                          communities.c.funding_mode, communities.c.payday_cron, communities.c.max_weekly_minor,
                          communities.c.min_charge_minor)
                .join(communities, communities.c.id == members.c.community_id)
                .where(members.c.id.in_(ids))
            )
        }
        tipper = found.get(tipper_id)
        if tipper is None:
            raise UnknownMember("You are not a member of this community yet.")
        community = Community(tipper.community_id, tipper.name, tipper.currency, tipper.funding_mode,
                              tipper.payday_cron, tipper.max_weekly_minor, tipper.max_once_minor,
                              tipper.min_charge_minor)
        moves = []
        for tippee_id, amount in gifts:
            tippee = found.get(tippee_id)
            if tippee is None or tippee.community_id != community.id:
                raise UnknownMember("That member is not part of this community.")
            if tippee_id == tipper_id:
                raise SelfTip("You can't tip yourself.")
            _check_amount(amount, community, community.max_once_minor, "one-off tip")
            if not tippee.receiving:
                raise NotReceiving(
                    f"{tippee.display_name} has not opted in to receive tips yet, so a one-off tip can't reach them. "
                    f"A weekly tip waits as a pledge until they do."
                )
            moves.append((tipper_id, tippee_id, amount.amount_minor))
        transfer_ids = self.apply_moves(community, moves, kind="once", note=_note(note))
        return {
            "transfer_ids": transfer_ids,
            "total_minor": sum(m[2] for m in moves),
            "currency": community.currency,
            "recipients": [found[t].display_name for _, t, _ in moves],
        }

    def credit(self, member_id: int, amount: Money, *, by_admin: bool, note: str | None = None) -> dict[str, Any]:
        """Manual mode: record money a member paid in (outside world -> member)."""
        return self._manual(member_id, amount, by_admin=by_admin, note=note, incoming=True)

    def debit(self, member_id: int, amount: Money, *, by_admin: bool, note: str | None = None) -> dict[str, Any]:
        """Manual mode: record money paid out to a member (member -> outside world)."""
        return self._manual(member_id, amount, by_admin=by_admin, note=note, incoming=False)

    def _manual(self, member_id: int, amount: Money, *, by_admin: bool, note: str | None,
                incoming: bool) -> dict[str, Any]:
        require_admin(by_admin, "credit or debit balances")
        member = self.member(member_id)  # type: ignore[attr-defined]
        community = self.community(member.community_id)  # type: ignore[attr-defined]
        if community.funding_mode != "manual":
            raise WrongFundingMode("This community is funded through Stripe; credits and debits are for manual mode.")
        _check_amount(amount, community, MAX_AMOUNT_MINOR, "amount")
        outside = self.outside_account(community, "manual")  # type: ignore[attr-defined]
        move = (outside, member_id, amount.amount_minor) if incoming else (member_id, outside, amount.amount_minor)
        transfer_ids = self.apply_moves(community, [move], kind="credit" if incoming else "debit",
                                        note=_note(note), overdraw=frozenset({outside}))
        balance = self.conn.execute(sa.select(accounts.c.balance_minor).where(accounts.c.id == member_id)).scalar_one()
        return {"transfer_ids": transfer_ids, "member": member.display_name, "amount_minor": amount.amount_minor,
                "currency": community.currency, "balance_minor": balance}


def _check_amount(amount: Money, community: Community, limit_minor: int, what: str) -> None:
    if not isinstance(amount, Money):
        raise TypeError("amounts are Money")
    if amount.currency != community.currency:
        raise InvalidRequest(f"This community uses {community.currency}, not {amount.currency}.")
    if amount.amount_minor <= 0:
        raise InvalidRequest(f"A {what} must be more than zero.")
    if amount.amount_minor > limit_minor:
        raise OverLimit(f"A {what} is at most {format_money(limit_minor, community.currency)} here.")


def _note(note: str | None) -> str | None:
    if note is None:
        return None
    note = " ".join(note.split())[:NOTE_LENGTH]
    return note or None
