"""Dues: what each tipper owes each recipient in Stripe mode.

At each payday the tips due to recipients who can be paid (receiving, with a payable
connected account) add to the pair's dues, once per payday. A tipper is charged when
their dues reach the community's minimum charge; until then nothing moves, and
nothing is held: the recipients get the whole accumulated amount when the card is
charged. A tipper with 3 declines in a row is paused: no dues accrue until they fund again.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from ledger.book import Book
from ledger.models import members, transfers
from ledger.payday.funding import due_tips, pledge_tips_to
from adapters.stripe.tables import stripe_accounts, stripe_accruals, stripe_charges, stripe_customers, stripe_dues

PAUSE_AFTER_DECLINES = 3


def payable_members() -> sa.Select:
    """Ids of members who can receive in Stripe mode: opted in and Stripe can pay them."""
    return (
        sa.select(members.c.id)
        .join(stripe_accounts, stripe_accounts.c.member_id == members.c.id)
        .where(members.c.receiving.is_(True), stripe_accounts.c.payable.is_(True))
    )


def paused_members() -> sa.Select:
    return sa.select(stripe_customers.c.member_id).where(stripe_customers.c.declines >= PAUSE_AFTER_DECLINES)


def accrue(book: Book, community_id: int, payday_id: int) -> int | None:
    """Once per payday: make the snapshot's receiving test Stripe's, then add the due tips to the dues.

    In Stripe mode a tippee receives only once their connected account can be paid,
    so tips to anyone else become pledges in the payday's snapshot (ledger/payday/funding.py).
    Returns the pairs accrued, or None when this payday already accrued.
    """
    try:
        with book.conn.begin_nested():
            book.conn.execute(stripe_accruals.insert().values(payday_id=payday_id, tippers=0,
                                                            created_at=book.clock.now()))
    except IntegrityError:
        return None
    pledge_tips_to(book, payday_id, not_in=payable_members())
    rows = due_tips(book, payday_id, tippers_not_in=paused_members())
    if not rows:
        return 0
    existing = {
        (r.tipper_id, r.tippee_id)
        for r in book.conn.execute(
            sa.select(stripe_dues.c.tipper_id, stripe_dues.c.tippee_id).where(stripe_dues.c.community_id == community_id)
        )
    }
    grow = [{"t": r.tipper_id, "e": r.tippee_id, "a": r.amount_minor} for r in rows
            if (r.tipper_id, r.tippee_id) in existing]
    new = [{"tipper_id": r.tipper_id, "tippee_id": r.tippee_id, "community_id": community_id,
            "due_minor": r.amount_minor} for r in rows if (r.tipper_id, r.tippee_id) not in existing]
    if grow:
        book.conn.execute(
            stripe_dues.update()
            .where(stripe_dues.c.tipper_id == sa.bindparam("t"), stripe_dues.c.tippee_id == sa.bindparam("e"))
            .values(due_minor=stripe_dues.c.due_minor + sa.bindparam("a")),
            grow,
        )
    if new:
        book.conn.execute(stripe_dues.insert(), new)
    book.conn.execute(stripe_accruals.update().where(stripe_accruals.c.payday_id == payday_id)
                      .values(tippers=len({r.tipper_id for r in rows})))
    return len(rows)


def settle_balance_paid(book: Book, payday_id: int) -> None:
    """After settlement: tips a tipper paid from their own balance (no card charged this
    payday) no longer count as dues."""
    charged = sa.select(stripe_charges.c.member_id).where(stripe_charges.c.payday_id == payday_id,
                                                          stripe_charges.c.status == "succeeded")
    paid = book.conn.execute(
        sa.select(transfers.c.from_account_id, transfers.c.to_account_id, transfers.c.amount_minor)
        .where(transfers.c.payday_id == payday_id, transfers.c.kind == "tip",
               transfers.c.from_account_id.not_in(charged))
    ).all()
    for row in paid:
        book.conn.execute(
            stripe_dues.update()
            .where(stripe_dues.c.tipper_id == row.from_account_id, stripe_dues.c.tippee_id == row.to_account_id)
            .values(due_minor=sa.case((stripe_dues.c.due_minor > row.amount_minor,
                                       stripe_dues.c.due_minor - row.amount_minor), else_=0))
        )


def dues_of(book: Book, tipper_id: int) -> int:
    return int(book.conn.execute(  # SUM is NUMERIC on PostgreSQL
        sa.select(sa.func.coalesce(sa.func.sum(stripe_dues.c.due_minor), 0)).where(stripe_dues.c.tipper_id == tipper_id)
    ).scalar_one())
