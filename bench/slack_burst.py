"""A burst of signed `/tip` commands arriving at once at one `tipbot run` on PostgreSQL.

    .venv/bin/python bench/slack_burst.py [--commands 2000] [--members 100] [--queue N]

Same server and mock Slack as bench/slack_http.py (`tipbot run` in its own process on
127.0.0.1 over a scratch PostgreSQL database, Slack's Web API mocked in this process),
but instead of a steady rate every command is sent at the same moment, each on its own
connection, as Slack does when a channel's worth of members type `/tip` together. While
the burst runs, `GET /healthz` is asked every 20 ms from another process (its own connection).

It prints:
- ack: the time until Slack would get its HTTP 200 (Slack gives up after 3 s);
- how many acks said "busy, try again" (the command queue was full: nothing recorded);
- reply: for the commands taken, the time until the reply reached the response URL;
- /healthz latency during the burst;
- the books: every command taken set exactly its weekly tip, no busy one set anything.
`--queue N` sets TIPBOT_SLACK_COMMAND_QUEUE for the server (default: the setting's default).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import http.client
import multiprocessing
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.scratch import scratch_postgres  # noqa: E402
from bench.serving import free_port, percentile, run_fast, wait_healthy  # noqa: E402
from bench.slack_http import MockSlack, TEAM, server_env, sign, slash_command  # noqa: E402


def summary(name: str, values: list[float]) -> str:
    if not values:
        return f"{name:<8} (none)"
    return (f"{name:<8} p50 {percentile(values, 50) * 1000:7.1f} ms   p99 {percentile(values, 99) * 1000:7.1f} ms"
            f"   max {max(values) * 1000:7.1f} ms   (n={len(values)})")


def poll_health(base: str, stop, results) -> None:
    """GET /healthz every 20 ms from a process of its own, so the generator's loop does not
    delay the measurement; returns each answer's latency in seconds."""
    url = urlsplit(base)
    latencies: list[float] = []
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    while not stop.is_set():
        start = time.perf_counter()
        connection.request("GET", "/healthz")
        connection.getresponse().read()
        latencies.append(time.perf_counter() - start)
        time.sleep(0.02)
    connection.close()
    results.put(latencies)


async def burst(args: argparse.Namespace, mock: MockSlack, base: str) -> dict[tuple[int, int], int]:
    """Send the burst; return the weekly tip (minor units) each taken command set, by (tipper, tippee)."""
    gc.disable()
    rng = random.Random(11)
    acks: list[float] = []
    replies: list[float] = []
    busy: list[str] = []
    failures: list[str] = []
    taken: dict[tuple[int, int], int] = {}

    async def one(n: int, session: aiohttp.ClientSession, tipper: int, tippee: int, amount: int,
                  measure: bool = True) -> None:
        key = f"b{n}"
        body = slash_command(mock, key, n, tipper, tippee, amount)
        waiter = asyncio.get_running_loop().create_future()
        mock.waiters[key] = waiter
        start = time.perf_counter()
        try:
            async with session.post(f"{base}/slack/events", data=body.encode(), headers=sign(body)) as response:
                text = await response.text()
                acked = time.perf_counter()
                if response.status != 200:
                    failures.append(f"HTTP {response.status}")
                    return
            if measure:
                acks.append(acked - start)
            if "busy" in text:
                busy.append(key)
                mock.waiters.pop(key, None)
                return
            await asyncio.wait_for(waiter, 60)
        except Exception as error:  # noqa: BLE001 - counted and shown
            failures.append(type(error).__name__)
            return
        if measure:
            replies.append(mock.replied[key] - start)
            taken[(tipper, tippee)] = amount * 100

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        for first in range(0, args.members, 10):  # first sight is onboarding: done before the burst
            await asyncio.gather(*(one(-m - 1, session, m, (m + 1) % args.members, 1, measure=False)
                                   for m in range(first, min(first + 10, args.members))))
    # Distinct pairs, so the books can say which command set which tip.
    pairs = rng.sample([(a, b) for a in range(args.members) for b in range(args.members) if a != b], args.commands)
    connector = aiohttp.TCPConnector(limit=0, force_close=True)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=120)) as session:
        spawn = multiprocessing.get_context("spawn")
        stop_health, results = spawn.Event(), spawn.Queue()
        poller = spawn.Process(target=poll_health, args=(base, stop_health, results))
        poller.start()
        await asyncio.sleep(0.5)
        began = time.perf_counter()
        await asyncio.gather(*(one(n, session, a, b, 2 + n % 7) for n, (a, b) in enumerate(pairs)))
        elapsed = time.perf_counter() - began
        stop_health.set()
        health = await asyncio.to_thread(results.get)
        poller.join()
    print(f"burst of {args.commands} sent at once, all answered in {elapsed:.1f} s; "
          f"busy: {len(busy)}; failures: {len(failures)}{' ' + str(sorted(set(failures))) if failures else ''}")
    print(summary("ack", acks))
    print(summary("reply", replies))
    print(summary("/healthz", health))
    return taken


def check_books(database_url: str, taken: dict[tuple[int, int], int], members: int) -> None:
    """Every command taken set its weekly tip; every pair the burst named but did not take has none."""
    from ledger.api import Ledger

    ledger = Ledger.connect(database_url, upgrade=False)
    try:
        def read(book):
            space = book.space("slack", TEAM)
            ids = {m: book.find_member(space, f"U{m}") for m in range(members)}
            found = {}
            for a in range(members):
                for b in range(members):
                    if a != b and (a + 1) % members != b and ids[a] and ids[b]:  # not the priming pledges
                        row = book.current_tip(ids[a].id, ids[b].id)
                        if row is not None:
                            found[(a, b)] = row.weekly_amount_minor
            return found

        found = ledger.read(read)
    finally:
        ledger.dispose()
    expected = {pair: minor for pair, minor in taken.items() if (pair[0] + 1) % members != pair[1]}
    print(f"books: {'exact' if found == expected else 'MISMATCH'} ({len(found)} weekly tips set by the burst, "
          f"{len(expected)} commands taken)")


async def run(args: argparse.Namespace, database_url: str) -> None:
    mock = MockSlack()
    await mock.start()
    port = free_port()
    queue = {} if args.queue is None else {"TIPBOT_SLACK_COMMAND_QUEUE": str(args.queue)}
    env = server_env(mock, database_url, **queue)
    server = subprocess.Popen([sys.executable, "-m", "bot.cli", "run", "--port", str(port), "--no-scheduler"],
                              env=env, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        await wait_healthy(base, server)
        print(f"/tip burst through `tipbot run` on PostgreSQL: {args.commands} commands at once, "
              f"{args.members} members, Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
              f"load average before: {os.getloadavg()[0]:.1f}")
        taken = await burst(args, mock, base)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
        await mock.runner.cleanup()
    await asyncio.to_thread(check_books, database_url, taken, args.members)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--commands", type=int, default=2000, help="commands in the burst (default 2000)")
    parser.add_argument("--members", type=int, default=100, help="members tipping each other (default 100)")
    parser.add_argument("--queue", type=int, default=None, help="the server's TIPBOT_SLACK_COMMAND_QUEUE")
    args = parser.parse_args()
    if args.commands > args.members * (args.members - 2):
        parser.error("more commands than distinct pairs of members: raise --members")
    with scratch_postgres("burst", upgrade=True) as url:
        run_fast(run(args, url))


if __name__ == "__main__":
    main()
