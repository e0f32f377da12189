"""PostgreSQL: several scheduler processes on one database run each community's
payday once and announce it once."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from ledger.api import Ledger
from ledger.clock import FixedClock
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
