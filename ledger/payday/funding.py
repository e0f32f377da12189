"""What a funding processor may read and change in the payday snapshot, and nothing else.

A processor (the Stripe adapter's) tells settlement what to pay through these calls,
never by writing the snapshot tables (ledger.payday.tables) itself: tips to members it
can't pay become pledges (`pledge_tips_to`), tips whose dues wait are deferred
(`defer_tippers`), and a charged pair's amount becomes what was charged for it
(`set_amounts_due`). Each keeps the running sums settlement reads (`cum_minor`) the way
the snapshot computes them, so settlement sees a consistent queue.
"""

from __future__ import annotations

from typing import NamedTuple

import sqlalchemy as sa

from ledger.book import Book
from ledger.payday.tables import payday_tips


def running_sums_kept() -> bool:
    """Whether this payday engine keeps a running sum per snapshot tip (`cum_minor`)."""
    return "cum_minor" in payday_tips.c


def forget_running_sums(book: Book, payday_id: int, tippers: set[int] | None = None) -> None:
    """Clear the snapshot's running sums before changing amounts (its CHECK allows NULL)."""
    if not running_sums_kept():
        return
    where = [payday_tips.c.payday_id == payday_id]
    if tippers is not None:
        where.append(payday_tips.c.tipper_id.in_(sorted(tippers)))
    book.conn.execute(payday_tips.update().where(*where).values(cum_minor=None))


def recompute_running_sums(book: Book, payday_id: int, tippers: set[int] | None = None) -> None:
    """The running sum of each tipper's due tips in funding order (ctime, tip id), as the
    snapshot computes it, after the Stripe stage changed amounts or what is due."""
    if not running_sums_kept():
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


def pledge_tips_to(book: Book, payday_id: int, *, not_in: sa.Select) -> None:
    """Due tips to anyone not in `not_in` (a SELECT of member ids) become pledges this payday."""
    forget_running_sums(book, payday_id)
    book.conn.execute(
        payday_tips.update()
        .where(payday_tips.c.payday_id == payday_id, payday_tips.c.due.is_(True),
               payday_tips.c.tippee_id.not_in(not_in))
        .values(due=False)
    )
    recompute_running_sums(book, payday_id)


class DueTip(NamedTuple):
    tipper_id: int
    tippee_id: int
    amount_minor: int


def due_tips(book: Book, payday_id: int, *, tippers_not_in: sa.Select) -> list[DueTip]:
    """The due tips of the snapshot, leaving out tippers in `tippers_not_in` (a SELECT of ids)."""
    rows = book.conn.execute(
        sa.select(payday_tips.c.tipper_id, payday_tips.c.tippee_id, payday_tips.c.amount_minor)
        .where(payday_tips.c.payday_id == payday_id, payday_tips.c.due.is_(True),
               payday_tips.c.tipper_id.not_in(tippers_not_in))
    ).all()
    return [DueTip(r.tipper_id, r.tippee_id, int(r.amount_minor)) for r in rows]


def defer_tippers(book: Book, payday_id: int, tippers: set[int]) -> None:
    """These tippers' tips are not due this payday: settlement neither pays them nor
    reports them unfunded (their dues wait for a later payday)."""
    if not tippers:
        return
    forget_running_sums(book, payday_id, tippers)
    book.conn.execute(payday_tips.update().where(payday_tips.c.payday_id == payday_id,
                                                 payday_tips.c.tipper_id.in_(sorted(tippers))).values(due=False))
    recompute_running_sums(book, payday_id, tippers)


def set_amounts_due(book: Book, payday_id: int, paid: dict[tuple[int, int], int]) -> None:
    """Settlement pays exactly `paid[(tipper, tippee)]` for these tippers' pairs this payday
    (a pair without a snapshot tip gets one from its current tip); their other pairs are
    not due."""
    charged = {tipper for tipper, _ in paid}
    forget_running_sums(book, payday_id, charged)
    snapshot = {
        (r.tipper_id, r.tippee_id)
        for r in book.conn.execute(sa.select(payday_tips.c.tipper_id, payday_tips.c.tippee_id)
                                   .where(payday_tips.c.payday_id == payday_id))
        if r.tipper_id in charged
    }
    pair = sa.and_(payday_tips.c.payday_id == payday_id, payday_tips.c.tipper_id == sa.bindparam("t"),
                   payday_tips.c.tippee_id == sa.bindparam("e"))
    updates = [{"t": t, "e": e, "a": amount} for (t, e), amount in paid.items() if (t, e) in snapshot]
    if updates:
        book.conn.execute(payday_tips.update().where(pair).values(amount_minor=sa.bindparam("a"), due=True), updates)
    for (tipper, tippee), amount in paid.items():
        if (tipper, tippee) in snapshot:
            continue
        tip = book.current_tip(tipper, tippee)  # dues only ever come from a tip, so there is one
        book.conn.execute(payday_tips.insert().values(
            payday_id=payday_id, tipper_id=tipper, tippee_id=tippee, tip_id=tip.id, amount_minor=amount,
            ctime=tip.ctime, due=True, anonymous=tip.anonymous))
    unpaid = [{"t": t, "e": e} for t, e in snapshot if (t, e) not in paid]  # not payable, or eaten by the fee
    if unpaid:
        book.conn.execute(payday_tips.update().where(pair).values(due=False), unpaid)
    recompute_running_sums(book, payday_id, charged)
