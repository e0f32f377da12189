"""The payday scheduler: every process may run it; the database decides who pays.

`run_scheduler(runtime, stop_event)` is the loop `tipbot run` starts: every
`scheduler_poll_seconds` (or at the next scheduled payday, whichever is sooner) it
looks at the due paydays (`run_due_tick`). Every process running it shares them:
a few workers per process each claim a community (ledger.payday.claims: claims held
by another process are skipped, and die with it), run its payday
(`ledger.payday.run_payday`: exactly once per community and week, resumed after a
crash) and announce it (`bot.summary.announce`: once, whoever ran it). When another
process held some, the next look comes after `scheduler_retry_seconds`, so a
claimant that died is taken over quickly.
Schedules are cron expressions per community (`communities.payday_cron`,
default `0 12 * * 4`: Thursday 12:00 UTC). Each tick also prunes idempotency
records older than the retention window (`prune_expired`, ledger.retention).
"""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import logging
import random
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import DBAPIError

from bot.logs import first_line
from bot.reactions import tell_reaction_authors
from bot.summary import Announcement, announce
from ledger.payday.engine import run_payday
from ledger.payday.run import PaydayResult
from ledger.payday.schedule import DuePayday, due_paydays, next_payday_at, open_due_paydays
from ledger.retention import prune_operations

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger(__name__)

@dataclass
class ScheduledRun:
    result: PaydayResult
    announcement: Announcement | None


async def run_community_payday(runtime: Runtime, community_id: int, week_start: dt.date, *,
                               progress=None, wait: bool = False, claimed: bool = False) -> ScheduledRun:
    """Run one payday in a worker thread, then announce it if it is done.

    `claimed`: the caller holds the community's payday claim (ledger.payday.claims), so an
    announcement a dead process began is taken over at once."""
    metrics = runtime.metrics

    def report(stage: str, detail: str) -> None:
        metrics.payday_stages.labels(stage.split(" ")[0]).inc()  # "round 3" counts as "round"
        if progress is not None:
            progress(stage, detail)

    started = time.perf_counter()
    try:
        result = await asyncio.to_thread(run_payday, runtime.ledger, community_id, week_start,
                                         processors=runtime.processors, progress=report, wait=wait)
    except Exception:
        metrics.paydays.labels("failed").inc()
        raise
    metrics.payday_seconds.labels("payday").observe(time.perf_counter() - started)
    metrics.paydays.labels(result.status).inc()
    if result.status in ("ran", "resumed") and result.stats:
        metrics.payday_tips.labels("paid").inc(result.stats.get("tips_paid", 0))
        metrics.payday_tips.labels("unfunded").inc(result.stats.get("unfunded_tips", 0))
    announcement = None
    if result.stage == "done":
        started = time.perf_counter()
        announcement = await announce(runtime, result, takeover=claimed and runtime.claims.shared)
        if announcement.skipped is None:
            metrics.payday_seconds.labels("announce").observe(time.perf_counter() - started)
    return ScheduledRun(result, announcement)


@dataclass
class Tick:
    """What one look at the due paydays did in this process."""

    runs: list[ScheduledRun] = field(default_factory=list)
    held_elsewhere: int = 0  # due paydays another process had claimed (it may die: look again soon)
    finished_elsewhere: int = 0  # due when listed, run and announced by another process since
    failed: int = 0


async def run_due_paydays(runtime: Runtime, now: dt.datetime | None = None) -> list[ScheduledRun]:
    """Run and announce every due payday this process can claim. One community failing never
    stops the others."""
    return (await run_due_tick(runtime, now)).runs


async def run_due_tick(runtime: Runtime, now: dt.datetime | None = None) -> Tick:
    """One look at the due paydays: `payday_concurrency` workers take them in turn, each
    claiming a community (skipped when another process holds it), running its payday and
    announcing it. Each process starts at its own place in the list, so processes mostly
    claim different communities instead of racing for the same ones."""
    now = now or runtime.clock.now()
    due, problems = await asyncio.to_thread(due_paydays, runtime.ledger, now)
    for problem in problems:
        log.warning("payday schedule: %s", problem)
    tick = Tick()
    if not due:
        return tick
    if runtime.claims.shared:  # the payday rows of every due community, in one statement
        await asyncio.to_thread(open_due_paydays, runtime.ledger, due)
    start = random.randrange(len(due))
    queue = collections.deque(due[start:] + due[:start])
    workers = runtime.settings.payday_concurrency if runtime.claims.shared else 1

    async def worker() -> None:
        while queue:
            item = queue.popleft()
            try:
                run = await _run_claimed(runtime, item)
            except Exception:
                tick.failed += 1
                log.exception("payday of %s for the week of %s failed; the next tick resumes it",
                              item.community.name, item.week_start)
                continue
            if run is _HELD_ELSEWHERE:
                tick.held_elsewhere += 1
            elif run is _FINISHED_ELSEWHERE:
                tick.finished_elsewhere += 1
            else:
                tick.runs.append(run)

    await asyncio.gather(*(worker() for _ in range(min(workers, len(due)))))
    return tick


_HELD_ELSEWHERE, _FINISHED_ELSEWHERE = "held elsewhere", "finished elsewhere"


async def _run_claimed(runtime: Runtime, item: DuePayday) -> ScheduledRun | str:
    """Run and announce `item` under this process's claim; or say that another process holds
    it, or has run and announced it since the due list was read."""
    community_id = item.community.id
    claimed = await asyncio.to_thread(runtime.claims.try_claim, community_id, item.week_start)
    if claimed is None:
        return _FINISHED_ELSEWHERE
    if not claimed:
        return _HELD_ELSEWHERE
    try:
        return await run_community_payday(runtime, community_id, item.week_start, claimed=True)
    finally:
        await asyncio.to_thread(runtime.claims.release, community_id)


def prune_expired(runtime: Runtime, now: dt.datetime) -> int:
    """Delete idempotency records older than the configured window; returns how many."""
    keep = dt.timedelta(days=runtime.settings.operations_retention_days)
    pruned = prune_operations(runtime.ledger, now=now, keep=keep)
    if pruned:
        log.info("pruned %d idempotency records older than %d days", pruned, keep.days)
    return pruned


def seconds_until_next(runtime: Runtime, now: dt.datetime) -> float:
    """Until the soonest scheduled payday of any community, at most `scheduler_poll_seconds`."""
    poll = runtime.settings.scheduler_poll_seconds
    at = next_payday_at(runtime.ledger, now)
    return poll if at is None else min(poll, max((at - now).total_seconds(), 0.0))


async def run_scheduler(runtime: Runtime, stop_event: asyncio.Event | None = None) -> None:
    """Run due paydays until `stop_event` is set (or the task is cancelled).

    `runtime.clock` says what time it is (tests pin it)."""
    runtime.loop = asyncio.get_running_loop()
    stop_event = stop_event or asyncio.Event()
    try:
        while not stop_event.is_set():
            try:
                tick = await run_due_tick(runtime, runtime.clock.now())
                await tell_reaction_authors(runtime, runtime.clock.now())
                await asyncio.to_thread(prune_expired, runtime, runtime.clock.now())
                delay = await asyncio.to_thread(seconds_until_next, runtime, runtime.clock.now())
                if tick.held_elsewhere or tick.failed:  # its claimant may die, or it may succeed now
                    delay = min(delay, runtime.settings.scheduler_retry_seconds)
            except DBAPIError as error:  # the database is away for a moment: one line, try again later
                delay = runtime.settings.scheduler_retry_seconds
                log.warning("payday scheduler: the database did not answer (%s); trying again in %s s",
                            first_line(error.orig or error), delay)
            except Exception:
                log.exception("payday scheduler tick failed")
                delay = runtime.settings.scheduler_retry_seconds
            try:
                await asyncio.wait_for(stop_event.wait(), timeout=max(delay, 0.1))
            except asyncio.TimeoutError:
                pass
    finally:
        runtime.loop = None


def run_coroutine_from_thread(runtime: Runtime, coroutine: Coroutine[Any, Any, Any], timeout: float = 120.0) -> Any:
    """Run async platform work from a synchronous handler thread: on the scheduler's
    loop when one runs in this process (platform clients live there), else on a
    loop of our own (console). Returns None when called on the loop itself."""
    loop = runtime.loop
    if loop is not None and loop.is_running():
        try:
            if asyncio.get_running_loop() is loop:
                coroutine.close()
                return None
        except RuntimeError:
            pass
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result(timeout=timeout)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    coroutine.close()  # a loop runs in this thread: the scheduler's next tick will announce
    return None
