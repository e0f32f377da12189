"""One payday over a big community, next to a raw lower bound measured in the same run.

    .venv/bin/python bench/payday.py [--members 100000] [--tips 1000000] [--projects 10000]
                                     [--only sqlite|postgresql]

For each database it bulk-loads a community (COPY on PostgreSQL, executemany on
SQLite): members with balances credited by manual transfers (so `ledger check`
holds), 95% of them receiving, projects of 1 to 5 maintainers with takes, and
weekly tips spread over ~10 per tipper (every fifth to a project) with amounts and
balances chosen so most, not all, tips are funded and some chains need several
rounds. Then, in a fresh process (so peak memory is the payday's):

- raw lower bound: one INSERT ... SELECT of every tip into transfers, one of every
  take (project -> maintainer), and one UPDATE of the balances from the summed
  deltas, in a transaction rolled back afterwards; measured before and after the
  payday, and the mean taken;
- the same bound writing what a payday writes: transfers carrying a payday id (so the
  foreign key to paydays and UNIQUE(payday, from, to) are checked, as they are for
  every payday's transfers; the first bound leaves payday_id empty);
- the payday: `ledger.payday.run_payday` as `tipbot payday` runs it.

It prints seconds, tips per second, the ratio to both bounds, peak memory
(getrusage maxrss of the process running the payday) and checks the books.
PostgreSQL: `TIPBOT_BENCH_DATABASE_URL` (default postgresql://postgres@127.0.0.1:5432/test)
names a server; the bench creates a scratch database there and drops it at the end.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ledger import db  # noqa: E402
from bench.scratch import scratch_postgres  # noqa: E402
from ledger.api import Ledger  # noqa: E402
from ledger.check import check_ledger  # noqa: E402

WEEK = dt.date(2026, 11, 23)
T0 = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
TIPS_PER_TIPPER = 10
PROJECT_EVERY = 5  # every fifth tip goes to a project: 20%
CHUNK = 50_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--tips", type=int, default=1_000_000)
    parser.add_argument("--projects", type=int, default=10_000)
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument("--run", metavar="URL", help=argparse.SUPPRESS)  # child: time one payday
    args = parser.parse_args()
    if args.run:
        print(json.dumps(measure(args.run)))
        return
    print(f"Payday bench: {args.members:,} members, {args.tips:,} weekly tips, {args.projects:,} projects, "
          f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    if args.only in (None, "postgresql"):
        with scratch_postgres("payday") as url:
            bench("postgresql", url, args)
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory() as directory:
            bench("sqlite", f"sqlite:///{directory}/bench.sqlite3", args)


def bench(label: str, url: str, args: argparse.Namespace) -> None:
    started = time.perf_counter()
    build(url, args.members, args.tips, args.projects)
    print(f"\n{label}: loaded in {time.perf_counter() - started:.1f} s")
    child = subprocess.run([sys.executable, __file__, "--run", url], capture_output=True, text=True, check=True)
    figures = json.loads(child.stdout.strip().splitlines()[-1])
    raw, payday = figures["raw_seconds"], figures["payday_seconds"]
    tips = figures["tips"]
    rows = figures["raw_payday_rows_seconds"]
    print(f"  raw lower bound : {raw:7.2f} s  {tips / raw:>10,.0f} tips/s  (mean of "
          + " and ".join(f"{s:.2f}" for s in figures["raw_runs"]) + " s, before and after the payday)")
    print(f"  ... payday rows : {rows:7.2f} s  {tips / rows:>10,.0f} tips/s  (mean of "
          + " and ".join(f"{s:.2f}" for s in figures["raw_payday_rows_runs"]) + " s; the transfers carry a payday id)")
    print(f"  payday          : {payday:7.2f} s  {tips / payday:>10,.0f} tips/s  ({payday / raw:.2f}x raw, "
          f"{payday / rows:.2f}x raw with payday rows)")
    print(f"  peak memory     : {figures['maxrss_mb']:.0f} MB (payday process)")
    print(f"  paid {figures['stats']['tips_paid']:,} tips in {figures['stats']['rounds']} rounds, "
          f"{figures['stats']['unfunded_tips']:,} unfunded, {figures['stats']['pledges']:,} pledges; "
          f"ledger check: {figures['check']}")
    stats = figures["stats"]
    print(f"  projects: {stats.get('projects_funded', 0):,} funded, received {stats.get('projects_income_minor', 0):,},"
          f" paid {figures['shares']:,} shares worth {stats.get('projects_paid_minor', 0):,},"
          f" carried {stats.get('projects_carried_minor', 0):,} (minor units)")
    print("  stages: " + ", ".join(f"{stage} {seconds:.2f}s" for stage, seconds in figures["stages"]))


def build(url: str, member_count: int, tip_count: int, project_count: int) -> None:
    """Schema, one community, members with credited balances, projects with maintainers
    and takes, and the weekly tips."""
    engine = db.make_engine(url)
    db.upgrade(engine)
    with engine.begin() as conn:
        community_id = conn.execute(sa.text(
            "INSERT INTO communities (name, currency) VALUES ('bench', 'USD') RETURNING id")).scalar_one()
        manual_id = conn.execute(sa.text(
            "INSERT INTO accounts (community_id, currency, kind, balance_minor) "
            "VALUES (:c, 'USD', 'manual', 0) RETURNING id"), {"c": community_id}).scalar_one()
    first = manual_id + 1
    ids = range(first, first + member_count)
    balance = {m: (m * 7919) % 2500 for m in ids}  # 0 .. 24.99
    tippers = max(1, tip_count // TIPS_PER_TIPPER)
    now = dt.datetime.now(dt.timezone.utc)
    project_ids = range(first + member_count, first + member_count + project_count)

    def maintainers_of(p: int) -> list[int]:
        n = 1 + p % 5  # 1 to 5 maintainers
        return list(dict.fromkeys(first + (p * 13 + j * 1009) % member_count for j in range(n)))

    def project_accounts_rows():
        for p in project_ids:
            yield (p, community_id, "USD", "project", 0)

    def projects_rows():
        for p in project_ids:
            yield (p, community_id, f"project{p}", now)

    def maintainers_rows():
        for p in project_ids:
            for j, m in enumerate(maintainers_of(p)):
                yield (p, m, T0 + dt.timedelta(seconds=j))

    def takes_rows():
        for p in project_ids:
            for j, m in enumerate(maintainers_of(p)):
                take = (p * 7 + j * 131) % 3000  # 0 to 29.99 a week
                yield (p, m, take, take, T0, T0, True)

    def accounts_rows():
        for m in ids:
            yield (m, community_id, "USD", "member", balance[m])

    def members_rows():
        for m in ids:
            yield (m, community_id, f"member{m}", (m % 20) != 0, now)

    def credit_rows():
        for m in ids:
            if balance[m]:
                yield (community_id, "USD", manual_id, m, balance[m], "credit", now)

    def tip_rows():
        made = 0
        for t in range(tippers):
            tipper = first + (t * 7) % member_count
            for k in range(1, TIPS_PER_TIPPER + 1):
                if made == tip_count:
                    return
                tippee = first + ((tipper - first) + k * 997 + (t % 13)) % member_count
                if project_count and (t * TIPS_PER_TIPPER + k) % PROJECT_EVERY == 0:
                    tippee = project_ids[(t * 7919 + k // PROJECT_EVERY) % project_count]  # distinct per tipper
                if tippee == tipper:
                    continue
                made += 1
                amount = 25 + (t * 31 + k * 17) % 400
                ctime = T0 + dt.timedelta(seconds=made)
                yield (community_id, tipper, tippee, amount, ctime, ctime)

    tables = [
        ("accounts", ("id", "community_id", "currency", "kind", "balance_minor"), accounts_rows()),
        ("members", ("id", "community_id", "display_name", "receiving", "created_at"), members_rows()),
        ("accounts", ("id", "community_id", "currency", "kind", "balance_minor"), project_accounts_rows()),
        ("projects", ("id", "community_id", "name", "created_at"), projects_rows()),
        ("project_maintainers", ("project_id", "member_id", "joined_at"), maintainers_rows()),
        ("project_takes", ("project_id", "member_id", "take_minor", "asked_minor", "ctime", "mtime", "is_current"),
         takes_rows()),
        ("transfers", ("community_id", "currency", "from_account_id", "to_account_id", "amount_minor", "kind",
                       "created_at"), credit_rows()),
        ("tips", ("community_id", "tipper_id", "tippee_id", "weekly_amount_minor", "ctime", "mtime"), tip_rows()),
    ]
    with engine.begin() as conn:
        for table, columns, rows in tables:
            load(conn, table, columns, rows)
        conn.execute(sa.text("UPDATE accounts SET balance_minor = -(SELECT COALESCE(SUM(balance_minor), 0) "
                             "FROM accounts WHERE kind = 'member') WHERE id = :m"), {"m": manual_id})
        if engine.dialect.name == "postgresql":  # fix the sequences after explicit ids
            conn.exec_driver_sql("SELECT setval('accounts_id_seq', (SELECT MAX(id) FROM accounts))")
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    else:
        with engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
    engine.dispose()


def load(conn: sa.Connection, table: str, columns: tuple[str, ...], rows) -> None:
    if conn.dialect.name == "postgresql":
        cursor = conn.connection.driver_connection.cursor()
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    statement = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    cursor = conn.connection.driver_connection.cursor()
    chunk: list[tuple] = []
    for row in rows:
        chunk.append(tuple(v.isoformat(sep=" ") if isinstance(v, dt.datetime) else v for v in row))
        if len(chunk) == CHUNK:
            cursor.executemany(statement, chunk)
            chunk.clear()
    if chunk:
        cursor.executemany(statement, chunk)


RAW_INSERT = """
INSERT INTO transfers (community_id, currency, from_account_id, to_account_id, amount_minor, kind, payday_id)
SELECT community_id, 'USD', tipper_id, tippee_id, weekly_amount_minor, 'tip', :payday_id FROM tips
"""
RAW_TAKES = """
INSERT INTO transfers (community_id, currency, from_account_id, to_account_id, amount_minor, kind, payday_id)
SELECT p.community_id, 'USD', t.project_id, t.member_id, t.take_minor, 'take', :payday_id
FROM project_takes t JOIN projects p ON p.id = t.project_id WHERE t.is_current AND t.take_minor > 0
"""
RAW_UPDATE = """
UPDATE accounts SET balance_minor = accounts.balance_minor + d.delta FROM (
  SELECT account_id, SUM(delta) AS delta FROM (
    SELECT tippee_id AS account_id, weekly_amount_minor AS delta FROM tips
    UNION ALL SELECT tipper_id, -weekly_amount_minor FROM tips
    UNION ALL SELECT member_id, take_minor FROM project_takes WHERE is_current
    UNION ALL SELECT project_id, -take_minor FROM project_takes WHERE is_current) legs GROUP BY account_id) d
WHERE accounts.id = d.account_id
"""
RAW_UNCHECKED = ("ALTER TABLE accounts DROP CONSTRAINT ck_accounts_member_balance_nonnegative, "
                 "DROP CONSTRAINT ck_accounts_project_balance_nonnegative")
# A payday of its own for the bound's transfers (rolled back with them), a week after the bench's.
RAW_PAYDAY = ("INSERT INTO paydays (community_id, week_start, stage, snapshot_at) "
              "VALUES (:community_id, :week, 'started', CURRENT_TIMESTAMP) RETURNING id")


def raw_bound(engine: sa.Engine, community_id: int, *, payday_rows: bool) -> float:
    """Seconds to move every tip and take once, rolled back. `payday_rows`: the transfers carry
    a payday id, as a payday's must (so its foreign key and UNIQUE(payday, from, to) are
    checked); without, the bound issue 4 set, which leaves payday_id empty."""
    with engine.connect() as conn:
        transaction = conn.begin()
        # paying every tip overdraws some members: lift the CHECK for the bound (rolled back)
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql(RAW_UNCHECKED)
        else:
            conn.exec_driver_sql("PRAGMA ignore_check_constraints = ON")
        payday_id = None
        if payday_rows:
            payday_id = conn.execute(sa.text(RAW_PAYDAY), {"community_id": community_id,
                                                           "week": WEEK + dt.timedelta(days=7)}).scalar_one()
        started = time.perf_counter()
        conn.execute(sa.text(RAW_INSERT), {"payday_id": payday_id})
        conn.execute(sa.text(RAW_TAKES), {"payday_id": payday_id})
        conn.execute(sa.text(RAW_UPDATE))
        seconds = time.perf_counter() - started
        transaction.rollback()
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA ignore_check_constraints = OFF")
    if engine.dialect.name == "postgresql":  # the rolled-back rows: gone before the next measurement
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE transfers")
            conn.exec_driver_sql("VACUUM ANALYZE accounts")
    return seconds


def measure(url: str) -> dict:
    """In the child process: the raw bounds (rolled back), the payday, the raw bounds again
    (each bound is the mean of its two measurements, so a machine that speeds up or slows
    down during the run moves the bound with the payday)."""
    from ledger.payday.engine import run_payday

    ledger = Ledger.connect(url, upgrade=False)
    engine = ledger.engine
    with engine.connect() as conn:
        tips = conn.execute(sa.text("SELECT COUNT(*) FROM tips")).scalar_one()
        community_id = conn.execute(sa.text("SELECT id FROM communities")).scalar_one()
    before = {rows: raw_bound(engine, community_id, payday_rows=rows) for rows in (False, True)}
    marks: list[tuple[str, float]] = []
    last = [time.perf_counter()]

    def progress(stage: str, _detail: str) -> None:
        now = time.perf_counter()
        marks.append((stage, now - last[0]))
        last[0] = now

    started = time.perf_counter()
    result = run_payday(ledger, community_id, WEEK, crash=None, progress=progress)
    payday_seconds = time.perf_counter() - started
    maxrss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with ledger.begin(readonly=True) as book:
        problems = check_ledger(book.conn)
        shares = book.conn.execute(sa.text("SELECT COUNT(*) FROM transfers WHERE kind = 'take'")).scalar_one()
    after = {rows: raw_bound(engine, community_id, payday_rows=rows) for rows in (False, True)}
    ledger.dispose()
    return {"tips": tips, "raw_seconds": (before[False] + after[False]) / 2,
            "raw_runs": [before[False], after[False]],
            "raw_payday_rows_seconds": (before[True] + after[True]) / 2,
            "raw_payday_rows_runs": [before[True], after[True]],
            "payday_seconds": payday_seconds, "maxrss_mb": maxrss_mb,
            "stats": result.stats, "stages": marks, "shares": shares,
            "check": "clean" if not problems else f"{len(problems)} problems"}


if __name__ == "__main__":
    main()
