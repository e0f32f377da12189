"""Looking without touching: a dry run and the status of a community's paydays."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from ledger.api import Ledger
from ledger.book import Book
from ledger.models import paydays
from ledger.payday import stages
from ledger.payday.run import PaydayResult
from ledger.payday.settle import plan_rounds
from ledger.payday.snapshot import take_snapshot
from ledger.payday.stats import compute_stats, unfunded_notices

MAX_DRY_RUN_ROUNDS = 10_000
NOTICE_PREVIEW = 50


def dry_run(ledger: Ledger, community_id: int, week_start: dt.date) -> PaydayResult:
    """What the next payday not yet run (this week's, or a later one) would pay now.

    Snapshot and planning run inside one transaction that is rolled back; the
    plan is neither reserved nor applied, so a dry run locks no member's balance and
    leaves no trace. (A processor's charges are not simulated: in Stripe mode the dry run
    shows what balances alone would fund.)
    """
    with ledger.engine.connect() as conn:
        transaction = conn.begin()
        try:
            book = Book(conn, ledger.clock)
            community = book.community(community_id)
            week = week_start
            while conn.execute(sa.select(paydays.c.id).where(
                    paydays.c.community_id == community_id, paydays.c.week_start == week)).first() is not None:
                week += dt.timedelta(days=7)
            payday_id = conn.execute(paydays.insert().values(
                community_id=community_id, week_start=week, stage=stages.STARTED, snapshot_at=ledger.clock.now(),
                started_at=ledger.clock.now(),
            ).returning(paydays.c.id)).scalar_one()
            take_snapshot(conn, payday_id, community_id)
            planned = plan_rounds(conn, payday_id, reserve=False, max_rounds=MAX_DRY_RUN_ROUNDS)
            rounds = sum(1 for count, _amount in planned if count)
            stats = compute_stats(conn, payday_id, community_id, week, community.currency, rounds)
            notices = tuple(unfunded_notices(conn, payday_id, limit=NOTICE_PREVIEW))
        finally:
            transaction.rollback()
    return PaydayResult(status="dry_run", community_id=community.id, community_name=community.name,
                        currency=community.currency, week_start=week, stats=stats, notices=notices)


def payday_status(ledger: Ledger, community_id: int, week_start: dt.date) -> dict[str, Any]:
    """This week's payday (if any, with its stage log) and the last finished one."""
    with ledger.begin(readonly=True) as book:
        conn = book.conn
        row = conn.execute(sa.select(paydays).where(
            paydays.c.community_id == community_id, paydays.c.week_start == week_start)).first()
        last = conn.execute(
            sa.select(paydays).where(paydays.c.community_id == community_id, paydays.c.stage == stages.DONE)
            .order_by(paydays.c.week_start.desc()).limit(1)
        ).first()
        log = stages.stage_log(conn, row.id) if row is not None else []
    return {
        "week_start": week_start,
        "this_week": None if row is None else {
            "payday_id": row.id, "stage": row.stage, "started_at": row.started_at,
            "finished_at": row.finished_at, "stats": row.stats, "log": log,
        },
        "last_done": None if last is None else {
            "payday_id": last.id, "week_start": last.week_start, "finished_at": last.finished_at,
            "stats": last.stats,
        },
    }
