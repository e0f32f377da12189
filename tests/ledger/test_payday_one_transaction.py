"""A small payday's stages in one transaction (engine.py, `_in_one_transaction`): the same
books, stats and stage log as stage by stage; all or nothing when it crashes or is killed;
a snapshot too big for it committed first; and a concurrent write PostgreSQL refuses
answered by going stage by stage, still paying exactly once."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys

import pytest
import sqlalchemy as sa

from ledger.api import Ledger
from ledger.payday import engine, stages
from ledger.payday.crash import CRASH_ENV, PaydayCrash
from ledger.payday.engine import run_payday
from tests.ledger.payday_helpers import WEEK, book_state
from tests.ledger.test_payday_kill import ROOT
from tests.ledger.test_payday_resume import ChargingProcessor, Recorder, backend_of, build, crash_at, fresh_ledger

BEFORE_COMMIT = ":before-commit"


def committed_stage(ledger: Ledger) -> str:
    """The stage of the (only) payday as another connection sees it: what is committed."""
    return ledger.read(lambda book: book.conn.execute(sa.text("SELECT stage FROM paydays")).scalar_one())


def stage_log(ledger: Ledger) -> list[str]:
    """The stages the (only) payday logged, in order."""
    with ledger.begin(readonly=True) as book:
        payday_id = book.conn.execute(sa.text("SELECT id FROM paydays")).scalar_one()
        return [stage for stage, _ in stages.stage_log(book.conn, payday_id)]


def payday_leftovers(ledger: Ledger) -> dict[str, int]:
    """What a payday writes besides transfers and balances: its working rows and reservations."""
    with ledger.begin(readonly=True) as book:
        def count(sql: str) -> int:
            return int(book.conn.execute(sa.text(sql)).scalar_one())
        return {"payday_members": count("SELECT COUNT(*) FROM payday_members"),
                "payday_tips": count("SELECT COUNT(*) FROM payday_tips"),
                "payday_rounds": count("SELECT COUNT(*) FROM payday_rounds"),
                "payday_transfers": count("SELECT COUNT(*) FROM transfers WHERE payday_id IS NOT NULL"),
                "reserved_minor": count("SELECT COALESCE(SUM(reserved_minor), 0) FROM accounts")}


class CommitProbe:
    """A crash hook that records, at each point, the stage other connections see committed."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.seen: list[tuple[str, str]] = []

    def __call__(self, point: str) -> None:
        self.seen.append((point, committed_stage(self.ledger)))


def committed_before(log: list[str]) -> list[tuple[str, str]]:
    """Each stage of `log` after the first, with what is committed while its transaction runs,
    stage by stage: the stage before it, except that planning's rounds commit together with
    `planned` (settle.plan_rounds), so while they run the stage before planning."""
    pairs, committed = [], log[0]
    for stage in log[1:]:
        pairs.append((stage, committed))
        if not stage.startswith(stages.ROUND_PREFIX):
            committed = stage
    return pairs


def stage_by_stage_commits(log: list[str]) -> list[tuple[str, str]]:
    """What a CommitProbe sees stage by stage: before each commit what `committed_before`
    says, after it the stage itself (no commit after a round: planning goes on)."""
    seen = []
    for stage, committed in committed_before(log):
        seen.append((stage + BEFORE_COMMIT, committed))
        if not stage.startswith(stages.ROUND_PREFIX):
            seen.append((stage, stage))
    return seen


def one_transaction_commits(log: list[str]) -> list[tuple[str, str]]:
    """What a CommitProbe sees when all of `log` commits at once: nothing committed
    (`started`) until the end, then `done`."""
    return [(stage + BEFORE_COMMIT, stages.STARTED) for stage in log[1:]] + [(stages.DONE, stages.DONE)]


def test_one_transaction_ends_exactly_like_stage_by_stage_and_is_the_default(request, db_url, tmp_path,
                                                                              monkeypatch):
    """Same books, stats and stage log either way. And the default run (no crash hook) is
    the one transaction: its progress reports all arrive once the whole payday is
    committed, where stage by stage each arrives before its own stage commits."""
    monkeypatch.delenv(CRASH_ENV, raising=False)
    backend = backend_of(db_url)
    outcomes = {}
    for mode in ("stage_by_stage", "one_transaction", "default"):
        ledger = fresh_ledger(request, backend, tmp_path)
        town = build(ledger)
        reports: list[tuple[str, str]] = []

        def progress(stage: str, _detail: str, ledger: Ledger = ledger, reports: list = reports) -> None:
            reports.append((stage, committed_stage(ledger)))

        chosen = {"default": {}, "stage_by_stage": {"one_transaction": False},
                  "one_transaction": {"one_transaction": True}}[mode]
        result = town.payday(progress=progress, **chosen)
        assert result.status == "ran", mode
        outcomes[mode] = (book_state(ledger), result.stats, stage_log(ledger), reports)
        ledger.dispose()

    state, stats, log, reports = outcomes["stage_by_stage"]
    assert log[0] == stages.STARTED and log[-1] == stages.DONE and "round 3" in log
    assert stats["tips_paid"] == 3
    for mode in ("one_transaction", "default"):
        assert outcomes[mode][:3] == (state, stats, log), mode
    assert reports == committed_before(log)
    assert outcomes["one_transaction"][3] == outcomes["default"][3] == [(stage, stages.DONE) for stage in log[1:]]


def test_a_crash_inside_the_one_transaction_undoes_all_of_it(request, db_url, tmp_path):
    """Crashed at any point before its commit, the payday is back at `started` with no
    transfer, balance, working row or reservation of it left; the rerun does it all
    once, like an uninterrupted run, and a third run finds it done."""
    backend = backend_of(db_url)
    reference = fresh_ledger(request, backend, tmp_path)
    probe = CommitProbe(reference)
    assert build(reference).payday(crash=probe, one_transaction=True).status == "ran"
    expected, log = book_state(reference), stage_log(reference)
    reference.dispose()
    assert probe.seen == one_transaction_commits(log)
    crash_points = [point for point, _ in probe.seen if point.endswith(BEFORE_COMMIT)]
    assert len(crash_points) == 8 and crash_points[-1] == "done" + BEFORE_COMMIT

    for point in crash_points:
        ledger = fresh_ledger(request, backend, tmp_path)
        town = build(ledger)
        before = book_state(ledger)
        nothing = payday_leftovers(ledger)
        with pytest.raises(PaydayCrash):
            town.payday(crash=crash_at(point), one_transaction=True)
        assert book_state(ledger) == {**before, "paydays": [(town.community_id, str(WEEK), "started", None)]}, point
        assert payday_leftovers(ledger) == nothing, point
        assert stage_log(ledger) == [stages.STARTED], point

        assert town.payday().status == "ran", point
        assert book_state(ledger) == expected and stage_log(ledger) == log, point
        assert town.payday().status == "already_ran", point
        assert book_state(ledger) == expected and stage_log(ledger) == log, point
        ledger.dispose()


def test_a_payday_with_a_processor_never_runs_in_one_transaction(ledger):
    """Even asked for one transaction, a payday with a funding processor commits stage by
    stage: the snapshot is committed before the processor is called, and so is every stage."""
    town = build(ledger)
    probe = CommitProbe(ledger)
    town.payday(processor=ChargingProcessor(), crash=probe, one_transaction=True)
    log = stage_log(ledger)
    assert stages.FUNDED in log and stages.PAID_OUT in log
    assert ("funded:before", stages.SNAPSHOTTED) in probe.seen
    processor_points = ("funded:before", "charged one", "paid_out:before")
    assert [seen for seen in probe.seen if seen[0] not in processor_points] == stage_by_stage_commits(log)


KILLABLE_PAYDAY = """
import datetime as dt, sys
from ledger.api import Ledger
from ledger.payday.engine import run_payday
ledger = Ledger.connect(sys.argv[1], upgrade=False)
run_payday(ledger, int(sys.argv[2]), dt.date.fromisoformat(sys.argv[3]), one_transaction=True)
raise SystemExit("the payday should have paused")
"""


@pytest.mark.postgres_only
@pytest.mark.parametrize("point", ["settled" + BEFORE_COMMIT, "done" + BEFORE_COMMIT])
def test_sigkill_inside_the_one_transaction_then_rerun_equals_uninterrupted(request, point):
    """A real process paused inside the one transaction (all stages up to `point` done,
    none visible to others) and killed with SIGKILL leaves nothing; the rerun pays once,
    exactly like an uninterrupted run, and `tipbot ledger check` finds the books clean."""
    pg = request.getfixturevalue("pg_database")
    reference = Ledger.connect(pg.fresh(), upgrade=False)
    build(reference).payday(crash=None)
    expected, log = book_state(reference), stage_log(reference)
    reference.dispose()

    url = pg.fresh()
    ledger = Ledger.connect(url, upgrade=False)
    town = build(ledger)
    before = book_state(ledger)
    env = {**os.environ, CRASH_ENV: f"{point}=pause"}
    process = subprocess.Popen([sys.executable, "-c", KILLABLE_PAYDAY, url, str(town.community_id), WEEK.isoformat()],
                               cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stderr is not None
        said = []
        for line in process.stderr:
            said.append(line)
            if line.startswith("PAUSED "):
                break
        assert said and said[-1].strip() == f"PAUSED {point}", "".join(said)
        assert committed_stage(ledger) == stages.STARTED  # its stages so far are all uncommitted
        assert book_state(ledger) == {**before, "paydays": [(town.community_id, str(WEEK), "started", None)]}
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL

    rerun = run_payday(ledger, town.community_id, WEEK, crash=None, wait=True)  # waits for the dead one's lock
    assert rerun.status == "ran"  # nothing had been committed: it took the snapshot again
    check = subprocess.run([sys.executable, "-m", "bot.cli", "ledger", "check", "--database", url], cwd=ROOT,
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert book_state(ledger) == expected and stage_log(ledger) == log
    assert town.payday(crash=None).status == "already_ran"
    assert book_state(ledger) == expected
    ledger.dispose()


@pytest.mark.parametrize("limit_name, limit, snapshot_committed_first", [
    ("ONE_TRANSACTION_MAX_TIPS", 7, True), ("ONE_TRANSACTION_MAX_TIPS", 8, False),
    ("ANALYZE_MIN_MEMBERS", 7, True), ("ANALYZE_MIN_MEMBERS", 8, False)])
def test_a_snapshot_over_the_limit_is_committed_and_the_rest_goes_stage_by_stage(
        request, db_url, tmp_path, monkeypatch, limit_name, limit, snapshot_committed_first):
    """The town's snapshot holds 8 tips and 7 members. Over ONE_TRANSACTION_MAX_TIPS tips, or
    at ANALYZE_MIN_MEMBERS members (the snapshot's ANALYZE lock must not be held to the end),
    the one transaction commits at `snapshotted` and every later stage commits on its own,
    just as stage by stage; below, it stays one transaction. The books end the same either way."""
    backend = backend_of(db_url)
    reference = fresh_ledger(request, backend, tmp_path)
    build(reference).payday(crash=None, one_transaction=False)
    expected, log = book_state(reference), stage_log(reference)
    reference.dispose()

    monkeypatch.setattr(engine, limit_name, limit)
    ledger = fresh_ledger(request, backend, tmp_path)
    town = build(ledger)
    probe = CommitProbe(ledger)
    reports: list[str] = []
    result = town.payday(crash=probe, one_transaction=True, progress=lambda stage, _detail: reports.append(stage))
    assert result.status == "ran" and result.stats["tips_paid"] == 3
    assert probe.seen == (stage_by_stage_commits if snapshot_committed_first else one_transaction_commits)(log)
    assert reports == log[1:]
    assert book_state(ledger) == expected and stage_log(ledger) == log
    ledger.dispose()


@pytest.mark.postgres_only
def test_a_concurrent_write_refused_by_postgresql_falls_back_to_stage_by_stage(request, caplog):
    """Alice is credited, in another connection, while the one transaction holds its
    snapshot; settling the plan must lock her account, which PostgreSQL refuses (could
    not serialize). The one transaction rolls back, the payday runs stage by stage from the
    start, the credit counts, and every tip is paid once: the books equal those of the
    credit made before an uninterrupted payday."""
    pg = request.getfixturevalue("pg_database")
    reference = Ledger.connect(pg.fresh(), upgrade=False)
    town = build(reference)
    town.credit("alice", 5)
    recorder = Recorder()
    town.payday(crash=recorder, one_transaction=False)
    expected, log = book_state(reference), stage_log(reference)
    reference.dispose()

    ledger = Ledger.connect(pg.fresh(), upgrade=False)
    town = build(ledger)
    points: list[str] = []

    def credit_alice_once_inside(point: str) -> None:
        points.append(point)
        if point == "snapshotted" + BEFORE_COMMIT and points.count(point) == 1:
            town.credit("alice", 5)  # its own transaction, on another connection, committed

    refused: list[str] = []  # SQLSTATEs of the statements PostgreSQL refused
    sa.event.listen(ledger.engine, "handle_error", lambda error: refused.append(error.original_exception.sqlstate))
    reports: list[str] = []
    with caplog.at_level(logging.INFO, logger=engine.__name__):
        result = town.payday(crash=credit_alice_once_inside, one_transaction=True,
                             progress=lambda stage, _detail: reports.append(stage))
    assert result.status == "ran"
    assert refused == ["40001"]  # serialization_failure, once
    assert any("gave way to a concurrent write" in record.getMessage() for record in caplog.records)
    attempt, after = points[:-len(recorder.points)], points[-len(recorder.points):]
    assert after == recorder.points  # then stage by stage, from the start
    # the one transaction got as far as its plan: settling it needs alice's account
    assert attempt[0] == "snapshotted" + BEFORE_COMMIT and attempt[-1] == "planned" + BEFORE_COMMIT
    assert all(point.endswith(BEFORE_COMMIT) for point in attempt)
    assert reports == log[1:]  # the rolled back attempt's reports were dropped
    assert town.balances()["alice"] == 5
    assert book_state(ledger) == expected and stage_log(ledger) == log
    assert town.payday(WEEK, crash=None).status == "already_ran"
    ledger.dispose()
