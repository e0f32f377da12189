"""Exactly once and resume: a payday interrupted at every recorded step, then run
again, ends with exactly the transfers and balances of an uninterrupted run."""

from __future__ import annotations

import datetime as dt

import pytest

from ledger.api import Ledger
from ledger.money import Money
from ledger.errors import InvalidRequest
from ledger.payday.crash import PaydayCrash
from ledger.payday.preview import payday_status
from ledger.payday.run import PaydayRun
from tests.ledger.payday_helpers import WEEK, Town, book_state


def fresh_ledger(request: pytest.FixtureRequest, backend: str, tmp_path) -> Ledger:
    if backend == "sqlite":
        url = request.getfixturevalue("sqlite_template").fresh(tmp_path)
    else:
        url = request.getfixturevalue("pg_database").fresh()
    return Ledger.connect(url, upgrade=False)


def backend_of(db_url: str) -> str:
    return "sqlite" if db_url.startswith("sqlite") else "postgresql"


def build(ledger: Ledger) -> Town:
    """The chained example plus a waiting tip, a pledge and a second chain."""
    town = Town(ledger)
    town.member("alice", balance=50)
    for name in ("homer", "janet", "david", "ed"):
        town.member(name)
    town.member("shy", receiving=False)
    town.member("fay", balance=7)
    town.tip("alice", "homer", 50)
    town.tip("homer", "janet", 20)
    town.tip("janet", "david", 5)
    town.tip("david", "homer", 20)
    town.tip("fay", "shy", 3)
    town.tip("fay", "ed", 8)
    town.tip("fay", "janet", 1)
    town.tip("ed", "fay", 2)
    return town


class Recorder:
    def __init__(self) -> None:
        self.points: list[str] = []

    def __call__(self, point: str) -> None:
        self.points.append(point)


def crash_at(target: str):
    def hook(point: str) -> None:
        if point == target:
            raise PaydayCrash(point)
    return hook


def test_interrupted_at_every_recorded_step_then_rerun_equals_uninterrupted(request, db_url, tmp_path):
    backend = backend_of(db_url)
    reference = Ledger.connect(db_url, upgrade=False)
    recorder = Recorder()
    town = build(reference)
    assert town.payday(crash=recorder).status == "ran"
    expected = book_state(reference)
    reference.dispose()
    assert "snapshotted" in recorder.points and "round 3:before-commit" in recorder.points
    # 8 stages (the split included), each before and after its commit; the 3 rounds only
    # before it: they commit together with `planned`
    assert len(recorder.points) == 13 and recorder.points[-1] == "done"

    for point in recorder.points:
        ledger = fresh_ledger(request, backend, tmp_path)
        town = build(ledger)
        with pytest.raises(PaydayCrash):
            town.payday(crash=crash_at(point))
        rerun = town.payday(crash=None)
        expected_status = ("ran" if point == "snapshotted:before-commit"  # nothing had been committed
                           else "already_ran" if point == "done" else "resumed")
        assert rerun.status == expected_status, point
        assert book_state(ledger) == expected, point
        assert town.payday(crash=None).status == "already_ran"
        ledger.dispose()


class ChargingProcessor:
    """A stand-in funding processor: before settlement it brings in what each tipper
    is short (an outside 'stripe' account pays it, keyed so a rerun charges once)."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def before_settlement(self, run: PaydayRun) -> None:
        self.calls.append("before")
        short = run.due_by_tipper()
        for index, (tipper_id, amount) in enumerate(sorted(short.items())):
            def charge(book, tipper_id=tipper_id, amount=amount):
                outside = book.outside_account(run.community, "stripe")
                book.apply_moves(run.community, [(outside, tipper_id, amount)], kind="charge",
                                 payday_id=run.payday_id, overdraw=frozenset({outside}))
                return amount
            run.ledger.run(charge, key=f"test-charge:{run.payday_id}:{tipper_id}")
            if index == 0:
                run.crash_point("charged one")

    def after_settlement(self, run: PaydayRun) -> None:
        self.calls.append("after")


def test_processor_hooks_run_around_settlement_and_resume(request, db_url, tmp_path):
    backend = backend_of(db_url)
    reference = Ledger.connect(db_url, upgrade=False)
    town = build(reference)
    processor = ChargingProcessor()
    recorder = Recorder()
    result = town.payday(processor=processor, crash=recorder)
    assert processor.calls == ["before", "after"]
    assert "funded" in recorder.points and "paid_out" in recorder.points and "charged one" in recorder.points
    # every due tip was funded by the charges
    assert result.stats["unfunded_tips"] == 0 and result.stats["tips_paid"] == 7
    expected = book_state(reference)
    reference.dispose()

    for point in ("funded:before", "charged one", "funded:before-commit", "funded", "paid_out:before",
                  "paid_out"):
        ledger = fresh_ledger(request, backend, tmp_path)
        town = build(ledger)
        with pytest.raises(PaydayCrash):
            town.payday(processor=ChargingProcessor(), crash=crash_at(point))
        town.payday(processor=ChargingProcessor(), crash=None)
        assert book_state(ledger) == expected, point
        ledger.dispose()


def test_the_processor_given_for_a_funding_mode_is_used(ledger):
    town = Town(ledger)
    town.member("ann")
    town.member("bob")
    town.tip("ann", "bob", 5)
    with ledger.begin() as book:
        book.set_funding_mode(town.community_id, "stripe", by_admin=True)
    with pytest.raises(InvalidRequest):  # no processor for its mode in this process: refused, nothing paid
        town.payday(processors={})
    processor = ChargingProcessor()
    result = town.payday(processors={"stripe": lambda community: processor})
    assert processor.calls == ["before", "after"] and result.stats["tips_paid"] == 1


def test_changes_during_the_payday_count_next_week(ledger):
    town = Town(ledger)
    town.member("ann", balance=100)
    town.member("bob")
    town.member("cat", receiving=False)
    town.member("dan")  # nothing yet
    town.tip("ann", "bob", 10)
    town.tip("ann", "cat", 10)
    town.tip("dan", "bob", 7)

    def meanwhile(point: str) -> None:
        if point == "snapshotted":  # the snapshot is committed; the world moves on
            town.tip("ann", "bob", 40)
            town.tip("bob", "ann", 1)
            with ledger.begin() as book:
                book.set_receiving(town.ids["cat"], True)
            town.credit("bob", 5)
            town.credit("dan", 7)  # arrives during the payday: spendable next week

    first = town.payday(crash=meanwhile)
    assert town.paid(first.payday_id) == {("ann", "bob", 10)}
    assert first.stats["pledges"] == 1 and first.stats["unfunded_tips"] == 1
    assert town.balances() == {"ann": 90, "bob": 15, "cat": 0, "dan": 7}
    second = town.payday(WEEK + dt.timedelta(days=7), crash=None)
    assert town.paid(second.payday_id) == {("ann", "bob", 40), ("ann", "cat", 10), ("dan", "bob", 7),
                                           ("bob", "ann", 1)}
    assert town.balances() == {"ann": 41, "bob": 61, "cat": 10, "dan": 0}
    book_state(ledger)


def test_a_one_off_tip_during_the_payday_never_overdraws(ledger):
    """Spending the snapshotted balance before planning reserved it: the plan uses what is
    really there, and the tip it can't cover is reported unfunded; nothing is planned twice."""
    town = Town(ledger)
    town.member("ann", balance=30)
    town.member("bob")
    town.member("cat")
    town.tip("ann", "bob", 20)

    def meanwhile(point: str) -> None:
        if point == "snapshotted":
            ledger.tip_once(town.ids["ann"], [(town.ids["cat"], Money(25, "USD"))], key="once-1")

    result = town.payday(crash=meanwhile)
    assert town.paid(result.payday_id) == set()
    assert town.balances() == {"ann": 5, "bob": 0, "cat": 25}
    log = [stage for stage, _ in payday_status(ledger, town.community_id, WEEK)["this_week"]["log"]]
    assert "replanned" not in log and log[-1] == "done"
    assert result.stats["unfunded_tips"] == 1 and result.stats["tips_paid"] == 0
    book_state(ledger)


def test_concurrent_runs_of_one_payday_pay_once(db_url):
    """Four drivers at once (threads with their own engines): one payday, paid once."""
    import threading

    reference = Ledger.connect(db_url, upgrade=False)
    town = build(reference)
    drivers = [Ledger.connect(db_url, upgrade=False) for _ in range(4)]
    statuses: list[str] = []
    errors: list[BaseException] = []
    start = threading.Barrier(len(drivers))

    def drive(ledger: Ledger) -> None:
        try:
            start.wait()
            from ledger.payday.engine import run_payday
            statuses.append(run_payday(ledger, town.community_id, WEEK, crash=None).status)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=drive, args=(ledger,)) for ledger in drivers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert statuses.count("ran") == 1, statuses
    assert town.balances()["homer"] == 30 and town.balances()["alice"] == 0
    [payday_id] = {t[4] for t in book_state(reference)["transfers"] if t[3] == "tip"}
    assert town.paid(payday_id) == {("alice", "homer", 50), ("homer", "janet", 20), ("janet", "david", 5)}
    for ledger in drivers:
        ledger.dispose()
    reference.dispose()
