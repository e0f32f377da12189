"""Keeping the payday snapshot consistent after the Stripe stage edits it.

The Stripe stage tells settlement what to pay by editing the payday's snapshot
(ledger.payday.tables.payday_tips): tips to members Stripe can't pay become pledges,
and a charged pair's amount becomes its accumulated dues. When the payday engine
keeps a running sum per tip (`cum_minor`), it is recomputed the way the snapshot
computes it, so settlement sees a consistent queue.
"""

from __future__ import annotations

import sqlalchemy as sa

from ledger.book import Book
from ledger.payday.tables import payday_tips


def _running_sums_kept() -> bool:
    """Whether this payday engine keeps a running sum per snapshot tip (`cum_minor`)."""
    return "cum_minor" in payday_tips.c


def forget_running_sums(book: Book, payday_id: int, tippers: set[int] | None = None) -> None:
    """Clear the snapshot's running sums before changing amounts (its CHECK allows NULL)."""
    if not _running_sums_kept():
        return
    where = [payday_tips.c.payday_id == payday_id]
    if tippers is not None:
        where.append(payday_tips.c.tipper_id.in_(sorted(tippers)))
    book.conn.execute(payday_tips.update().where(*where).values(cum_minor=None))


def recompute_running_sums(book: Book, payday_id: int, tippers: set[int] | None = None) -> None:
    """The running sum of each tipper's due tips in funding order (ctime, tip id), as the
    snapshot computes it, after the Stripe stage changed amounts or what is due."""
    if not _running_sums_kept():
        return
    other = payday_tips.alias("other")
    running = (
        sa.select(sa.func.sum(other.c.amount_minor))
        .where(other.c.payday_id == payday_tips.c.payday_id, other.c.tipper_id == payday_tips.c.tipper_id,
               other.c.due.is_(True),
               sa.or_(other.c.ctime < payday_tips.c.ctime,
                      sa.and_(other.c.ctime == payday_tips.c.ctime, other.c.tip_id <= payday_tips.c.tip_id)))
        .scalar_subquery()
    )
    where = [payday_tips.c.payday_id == payday_id, payday_tips.c.due.is_(True)]
    if tippers is not None:
        where.append(payday_tips.c.tipper_id.in_(sorted(tippers)))
    book.conn.execute(payday_tips.update().where(*where).values(cum_minor=running))
