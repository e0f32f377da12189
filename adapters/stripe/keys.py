"""Idempotency keys: each derived from the id of the local row written before the call,
inside a namespace of this database's own.

Several Tipbot databases may share one Stripe account (staging and production, or
developers on one test key), and each has a charge row 1. A random namespace, made
once per database and kept in `stripe_installation`, keeps their keys apart: without
it Stripe would answer one database's charge with another's.
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from ledger.api import Ledger
from ledger.book import Book
from adapters.stripe.tables import stripe_installation


def namespace_of(book: Book) -> str:
    found = book.conn.execute(sa.select(stripe_installation.c.key_namespace)).scalar()
    if found is not None:
        return found
    try:
        with book.conn.begin_nested():
            book.conn.execute(stripe_installation.insert().values(id=1, key_namespace=f"tipbot-{secrets.token_hex(6)}"))
    except IntegrityError:  # made concurrently
        pass
    return book.conn.execute(sa.select(stripe_installation.c.key_namespace)).scalar_one()


def namespace(ledger: Ledger) -> str:
    """This database's key namespace, made on first use."""
    return ledger.run(namespace_of).value


def key(space: str, kind: str, row_id: int) -> str:
    """`{namespace}-{kind}-{row id}`: e.g. tipbot-3f9a0c12b4de-charge-17."""
    return f"{space}-{kind}-{row_id}"
