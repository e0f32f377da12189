"""Moving money: one-off tips, manual credits and debits.

Every movement is an immutable transfer row plus balance updates in the same
transaction. The accounts involved are locked first, in ascending id order, by one
SELECT ... ORDER BY id FOR UPDATE (SQLite: the writer lock of BEGIN IMMEDIATE), so
concurrent transfers can't deadlock and the balance checked is the balance updated:
no other transaction can move it in between. A member spends only what no running
payday has reserved (`balance_minor - reserved_minor`, see ledger/payday/settle.py):
the payday reserves under the same row locks, and the schema's
CHECK (balance >= reserved >= 0) backs both up.
Three statements per movement set, whatever the number of accounts: lock, update
(one executemany, pipelined by psycopg), insert.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from ledger.clock import Clock
from ledger.directory import require_admin
from ledger.errors import (
    InsufficientBalance, InvalidRequest, NotReceiving, OverLimit, SelfTip, UnknownMember, WrongFundingMode,
)
from ledger.models import accounts, communities, members, transfers
from ledger.money import MAX_AMOUNT_MINOR, Money, format_money
from ledger.records import Community

MAX_RECIPIENTS = 25  # one command tips at most this many members at once
NOTE_LENGTH = 500

_lock_accounts = (  # ORDER BY id FOR UPDATE: rows are locked in ascending id order
    sa.select(accounts.c.id, accounts.c.balance_minor, accounts.c.reserved_minor)
    .where(accounts.c.id.in_(sa.bindparam("account_ids", expanding=True)),
           accounts.c.community_id == sa.bindparam("community_id"), accounts.c.currency == sa.bindparam("currency"))
    .order_by(accounts.c.id)
    .with_for_update()
)
_add_to_balance = (  # run only on rows this transaction has locked
    accounts.update()
    .where(accounts.c.id == sa.bindparam("account_id"))
    .values(balance_minor=accounts.c.balance_minor + sa.bindparam("delta", type_=sa.BigInteger))
)
_add_to_two_balances = (  # the common case (one payer, one payee) in one plain statement
    accounts.update()
    .where(accounts.c.id.in_([sa.bindparam("first_id"), sa.bindparam("second_id")]))
    .values(balance_minor=accounts.c.balance_minor + sa.case(
        (accounts.c.id == sa.bindparam("first_id"), sa.bindparam("first_delta", type_=sa.BigInteger)),
        else_=sa.bindparam("second_delta", type_=sa.BigInteger)))
)
_insert_transfer = transfers.insert().returning(transfers.c.id)
_insert_transfers = transfers.insert().returning(transfers.c.id, sort_by_parameter_order=True)
_TIP_COLUMNS = (members.c.id, members.c.community_id, members.c.display_name, members.c.receiving,
                accounts.c.balance_minor, accounts.c.reserved_minor, communities.c.currency,
                communities.c.max_once_minor)


def _lock_members(where: sa.ColumnElement[bool]) -> sa.Select:
    """The tipper and tippees with what a one-off tip checks, their account rows locked in id order."""
    return (sa.select(*_TIP_COLUMNS).join(accounts, accounts.c.id == members.c.id)
            .join(communities, communities.c.id == members.c.community_id)
            .where(where).order_by(accounts.c.id).with_for_update(of=accounts))


_lock_tipper_and_tippees = _lock_members(members.c.id.in_(sa.bindparam("member_ids", expanding=True)))
_lock_tipper_and_tippee = _lock_members(members.c.id.in_([sa.bindparam("tipper_id"), sa.bindparam("tippee_id")]))


class Transfers:
    conn: sa.Connection
    clock: Clock

    def apply_moves(self, community: Community, moves: Sequence[tuple[int, int, int]], *, kind: str,
                    note: str | None = None, payday_id: int | None = None,
                    overdraw: frozenset[int] = frozenset()) -> list[int]:
        """Record `moves` (from_id, to_id, amount_minor) atomically; returns transfer ids.

        Accounts in `overdraw` (outside accounts) may go negative; a member account
        that can't cover its debits refuses the whole set with InsufficientBalance.
        """
        account_ids = sorted({account for move in moves for account in move[:2]})
        params = {"account_ids": account_ids, "community_id": community.id, "currency": community.currency}
        locked = {row.id: (row.balance_minor, row.reserved_minor)  # other communities' accounts: absent
                  for row in self.conn.execute(_lock_accounts, params)}
        return self._move_locked(community.id, community.currency, moves, locked, kind=kind, note=note,
                                 payday_id=payday_id, overdraw=overdraw)

    def _move_locked(self, community_id: int, currency: str, moves: Sequence[tuple[int, int, int]],
                     locked: dict[int, tuple[int, int]], *, kind: str, note: str | None,
                     payday_id: int | None, overdraw: frozenset[int], yours: bool = False) -> list[int]:
        """Apply `moves` to accounts whose rows this transaction holds locked (`locked`:
        id -> (balance, reserved)). The lock makes the balance check and the update one
        step: nobody can change a locked balance or reservation in between. The schema's
        CHECK (balance >= reserved >= 0) stands behind it. `yours`: the refusal speaks
        to the payer."""
        deltas: dict[int, int] = {}
        for from_id, to_id, amount in moves:
            assert type(amount) is int and 0 < amount <= MAX_AMOUNT_MINOR, amount
            assert from_id != to_id
            deltas[from_id] = deltas.get(from_id, 0) - amount
            deltas[to_id] = deltas.get(to_id, 0) + amount
        for account_id in sorted(deltas):
            if account_id not in locked:
                raise UnknownMember("That member is not part of this community.")
            delta = deltas[account_id]
            balance, reserved = locked[account_id]
            if delta < 0 and account_id not in overdraw and balance - reserved + delta < 0:
                raise InsufficientBalance(_not_enough(-delta, balance, reserved, currency, yours=yours))
        changes = [{"account_id": a, "delta": d} for a, d in sorted(deltas.items()) if d]
        if len(changes) == 2:
            (first, second) = changes
            updated = self.conn.execute(_add_to_two_balances, {
                "first_id": first["account_id"], "first_delta": first["delta"],
                "second_id": second["account_id"], "second_delta": second["delta"]}).rowcount
        elif changes:
            updated = self.conn.execute(_add_to_balance, changes).rowcount
        else:  # the moves cancel out (a -> b, b -> a): only the transfer rows change
            updated = 0
        if updated != len(changes):  # a locked row can't vanish: something outside the ledger is wrong
            raise RuntimeError(f"updated {updated} of {len(changes)} locked accounts")
        now = self.clock.now()
        rows = [
            {"community_id": community_id, "currency": currency, "from_account_id": f,
             "to_account_id": t, "amount_minor": a, "kind": kind, "note": note, "payday_id": payday_id,
             "created_at": now}
            for f, t, a in moves
        ]
        if len(rows) == 1:
            return [self.conn.execute(_insert_transfer, rows[0]).scalar_one()]
        return list(self.conn.execute(_insert_transfers, rows).scalars())

    def tip_once(self, tipper_id: int, gifts: Sequence[tuple[int, Money]], *, note: str | None = None) -> dict[str, Any]:
        """A one-off tip to one or several members, paid now from the tipper's balance: all or nothing."""
        if not gifts:
            raise InvalidRequest("Name at least one member to tip.")
        if len(gifts) > MAX_RECIPIENTS:
            raise InvalidRequest(f"Tip at most {MAX_RECIPIENTS} members at once.")
        ids = [tipper_id] + [tippee_id for tippee_id, _ in gifts]
        if len(set(ids[1:])) != len(gifts):
            raise InvalidRequest("Each member can appear only once in one tip.")
        if len(gifts) == 1:
            params: dict[str, Any] = {"tipper_id": tipper_id, "tippee_id": gifts[0][0]}
            found = {row.id: row for row in self.conn.execute(_lock_tipper_and_tippee, params)}
        else:
            found = {row.id: row for row in self.conn.execute(_lock_tipper_and_tippees, {"member_ids": ids})}
        tipper = found.get(tipper_id)
        if tipper is None:
            raise UnknownMember("You are not a member of this community yet.")
        community_id, currency = tipper.community_id, tipper.currency
        moves = []
        for tippee_id, amount in gifts:
            tippee = found.get(tippee_id)
            if tippee is None or tippee.community_id != community_id:
                raise UnknownMember("That member is not part of this community.")
            if tippee_id == tipper_id:
                raise SelfTip("You can't tip yourself.")
            check_amount(amount, currency, tipper.max_once_minor, "one-off tip")
            if not tippee.receiving:
                raise NotReceiving(
                    f"{tippee.display_name} has not opted in to receive tips yet, so a one-off tip can't reach them. "
                    f"A weekly tip waits as a pledge until they do."
                )
            moves.append((tipper_id, tippee_id, amount.amount_minor))
        locked = {member_id: (row.balance_minor, row.reserved_minor) for member_id, row in found.items()}
        transfer_ids = self._move_locked(community_id, currency, moves, locked, kind="once", note=clean_note(note),
                                         payday_id=None, overdraw=frozenset(), yours=True)
        return {
            "transfer_ids": transfer_ids,
            "total_minor": sum(m[2] for m in moves),
            "currency": currency,
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
        check_amount(amount, community.currency, MAX_AMOUNT_MINOR, "amount")
        outside = self.outside_account(community, "manual")  # type: ignore[attr-defined]
        move = (outside, member_id, amount.amount_minor) if incoming else (member_id, outside, amount.amount_minor)
        transfer_ids = self.apply_moves(community, [move], kind="credit" if incoming else "debit",
                                        note=clean_note(note), overdraw=frozenset({outside}))
        balance = self.conn.execute(sa.select(accounts.c.balance_minor).where(accounts.c.id == member_id)).scalar_one()
        return {"transfer_ids": transfer_ids, "member": member.display_name, "amount_minor": amount.amount_minor,
                "currency": community.currency, "balance_minor": balance}


def _not_enough(needed_minor: int, balance_minor: int, reserved_minor: int, currency: str, *, yours: bool) -> str:
    """The refusal for a payment the free balance can't cover; names what a running payday holds."""
    needs = f"Not enough balance: this needs {format_money(needed_minor, currency)}"
    if not reserved_minor:
        return f"{needs} and the balance is {format_money(balance_minor, currency)}."
    whose = "your" if yours else "the"
    return (f"{needs}, and {format_money(reserved_minor, currency)} of {whose} balance of "
            f"{format_money(balance_minor, currency)} is reserved for the payday in progress, so "
            f"{format_money(balance_minor - reserved_minor, currency)} can be spent until it has paid.")


def check_amount(amount: Money, currency: str, limit_minor: int, what: str) -> None:
    if not isinstance(amount, Money):
        raise TypeError("amounts are Money")
    if amount.currency != currency:
        raise InvalidRequest(f"This community uses {currency}, not {amount.currency}.")
    if amount.amount_minor <= 0:
        raise InvalidRequest(f"A {what} must be more than zero.")
    if amount.amount_minor > limit_minor:
        raise OverLimit(f"A {what} is at most {format_money(limit_minor, currency)} here.")


def clean_note(note: str | None) -> str | None:
    if note is None:
        return None
    note = " ".join(note.split())[:NOTE_LENGTH]
    return note or None
