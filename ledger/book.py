"""Book: every ledger operation, bound to one open transaction."""

from __future__ import annotations

import sqlalchemy as sa

from ledger.clock import Clock, clock_of
from ledger.directory import Directory
from ledger.queries import Queries
from ledger.tips import Tips
from ledger.transfers import Transfers


class Book(Directory, Transfers, Tips, Queries):
    """Obtained from `Ledger.begin()` or `Ledger.run()`; never outlives its transaction."""

    def __init__(self, connection: sa.Connection, clock: Clock | None = None) -> None:
        self.conn = connection
        self.clock: Clock = clock or clock_of(connection)  # the ledger's one clock
