"""The payday scheduler: every process may run it; the database decides who pays.

`run_scheduler(runtime, stop_event)` is the loop `tipbot run` starts: every
minute (or at the next scheduled payday, whichever is sooner) it calls
`run_due_paydays(runtime, now)`, which runs each community's due payday
(`ledger.payday.run_payday`: exactly once per community and week, resumed after a
crash) and announces it (`bot.summary.announce`: once, whoever ran it).
Schedules are cron expressions per community (`communities.payday_cron`,
default `0 12 * * 4`: Thursday 12:00 UTC). Each tick also prunes idempotency
records older than the retention window (`prune_expired`, ledger.retention).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.summary import Announcement, announce
from ledger.payday.engine import run_payday
from ledger.payday.run import PaydayResult
from ledger.payday.schedule import BadSchedule, due_paydays, next_scheduled
from ledger.retention import prune_operations

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger(__name__)

POLL_SECONDS = 60.0

@dataclass
class ScheduledRun:
    result: PaydayResult
    announcement: Announcement | None


async def run_community_payday(runtime: Runtime, community_id: int, week_start: dt.date, *,
                               progress=None, wait: bool = False) -> ScheduledRun:
    """Run one payday in a worker thread, then announce it if it is done."""
    result = await asyncio.to_thread(run_payday, runtime.ledger, community_id, week_start,
                                     processors=runtime.processors, progress=progress, wait=wait)
    announcement = None
    if result.stage == "done":
        announcement = await announce(runtime, result)
    return ScheduledRun(result, announcement)


async def run_due_paydays(runtime: Runtime, now: dt.datetime | None = None) -> list[ScheduledRun]:
    """Run and announce every payday due at `now`. One community failing never stops the others."""
    now = now or runtime.clock.now()
    due, problems = await asyncio.to_thread(due_paydays, runtime.ledger, now)
    for problem in problems:
        log.warning("payday schedule: %s", problem)
    runs = []
    for item in due:
        try:
            runs.append(await run_community_payday(runtime, item.community.id, item.week_start))
        except Exception:
            log.exception("payday of %s for the week of %s failed; the next tick resumes it",
                          item.community.name, item.week_start)
    return runs


def prune_expired(runtime: Runtime, now: dt.datetime) -> int:
    """Delete idempotency records older than the configured window; returns how many."""
    keep = dt.timedelta(days=runtime.settings.operations_retention_days)
    pruned = prune_operations(runtime.ledger, now=now, keep=keep)
    if pruned:
        log.info("pruned %d idempotency records older than %d days", pruned, keep.days)
    return pruned


def seconds_until_next(runtime: Runtime, now: dt.datetime) -> float:
    """Until the soonest scheduled payday of any community, at most POLL_SECONDS."""
    soonest = POLL_SECONDS
    communities = runtime.ledger.read(lambda book: book.all_communities())
    for community in communities:
        try:
            wait = (next_scheduled(community.payday_cron, now) - now).total_seconds()
        except BadSchedule:
            continue
        soonest = min(soonest, max(wait, 0.0))
    return soonest


async def run_scheduler(runtime: Runtime, stop_event: asyncio.Event | None = None) -> None:
    """Run due paydays until `stop_event` is set (or the task is cancelled).

    `runtime.clock` says what time it is (tests pin it)."""
    runtime.loop = asyncio.get_running_loop()
    stop_event = stop_event or asyncio.Event()
    try:
        while not stop_event.is_set():
            try:
                await run_due_paydays(runtime, runtime.clock.now())
                await asyncio.to_thread(prune_expired, runtime, runtime.clock.now())
                delay = await asyncio.to_thread(seconds_until_next, runtime, runtime.clock.now())
            except Exception:  # the database may be away for a moment: try again later
                log.exception("payday scheduler tick failed")
                delay = POLL_SECONDS
            try:
                await asyncio.wait_for(stop_event.wait(), timeout=max(delay, 1.0))
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
