"""How long idempotency records (`operations`) are kept, and pruning them after that.

A record only has to outlive every retry of its request: Slack retries within
minutes, Discord's interaction tokens last 15 minutes, Stripe retries webhooks for
3 days. Records are kept 7 days by default (`TIPBOT_OPERATIONS_RETENTION_DAYS`),
then the scheduler deletes them in batches of `BATCH_ROWS`, each its own short
transaction, so a huge backlog never holds a long lock. A request repeated after
its record is gone runs again.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from ledger.api import Ledger
from ledger.book import Book
from ledger.models import operations

DEFAULT_RETENTION = dt.timedelta(days=7)
MIN_RETENTION = dt.timedelta(days=3)  # Stripe's retry window: never less
BATCH_ROWS = 1000


def prune_operations(ledger: Ledger, *, now: dt.datetime, keep: dt.timedelta = DEFAULT_RETENTION,
                     batch_rows: int = BATCH_ROWS) -> int:
    """Delete the records created before `now - keep`, `batch_rows` per transaction; returns how many.

    `now` is a parameter (not read here) so callers and tests say what time it is."""
    if keep < MIN_RETENTION:
        raise ValueError(f"idempotency records must be kept at least {MIN_RETENTION.days} days")
    if now.tzinfo is None:
        raise ValueError("`now` must be timezone-aware")
    cutoff = now - keep
    total = 0
    while True:
        deleted = ledger.run(lambda book: _delete_batch(book, cutoff, batch_rows)).value
        total += deleted
        if deleted < batch_rows:
            return total


def _delete_batch(book: Book, cutoff: dt.datetime, batch_rows: int) -> int:
    # Rows another pruner holds are skipped (PostgreSQL), not waited for.
    expired = (sa.select(operations.c.id).where(operations.c.created_at < cutoff)
               .order_by(operations.c.created_at).limit(batch_rows).with_for_update(skip_locked=True))
    return book.conn.execute(operations.delete().where(operations.c.id.in_(expired.scalar_subquery()))).rowcount
