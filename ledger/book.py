"""Book: every ledger operation, bound to one open transaction."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from ledger.chat import Chat
from ledger.check import Problem, check_ledger, check_reservations, check_tips
from ledger.clock import Clock, clock_of
from ledger.directory import Directory
from ledger.pages import Pages
from ledger.payday.receipts import Receipt, payday_receipts, receipts_wanted
from ledger.payday.stats import UnfundedNotice, recent_paydays, unfunded_notices
from ledger.projects import Projects
from ledger.queries import Queries
from ledger.reactions import Reactions
from ledger.tips import Tips
from ledger.transfers import Transfers


class Book(Directory, Transfers, Tips, Queries, Projects, Chat, Reactions, Pages):
    """Obtained from `Ledger.begin()` or `Ledger.run()`; never outlives its transaction."""

    def __init__(self, connection: sa.Connection, clock: Clock | None = None) -> None:
        self.conn = connection  # for the ledger's own modules and adapters' own tables only
        self.clock: Clock = clock or clock_of(connection)  # the ledger's one clock

    def check(self) -> list[Problem | str]:
        """Every balance recomputed from its transfers, every pair's current tip, every
        reservation held by a running payday (`tipbot ledger check`)."""
        return [*check_ledger(self.conn), *check_tips(self.conn), *check_reservations(self.conn)]

    # What a finished payday reports (bot/summary.py announces it through these).

    def recent_paydays(self, community_id: int, weeks: int) -> list[tuple[dt.date, dict]]:
        return recent_paydays(self.conn, community_id, weeks)

    def unfunded_notices(self, payday_id: int, limit: int | None = None) -> list[UnfundedNotice]:
        return unfunded_notices(self.conn, payday_id, limit=limit)

    def payday_receipts(self, payday_id: int) -> list[Receipt]:
        return payday_receipts(self.conn, payday_id)

    def receipts_wanted(self, payday_id: int) -> int:
        return receipts_wanted(self.conn, payday_id)
