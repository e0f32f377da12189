"""What announcing a payday has delivered: each summary post and direct message once.

Announcing runs outside the payday's transactions and may die half-way (kill -9); the
process that takes it over (ledger.payday.schedule.claim_announcement) reads this log
and skips what was delivered. The row's primary key (payday, kind, target) makes a
second record of the same delivery impossible.

- A summary is recorded right after the platform accepted it. If the process died in
  between, the taker asks the platform whether the post is there (Platform.find_summary)
  before posting again.
- A direct message or a spotlight post is claimed before it is sent (at most once: a lost DM is better than
  two receipts); a send that fails releases its claim so a later attempt may send it.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from ledger.book import Book
from ledger.payday.tables import payday_deliveries

_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
DeliveryKind = Literal["summary", "spotlight", "unfunded", "receipt"]


def delivered(book: Book, payday_id: int, kind: DeliveryKind) -> set[int]:
    """Targets (space or member ids) this payday's `kind` was delivered or claimed for."""
    return set(book.conn.execute(sa.select(payday_deliveries.c.target_id).where(
        payday_deliveries.c.payday_id == payday_id, payday_deliveries.c.kind == kind)).scalars())


def record(book: Book, payday_id: int, kind: DeliveryKind, target_id: int, at: dt.datetime) -> bool:
    """Record (or claim) one delivery; False when it was already recorded. One statement:
    INSERT ... ON CONFLICT DO NOTHING (PostgreSQL and SQLite), no savepoint."""
    insert = _INSERTS[book.conn.dialect.name](payday_deliveries).values(
        payday_id=payday_id, kind=kind, target_id=target_id, delivered_at=at).on_conflict_do_nothing()
    return book.conn.execute(insert.returning(payday_deliveries.c.target_id)).first() is not None


def release(book: Book, payday_id: int, kind: DeliveryKind, target_id: int) -> None:
    """Give back a claim whose send failed, so a later attempt may send it."""
    book.conn.execute(payday_deliveries.delete().where(
        payday_deliveries.c.payday_id == payday_id, payday_deliveries.c.kind == kind,
        payday_deliveries.c.target_id == target_id))
