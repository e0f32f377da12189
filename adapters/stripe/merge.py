"""Linking two identities (ledger/linking.py): a saved card and a connected account follow
the member that remains.

The member merged away has no ledger activity (linking refuses otherwise), but may have
saved a card (`/tip fund`) or connected an account (`/tip payout`) already. Each moves to
the remaining member when that member has none, or a lesser one (no card saved; an
account Stripe can't pay yet); otherwise the remaining member's is kept and the other
row is dropped (the Stripe objects stay at Stripe). Checkout requests move too.
"""

from __future__ import annotations

import sqlalchemy as sa

from ledger.book import Book
from adapters.stripe.tables import stripe_accounts, stripe_checkouts, stripe_customers


def _rank_card(row) -> tuple:
    return (row.payment_method_id is not None, row.payment_method_at or 0)


def _rank_account(row) -> tuple:
    return (bool(row.payable), row.account_id is not None)


def _move(book: Book, table: sa.Table, rank, old_id: int, remaining_id: int) -> bool:
    """Move `old_id`'s row of `table` to `remaining_id` if it ranks higher; True if it moved."""
    old = book.conn.execute(sa.select(table).where(table.c.member_id == old_id)).first()
    if old is None:
        return False
    kept = book.conn.execute(sa.select(table).where(table.c.member_id == remaining_id)).first()
    if kept is not None and rank(kept) >= rank(old):
        book.conn.execute(table.delete().where(table.c.member_id == old_id))
        return False
    if kept is not None:
        book.conn.execute(table.delete().where(table.c.member_id == remaining_id))
    book.conn.execute(table.update().where(table.c.member_id == old_id).values(member_id=remaining_id))
    return True


def merge_members(book: Book, old_member_id: int, remaining_member_id: int) -> None:
    _move(book, stripe_customers, _rank_card, old_member_id, remaining_member_id)
    if _move(book, stripe_accounts, _rank_account, old_member_id, remaining_member_id):
        account = book.conn.execute(sa.select(stripe_accounts.c.payable)
                                    .where(stripe_accounts.c.member_id == remaining_member_id)).scalar()
        if account:  # an account Stripe can pay is an opt-in to receive
            book.set_receiving(remaining_member_id, True)
    book.conn.execute(stripe_checkouts.update().where(stripe_checkouts.c.member_id == old_member_id)
                      .values(member_id=remaining_member_id))
