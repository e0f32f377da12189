"""How fast Tipbot's Discord client answers `/tip` interactions (Discord allows 3 seconds).

    .venv/bin/python bench/discord_interactions.py [--rate 100] [--seconds 10] [--members 100] [--only sqlite]

A real Tipbot discord.py client logs in against the tests' mock Discord REST server on
127.0.0.1 (same process, same event loop: the mock's CPU counts against the bot).
Raw INTERACTION_CREATE payloads (`/tip user amount`, each a weekly tip: one ledger
write with its idempotency key) are handed to the client as its gateway reader
would, open loop at a fixed rate. For each one it measures the time until the
interaction's callback reached the mock: what Discord's 3-second deadline is about.
With production settings a command answered within 1.5 s carries the reply in that
callback; a slower one is deferred and the reply follows, so it also counts defers.

Prints p50, p99 and max of the callback time, the defers, and the rate achieved, on
SQLite (a scratch file) and PostgreSQL (`TIPBOT_BENCH_DATABASE_URL`, default
postgresql://postgres@127.0.0.1:5432/test; a scratch database is created and dropped).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.scratch import scratch_postgres  # noqa: E402
from ledger.api import Ledger  # noqa: E402
from tests.adapters.discord.gateway import harness, interaction, mention, string, user  # noqa: E402

WARMUP = 50


async def measure(ledger: Ledger, rate: float, seconds: float, members: int) -> dict[str, float]:
    people = [user(str(1600000000000000000 + i), f"m{i}") for i in range(1, members + 1)]
    rng = random.Random(7)

    def payload() -> dict:
        tipper, tippee = rng.sample(people, 2)
        cents = rng.randrange(25, 500)
        return interaction("tip", [mention("user", tippee), string("amount", f"{cents // 100}.{cents % 100:02d}")],
                           invoker=tipper, mentioned=[tippee])

    async with harness(ledger) as h:
        parse = h.client._connection.parsers["INTERACTION_CREATE"]
        for _ in range(WARMUP):  # first sight of members, caches, connection pool
            await h.send(payload())
        h.mock.requests.clear()
        count = int(rate * seconds)
        sent: dict[str, float] = {}
        start = time.perf_counter()
        for i in range(count):
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            p = payload()
            sent[p["id"]] = time.perf_counter()
            parse(p)
        await h.mock.wait_for(lambda requests: sum(1 for r in requests if r.path.endswith("/callback")) >= count
                              and sum(1 for r in requests if r.path.startswith("/webhooks/")) >= sum(
                                  1 for r in requests if r.path.endswith("/callback") and r.json["type"] == 5),
                              timeout=120)
        elapsed = time.perf_counter() - start
        callbacks = {r.path.split("/")[2]: r for r in h.mock.requests if r.path.endswith("/callback")}
        latencies = sorted((callbacks[i].at - t) * 1000 for i, t in sent.items())
        deferred = sum(1 for r in callbacks.values() if r.json["type"] == 5)
    return {"count": count, "rate": count / elapsed, "p50": statistics.median(latencies),
            "p99": latencies[int(0.99 * (len(latencies) - 1))], "max": latencies[-1], "deferred": deferred}


def sqlite_ledger() -> Ledger:
    path = Path(tempfile.mkdtemp()) / "bench.sqlite3"
    return Ledger.connect(f"sqlite:///{path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=float, default=100, help="interactions per second (open loop)")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--members", type=int, default=100)
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    args = parser.parse_args()
    print(f"/tip interactions at {args.rate:g}/s for {args.seconds:g} s, {args.members} members")
    print(f"{'database':<12} {'sent':>6} {'rate/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'deferred':>9}")
    for backend in ("sqlite", "postgresql"):
        if args.only and backend != args.only:
            continue
        with contextlib.ExitStack() as stack:
            if backend == "postgresql":
                ledger = Ledger.connect(stack.enter_context(scratch_postgres("discord")), upgrade=True)
            else:
                ledger = sqlite_ledger()
            stack.callback(ledger.dispose)
            figures = asyncio.run(measure(ledger, args.rate, args.seconds, args.members))
        print(f"{backend:<12} {figures['count']:>6} {figures['rate']:>8.1f} {figures['p50']:>8.1f} "
              f"{figures['p99']:>8.1f} {figures['max']:>8.1f} {figures['deferred']:>9}")


if __name__ == "__main__":
    main()
