"""When paydays are due, and announcing each one once.

Each community has a cron schedule (`communities.payday_cron`, default Thursday
12:00 UTC). At any moment the due payday is the one of the week containing the
schedule's latest time at or before now, unless the community was created after
that time. Schedulers everywhere ask `due_paydays`; `run_payday` decides who runs.

Announcing (summary and notices) happens after the payday, outside its
transactions, so it is claimed with a lease: `claim_announcement` logs
`announcing` and only one process wins; if that process dies before logging
`announced`, another may claim it once the lease has expired.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from croniter import croniter

from ledger.api import Ledger
from ledger.book import Book
from ledger.models import communities, paydays
from ledger.payday import stages
from ledger.payday.tables import payday_stages
from ledger.payday.weeks import as_utc, week_start_of
from ledger.records import Community

ANNOUNCING = "announcing"
ANNOUNCED = "announced"
ANNOUNCE_LEASE = dt.timedelta(minutes=10)


class BadSchedule(ValueError):
    """A payday_cron croniter can't read."""


def last_scheduled(cron: str, now: dt.datetime) -> dt.datetime:
    """The schedule's latest time at or before `now` (UTC)."""
    now = as_utc(now)
    try:
        itr = croniter(cron, now + dt.timedelta(seconds=1))
        return as_utc(itr.get_prev(dt.datetime))
    except (ValueError, KeyError, TypeError) as error:
        raise BadSchedule(f"payday schedule {cron!r} can't be read: {error}") from error


def next_scheduled(cron: str, now: dt.datetime) -> dt.datetime:
    """The schedule's next time after `now` (UTC)."""
    try:
        return as_utc(croniter(cron, as_utc(now)).get_next(dt.datetime))
    except (ValueError, KeyError, TypeError) as error:
        raise BadSchedule(f"payday schedule {cron!r} can't be read: {error}") from error


@dataclass(frozen=True)
class DuePayday:
    community: Community
    week_start: dt.date
    scheduled_at: dt.datetime
    payday_id: int | None  # None: not started yet
    stage: str | None


def due_paydays(ledger: Ledger, now: dt.datetime) -> tuple[list[DuePayday], list[str]]:
    """Paydays due at `now` that are not finished or not announced yet; and problems
    (communities whose schedule can't be read)."""
    due: list[DuePayday] = []
    problems: list[str] = []
    with ledger.begin(readonly=True) as book:
        rows = book.conn.execute(sa.select(communities.c.id, communities.c.created_at)).all()
        for row in rows:
            community = book.community(row.id)
            try:
                scheduled = last_scheduled(community.payday_cron, now)
            except BadSchedule as error:
                problems.append(f"{community.name}: {error}")
                continue
            if row.created_at is not None and as_utc(row.created_at) > scheduled:
                continue  # created after this week's payday time: its first payday is next time
            week = week_start_of(scheduled)
            payday = book.conn.execute(sa.select(paydays.c.id, paydays.c.stage).where(
                paydays.c.community_id == community.id, paydays.c.week_start == week)).first()
            if payday is not None and payday.stage == stages.DONE and _announced(book, payday.id):
                continue
            due.append(DuePayday(community, week, scheduled, payday.id if payday else None,
                                 payday.stage if payday else None))
    return due, problems


def _announced(book: Book, payday_id: int) -> bool:
    return stages.times_logged(book.conn, payday_id, ANNOUNCED) > 0


def claim_announcement(ledger: Ledger, payday_id: int, now: dt.datetime | None = None) -> bool:
    """True for exactly one caller per payday (again only after a lease expires unannounced)."""
    now = as_utc(now or ledger.clock.now())

    def op(book: Book) -> bool:
        conn = book.conn
        if stages.lock_stage(conn, payday_id) != stages.DONE or _announced(book, payday_id):
            return False
        latest = conn.execute(sa.select(sa.func.max(payday_stages.c.recorded_at)).where(
            payday_stages.c.payday_id == payday_id, payday_stages.c.stage == ANNOUNCING)).scalar()
        if latest is not None and as_utc(latest) > now - ANNOUNCE_LEASE:
            return False
        conn.execute(payday_stages.insert().values(payday_id=payday_id, stage=ANNOUNCING, recorded_at=now))
        return True

    return bool(ledger.run(op).value)


def mark_announced(ledger: Ledger, payday_id: int) -> None:
    ledger.run(lambda book: stages.record(book.conn, payday_id, ANNOUNCED))
