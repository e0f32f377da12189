"""What a payday run reports (`PaydayResult`) and what processor hooks get (`PaydayRun`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from ledger.api import Ledger
from ledger.payday import stages
from ledger.payday.crash import CrashHook
from ledger.payday.stats import UnfundedNotice
from ledger.payday.tables import payday_members, payday_tips
from ledger.records import Community

Progress = Callable[[str, str], None]


@dataclass(frozen=True)
class PaydayResult:
    status: str  # "ran" | "resumed" | "already_ran" | "running_elsewhere" | "dry_run"
    community_id: int
    community_name: str
    currency: str
    week_start: dt.date
    payday_id: int | None = None
    stage: str | None = None
    stats: dict[str, Any] | None = None
    notices: tuple[UnfundedNotice, ...] = ()  # dry runs only; real runs: ledger.payday.unfunded_notices

    def to_json(self) -> dict[str, Any]:
        return {"status": self.status, "community": self.community_name, "community_id": self.community_id,
                "currency": self.currency, "week_start": self.week_start.isoformat(), "payday_id": self.payday_id,
                "stage": self.stage, "stats": self.stats}


@dataclass
class PaydayRun:
    """What a processor hook gets: the payday being run and a way to reach the book."""

    ledger: Ledger
    payday_id: int
    community: Community
    week_start: dt.date
    crash: CrashHook | None = None
    progress: Progress | None = None
    driven: bool = False  # this call committed at least one stage
    took_snapshot: bool = False  # ... and the first one
    snapshot_tips: int | None = None  # tips in the snapshot, once known (a big one gets ANALYZE)
    snapshot_members: int | None = None  # members in the snapshot, when this driver took it
    stats: dict[str, Any] | None = None  # what this driver recorded at `done`
    # A small payday runs all its stages in one transaction (engine.py, `_in_one_transaction`):
    # its connection, and what is held back until it commits: reports, and stage moves
    # (written together, by `write_held_stages`, just before the commit).
    open_conn: sa.Connection | None = None
    held_reports: list[tuple[str, str]] = field(default_factory=list)
    held_stages: list[tuple[str, dt.datetime]] = field(default_factory=list)
    held_values: dict[str, Any] = field(default_factory=dict)

    def crash_point(self, point: str) -> None:
        if self.crash is not None:
            self.crash(point)

    def report(self, stage: str, detail: str = "") -> None:
        if self.open_conn is not None:  # not reached until the one transaction commits
            self.held_reports.append((stage, detail))
        elif self.progress is not None:
            self.progress(stage, detail)

    def advance(self, conn: sa.Connection, expected: str, stage: str, **values: Any) -> None:
        """Move the payday from `expected` to `stage` (stages.advance), or hold the move while
        the one transaction is open: it holds the paydays row locked since `started`."""
        if self.open_conn is None:
            stages.advance(conn, self.payday_id, expected, stage, **values)
            return
        self.held_stages.append((stage, stages.now(conn)))
        self.held_values.update(values)

    def write_held_stages(self, conn: sa.Connection) -> None:
        """Write the moves held in the one transaction (it began at `started`)."""
        if self.held_stages:
            stages.advance_through(conn, self.payday_id, stages.STARTED, self.held_stages, **self.held_values)
        self.forget_held()

    def forget_held(self) -> None:
        """The one transaction ended without them (rolled back, or written)."""
        self.held_stages, self.held_values = [], {}

    def due_by_tipper(self) -> dict[int, int]:
        """Per tipper: what their due tips (pledges excluded) need beyond their balance at the
        snapshot. Stable across reruns, so a resumed charge stage computes the same dues."""
        due = (
            sa.select(payday_tips.c.tipper_id, sa.func.sum(payday_tips.c.amount_minor).label("due_minor"))
            .where(payday_tips.c.payday_id == self.payday_id, payday_tips.c.due)
            .group_by(payday_tips.c.tipper_id).subquery()
        )
        query = (
            sa.select(due.c.tipper_id, (due.c.due_minor - payday_members.c.start_balance_minor).label("short_minor"))
            .join(payday_members, sa.and_(payday_members.c.payday_id == self.payday_id,
                                          payday_members.c.member_id == due.c.tipper_id))
            .where(due.c.due_minor > payday_members.c.start_balance_minor)
        )
        with self.ledger.begin(readonly=True) as book:
            return {r.tipper_id: int(r.short_minor) for r in book.conn.execute(query)}

    def transaction(self) -> Any:
        """A write transaction (context manager yielding a Book) for processor work."""
        return self.ledger.begin()
