"""A community's own Stripe choices (who pays card fees)."""

from __future__ import annotations

import sqlalchemy as sa

from ledger.book import Book
from ledger.errors import InvalidRequest
from adapters.stripe.tables import FEES_PAID_BY, stripe_settings


def set_fees_paid_by(book: Book, community_id: int, paid_by: str) -> None:
    if paid_by not in FEES_PAID_BY:
        raise InvalidRequest(f"Card fees are paid by one of: {', '.join(FEES_PAID_BY)}.")
    updated = book.conn.execute(stripe_settings.update().where(stripe_settings.c.community_id == community_id)
                                .values(fees_paid_by=paid_by)).rowcount
    if not updated:
        book.conn.execute(sa.insert(stripe_settings).values(community_id=community_id, fees_paid_by=paid_by))
