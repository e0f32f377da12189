"""PostgreSQL: several scheduler processes on one database run each community's
payday once and announce it once."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.compose import build_runtime
from bot.config import Settings
from bot.platform import Platform
from bot.scheduler import run_due_tick
from ledger.api import Ledger
from ledger.clock import FixedClock
from ledger.payday import schedule
from ledger.payday.schedule import due_paydays
from tests.ledger.payday_helpers import book_state, chained_town
from tests.moments import DUE_PAYDAY, PINNED

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.postgres_only

SCHEDULER = """
import asyncio, datetime as dt, json, os, sys, time
from bot.config import Settings
from bot.compose import build_runtime
from bot.scheduler import run_due_paydays
from ledger.clock import FixedClock
url, now, go = sys.argv[1], dt.datetime.fromisoformat(sys.argv[2]), sys.argv[3]
runtime = build_runtime(Settings(database_url=url), FixedClock(now), platforms={})
runtime.ledger.read(lambda book: book.all_communities())  # connected before the start signal
while not os.path.exists(go):
    time.sleep(0.005)
runs = asyncio.run(run_due_paydays(runtime, now))
print(json.dumps([[r.result.community_name, r.result.status] for r in runs]))
"""


def test_several_scheduler_processes_run_each_payday_once(pg_url, tmp_path):
    ledger = Ledger.connect(pg_url, upgrade=False, clock=FixedClock(PINNED))
    towns = []
    for name in ("one", "two", "three"):
        towns.append(chained_town(ledger, name))
    go = tmp_path / "go"
    now = DUE_PAYDAY.isoformat()
    processes = [subprocess.Popen([sys.executable, "-c", SCHEDULER, pg_url, now, str(go)], cwd=ROOT,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(4)]
    time.sleep(1.0)
    go.touch()
    statuses: dict[str, list[str]] = {"one": [], "two": [], "three": []}
    for process in processes:
        out, err = process.communicate(timeout=180)
        assert process.returncode == 0, err
        for community, status in json.loads(out.strip().splitlines()[-1]):
            statuses[community].append(status)

    for community, seen in statuses.items():
        assert seen.count("ran") == 1, (community, seen)
        assert set(seen) <= {"ran", "already_ran", "running_elsewhere", "resumed"}, seen
    for town in towns:
        assert town.balances() == {"alice": 0, "homer": 30, "janet": 15, "david": 5}
    state = book_state(ledger)
    assert [p[2] for p in state["paydays"]] == ["done"] * 3
    with ledger.begin(readonly=True) as book:
        logged = book.conn.execute(sa.text(
            "SELECT stage, COUNT(*) FROM payday_stages WHERE stage IN ('announcing', 'announced', 'snapshotted') "
            "GROUP BY stage ORDER BY stage")).all()
    assert [tuple(row) for row in logged] == [("announced", 3), ("announcing", 3), ("snapshotted", 3)]
    ledger.dispose()


class GatedPlatform(Platform):
    """Posts summaries; the first one waits until the test opens the gate."""

    name = "console"

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.waiting = asyncio.Event()
        self.posted: list[str] = []

    async def post_summary(self, runtime, space_external_id, channel_id, summary) -> None:
        if not self.posted:
            self.waiting.set()
            await self.gate.wait()
        self.posted.append(summary.community_name)

    async def send_direct(self, runtime, space_external_id, user_id, text) -> None:
        return None


def test_a_payday_another_process_finished_since_the_list_was_read_costs_one_statement(pg_url):
    """Two schedulers (two sessions, as two processes) list the same three due paydays.
    The first runs one and is held posting its summary; meanwhile the second runs the
    other two and the one held elsewhere stays held. When the first goes on, its claim
    finds the two others done and announced: it counts them finished elsewhere, runs
    nothing more and posts nothing twice, with one statement each (its claim)."""
    ledger = Ledger.connect(pg_url, upgrade=False, clock=FixedClock(PINNED))
    for name in ("one", "two", "three"):
        chained_town(ledger, name)
    first_platform, second_platform = GatedPlatform(), GatedPlatform()
    second_platform.posted.append("(not gated)")
    first = build_runtime(Settings(database_url=pg_url, payday_concurrency=1), clock=FixedClock(DUE_PAYDAY),
                          platforms={"console": first_platform}, funding={})
    second = build_runtime(Settings(database_url=pg_url, payday_concurrency=1), clock=FixedClock(DUE_PAYDAY),
                           platforms={"console": second_platform}, funding={})
    statements: list[str] = []
    sa.event.listen(first.ledger.engine, "before_cursor_execute",
                    lambda conn, cursor, statement, *args: statements.append(statement))

    async def scenario():
        first_tick = asyncio.create_task(run_due_tick(first, DUE_PAYDAY))
        await first_platform.waiting.wait()
        second_tick = await run_due_tick(second, DUE_PAYDAY)
        statements.clear()
        first_platform.gate.set()
        return await first_tick, second_tick

    first_tick, second_tick = asyncio.run(scenario())
    [held] = [run.result.community_name for run in first_tick.runs]
    assert [run.result.status for run in first_tick.runs] == ["ran"]
    assert sorted(run.result.community_name for run in second_tick.runs) == sorted({"one", "two", "three"} - {held})
    assert second_tick.held_elsewhere == 1 and first_tick.finished_elsewhere == 2
    assert first_platform.posted == [held] and sorted(second_platform.posted[1:]) == sorted(
        {"one", "two", "three"} - {held})
    # after the gate: the held announcement's end, then a claim each and nothing more (no
    # payday row read by run_payday, no announcement claim locking a paydays row)
    assert sum("pg_try_advisory_lock" in s for s in statements) == 2
    assert not any("paydays.community_id" in s or "FOR UPDATE" in s for s in statements), statements
    with ledger.begin(readonly=True) as book:
        announced = book.conn.execute(sa.text(
            "SELECT COUNT(*) FROM payday_stages WHERE stage = 'announced'")).scalar_one()
    assert announced == 3
    first.ledger.dispose()
    second.ledger.dispose()
    ledger.dispose()


def test_a_tick_opens_every_due_payday_in_one_statement_then_analyses_them(pg_url, monkeypatch):
    """The due paydays' rows are created together (one INSERT, each logged `started` once)
    and `paydays` is analysed, so the planner knows its size before the paydays run; a
    second process opening the same ones opens none."""
    monkeypatch.setattr(schedule, "ANALYZE_OPENED_MIN", 3)
    ledger = Ledger.connect(pg_url, upgrade=False, clock=FixedClock(PINNED))
    for name in ("one", "two", "three"):
        chained_town(ledger, name)
    with ledger.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE paydays")  # the planner sees it empty
    runtime = build_runtime(Settings(database_url=pg_url), clock=FixedClock(DUE_PAYDAY), platforms={}, funding={})
    inserts: list[str] = []
    sa.event.listen(runtime.ledger.engine, "before_cursor_execute",
                    lambda conn, cursor, statement, *args: inserts.append(statement)
                    if "INSERT INTO paydays" in statement else None)

    listed_elsewhere, _ = due_paydays(ledger, DUE_PAYDAY)  # what another process read before
    assert [item.payday_id for item in listed_elsewhere] == [None, None, None]

    tick = asyncio.run(run_due_tick(runtime, DUE_PAYDAY))

    assert sorted((run.result.community_name, run.result.status) for run in tick.runs) == [
        ("one", "ran"), ("three", "ran"), ("two", "ran")]
    assert len(inserts) == 1  # opened together; run_payday found each row
    with ledger.begin(readonly=True) as book:
        started = book.conn.execute(sa.text(
            "SELECT COUNT(*), COUNT(DISTINCT payday_id) FROM payday_stages WHERE stage = 'started'")).one()
        known_rows = book.conn.execute(sa.text(
            "SELECT reltuples FROM pg_class WHERE relname = 'paydays'")).scalar_one()
    assert tuple(started) == (3, 3) and known_rows == 3
    assert schedule.open_due_paydays(ledger, listed_elsewhere) == 0  # that process opens none
    runtime.ledger.dispose()
    ledger.dispose()
