"""Many small communities due at the same minute, paid and announced by 1 and 2 scheduler
processes (the hosted case: thousands of communities on the default Thursday 12:00).

    .venv/bin/python bench/tenants.py [--communities 10000] [--processes 1,2] [--concurrency 4]

For each process count: a scratch PostgreSQL database (`TIPBOT_BENCH_DATABASE_URL`,
default the local test server) gets N communities of 20 members, ~57 weekly tips each
(balances chosen so some tips go unfunded), one console space each; then that many OS
processes run the real scheduler tick (`bot.scheduler.run_due_tick`, claims and all)
with the clock pinned at a due moment and a platform that only counts summaries, until
nothing is due. Printed: per-community milliseconds (payday, announcement: mean from
each process's /metrics histograms), paydays per process, and the time from the start
signal until the last summary was posted. The database is dropped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
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

from bench.scratch import scratch_postgres  # noqa: E402

MEMBERS = 20
NOW = dt.datetime(2031, 1, 9, 12, 5, tzinfo=dt.timezone.utc)  # a Thursday, just after the default payday time

LOAD = [
    "INSERT INTO communities (name, currency) SELECT 'tenant' || g, 'USD' FROM generate_series(1, :n) g",
    "INSERT INTO accounts (community_id, currency, kind, balance_minor) SELECT id, 'USD', 'manual', 0 FROM communities",
    f"INSERT INTO accounts (community_id, currency, kind, balance_minor) "
    f"SELECT c.id, 'USD', 'member', ((c.id * 31 + k * 17) % 16) * 100 FROM communities c, generate_series(1, {MEMBERS}) k",
    "INSERT INTO members (id, community_id, display_name, receiving) "
    "SELECT id, community_id, 'member' || id, true FROM accounts WHERE kind = 'member'",
    "INSERT INTO transfers (community_id, currency, from_account_id, to_account_id, amount_minor, kind) "
    "SELECT a.community_id, 'USD', m.id, a.id, a.balance_minor, 'credit' FROM accounts a "
    "JOIN accounts m ON m.community_id = a.community_id AND m.kind = 'manual' "
    "WHERE a.kind = 'member' AND a.balance_minor > 0",
    "UPDATE accounts m SET balance_minor = -s.total FROM (SELECT community_id, SUM(balance_minor) AS total "
    "FROM accounts WHERE kind = 'member' GROUP BY community_id) s WHERE m.community_id = s.community_id "
    "AND m.kind = 'manual'",
    # member i tips members i+1, i+2, i+3 (mod 20), but 3 of those 60 are skipped: 57 tips a week
    "INSERT INTO tips (community_id, tipper_id, tippee_id, weekly_amount_minor, ctime, mtime) "
    "SELECT a.community_id, a.id, b.id, 50 + ((a.id + b.id) % 8) * 25, now(), now() FROM "
    "(SELECT id, community_id, row_number() OVER (PARTITION BY community_id ORDER BY id) - 1 AS i FROM members) a "
    "JOIN (SELECT id, community_id, row_number() OVER (PARTITION BY community_id ORDER BY id) - 1 AS i FROM members) b "
    f"ON b.community_id = a.community_id AND (b.i - a.i + {MEMBERS}) % {MEMBERS} BETWEEN 1 AND 3 "
    "WHERE NOT (a.i IN (0, 7, 14) AND (b.i - a.i + 20) % 20 = 3)",
    "INSERT INTO spaces (community_id, platform, external_id, name) SELECT id, 'console', name, name FROM communities",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--communities", type=int, default=10_000)
    parser.add_argument("--processes", default="1,2")
    parser.add_argument("--concurrency", type=int, default=4, help="paydays in flight per process")
    parser.add_argument("--worker", nargs=3, metavar=("URL", "GO", "CONCURRENCY"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        url, go, concurrency = args.worker
        print(json.dumps(asyncio.run(worker(url, Path(go), int(concurrency)))))
        return
    print(f"Tenants bench: {args.communities:,} communities x {MEMBERS} members, Python {sys.version.split()[0]}, "
          f"{os.cpu_count()} CPUs, load average before {os.getloadavg()[0]:.1f}")
    figures = {}
    for count in [int(p) for p in args.processes.split(",")]:
        with scratch_postgres("tenants", upgrade=True) as url:
            figures[count] = bench(url, args.communities, count, args.concurrency)
    if 1 in figures and 2 in figures:
        print(f"\n2 processes vs 1: {figures[1] / figures[2]:.2f}x as fast")


def load(url: str, communities: int) -> int:
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        for statement in LOAD:
            conn.execute(sa.text(statement), {"n": communities})
        tips = conn.execute(sa.text("SELECT COUNT(*) FROM tips")).scalar_one()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")
    engine.dispose()
    return tips


def bench(url: str, communities: int, processes: int, concurrency: int) -> float:
    started = time.perf_counter()
    tips = load(url, communities)
    print(f"\n{processes} process(es): loaded {communities:,} communities, {tips:,} weekly tips "
          f"in {time.perf_counter() - started:.1f} s; load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as directory:
        go = Path(directory) / "go"
        children = [subprocess.Popen([sys.executable, __file__, "--worker", url, str(go), str(concurrency)],
                                     stdout=subprocess.PIPE, text=True) for _ in range(processes)]
        time.sleep(2.0)  # imports and connections done before the start signal
        server_before = server_counters(url)  # after a CHECKPOINT: the load's dirty pages are written
        server_cpu = postgres_cpu_seconds()
        start = time.time()
        go.write_text(str(start))
        results = []
        for child in children:
            out, _ = child.communicate()
            results.append(json.loads(out.strip().splitlines()[-1]))
        server_cpu = postgres_cpu_seconds() - server_cpu
        server_after = server_counters(url, checkpoint=False)
    last = max(r["last_post"] for r in results if r["last_post"]) - start
    paydays = sum(r["payday_count"] for r in results)
    announced = sum(r["announce_count"] for r in results)
    payday_ms = 1000 * sum(r["payday_sum"] for r in results) / max(paydays, 1)
    announce_ms = 1000 * sum(r["announce_sum"] for r in results) / max(announced, 1)
    print(f"  paydays run per process: {[r['ran'] for r in results]}; summaries posted: "
          f"{sum(r['posted'] for r in results):,}")
    print(f"  per community: payday {payday_ms:.1f} ms, announcement {announce_ms:.1f} ms "
          f"(wall time in a worker, {concurrency} in flight per process)")
    print(f"  last summary posted {last:.1f} s after the start ({communities / last:.0f} communities/s); "
          f"load average {os.getloadavg()[0]:.1f}")
    scheduler_cpu = sum(r["cpu_seconds"] for r in results)
    print(f"  CPU per community: scheduler processes {1000 * scheduler_cpu / communities:.1f} ms, PostgreSQL "
          f"{1000 * server_cpu / communities:.1f} ms (all its processes on this machine)")
    wal_kb = (server_after["wal_bytes"] - server_before["wal_bytes"]) / 1024 / communities
    written = server_after["written_by_backends"] - server_before["written_by_backends"]
    print(f"  PostgreSQL per community: {wal_kb:.0f} kB of WAL, {written / communities:.1f} pages written by "
          f"backends (shared_buffers full); {server_after['checkpoints'] - server_before['checkpoints']} "
          f"checkpoints during the run; server: {server_before['settings']}")
    return last


def server_counters(url: str, *, checkpoint: bool = True) -> dict:
    """The server's WAL position, pages its backends wrote themselves and checkpoints so far
    (PostgreSQL 15's pg_stat_bgwriter); first a CHECKPOINT, so each run starts from a clean
    buffer pool rather than with the previous run's writes still pending."""
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if checkpoint:
            conn.exec_driver_sql("CHECKPOINT")
        row = conn.exec_driver_sql(
            "SELECT pg_current_wal_lsn() - '0/0'::pg_lsn, buffers_backend, checkpoints_timed + checkpoints_req "
            "FROM pg_stat_bgwriter").one()
        settings = ", ".join(f"{name} {value}{unit or ''}" for name, value, unit in conn.exec_driver_sql(
            "SELECT name, setting, unit FROM pg_settings WHERE name IN "
            "('shared_buffers', 'max_wal_size', 'synchronous_commit') ORDER BY name"))
    engine.dispose()
    return {"wal_bytes": int(row[0]), "written_by_backends": int(row[1]), "checkpoints": int(row[2]),
            "settings": settings}


def postgres_cpu_seconds() -> float:
    """CPU time so far of every `postgres` process on this machine, ended ones included (Linux
    /proc; 0 elsewhere)."""
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)
            if fields[0].endswith("(postgres"):
                values = fields[1].split()
                # utime, stime, and cutime, cstime: the postmaster inherits its ended backends' time
                ticks += sum(int(value) for value in values[11:15])
        except (OSError, IndexError, ValueError):
            continue  # a process that ended meanwhile
    return ticks / os.sysconf("SC_CLK_TCK")


async def worker(url: str, go: Path, concurrency: int) -> dict:
    from bot.compose import build_runtime
    from bot.config import Settings
    from bot.platform import Platform
    from bot.scheduler import run_due_tick
    from ledger.clock import FixedClock

    class Counting(Platform):
        name = "console"
        posted = 0
        last_post = 0.0

        async def post_summary(self, runtime, space_external_id, channel_id, summary) -> None:
            Counting.posted += 1
            Counting.last_post = time.time()

        async def send_direct(self, runtime, space_external_id, user_id, text) -> None:
            return None

    settings = Settings(database_url=url, payday_concurrency=concurrency)
    runtime = build_runtime(settings, clock=FixedClock(NOW), platforms={"console": Counting()}, funding={})
    runtime.ledger.ping()
    while not go.exists():
        await asyncio.sleep(0.01)
    ran = 0
    while True:
        tick = await run_due_tick(runtime)
        ran += sum(1 for run in tick.runs if run.result.status in ("ran", "resumed"))
        if not tick.runs and not tick.held_elsewhere and not tick.failed:
            break
        if not tick.runs:
            await asyncio.sleep(0.2)
    samples = {(s.name, s.labels.get("step")): s.value for family in runtime.metrics.registry.collect()
               for s in family.samples}
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {"ran": ran, "posted": Counting.posted, "last_post": Counting.last_post,
            "cpu_seconds": usage.ru_utime + usage.ru_stime,
            "payday_sum": samples.get(("tipbot_payday_seconds_sum", "payday"), 0.0),
            "payday_count": samples.get(("tipbot_payday_seconds_count", "payday"), 0.0),
            "announce_sum": samples.get(("tipbot_payday_seconds_sum", "announce"), 0.0),
            "announce_count": samples.get(("tipbot_payday_seconds_count", "announce"), 0.0)}


if __name__ == "__main__":
    main()
