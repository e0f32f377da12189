"""Concurrency on PostgreSQL: many writers, small balances, repeated requests.

16 threads make 2,000 one-off tips (plus a few admin credits and debits) among 20
members whose balances are small, so many tips are refused for want of money while
others race for the same rows. About one request in eight is sent again with the
same idempotency key, most of them at the same moment as the original. Afterwards:
no balance is below zero, every key was applied at most once and its repeats got
its first outcome, `tipbot ledger check` (the real CLI) is clean, and the books add
up to the last minor unit.
"""

from __future__ import annotations

import collections
import queue
import random
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa

from ledger.api import Ledger
from ledger.errors import InsufficientBalance
from ledger.models import accounts, identities, members, operations, spaces, tips, transfers
from ledger.money import Money
from ledger.records import Outcome

THREADS = 16
TIPS = 2000
MEMBERS = 20
ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Request:
    key: str
    kind: str  # "once", "credit" or "debit"
    member_id: int  # tipper, or the member credited/debited
    other_id: int | None
    amount_minor: int


@dataclass
class Results:
    lock: threading.Lock = field(default_factory=threading.Lock)
    by_key: dict[str, list[Outcome | InsufficientBalance]] = field(
        default_factory=lambda: collections.defaultdict(list))

    def add(self, key: str, result: Outcome | InsufficientBalance) -> None:
        with self.lock:
            self.by_key[key].append(result)


def send(ledger: Ledger, request: Request) -> Outcome:
    usd = Money(request.amount_minor, "USD")
    if request.kind == "once":
        return ledger.tip_once(request.member_id, [(request.other_id, usd)], key=request.key)
    if request.kind == "credit":
        return ledger.credit(request.member_id, usd, by_admin=True, key=request.key)
    return ledger.debit(request.member_id, usd, by_admin=True, key=request.key)


def make_requests(rng: random.Random, member_ids: list[int]) -> list[list[Request]]:
    """Batches of requests; a batch of two is one request sent twice at once."""
    batches: list[list[Request]] = []
    resend_later: list[Request] = []
    for n in range(TIPS + 100):
        roll = rng.random()
        if n < TIPS:
            tipper, tippee = rng.sample(member_ids, 2)
            request = Request(f"test:once:{n}", "once", tipper, tippee, rng.randint(1, 400))
        elif roll < 0.5:
            request = Request(f"test:credit:{n}", "credit", rng.choice(member_ids), None, rng.randint(1, 300))
        else:
            request = Request(f"test:debit:{n}", "debit", rng.choice(member_ids), None, rng.randint(1, 300))
        roll = rng.random()
        if roll < 0.09:
            batches.append([request, request])  # the same request twice, concurrently
        else:
            batches.append([request])
            if roll < 0.13:
                resend_later.append(request)  # a retry that arrives later
    rng.shuffle(batches)
    batches += [[r] for r in resend_later]
    return batches


def run_concurrently(ledger: Ledger, batches: list[list[Request]], results: Results) -> None:
    work: queue.Queue[list[Request] | None] = queue.Queue()
    for batch in batches:
        work.put(batch)
    errors: list[BaseException] = []

    def call(request: Request) -> None:
        try:
            results.add(request.key, send(ledger, request))
        except InsufficientBalance as refusal:
            results.add(request.key, refusal)

    def worker() -> None:
        try:
            while (batch := work.get()) is not None:
                if len(batch) == 1:
                    call(batch[0])
                    continue
                twin = threading.Thread(target=call, args=(batch[1],))  # both copies in flight at once
                twin.start()
                call(batch[0])
                twin.join()
        except BaseException as error:  # noqa: BLE001 - re-raised in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
        work.put(None)
    for thread in threads:
        thread.join()
    assert errors == []


@pytest.fixture
def pg_ledger(pg_url: str):
    ledger = Ledger.connect(pg_url, upgrade=False, pool_size=2 * THREADS + 4)
    yield ledger
    ledger.dispose()


def test_many_writers_small_balances_and_repeats(pg_ledger: Ledger, pg_url: str) -> None:
    ledger = pg_ledger
    rng = random.Random(20260)
    with ledger.begin() as book:
        space = book.ensure_space("console", "concurrency", community_name="crowd")
        crowd = [book.ensure_member(space, f"U{i}", f"member{i}") for i in range(MEMBERS)]
        for member in crowd:
            book.set_receiving(member.id, True)
    member_ids = [member.id for member in crowd]
    seed = {member_id: rng.randint(0, 600) for member_id in member_ids}  # small: many tips must fail
    for member_id, amount in seed.items():
        if amount:
            ledger.credit(member_id, Money(amount, "USD"), by_admin=True, key=f"seed:{member_id}")

    batches = make_requests(rng, member_ids)
    requests = {r.key: r for batch in batches for r in batch}
    results = Results()
    run_concurrently(ledger, batches, results)

    # Every key: at most one first outcome; every repeat answered with it.
    applied: dict[str, Outcome] = {}
    for key, outcomes in results.by_key.items():
        firsts = [o for o in outcomes if isinstance(o, Outcome) and not o.repeated]
        repeats = [o for o in outcomes if isinstance(o, Outcome) and o.repeated]
        assert len(firsts) <= 1, key
        if repeats:
            assert len(firsts) == 1 and all(r.value == firsts[0].value for r in repeats), key
        if firsts:
            applied[key] = firsts[0]
    sent_twice = sum(1 for outcomes in results.by_key.values() if len(outcomes) == 2)
    repeated = sum(1 for outcomes in results.by_key.values() for o in outcomes
                   if isinstance(o, Outcome) and o.repeated)
    refused = sum(1 for outcomes in results.by_key.values() for o in outcomes if isinstance(o, InsufficientBalance))
    assert sent_twice > 200 and repeated > 50 and refused > 100  # the test exercised what it claims
    assert 500 < sum(1 for k in applied if requests[k].kind == "once") < TIPS

    with ledger.engine.connect() as connection:
        once = connection.execute(sa.select(transfers).where(transfers.c.kind == "once")).all()
        keys = set(connection.execute(sa.select(operations.c.key)).scalars())
        balances = dict(connection.execute(
            sa.select(accounts.c.id, accounts.c.balance_minor).where(accounts.c.kind == "member")).all())
        credited = connection.execute(sa.select(sa.func.coalesce(sa.func.sum(transfers.c.amount_minor), 0))
                                      .where(transfers.c.kind == "credit")).scalar_one()
        debited = connection.execute(sa.select(sa.func.coalesce(sa.func.sum(transfers.c.amount_minor), 0))
                                     .where(transfers.c.kind == "debit")).scalar_one()

    # Applied once: one transfer per successful key, and one idempotency record each.
    applied_once = [k for k in applied if requests[k].kind == "once"]
    assert len(once) == len(applied_once)
    assert sorted(t.id for t in once) == sorted(applied[k].value["transfer_ids"][0] for k in applied_once)
    assert keys == set(applied) | {f"seed:{m}" for m, amount in seed.items() if amount}

    # No balance below zero, and every balance is what the applied requests make it.
    assert min(balances.values()) >= 0
    expected = dict(seed)
    for key in applied:
        request = requests[key]
        if request.kind == "once":
            expected[request.member_id] -= request.amount_minor
            expected[request.other_id] += request.amount_minor
        else:
            expected[request.member_id] += request.amount_minor * (1 if request.kind == "credit" else -1)
    assert balances == expected
    assert sum(balances.values()) == credited - debited

    check = subprocess.run([sys.executable, "-m", "bot.cli", "ledger", "check", "--database", pg_url],
                           cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "every balance matches" in check.stdout


def test_concurrent_get_or_create_makes_one_member_and_one_space(pg_ledger: Ledger) -> None:
    ledger = pg_ledger
    barrier = threading.Barrier(THREADS)
    seen: list[tuple[int, int]] = []
    errors: list[BaseException] = []

    def first_sight() -> None:
        try:
            barrier.wait()
            space = ledger.run(lambda b: b.ensure_space("slack", "T-race", community_name="race")).value
            member = ledger.run(lambda b: b.ensure_member(space, "U-race", "racer")).value
            seen.append((space.id, member.id))
        except BaseException as error:  # noqa: BLE001 - re-raised in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=first_sight) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(seen) == THREADS and len(set(seen)) == 1
    with ledger.engine.connect() as connection:
        count = lambda table: connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()  # noqa: E731
        assert (count(spaces), count(members), count(identities)) == (1, 1, 1)
        # The losers' savepoints rolled back their account rows: no orphans.
        kinds = connection.execute(sa.select(accounts.c.kind).order_by(accounts.c.id)).scalars().all()
        assert sorted(kinds) == ["manual", "member"]


def test_concurrent_changes_of_one_weekly_tip_leave_one_current_version(pg_ledger: Ledger) -> None:
    """Every thread changes the same pair's weekly tip at once: each change lands (the loser of
    a race on the unique index of current tips runs again), and exactly one version is current:
    the newest."""
    ledger = pg_ledger
    with ledger.begin() as book:
        space = book.ensure_space("console", "pair", community_name="pair")
        alice, bob = (book.ensure_member(space, f"U-{n}", n) for n in ("alice", "bob"))
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def change(n: int) -> None:
        try:
            barrier.wait()
            ledger.set_tip(alice.id, bob.id, Money(100 + n, "USD"), key=f"pair:{n}")
        except BaseException as error:  # noqa: BLE001 - re-raised in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=change, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with ledger.engine.connect() as connection:
        versions = connection.execute(sa.select(tips).order_by(tips.c.id)).all()
    assert len(versions) == THREADS  # every change is a version
    assert [v.is_current for v in versions] == [False] * (THREADS - 1) + [True]
    assert sorted(v.weekly_amount_minor for v in versions) == [100 + n for n in range(THREADS)]
    current = ledger.read(lambda b: b.tips_given(alice.id))
    assert [t.weekly_amount_minor for t in current] == [versions[-1].weekly_amount_minor]


def test_a_connection_killed_by_the_server_costs_a_retry_not_the_request(pg_ledger: Ledger, pg_url: str) -> None:
    """PostgreSQL restarts or drops idle connections: the pooled connections are dead,
    yet the next request is carried out once (pool_pre_ping is off; Ledger.run retries)."""
    ledger = pg_ledger
    with ledger.begin() as book:
        space = book.ensure_space("console", "restart", community_name="restart")
        alice, bob = (book.ensure_member(space, f"U-{n}", n) for n in ("alice", "bob"))
        book.set_receiving(bob.id, True)
    ledger.credit(alice.id, Money(1000, "USD"), by_admin=True, key="restart:seed")
    database = sa.make_url(ledger.engine.url).database
    killer = sa.create_engine(ledger.engine.url, poolclass=sa.pool.NullPool)
    with killer.connect() as connection:
        killed = connection.execute(sa.text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = :db AND pid <> pg_backend_pid()"), {"db": database}).scalar_one()
    killer.dispose()
    assert killed >= 1  # the ledger's pooled connection(s)
    done = ledger.tip_once(alice.id, [(bob.id, Money(300, "USD"))], key="restart:tip")
    assert not done.repeated
    assert ledger.tip_once(alice.id, [(bob.id, Money(300, "USD"))], key="restart:tip").repeated
    assert ledger.read(lambda b: (b.balance(alice.id).amount_minor, b.balance(bob.id).amount_minor)) == (700, 300)
