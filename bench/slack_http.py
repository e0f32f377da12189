"""Signed `/tip` slash commands per second through Tipbot's web app on PostgreSQL.

    .venv/bin/python bench/slack_http.py [--rate 200] [--seconds 15] [--members 100]

It starts `tipbot run` (uvicorn, the Bolt app, production settings: ack first, the
ledger work in a thread, the reply through the response URL) in its own process on
127.0.0.1, over a scratch PostgreSQL database, with TIPBOT_SLACK_API_URL pointing at
a small mock Slack Web API in this process. The load generator sends signed,
form-encoded `/tip <@U..|name> AMOUNT` commands (each sets a weekly tip: a ledger
write with its idempotency key) at a fixed rate, open loop: a request is sent on
schedule whether or not earlier ones were answered, so queueing shows up as latency.

It prints, after a warm-up that is not counted:
- ack: the time until Slack would get its HTTP 200 (must be under 3 s);
- reply: the time until the reply reached the response URL, i.e. what a member waits;
p50, p99 and max of each, and the rate achieved. Target: reply p99 under 100 ms at 200/s.

PostgreSQL: `TIPBOT_BENCH_DATABASE_URL` (default postgresql://postgres@127.0.0.1:5432/test)
names a server; the bench creates a scratch database there and drops it at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import gc
import hashlib
import hmac
import itertools
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.scratch import scratch_postgres  # noqa: E402
from bench.serving import free_port, percentile, run_fast, wait_healthy  # noqa: E402

SIGNING_SECRET = "bench-signing-secret"
TEAM = "TBENCH"


class MockSlack:
    """Just enough Slack Web API for `/tip`: auth.test, users.info, DMs, and response URLs."""

    def __init__(self) -> None:
        self.replied: dict[str, float] = {}  # response url id -> arrival time
        self.waiters: dict[str, asyncio.Future] = {}
        self.url = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self.api)
        app.router.add_post("/response/{id}", self.response)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"

    async def api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if method == "users.info":
            user = request.query.get("user") or (await request.post()).get("user")
            return web.json_response({"ok": True, "user": {"id": user, "name": str(user).lower(), "is_admin": False,
                                                            "profile": {"display_name": str(user).lower()}}})
        if method == "conversations.open":
            return web.json_response({"ok": True, "channel": {"id": "D1"}})
        if method == "chat.postMessage":
            return web.json_response({"ok": True, "channel": "D1", "ts": "1.1"})
        return web.json_response({"ok": True, "team_id": TEAM, "user_id": "UBOT", "bot_id": "B1"})

    async def response(self, request: web.Request) -> web.Response:
        await request.read()
        key = request.match_info["id"]
        self.replied[key] = time.perf_counter()
        waiter = self.waiters.pop(key, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
        return web.Response(text="ok")


def sign(body: str) -> dict[str, str]:
    timestamp = str(int(time.time()))
    digest = hmac.new(SIGNING_SECRET.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": f"v0={digest}",
            "Content-Type": "application/x-www-form-urlencoded"}


def slash_command(mock: MockSlack, key: str, n: int, tipper: int, tippee: int, amount: int) -> str:
    """The form body Slack posts for `/tip @tippee AMOUNT` typed by `tipper` (reply to `key`)."""
    return urlencode({
        "token": "x", "team_id": TEAM, "team_domain": "bench", "channel_id": "C1", "channel_name": "general",
        "user_id": f"U{tipper}", "user_name": f"user{tipper}", "command": "/tip",
        "text": f"<@U{tippee}|user{tippee}> {amount}", "api_app_id": "A1",
        "response_url": f"{mock.url}/response/{key}", "trigger_id": f"{n}.{uuid.uuid4().hex}",
    })


def server_env(mock: MockSlack, database_url: str, **extra: str) -> dict[str, str]:
    """This environment without Tipbot's settings, plus one Slack workspace over `mock`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_", "STRIPE_", "TIPBOT_"))}
    env.update({"SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                "TIPBOT_SLACK_API_URL": f"{mock.url}/api/", "TIPBOT_DATABASE_URL": database_url, **extra})
    return env


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its children (Linux /proc): the cost of the requests."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    seconds = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    for children in Path(f"/proc/{pid}/task").glob("*/children"):
        seconds += sum(process_cpu_seconds(int(child)) for child in children.read_text().split())
    return seconds


async def load(args: argparse.Namespace, mock: MockSlack, base: str) -> int:
    # The generator's own garbage collections would pause its clock and then send a burst;
    # a run holds a few thousand small objects, so it does without.
    gc.disable()
    counter = itertools.count(1)
    rng = random.Random(5)
    acks: list[float] = []
    replies: list[float] = []
    trace: list[tuple[float, float, float]] = []  # (sent at, ack, reply) in seconds, for --trace
    slow_sent_at: list[float] = []  # when the requests whose reply took over 100 ms were sent
    failures: list[str] = []
    warmup = int(args.rate * args.warmup)
    total = warmup + int(args.rate * args.seconds)

    async def one(n: int, session: aiohttp.ClientSession, tipper: int, tippee: int) -> None:
        key = f"r{n}"
        body = slash_command(mock, key, n, tipper, tippee, rng.randint(1, 20))
        waiter = asyncio.get_running_loop().create_future()
        mock.waiters[key] = waiter
        start = time.perf_counter()
        try:
            async with session.post(f"{base}/slack/events", data=body.encode(), headers=sign(body)) as response:
                answer = await response.read()
                acked = time.perf_counter()
                if response.status != 200:
                    failures.append(f"HTTP {response.status}")
                    return
                if b"busy" in answer:  # the command queue was full (TIPBOT_SLACK_COMMAND_QUEUE)
                    failures.append("busy")
                    mock.waiters.pop(key, None)
                    return
            await asyncio.wait_for(waiter, 10)
        except Exception as error:  # noqa: BLE001 - counted and shown
            failures.append(type(error).__name__)
            return
        if n <= 0:  # priming, before the clock starts
            return
        if args.trace:
            trace.append((start - began, acked - start, mock.replied[key] - start))
        if n > warmup:
            acks.append(acked - start)
            replies.append(mock.replied[key] - start)
            if replies[-1] > 0.1:
                slow_sent_at.append(start - began)

    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        # First sight of a member creates them, asks Slack who they are and DMs their first
        # pledge: done once per member here, so the figures are about tips, not onboarding.
        primed = time.perf_counter()
        for first in range(0, args.members, 10):
            await asyncio.gather(*(one(-m, session, m, (m + 1) % args.members)
                                   for m in range(first, min(first + 10, args.members))))
        print(f"primed {args.members} members in {time.perf_counter() - primed:.1f} s")
        tasks = []
        began = time.perf_counter()
        started_at = dt.datetime.now(dt.timezone.utc)
        for i in range(total):
            n = next(counter)
            delay = began + i / args.rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(n, session, *rng.sample(range(args.members), 2))))
        sent = time.perf_counter() - began
        await asyncio.gather(*tasks)
    print(f"sent {total} requests in {sent:.1f} s ({total / sent:.0f}/s; first {warmup} are warm-up), "
          f"failures: {len(failures)}{' ' + str(sorted(set(failures))) if failures else ''}")
    if args.trace:
        Path(args.trace).write_text("".join(f"{t:.4f} {a * 1000:.1f} {r * 1000:.1f}\n" for t, a, r in sorted(trace)))
    if slow_sent_at:
        print(f"replies over 100 ms: {len(slow_sent_at)}, sent between {min(slow_sent_at):.1f} s "
              f"and {max(slow_sent_at):.1f} s after the first request ({started_at:%H:%M:%S} UTC)")
    for name, values in (("ack", acks), ("reply", replies)):
        if values:
            print(f"{name:<6} p50 {percentile(values, 50) * 1000:6.1f} ms   p99 {percentile(values, 99) * 1000:6.1f} ms"
                  f"   max {max(values) * 1000:6.1f} ms   (n={len(values)})")
    return total


async def run(args: argparse.Namespace, database_url: str) -> None:
    mock = MockSlack()
    await mock.start()
    port = free_port()
    env = server_env(mock, database_url)
    if args.workers == 1:
        command = ["-m", "bot.cli", "run", "--port", str(port), "--no-scheduler"]
    else:  # the HTTP scale-out: stateless web workers over the same database
        command = ["-m", "uvicorn", "--factory", "bot.web:create_app", "--port", str(port),
                   "--workers", str(args.workers), "--no-access-log", "--log-level", "warning"]
    server = subprocess.Popen([sys.executable, *command], env=env, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        await wait_healthy(base, server)
        served = "`tipbot run`" if args.workers == 1 else f"{args.workers} uvicorn workers"
        print(f"/tip through {served} (uvicorn + Bolt) on PostgreSQL, {args.rate}/s for {args.seconds} s "
              f"after {args.warmup} s warm-up, {args.members} members, Python {sys.version.split()[0]}, "
              f"{os.cpu_count()} CPUs")
        cpu_before = process_cpu_seconds(server.pid)
        requests = await load(args, mock, base)
        cpu = process_cpu_seconds(server.pid) - cpu_before
        print(f"server process CPU: {cpu:.1f} s, {cpu / requests * 1000:.1f} ms per request; "
              f"machine load average (1 min) at the end: {os.getloadavg()[0]:.1f}")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        await mock.runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=int, default=200, help="requests per second (default 200)")
    parser.add_argument("--seconds", type=float, default=15, help="measured seconds (default 15)")
    parser.add_argument("--warmup", type=float, default=3, help="warm-up seconds, not counted (default 3)")
    parser.add_argument("--members", type=int, default=100, help="members tipping each other (default 100)")
    parser.add_argument("--workers", type=int, default=1,
                        help="1: `tipbot run`; N > 1: `uvicorn --factory bot.web:create_app --workers N`")
    parser.add_argument("--trace", metavar="FILE",
                        help="write every request's send time (s), ack and reply (ms) to FILE")
    args = parser.parse_args()

    with scratch_postgres("slack", upgrade=True) as url:
        run_fast(run(args, url))


if __name__ == "__main__":
    main()
