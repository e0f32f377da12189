"""PostgreSQL: 200 communities due at the same moment, three scheduler processes (real OS
processes running bot.scheduler.run_scheduler on one database). Every payday runs once,
every summary is posted once, the work is shared; a process killed (SIGKILL) in the middle
of its work has its communities finished by the others."""

from __future__ import annotations

import collections
import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from ledger.api import Ledger
from ledger.clock import FixedClock
from ledger.money import Money
from tests.ledger.payday_helpers import T0
from tests.moments import DUE_PAYDAY, PINNED

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.postgres_only, pytest.mark.slow]

COMMUNITIES = 200
# Communities are created at PINNED (the ledger's clock, pinned); every worker's ledger clock
# says NOW, just after their first payday time.
NOW = DUE_PAYDAY


def chained_towns(ledger: Ledger, count: int) -> dict[int, dict[str, int]]:
    """`count` copies of tests/ledger/payday_helpers.chained_town, in one transaction:
    {community id: {member name: member id}}."""
    towns = {}
    with ledger.begin() as book:
        for i in range(count):
            space = book.ensure_space("console", f"town{i:03}", community_name=f"town{i:03}")
            ids = {name: book.ensure_member(space, name, name).id for name in ("alice", "homer", "janet", "david")}
            for member_id in ids.values():
                book.set_receiving(member_id, True)
            book.credit(ids["alice"], Money(50, "USD"), by_admin=True)
            for minute, (tipper, tippee, amount) in enumerate(
                    [("alice", "homer", 50), ("homer", "janet", 20), ("janet", "david", 5), ("david", "homer", 20)]):
                book.set_tip(ids[tipper], ids[tippee], Money(amount, "USD"), now=T0 + dt.timedelta(minutes=minute))
            towns[space.community_id] = ids
    return towns


def balances(ledger: Ledger, ids: dict[str, int]) -> dict[str, int]:
    with ledger.begin(readonly=True) as book:
        return {name: book.balance(member_id).amount_minor for name, member_id in ids.items()}


def wait_for(condition, seconds: float, what: str) -> None:
    """Poll `condition` (a deadline for a hung test, never an expectation)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def stage_counts(ledger: Ledger) -> dict[str, collections.Counter]:
    with ledger.begin(readonly=True) as book:
        rows = book.conn.execute(sa.text(
            "SELECT s.stage, p.community_id, COUNT(*) FROM payday_stages s JOIN paydays p ON p.id = s.payday_id "
            "WHERE s.stage IN ('snapshotted', 'done', 'announcing', 'announced') GROUP BY s.stage, p.community_id"
        )).all()
    counts: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for stage, community_id, count in rows:
        counts[stage][community_id] = count
    return counts


def test_three_scheduler_processes_share_200_paydays_and_survive_a_kill(pg_url, tmp_path):
    ledger = Ledger.connect(pg_url, upgrade=False, clock=FixedClock(PINNED))
    towns = chained_towns(ledger, COMMUNITIES)
    ids = set(towns)
    names = ["a", "b", "victim"]
    processes = {}
    for name in names:
        argv = [sys.executable, "-m", "tests.bot.scheduler_worker", pg_url, NOW.isoformat(), str(tmp_path), name]
        if name == "victim":
            argv.append("25")  # hangs at its 25th summary, holding that claim and its other workers' ones
        processes[name] = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    (tmp_path / "go").touch()
    try:
        wait_for(lambda: (tmp_path / "victim.hung").exists(), 150, "the victim to reach its 25th summary")
        os.kill(processes["victim"].pid, signal.SIGKILL)
        processes["victim"].wait(timeout=30)
        wait_for(lambda: set(stage_counts(ledger)["announced"]) == ids, 150, "every payday announced")
    finally:
        (tmp_path / "stop").touch()
        outputs = {}
        for name, process in processes.items():
            if name == "victim" and process.poll() is None:
                process.kill()
            outputs[name] = process.communicate(timeout=60)

    for name in ("a", "b"):
        assert processes[name].returncode == 0, outputs[name][1]
        assert "Traceback" not in outputs[name][1], outputs[name][1]
    assert processes["victim"].returncode == -signal.SIGKILL

    # Every payday ran exactly once and was announced once; the money moved once.
    counts = stage_counts(ledger)
    for stage in ("snapshotted", "done", "announced"):
        assert counts[stage] == collections.Counter({cid: 1 for cid in ids}), stage
    assert sum(counts["announcing"].values()) >= COMMUNITIES
    # Announcements the victim had begun (the one it hung on, and any its other workers were
    # in) were taken over by a survivor, once each.
    taken_over = [cid for cid, n in counts["announcing"].items() if n > 1]
    assert 1 <= len(taken_over) <= 4 and max(counts["announcing"].values()) == 2
    for members in towns.values():
        assert balances(ledger, members) == {"alice": 0, "homer": 30, "janet": 15, "david": 5}

    # Every summary posted exactly once, by someone; no process did all the work.
    posted = {name: [line.split()[0] for line in (tmp_path / f"{name}.posts").read_text().splitlines()]
              for name in names}
    everyone = collections.Counter(line for lines in posted.values() for line in lines)
    assert everyone == collections.Counter({f"town{i:03}": 1 for i in range(COMMUNITIES)})
    assert len(posted["victim"]) >= 24  # its other workers may post between the hang and the kill
    assert all(0 < len(lines) < COMMUNITIES for lines in posted.values()), {k: len(v) for k, v in posted.items()}
    ledger.dispose()
