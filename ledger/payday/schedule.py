"""When paydays are due, and announcing each one once.

Each community has a cron schedule (`communities.payday_cron`, default Thursday
12:00 UTC). At any moment the due payday is the one of the week containing the
schedule's latest time at or before now, unless the community was created after
that time. Schedulers everywhere ask `due_paydays`; `run_payday` decides who runs.

Announcing (summary and notices) happens after the payday, outside its
transactions, so it is claimed with a lease: `claim_announcement` logs
`announcing` and only one process wins; if that process dies before logging
`announced`, another may claim it once the lease has expired, or at once when it
holds the community's payday claim (ledger.payday.claims: the claim died with the
process that held it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from croniter import croniter

from ledger.api import Ledger
from ledger.book import Book
from ledger.models import UtcTime, communities, paydays
from ledger.payday import stages
from ledger.payday.tables import payday_stages
from ledger.payday.weeks import as_utc, week_start_of
from ledger.records import Community

_COMMUNITY_COLUMNS = (communities.c.id, communities.c.name, communities.c.currency, communities.c.funding_mode,
                      communities.c.payday_cron, communities.c.max_weekly_minor, communities.c.max_once_minor,
                      communities.c.min_charge_minor)  # Community's fields, in order

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
    (communities whose schedule can't be read).

    A handful of queries whatever the number of communities: schedules are read once per
    distinct cron expression (most communities share the default), paydays in one query."""
    due: list[DuePayday] = []
    problems: list[str] = []
    with ledger.begin(readonly=True) as book:
        rows = book.conn.execute(sa.select(*_COMMUNITY_COLUMNS, communities.c.created_at)
                                 .order_by(communities.c.id)).all()
        scheduled_by_cron: dict[str, dt.datetime | BadSchedule] = {}
        for cron in {row.payday_cron for row in rows}:
            try:
                scheduled_by_cron[cron] = last_scheduled(cron, now)
            except BadSchedule as error:
                scheduled_by_cron[cron] = error
        weeks = {week_start_of(at) for at in scheduled_by_cron.values() if isinstance(at, dt.datetime)}
        announced = sa.exists().where(payday_stages.c.payday_id == paydays.c.id, payday_stages.c.stage == ANNOUNCED)
        existing = {(r.community_id, r.week_start): r for r in book.conn.execute(
            sa.select(paydays.c.community_id, paydays.c.week_start, paydays.c.id, paydays.c.stage,
                      announced.label("announced")).where(paydays.c.week_start.in_(sorted(weeks))))} if weeks else {}
        for row in rows:
            community = Community(*(getattr(row, c.name) for c in _COMMUNITY_COLUMNS))
            scheduled = scheduled_by_cron[row.payday_cron]
            if isinstance(scheduled, BadSchedule):
                problems.append(f"{community.name}: {scheduled}")
                continue
            if row.created_at is not None and as_utc(row.created_at) > scheduled:
                continue  # created after this week's payday time: its first payday is next time
            week = week_start_of(scheduled)
            payday = existing.get((community.id, week))
            if payday is not None and payday.stage == stages.DONE and payday.announced:
                continue
            due.append(DuePayday(community, week, scheduled, payday.id if payday else None,
                                 payday.stage if payday else None))
    return due, problems


# Opening at least this many paydays at once refreshes the planner's statistics of `paydays`.
ANALYZE_OPENED_MIN = 100

_OPEN_DUE = sa.text("""
WITH due (community_id, week_start) AS (
    SELECT * FROM unnest(CAST(:community_ids AS integer[]), CAST(:week_starts AS date[]))),
opened AS (
    INSERT INTO paydays (community_id, week_start, stage, snapshot_at, started_at)
    SELECT community_id, week_start, 'started', :now, :now FROM due
    ON CONFLICT (community_id, week_start) DO NOTHING
    RETURNING id)
INSERT INTO payday_stages (payday_id, stage, recorded_at) SELECT id, 'started', :now FROM opened
""").bindparams(sa.bindparam("now", type_=UtcTime))


def open_due_paydays(ledger: Ledger, due: list[DuePayday]) -> int:
    """PostgreSQL: create the payday rows of `due` not begun yet, at `started`, in one
    statement (each logged `started`, as run_payday's own claim would); returns how many.

    Why: thousands of communities due at once would each insert their row while the others
    run, and the plans PostgreSQL makes and caches on pooled connections (psycopg's prepared
    statements, every foreign key check against `paydays`) would be made while the table
    looked empty: sequential scans, read again for every payday as the table grows. Opened
    together, then analysed, every payday finds its row by the index. Another process opening
    the same ones meanwhile is harmless (ON CONFLICT DO NOTHING)."""
    if ledger.dialect != "postgresql":
        return 0
    unopened = [item for item in due if item.payday_id is None]
    if not unopened:
        return 0
    params = {"community_ids": [item.community.id for item in unopened],
              "week_starts": [item.week_start for item in unopened], "now": ledger.clock.now()}
    opened = ledger.run(lambda book: book.conn.execute(_OPEN_DUE, params).rowcount).value
    if opened >= ANALYZE_OPENED_MIN:
        ledger.analyze("paydays")
    return opened


def next_payday_at(ledger: Ledger, now: dt.datetime) -> dt.datetime | None:
    """The soonest scheduled payday time after `now` of any community (None: no schedule
    can be read). One read of the distinct schedules, not one per community."""
    crons = ledger.read(lambda book: book.conn.execute(sa.select(communities.c.payday_cron).distinct()).scalars().all())
    soonest = None
    for cron in crons:
        try:
            at = next_scheduled(cron, now)
        except BadSchedule:
            continue
        soonest = at if soonest is None else min(soonest, at)
    return soonest


def _announced(book: Book, payday_id: int) -> bool:
    return stages.times_logged(book.conn, payday_id, ANNOUNCED) > 0


@dataclass(frozen=True)
class AnnouncementClaim:
    resumed: bool  # an earlier attempt began it and never finished: some of it may be delivered


def claim_announcement(ledger: Ledger, payday_id: int, now: dt.datetime | None = None, *,
                       takeover: bool = False) -> AnnouncementClaim | None:
    """A claim for exactly one caller per payday (again only after a lease expires
    unannounced); None for the others.

    `takeover`: the caller holds the community's payday claim (ledger.payday.claims), so an
    announcement begun and never finished was begun by a process that died with its claim:
    take it over now instead of waiting for the lease."""
    now = as_utc(now or ledger.clock.now())

    def op(book: Book) -> AnnouncementClaim | None:
        conn = book.conn
        if stages.lock_stage(conn, payday_id) != stages.DONE or _announced(book, payday_id):
            return None
        latest = conn.execute(sa.select(sa.func.max(payday_stages.c.recorded_at)).where(
            payday_stages.c.payday_id == payday_id, payday_stages.c.stage == ANNOUNCING)).scalar()
        if latest is not None and as_utc(latest) > now - ANNOUNCE_LEASE and not takeover:
            return None
        conn.execute(payday_stages.insert().values(payday_id=payday_id, stage=ANNOUNCING, recorded_at=now))
        return AnnouncementClaim(resumed=latest is not None)

    return ledger.run(op).value


def mark_announced(ledger: Ledger, payday_id: int) -> None:
    ledger.run(lambda book: stages.record(book.conn, payday_id, ANNOUNCED))
