"""The public web pages under load: a community page at 100/s and badges at 500/s, on PostgreSQL.

    .venv/bin/python bench/web.py [--members 10000] [--tips 100000] [--seconds 15]

It fills a scratch PostgreSQL database with one public community (`/tip admin web public`)
of `--members` members (80% with a public profile, half of them receiving) and `--tips`
current weekly tips (10% anonymous) plus 12 finished paydays, written with set-based SQL
(generate_series: this measures reads, not the ledger's writers). Then it starts
`tipbot run --no-scheduler` (uvicorn, production settings: the community page kept for
`web_page_cache_seconds`, 15 s by default) in its own process on 127.0.0.1 and sends, open
loop (a request leaves on schedule whether or not earlier ones were answered):

1. GET /c/bench at `--page-rate` (100/s);
2. GET .../@memberN/receiving.svg and .json of random members at `--badge-rate` (500/s).

It prints p50, p99 and max of each (after a warm-up that is not counted), and the cost of
one uncached community page (the aggregate over every current tip, rendered), measured in
this process with the same ledger query. Targets: page p99 < 50 ms, badge p99 < 10 ms.

PostgreSQL: `TIPBOT_BENCH_DATABASE_URL` (default postgresql://postgres@127.0.0.1:5432/test).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.scratch import scratch_postgres  # noqa: E402
from bench.serving import free_port, percentile, run_fast, wait_healthy  # noqa: E402
from ledger import db  # noqa: E402

SEED = """
INSERT INTO communities (id, name, currency, web_public) VALUES (1, 'bench', 'USD', true);
INSERT INTO spaces (community_id, platform, external_id, name) VALUES (1, 'console', 'bench', 'bench');
INSERT INTO accounts (id, community_id, currency, kind, balance_minor)
  SELECT n, 1, 'USD', 'member', 0 FROM generate_series(1, :members) AS n;
INSERT INTO members (id, community_id, display_name, receiving, profile_public)
  SELECT n, 1, 'member' || n, n % 2 = 0, n % 5 <> 0 FROM generate_series(1, :members) AS n;
INSERT INTO tips (community_id, tipper_id, tippee_id, weekly_amount_minor, ctime, mtime, is_current, anonymous)
  SELECT 1, t.tipper, (t.tipper + 1 + t.k * 37 - 1) % :members + 1, 100 + i % 500, now(), now(), true, i % 10 = 0
  FROM generate_series(0, :tips - 1) AS i,
       LATERAL (SELECT i % :members + 1 AS tipper, i / :members AS k) AS t;
INSERT INTO paydays (community_id, week_start, stage, snapshot_at, finished_at, stats)
  SELECT 1, DATE '2026-11-23' - 7 * w, 'done', now(), now(),
         json_build_object('paid_minor', 2000000 + w * 1000, 'tippers', 9000, 'recipients', 5000)
  FROM generate_series(0, 11) AS w;
"""


def seed(url: str, members: int, tips: int) -> None:
    engine = db.make_engine(url)
    with engine.begin() as conn:
        for statement in filter(str.strip, SEED.split(";")):
            conn.execute(sa.text(statement), {"members": members, "tips": tips})
        conn.exec_driver_sql("ANALYZE")
    engine.dispose()


def uncached_page_ms(url: str, rounds: int = 20) -> list[float]:
    """The community page's ledger read plus its rendering, without the cache, in this process."""
    from bot.webpages.render import environment
    from ledger.api import Ledger

    ledger = Ledger.connect(url, upgrade=False)
    templates = environment().get_template("community.html")
    times = []
    for _ in range(rounds):
        began = time.perf_counter()
        community = ledger.read(lambda book: book.public_community("bench"))
        page = ledger.read(lambda book: book.community_page(community))
        templates.render(title="bench", page=page, community=community)
        times.append((time.perf_counter() - began) * 1000)
    ledger.dispose()
    return times


async def load(base: str, paths, rate: int, seconds: float, warmup: float) -> tuple[list[float], int, int]:
    """Open loop at `rate`/s for warmup + seconds; latencies (ms) of the measured part, errors, sent."""
    gc.disable()
    latencies: list[float] = []
    errors = 0
    total = int(rate * (warmup + seconds))
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        start = time.perf_counter() + 0.1

        async def one(n: int) -> None:
            nonlocal errors
            path = paths(n)
            sent = time.perf_counter()
            try:
                async with session.get(base + path) as response:
                    await response.read()
                    ok = response.status == 200
            except aiohttp.ClientError:
                ok = False
            took = (time.perf_counter() - sent) * 1000
            if not ok:
                errors += 1
            elif sent - start >= warmup:
                latencies.append(took)

        tasks = []
        for n in range(total):
            delay = start + n / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(n)))
        await asyncio.gather(*tasks)
    gc.enable()
    return latencies, errors, total


def report(name: str, latencies: list[float], errors: int, sent: int, rate: int, target_ms: float) -> None:
    p50, p99, worst = (percentile(latencies, 50), percentile(latencies, 99), max(latencies))
    verdict = "met" if p99 < target_ms else "MISSED"
    print(f"{name} at {rate}/s: {len(latencies)} measured of {sent} sent, {errors} errors; "
          f"p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {worst:.1f} ms (target p99 < {target_ms:.0f} ms: {verdict})")


async def run(args: argparse.Namespace, url: str) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_", "STRIPE_", "TIPBOT_"))}
    env.update({"TIPBOT_DATABASE_URL": url, "TIPBOT_WEB_PAGE_CACHE_SECONDS": str(args.keep_seconds)})
    server = subprocess.Popen([sys.executable, "-m", "bot.cli", "run", "--port", str(port), "--no-scheduler"],
                              env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    rng = random.Random(7)
    public = [n for n in range(1, args.members + 1) if n % 5 != 0]
    try:
        await wait_healthy(base, server)
        print(f"one `tipbot run` (uvicorn) on PostgreSQL, {args.members:,} members, {args.tips:,} weekly tips, "
              f"{args.seconds:.0f} s per load after {args.warmup:.0f} s warm-up, Python {sys.version.split()[0]}, "
              f"{os.cpu_count()} CPUs, load average before: {os.getloadavg()[0]:.1f}")
        if args.only in (None, "page"):
            report("community page", *await load(base, lambda n: "/c/bench", args.page_rate, args.seconds,
                                                 args.warmup), args.page_rate, 50)
        if args.only == "page":
            return
        suffixes = ("svg", "json")
        report("badges", *await load(
            base, lambda n: f"/c/bench/@member{rng.choice(public)}/receiving.{suffixes[n % 2]}",
            args.badge_rate, args.seconds, args.warmup), args.badge_rate, 10)
        print(f"machine load average (1 min) at the end: {os.getloadavg()[0]:.1f}")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--tips", type=int, default=100_000)
    parser.add_argument("--page-rate", type=int, default=100)
    parser.add_argument("--badge-rate", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--keep-seconds", type=float, default=15,
                        help="the server's web_page_cache_seconds (default 15, the default setting)")
    parser.add_argument("--only", choices=("page", "badges"), help="one of the two loads")
    args = parser.parse_args()
    with scratch_postgres("web", upgrade=True) as url:
        began = time.perf_counter()
        seed(url, args.members, args.tips)
        print(f"seeded in {time.perf_counter() - began:.1f} s")
        cold = uncached_page_ms(url, rounds=3 if args.only else 20)
        print(f"uncached community page (ledger read + render, in-process): p50 {percentile(cold, 50):.1f} ms, "
              f"max {max(cold):.1f} ms over {len(cold)}")
        run_fast(run(args, url))


if __name__ == "__main__":
    main()
