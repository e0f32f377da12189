"""One-off tips per second through the ledger API, next to a raw driver baseline.

    .venv/bin/python bench/ledger_writes.py [--tips N] [--members N] [--writers 1,8]

For each database (SQLite file, PostgreSQL scratch database) and each number of
concurrent writer threads, it times rounds of N one-off tips three ways, in the same
process: through `Ledger.tip_once` with an idempotency key (as every command from a
platform has); with the raw driver (psycopg for PostgreSQL, sqlite3 for SQLite), one
transaction of conditional debit, credit and insert of the transfer row; and through
the API without a key (the idempotency record is the one statement the raw baseline
doesn't write). The three alternate round by round, so load from elsewhere on the
machine hits each; it prints the median tips per second of each, the ratios to the
raw baseline, and checks the books afterwards.

PostgreSQL: `TIPBOT_BENCH_DATABASE_URL` (default postgresql://postgres@127.0.0.1:5432/test)
names a server and an existing database to connect to; the bench creates its own
scratch database there and drops it at the end.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import psycopg
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ledger import db  # noqa: E402
from bench.scratch import scratch_postgres  # noqa: E402
from ledger.api import Ledger  # noqa: E402
from ledger.check import check_ledger  # noqa: E402
from ledger.money import Money  # noqa: E402

START_BALANCE_MINOR = 10**9  # nobody runs out: we time the write path, not refusals

Tip = tuple[int, int, int]  # tipper, tippee, amount_minor


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tips", type=int, default=2000, help="tips per round (default 2000)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="alternating ledger/raw rounds per figure; the median is shown (default 3)")
    parser.add_argument("--members", type=int, default=200, help="members tipping each other (default 200)")
    parser.add_argument("--writers", default="1,8", help="comma-separated writer thread counts (default 1,8)")
    parser.add_argument("--only", choices=("sqlite", "postgresql"), help="one database only")
    args = parser.parse_args()
    writer_counts = [int(w) for w in args.writers.split(",")]

    print(f"One-off tips per second (median of {args.rounds} alternating rounds of {args.tips} tips) "
          f"among {args.members} members, "
          f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    print(f"{'database':<11} {'writers':>7} {'ledger API':>11} {'raw driver':>11} {'ratio':>6}"
          f" {'API no key':>12} {'ratio':>6}")
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory() as directory:
            url = f"sqlite:///{Path(directory) / 'bench.sqlite3'}"
            run_database("sqlite", url, args.tips, args.members, writer_counts, args.rounds)
    if args.only in (None, "postgresql"):
        with scratch_postgres("writes") as url:
            run_database("postgresql", url, args.tips, args.members, writer_counts, args.rounds)


def run_database(name: str, url: str, n_tips: int, n_members: int, writer_counts: list[int], rounds: int) -> None:
    ledger = Ledger.connect(url, upgrade=True, pool_size=max(writer_counts) + 2)
    member_ids = seed(ledger, n_members)
    rng = random.Random(42)
    raw_writer = raw_postgres_tip if name == "postgresql" else raw_sqlite_tip
    community_id = ledger.read(lambda b: b.member(member_ids[0])).community_id
    for writers in writer_counts:
        ledger_rates, unkeyed_rates, raw_rates = [], [], []
        for _ in range(rounds):  # alternate, so a busy moment on the machine hits every side
            work = [(a, b, rng.randint(1, 500)) for a, b in (rng.sample(member_ids, 2) for _ in range(n_tips))]
            run_id = uuid.uuid4().hex[:8]
            ledger_rates.append(timed(writers, work, lambda: ledger_worker(ledger, run_id)))
            raw_rates.append(timed(writers, work, lambda: raw_writer(url, community_id)))
            unkeyed_rates.append(timed(writers, work, lambda: ledger_worker(ledger, None)))
        ledger_rate, raw_rate = statistics.median(ledger_rates), statistics.median(raw_rates)
        unkeyed_rate = statistics.median(unkeyed_rates)
        print(f"{name:<11} {writers:>7} {ledger_rate:>9,.0f}/s {raw_rate:>9,.0f}/s {ledger_rate / raw_rate:>6.0%}"
              f" {unkeyed_rate:>10,.0f}/s {unkeyed_rate / raw_rate:>6.0%}", flush=True)
    with ledger.begin(readonly=True) as book:
        problems = check_ledger(book.conn)
        count = book.conn.execute(sa.text("SELECT count(*) FROM transfers WHERE kind = 'once'")).scalar_one()
    print(f"{name:<11} ledger check: {'clean' if not problems else problems}, {count:,} one-off transfers")
    ledger.dispose()


def seed(ledger: Ledger, n_members: int) -> list[int]:
    with ledger.begin() as book:
        space = book.ensure_space("bench", uuid.uuid4().hex, community_name=f"bench-{uuid.uuid4().hex[:6]}")
        people = [book.ensure_member(space, f"U{i}", f"member{i}") for i in range(n_members)]
        for person in people:
            book.set_receiving(person.id, True)
            book.credit(person.id, Money(START_BALANCE_MINOR, "USD"), by_admin=True)
    return [person.id for person in people]


def timed(writers: int, work: list[Tip], make_worker: Callable[[], Callable[[list[Tip]], None]]) -> float:
    """Tips per second for `work` split over `writers` threads, each with its own worker."""
    slices = [work[i::writers] for i in range(writers)]
    workers = [make_worker() for _ in range(writers)]
    barrier = threading.Barrier(writers + 1)
    errors: list[BaseException] = []

    def run(worker, tips: list[Tip]) -> None:
        barrier.wait()
        try:
            worker(tips)
        except BaseException as error:  # noqa: BLE001 - reported after the run
            errors.append(error)

    threads = [threading.Thread(target=run, args=(w, s)) for w, s in zip(workers, slices)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise errors[0]
    return len(work) / elapsed


def ledger_worker(ledger: Ledger, run_id: str | None) -> Callable[[list[Tip]], None]:
    """Tips through the API; with a run id each carries an idempotency key, as from a platform."""
    def work(tips: list[Tip]) -> None:
        for tipper, tippee, amount in tips:
            key = f"bench:{run_id}:{uuid.uuid4().hex}" if run_id else None
            ledger.tip_once(tipper, [(tippee, Money(amount, "USD"))], key=key)
    return work


def raw_postgres_tip(url: str, community_id: int) -> Callable[[list[Tip]], None]:
    """The floor: what three statements in one transaction cost with the bare driver."""
    conninfo = sa.make_url(db.normalize_url(url)).set(drivername="postgresql").render_as_string(False)
    connection = psycopg.connect(conninfo)

    def work(tips: list[Tip]) -> None:
        with connection:
            for tipper, tippee, amount in tips:
                with connection.transaction(), connection.cursor() as cursor:
                    for account in sorted((tipper, tippee)):  # the same lock order as the ledger
                        if account == tipper:
                            cursor.execute("UPDATE accounts SET balance_minor = balance_minor - %s "
                                           "WHERE id = %s AND balance_minor >= %s", (amount, tipper, amount))
                            assert cursor.rowcount == 1
                        else:
                            cursor.execute("UPDATE accounts SET balance_minor = balance_minor + %s WHERE id = %s",
                                           (amount, tippee))
                    cursor.execute("INSERT INTO transfers (community_id, currency, from_account_id, to_account_id, "
                                   "amount_minor, kind) VALUES (%s, 'USD', %s, %s, %s, 'once')",
                                   (community_id, tipper, tippee, amount))
    return work


def raw_sqlite_tip(url: str, community_id: int) -> Callable[[list[Tip]], None]:
    path = sa.make_url(url).database
    connection = sqlite3.connect(path, isolation_level=None, timeout=30, check_same_thread=False)
    connection.execute("PRAGMA busy_timeout = 30000")
    connection.execute("PRAGMA synchronous = NORMAL")
    connection.execute("PRAGMA foreign_keys = ON")

    def work(tips: list[Tip]) -> None:
        for tipper, tippee, amount in tips:
            connection.execute("BEGIN IMMEDIATE")
            cursor = connection.execute("UPDATE accounts SET balance_minor = balance_minor - ? "
                                        "WHERE id = ? AND balance_minor >= ?", (amount, tipper, amount))
            assert cursor.rowcount == 1
            connection.execute("UPDATE accounts SET balance_minor = balance_minor + ? WHERE id = ?", (amount, tippee))
            connection.execute("INSERT INTO transfers (community_id, currency, from_account_id, to_account_id, "
                               "amount_minor, kind, created_at) VALUES (?, 'USD', ?, ?, ?, 'once', "
                               "CURRENT_TIMESTAMP)", (community_id, tipper, tippee, amount))
            connection.execute("COMMIT")
        connection.close()
    return work


if __name__ == "__main__":
    main()
