"""Running one community's payday for one week: exactly once, resumable.

Exactly once: the paydays row is unique per (community, week_start); whoever
finds it `done` reports "already ran" and writes nothing. On PostgreSQL a
session advisory lock keyed by the payday id lets one process at a time drive it
(the server drops the lock when a process dies, so the next one resumes); on
SQLite BEGIN IMMEDIATE serialises writers. Either way every stage transaction
re-reads the stage under a lock and does nothing unless it is the expected one,
so even two drivers at once cannot apply a stage twice.

Resume: each stage commits its effects together with its stage record, so a
payday killed at any moment restarts from the last committed stage; with the
snapshot frozen, the rerun ends exactly where an uninterrupted run would.

Small paydays (no funding processor, at most ONE_TRANSACTION_MAX_TIPS tips) run every
stage in one transaction instead: one commit, so one WAL flush, instead of ten; a crash
undoes the whole payday, which then runs again from the start (docs/architecture.md,
"Payday"). The stages, their checks and their log are the same.

Crash injection for tests: see ledger/payday/crash.py.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError, IntegrityError

from ledger.api import Ledger, is_retryable
from ledger.book import Book
from ledger.models import paydays
from ledger.payday import stages
from ledger.payday.crash import CrashHook, PaydayCrash, crash_hook_from_env
from ledger.payday.processors import PaydayProcessor, ProcessorFactory, processor_for
from ledger.payday.projects import split_projects
from ledger.payday.run import PaydayResult, PaydayRun, Progress
from ledger.payday.settle import apply_plan, plan_is_reserved, plan_rounds, restart_planning
from ledger.payday.snapshot import ANALYZE_MIN_MEMBERS, take_snapshot
from ledger.payday.stats import compute_stats
from ledger.records import Community
from ledger.sql import sql

__all__ = ["PaydayCrash", "PaydayResult", "PaydayRun", "crash_hook_from_env", "run_payday"]

log = logging.getLogger(__name__)

ADVISORY_NAMESPACE = 7_461_012  # first key of pg_advisory_lock(int, int): "payday"
# A snapshot this big refreshes the planner's statistics before the next stages (ANALYZE);
# a small one would pay that fixed cost (tens of ms, scanning a sample of every payday's
# rows) for plans that are fine anyway: with thousands of small paydays it was most of each.
ANALYZE_MIN_TIPS = 5_000
# A payday whose snapshot holds at most this many tips runs in one transaction (tens of ms
# of row locks); a bigger one commits stage by stage, so members' own payments and tips never
# wait long for it.
ONE_TRANSACTION_MAX_TIPS = 1_000
_DEFAULT = object()


def run_payday(ledger: Ledger, community_id: int, week_start: dt.date, *,
               processors: Mapping[str, ProcessorFactory] | None = None, processor: Any = _DEFAULT,
               crash: CrashHook | None = _DEFAULT, progress: Progress | None = None,
               wait: bool = False, one_transaction: bool | None = None) -> PaydayResult:  # type: ignore[assignment]
    """Run (or resume) the payday of `community_id` for the week starting `week_start` (a Monday).

    The community's funding mode picks its processor from `processors` (mode -> factory;
    manual mode needs none); tests may pass one `processor` directly. Returns status
    "already_ran" without writing anything when it is done, and "running_elsewhere" when
    another PostgreSQL process holds it (unless `wait`). `one_transaction`: whether a small
    payday without a processor runs in one transaction; by default yes, unless a crash hook
    is set (tests stopping a payday between stages want them committed one by one).
    """
    assert week_start.weekday() == 0, "a payday week starts on a Monday"
    community = ledger.read(lambda book: book.community(community_id))
    if processor is _DEFAULT:
        processor = processor_for(community, processors or {})
    if crash is _DEFAULT:
        crash = crash_hook_from_env()
    result = _result_for(community, week_start)
    payday_id, stage, _created = _claim(ledger, community.id, week_start)
    if stage == stages.DONE:
        return result(status="already_ran", payday_id=payday_id, stage=stage, stats=_stats(ledger, payday_id))
    with _exclusive(ledger, payday_id, wait=wait) as acquired:
        if not acquired:
            return result(status="running_elsewhere", payday_id=payday_id, stage=stage)
        run = PaydayRun(ledger, payday_id, community, week_start, crash, progress)
        if one_transaction is None:
            one_transaction = crash is None
        _drive(run, processor, stage, one_transaction=one_transaction and processor is None)
        # "ran": this call took the snapshot; "resumed": it carried on a payday begun before
        # (a crash, or a driver that stopped); "already_ran": another driver did all of it.
        status = "ran" if run.took_snapshot else "resumed" if run.driven else "already_ran"
        stats = run.stats if run.stats is not None else _stats(ledger, payday_id)  # another driver finished it
        return result(status=status, payday_id=payday_id, stage=stages.DONE, stats=stats)


def _drive(run: PaydayRun, processor: PaydayProcessor | None, stage: str, *, one_transaction: bool) -> None:
    plan = _PlanCheck(run, processor)
    if one_transaction and stage == stages.STARTED:
        stage = _in_one_transaction(run, plan)
    _stages(run, plan, processor, stage)


def _stages(run: PaydayRun, plan: _PlanCheck, processor: PaydayProcessor | None, stage: str) -> None:
    """The stages, in order, from `stage` (what the claim read; it may be behind: each stage
    transaction checks under its lock). Each step gets the stage its predecessor left and
    does nothing when the payday is past it (a resumed run, or another driver got there first)."""
    stage = _take_snapshot(run, stage)
    if run.open_conn is not None and _too_big_for_one_transaction(run):
        raise _CommitTheSnapshot(stage)
    if processor is not None:
        stage = _bring_money_in(run, processor, stage)
    stage = _apply_plan(run, plan, _plan_rounds(run, plan, stage))
    while stage not in _SETTLED_OR_LATER:  # a plan its reservations did not cover: planned again
        stage = _apply_plan(run, plan, _plan_rounds(run, plan, stage))
    stage = _split_projects(run, stage)
    if processor is not None:
        stage = _send_money_out(run, processor, stage)
    _record_stats(run, processor, stage)


_SETTLED_OR_LATER = (stages.SETTLED, stages.SPLIT, stages.PAID_OUT, stages.DONE)


class _CommitTheSnapshot(Exception):
    """The snapshot is too big for one transaction: commit it and go on stage by stage."""

    def __init__(self, stage: str) -> None:
        super().__init__(stage)
        self.stage = stage


def _too_big_for_one_transaction(run: PaydayRun) -> bool:
    """Many tips (row locks held long), or members enough that the snapshot ran ANALYZE
    (its lock on payday_members would make other communities' paydays wait until the commit)."""
    return (run.snapshot_tips or 0) > ONE_TRANSACTION_MAX_TIPS or (run.snapshot_members or 0) >= ANALYZE_MIN_MEMBERS


def _in_one_transaction(run: PaydayRun, plan: _PlanCheck) -> str:
    """Every stage of a small payday in one transaction (REPEATABLE READ on PostgreSQL, like
    the snapshot alone otherwise). Returns the stage it committed: `done`; `snapshotted` when
    the snapshot was too big (the rest goes stage by stage); or, committing nothing, the
    stage another driver left, or `started` when a concurrent write made PostgreSQL refuse
    the transaction (a member paying meanwhile): the stages then run one by one."""
    try:
        with run.ledger.begin() as book:
            conn = book.conn
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            current = stages.lock_stage(conn, run.payday_id)
            if current != stages.STARTED:
                return current  # another driver began it meanwhile
            run.open_conn = conn
            plan.trusted = True  # this driver makes the plan (and, in one transaction, reserves nothing)
            try:
                _stages(run, plan, None, stages.STARTED)
                reached = stages.DONE
            except _CommitTheSnapshot as big:
                reached = big.stage
            finally:
                run.open_conn = None
            run.write_held_stages(conn)
    except DBAPIError as error:
        if not is_retryable(error):
            raise
        log.info("payday %s: one transaction gave way to a concurrent write; going stage by stage", run.payday_id)
        run.held_reports.clear()
        run.forget_held()
        run.snapshot_tips = run.snapshot_members = run.stats = None
        plan.trusted = False
        return stages.STARTED
    run.driven = run.took_snapshot = True
    reports, run.held_reports = run.held_reports, []
    for stage, detail in reports:
        run.report(stage, detail)
    run.crash_point(reached)
    if reached == stages.SNAPSHOTTED and (run.snapshot_tips or 0) >= ANALYZE_MIN_TIPS:
        run.ledger.analyze("payday_tips", "payday_members")
    return reached


def _take_snapshot(run: PaydayRun, stage: str) -> str:
    if stage != stages.STARTED:
        return stage

    def snapshot(conn: sa.Connection, current: str) -> str:
        counts = take_snapshot(conn, run.payday_id, run.community.id)
        run.snapshot_tips = counts["tips"]
        # A snapshot that ran ANALYZE holds its table lock until the commit: commit it first.
        run.snapshot_members = counts["members"]
        run.advance(conn, current, stages.SNAPSHOTTED, snapshot_at=stages.now(conn))
        run.report(stages.SNAPSHOTTED, f"{counts['tips']} tips, {counts['due']} due")
        return stages.SNAPSHOTTED

    stage = _stage_transaction(run, stages.STARTED, snapshot, repeatable_read=True)
    if run.open_conn is None and (run.snapshot_tips or 0) >= ANALYZE_MIN_TIPS:
        run.ledger.analyze("payday_tips", "payday_members")
    return stage


def _bring_money_in(run: PaydayRun, processor: PaydayProcessor, stage: str) -> str:
    if stage != stages.SNAPSHOTTED:
        return stage
    run.crash_point(f"{stages.FUNDED}:before")
    processor.before_settlement(run)
    return _stage_transaction(run, stages.SNAPSHOTTED, _advance_to(run, stages.FUNDED))


class _PlanCheck:
    """Whether the stored plan is covered by its reservations: checked once per driver, at
    the first round or settlement it resumes; from then on only this driver's rounds change it."""

    def __init__(self, run: PaydayRun, processor: PaydayProcessor | None) -> None:
        self.run = run
        self.restart = stages.FUNDED if processor is not None else stages.SNAPSHOTTED
        self.trusted = False

    def stale(self, conn: sa.Connection) -> bool:
        if not self.trusted:
            self.trusted = plan_is_reserved(conn, self.run.payday_id)
        return not self.trusted

    def restart_planning(self, conn: sa.Connection, current: str) -> str:
        """A plan its reservations don't cover (made before reservations existed, e.g. a payday
        left at `planned` by an older version while members kept spending): plan again."""
        restart_planning(conn, self.run.payday_id)
        stages.record(conn, self.run.payday_id, stages.REPLANNED)
        self.run.advance(conn, current, self.restart)
        self.run.report(stages.REPLANNED, "the plan was not reserved; planning again from the snapshot")
        return stages.REPLANNED

    def stage_after(self, reached: str) -> str:
        """The payday's stage once a transaction reached `reached` (`replanned` is only logged)."""
        return self.restart if reached == stages.REPLANNED else reached


def _plan_rounds(run: PaydayRun, plan: _PlanCheck, stage: str) -> str:
    """Every round in one transaction, each recorded, until one pays nothing: then the plan
    is `planned`, reserved and committed at once (a crash plans again from the snapshot)."""
    def rounds(conn: sa.Connection, current: str) -> str:
        if plan.stale(conn):
            return plan.restart_planning(conn, current)
        reached = current

        def on_round(number: int, count: int, amount: int) -> None:
            nonlocal reached
            stage = stages.round_stage(number) if count else stages.PLANNED
            run.advance(conn, reached, stage)
            run.report(stage, f"round {number}: {count} tips, {amount} minor units")
            reached = stage
            if count:
                run.crash_point(f"{stage}:before-commit")

        # Inside the one transaction nothing needs holding for later stages: a member paying
        # meanwhile makes PostgreSQL refuse it (REPEATABLE READ), and it goes stage by stage.
        plan_rounds(conn, run.payday_id, stages.round_of(current), reserve=run.open_conn is None,
                    on_round=on_round)
        return reached

    while stage in (stages.SNAPSHOTTED, stages.FUNDED) or stage.startswith(stages.ROUND_PREFIX):
        stage = plan.stage_after(_stage_transaction(run, stage, rounds))
    return stage


def _apply_plan(run: PaydayRun, plan: _PlanCheck, stage: str) -> str:
    """Settle: apply the planned (and reserved) transfers. When the plan was not reserved,
    planning starts again (the stage goes back to before the rounds)."""
    def apply(conn: sa.Connection, current: str) -> str:
        if plan.stale(conn):
            return plan.restart_planning(conn, current)
        count, amount = apply_plan(conn, run.payday_id, run.community.id, run.community.currency,
                                   after_snapshot=run.open_conn is not None)
        run.advance(conn, current, stages.SETTLED)
        run.report(stages.SETTLED, f"{count} transfers, {amount} minor units")
        return stages.SETTLED

    if stage != stages.PLANNED:
        return stage
    return plan.stage_after(_stage_transaction(run, stages.PLANNED, apply))


def _split_projects(run: PaydayRun, stage: str) -> str:
    """Share each project's pool (this week's income plus leftover) among its maintainers,
    in SQL, recorded as the `split` stage: after settlement, before any payout."""
    if stage != stages.SETTLED:
        return stage

    def split(conn: sa.Connection, current: str) -> str:
        count, amount = split_projects(conn, run.payday_id, run.community.id, run.community.currency)
        run.advance(conn, current, stages.SPLIT)
        run.report(stages.SPLIT, f"{count} shares to maintainers, {amount} minor units")
        return stages.SPLIT

    return _stage_transaction(run, stages.SETTLED, split)


def _send_money_out(run: PaydayRun, processor: PaydayProcessor, stage: str) -> str:
    if stage != stages.SPLIT:
        return stage
    run.crash_point(f"{stages.PAID_OUT}:before")
    processor.after_settlement(run)
    return _stage_transaction(run, stages.SPLIT, _advance_to(run, stages.PAID_OUT))


def _record_stats(run: PaydayRun, processor: PaydayProcessor | None, stage: str) -> None:
    ready = (stages.PAID_OUT,) if processor is not None else (stages.SPLIT, stages.PAID_OUT)
    if stage == stages.DONE:
        return
    if stage not in ready:
        raise RuntimeError(f"payday {run.payday_id}: at stage {stage!r}, expected one of {ready}")

    def finish(conn: sa.Connection, current: str) -> str:
        rounds = conn.execute(sql(
            "SELECT COUNT(*) FROM payday_rounds WHERE payday_id = :p AND tips_paid > 0"
        ), {"p": run.payday_id}).scalar_one()
        stats = compute_stats(conn, run.payday_id, run.community.id, run.week_start, run.community.currency,
                              int(rounds))
        run.advance(conn, current, stages.DONE, stats=stats, finished_at=stages.now(conn))
        run.stats = json.loads(json.dumps(stats))  # as a later read gives it back
        run.report(stages.DONE, "stats recorded")
        return stages.DONE

    _stage_transaction(run, stage, finish)


def _advance_to(run: PaydayRun, target: str) -> Callable[[sa.Connection, str], str]:
    def advance(conn: sa.Connection, current: str) -> str:
        run.advance(conn, current, target)
        run.report(target)
        return target
    return advance


def _stage_transaction(run: PaydayRun, expected: str, fn: Callable[[sa.Connection, str], str], *,
                       repeatable_read: bool = False) -> str:
    """Run one stage in one transaction (retried on deadlocks), if still at `expected`.
    Returns what `fn` reached, or the stage another driver left when it was not `expected`.
    Inside a small payday's one transaction, which holds the row since `started`, just run it."""
    if run.open_conn is not None:
        reached = fn(run.open_conn, expected)
        run.crash_point(f"{reached}:before-commit")
        return reached

    def op(book: Book) -> tuple[bool, str]:
        conn = book.conn
        if repeatable_read and conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        current = stages.lock_stage(conn, run.payday_id)
        if current != expected:
            return False, current  # another driver did this stage meanwhile
        reached = fn(conn, expected)
        run.crash_point(f"{reached}:before-commit")
        return True, reached

    ran, stage = run.ledger.run(op).value
    if ran:
        run.driven = True
        run.took_snapshot = run.took_snapshot or expected == stages.STARTED
        run.crash_point(stage)
    return stage


def _claim(ledger: Ledger, community_id: int, week_start: dt.date) -> tuple[int, str, bool]:
    """The (community, week) payday row, inserted if missing: (id, stage, created)."""
    where = sa.and_(paydays.c.community_id == community_id, paydays.c.week_start == week_start)

    def op(book: Book) -> list:
        conn = book.conn
        row = conn.execute(sa.select(paydays.c.id, paydays.c.stage).where(where)).first()
        if row is not None:
            return [row.id, row.stage, False]
        try:
            with conn.begin_nested():
                payday_id = conn.execute(paydays.insert().values(
                    community_id=community_id, week_start=week_start, stage=stages.STARTED,
                    snapshot_at=stages.now(conn), started_at=stages.now(conn)).returning(paydays.c.id)).scalar_one()
                stages.record(conn, payday_id, stages.STARTED)
        except IntegrityError:  # another process created it first
            row = conn.execute(sa.select(paydays.c.id, paydays.c.stage).where(where)).one()
            return [row.id, row.stage, False]
        return [payday_id, stages.STARTED, True]

    payday_id, stage, created = ledger.run(op).value
    return payday_id, stage, created


@contextmanager
def _exclusive(ledger: Ledger, payday_id: int, *, wait: bool) -> Iterator[bool]:
    """PostgreSQL: hold a session advisory lock on the payday while driving it."""
    if ledger.dialect != "postgresql":
        yield True
        return
    with ledger.engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        function = "pg_advisory_lock" if wait else "pg_try_advisory_lock"
        acquired = conn.execute(sql(f"SELECT {function}(:ns, :id)"),
                                {"ns": ADVISORY_NAMESPACE, "id": payday_id}).scalar()
        acquired = True if wait else bool(acquired)
        try:
            yield acquired
        finally:
            if acquired:
                conn.execute(sql("SELECT pg_advisory_unlock(:ns, :id)"),
                             {"ns": ADVISORY_NAMESPACE, "id": payday_id})


def _stats(ledger: Ledger, payday_id: int) -> dict[str, Any] | None:
    with ledger.begin(readonly=True) as book:
        return book.conn.execute(sa.select(paydays.c.stats).where(paydays.c.id == payday_id)).scalar_one()


def _result_for(community: Community, week_start: dt.date) -> Callable[..., PaydayResult]:
    def result(**values: Any) -> PaydayResult:
        return PaydayResult(community_id=community.id, community_name=community.name,
                            currency=community.currency, week_start=week_start, **values)
    return result
