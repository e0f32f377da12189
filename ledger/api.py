"""The ledger API: the one writer path for money.

`Ledger.run(op, key=...)` runs `op(book)` in one transaction. With an idempotency
key, a repeat returns the first outcome and writes nothing: the key is inserted in
the same transaction as the effect, so the unique index on `operations.key` decides
between concurrent duplicates. Refusals roll back, leaving the database unchanged.

Row locks are always taken in ascending account id order (SELECT ... FOR UPDATE),
so concurrent transfers on PostgreSQL cannot deadlock, and a balance is only
checked and moved while its row is locked: no read-then-write races.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError, IntegrityError

from ledger import db, exports
from ledger.book import Book
from ledger.clock import Clock, clock_of, with_clock
from ledger.errors import Refusal
from ledger.models import operations
from ledger.records import Outcome

log = logging.getLogger(__name__)

T = TypeVar("T")

MAX_ATTEMPTS = 5  # retries for deadlocks, serialization failures, racing get-or-create
RETRYABLE_PGCODES = {"40001", "40P01", "55P03"}


class Ledger:
    """A handle on one database. Thread-safe: every call takes its own connection.

    `clock` is the one clock the ledger reads (see ledger/clock.py); by default the
    one `engine` already carries, else the system clock.
    """

    def __init__(self, engine: sa.Engine, clock: Clock | None = None) -> None:
        self.clock: Clock = clock or clock_of(engine)
        self.engine = with_clock(engine, self.clock)
        self._readonly_engine = self.engine.execution_options(tipbot_readonly=True)

    @classmethod
    def connect(cls, url: str | None = None, *, upgrade: bool | None = None, clock: Clock | None = None,
                **engine_kwargs) -> Ledger:
        """Open the database; SQLite files upgrade themselves (PostgreSQL: `tipbot db upgrade`)."""
        engine = db.make_engine(url, **engine_kwargs)
        if upgrade or (upgrade is None and db.is_sqlite(engine)):
            db.upgrade(engine)
        return cls(engine, clock)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def dispose(self) -> None:
        self.engine.dispose()

    def ping(self) -> None:
        """Raise unless the database answers a trivial query (health checks)."""
        with self._readonly_engine.connect() as connection:
            connection.execute(sa.text("SELECT 1")).scalar_one()

    def analyze(self, *tables: str) -> None:
        """PostgreSQL: refresh the planner's statistics of tables just filled in bulk, so the
        next statements (and the plans pooled connections cache) are made for their real size,
        not for what the last ANALYZE saw. Best effort: a role that may not ANALYZE skips it."""
        if self.dialect != "postgresql":
            return
        try:
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                for table in tables:
                    conn.exec_driver_sql(f"ANALYZE {table}")
        except DBAPIError:
            log.warning("ANALYZE %s failed; going on", ", ".join(tables), exc_info=True)

    def pending_migrations(self) -> set[str]:
        """Migration heads the database has not reached (readiness: empty when current)."""
        return db.pending_revisions(self.engine)

    @contextmanager
    def begin(self, *, readonly: bool = False) -> Iterator[Book]:
        engine = self._readonly_engine if readonly else self.engine
        with engine.begin() as connection:
            yield Book(connection, self.clock)

    def export_transfers(self, community_id: int, *, since: dt.date | None = None,
                         references: Callable[[Book, Sequence[Mapping[str, Any]]], Mapping[int, str]] | None = None,
                         payday_of: Callable[[Book, Sequence[Mapping[str, Any]]], Mapping[int, int]] | None = None,
                         ) -> Iterator[dict[str, Any]]:
        """Every transfer of the community as export rows (ledger/exports.py), streamed from one
        read-only transaction; `references(book, rows)` adds outside ids to each batch and
        `payday_of(book, rows)` the paydays of transfers recorded without one. A generator: its
        transaction ends when it is read to the end or closed."""
        with self.begin(readonly=True) as book:
            refs = None if references is None else (lambda conn, rows: references(book, rows))
            paydays = None if payday_of is None else (lambda conn, rows: payday_of(book, rows))
            yield from exports.export_transfers(book.conn, community_id, since=since, references=refs,
                                                payday_of=paydays)

    def read(self, op: Callable[[Book], T]) -> T:
        """Run a read-only `op` in one transaction."""
        with self.begin(readonly=True) as book:
            return op(book)

    def run(self, op: Callable[[Book], Any], *, key: str | None = None) -> Outcome:
        """Run `op` in one write transaction; with `key`, at most once ever.

        `op`'s return value must be JSON-serialisable when a key is given: it is
        stored and returned unchanged to every repeat.
        """
        if key is not None and not 0 < len(key) <= 255:
            raise ValueError("idempotency keys are 1 to 255 characters")
        for attempt in range(1, MAX_ATTEMPTS + 1):
            committing = False
            try:
                with self.engine.begin() as connection:
                    value = op(Book(connection, self.clock))
                    if key is not None:
                        connection.execute(_insert_operation, {"key": key, "outcome": value,
                                                               "created_at": self.clock.now()})
                    committing = True
                return Outcome(value)
            except Refusal:
                recorded = self._recorded(key)
                if recorded is not None:
                    return recorded
                raise
            except IntegrityError:
                recorded = self._recorded(key)
                if recorded is not None:
                    return recorded
                if attempt == MAX_ATTEMPTS:
                    raise
            except DBAPIError as error:
                # A connection lost during COMMIT may have committed: only a keyed
                # request is safe to run again (its repeat finds the key).
                lost = error.connection_invalidated and (not committing or key is not None)
                if not (lost or is_retryable(error)) or attempt == MAX_ATTEMPTS:
                    raise
            time.sleep(0.005 * attempt)
        raise AssertionError("unreachable")

    def _recorded(self, key: str | None) -> Outcome | None:
        if key is None:
            return None
        with self._readonly_engine.begin() as connection:
            row = connection.execute(
                sa.select(operations.c.outcome).where(operations.c.key == key)
            ).first()
        return None if row is None else Outcome(row.outcome, repeated=True)

    # One-transaction conveniences over Book, for callers without their own op.

    def tip_once(self, tipper_id: int, gifts: Sequence[tuple[int, Any]], *, key: str | None,
                 note: str | None = None) -> Outcome:
        return self.run(lambda b: b.tip_once(tipper_id, gifts, note=note), key=key)

    def set_tip(self, tipper_id: int, tippee_id: int, weekly, *, key: str | None,
                note: str | None = None) -> Outcome:
        return self.run(lambda b: b.set_tip(tipper_id, tippee_id, weekly, note=note).to_json(), key=key)

    def credit(self, member_id: int, amount, *, by_admin: bool, key: str | None,
               note: str | None = None) -> Outcome:
        return self.run(lambda b: b.credit(member_id, amount, by_admin=by_admin, note=note), key=key)

    def debit(self, member_id: int, amount, *, by_admin: bool, key: str | None,
              note: str | None = None) -> Outcome:
        return self.run(lambda b: b.debit(member_id, amount, by_admin=by_admin, note=note), key=key)

    def set_receiving(self, member_id: int, on: bool) -> Outcome:
        return self.run(lambda b: b.set_receiving(member_id, on))


_insert_operation = operations.insert()


def is_retryable(error: DBAPIError) -> bool:
    """A deadlock, a serialization failure, a lock not available or SQLite busy: try again."""
    code = getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None)
    if code in RETRYABLE_PGCODES:
        return True
    return "database is locked" in str(error.orig)
