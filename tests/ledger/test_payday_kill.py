"""PostgreSQL: a `tipbot payday` process killed with SIGKILL at several moments
(inside a stage's transaction, and between stages), then run again, ends exactly
like an uninterrupted run, with the ledger check clean."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from ledger.api import Ledger
from tests.ledger.payday_helpers import WEEK, book_state
from tests.ledger.test_payday_resume import build

ROOT = Path(__file__).resolve().parents[2]
AT = "2026-11-26T12:00Z"  # in WEEK

pytestmark = pytest.mark.postgres_only


def tipbot_payday(url: str, crash: str | None = None, *extra: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != "TIPBOT_PAYDAY_CRASH"}
    if crash:
        env["TIPBOT_PAYDAY_CRASH"] = crash
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "payday", "--database", url, "--community", "town", "--at", AT,
         "--no-summary", *extra],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def kill_when_paused(process: subprocess.Popen) -> str:
    """Wait until the payday pauses at its crash point, then SIGKILL it."""
    assert process.stderr is not None
    for line in process.stderr:
        if line.startswith("PAUSED "):
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
            return line.split(" ", 1)[1].strip()
    process.wait(timeout=30)
    raise AssertionError(f"the payday ended without pausing (exit {process.returncode})")


def payday_begun(ledger: Ledger, timeout_seconds: float = 120) -> None:
    """Wait until a `tipbot payday` process has created its payday row."""
    deadline = time.monotonic() + timeout_seconds
    while not ledger.read(lambda book: book.conn.execute(sa.text("SELECT COUNT(*) FROM paydays")).scalar_one()):
        assert time.monotonic() < deadline, "the payday never began"
        time.sleep(0.01)


@pytest.fixture
def fresh_pg(request):
    database = request.getfixturevalue("pg_database")
    return database.fresh


# Twelve `tipbot payday` processes, each importing the project: 97 s alone on the 2 shared
# cores at load 14, and past the suite's 180 s limit with a second test worker.
@pytest.mark.timeout(600)
def test_sigkill_at_several_moments_then_rerun_equals_uninterrupted(fresh_pg):
    url = fresh_pg()
    reference = Ledger.connect(url, upgrade=False)
    build(reference).payday(WEEK, crash=None)
    expected = book_state(reference)
    reference.dispose()

    moments = ["snapshotted:before-commit", "round 1:before-commit", "round 2:before-commit", "planned",
               "settled:before-commit", "done:before-commit"]
    for moment in moments:
        url = fresh_pg()
        ledger = Ledger.connect(url, upgrade=False)
        build(ledger)
        assert kill_when_paused(tipbot_payday(url, f"{moment}=pause")) == moment
        rerun = tipbot_payday(url, None, "--wait")
        out, err = rerun.communicate(timeout=120)
        assert rerun.returncode == 0, err
        said = "payday done" if moment == "snapshotted:before-commit" else "payday resumed and done"
        assert f"week of {WEEK.isoformat()}: {said}" in out, (moment, out)
        assert book_state(ledger) == expected, moment
        ledger.dispose()


def test_a_process_that_kills_itself_mid_apply_loses_and_doubles_nothing(fresh_pg):
    url = fresh_pg()
    reference = Ledger.connect(url, upgrade=False)
    build(reference).payday(WEEK, crash=None)
    expected = book_state(reference)
    reference.dispose()

    url = fresh_pg()
    ledger = Ledger.connect(url, upgrade=False)
    build(ledger)
    killed = tipbot_payday(url, "settled:before-commit=kill")
    killed.communicate(timeout=120)
    assert killed.returncode == -signal.SIGKILL
    check = subprocess.run([sys.executable, "-m", "bot.cli", "ledger", "check", "--database", url], cwd=ROOT,
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stderr  # the half-done apply left no trace
    rerun = tipbot_payday(url, None, "--wait")
    rerun.communicate(timeout=120)
    assert book_state(ledger) == expected
    ledger.dispose()


def test_sigkill_while_members_spend_then_resume(fresh_pg):
    """The jam case across a crash: ann's balance exactly covers her weekly tips and two
    threads keep spending it while `tipbot payday` is killed once the plan is made and run again.
    The reservation outlives the killed process (the payday is unfinished), and the rerun
    settles exactly what was reserved."""
    from ledger.check import check_reservations
    from tests.ledger.test_payday_reservations import Spenders, exact_town, paid_from, reserved

    url = fresh_pg()
    ledger = Ledger.connect(url, upgrade=False)
    town = exact_town(ledger)  # 20 tips of 0.25 from a balance of 5.00
    ann = town.ids["ann"]
    spenders = Spenders(url, ann, town.ids["sink"])
    try:
        paused = tipbot_payday(url, "planned=pause")
        # Spend from when the payday has begun: started earlier, on a loaded machine the two
        # threads could spend all of ann's 5.00 while the process starts, leaving no round 1.
        payday_begun(ledger)
        spenders.start()
        spenders.wait_until(lambda s: s.attempts >= 3)
        assert paused.stderr is not None
        assert next(line for line in paused.stderr if line.startswith("PAUSED ")).strip() == "PAUSED planned"
        base = len(spenders.refused_for_payday)
        spenders.wait_until(lambda s: len(s.refused_for_payday) >= base + 2)
        os.kill(paused.pid, signal.SIGKILL)
        paused.wait(timeout=30)
        held = reserved(ledger, ann)
        base = len(spenders.refused_for_payday)
        spenders.wait_until(lambda s: len(s.refused_for_payday) >= base + 2)  # still held for the payday
        rerun = tipbot_payday(url, None, "--wait")
        out, err = rerun.communicate(timeout=120)
    finally:
        spenders.finish()
    assert rerun.returncode == 0, err
    assert f"week of {WEEK.isoformat()}: payday resumed and done" in out
    payday_id, stats = ledger.read(lambda book: book.conn.execute(
        sa.text("SELECT id, stats FROM paydays")).one())
    paid = paid_from(ledger, ann, payday_id)
    assert held > 0 and paid == held == 25 * stats["tips_paid"]
    assert stats["tips_paid"] + stats["unfunded_tips"] == 20
    assert town.balances()["ann"] == 500 - paid - spenders.spent_minor >= 0
    assert reserved(ledger, ann) == 0 and ledger.read(lambda book: check_reservations(book.conn)) == []
    book_state(ledger)
    ledger.dispose()
