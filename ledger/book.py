"""Book: every ledger operation, bound to one open transaction."""

from __future__ import annotations

import sqlalchemy as sa

from ledger.directory import Directory
from ledger.projects import Projects
from ledger.queries import Queries
from ledger.tips import Tips
from ledger.transfers import Transfers


class Book(Directory, Transfers, Tips, Queries, Projects):
    """Obtained from `Ledger.begin()` or `Ledger.run()`; never outlives its transaction."""

    def __init__(self, connection: sa.Connection) -> None:
        self.conn = connection
