"""Commands per second through the console path (issue 3), on SQLite and PostgreSQL.

Each command goes the whole way a console line goes: `alice: /tip @bob 1` -> speaker split
-> Invocation -> TipBot.handle (parse, handler inside one ledger transaction) -> plain-text
render. Printed per database:

- commands/s: wall clock over a mix of weekly tips, one-off tips, list and balance;
- CPU per command, and the part spent outside `Ledger.run` (the ledger call: SQL, the
  driver, the handler's reads and writes) — what parsing, dispatch and replying cost;
- parse + render alone, per command, with no database at all.

Usage: .venv/bin/python bench/commands.py [--commands N] [--sqlite-only]
PostgreSQL: TIPBOT_BENCH_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/test);
a scratch database is created and dropped.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


from adapters.console.cli import format_result  # noqa: E402
from adapters.console.render import render  # noqa: E402
from adapters.console.session import ConsoleSession  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.grammar import parse  # noqa: E402
from bot.compose import build_runtime  # noqa: E402
from ledger import db  # noqa: E402
from bench.scratch import scratch_postgres  # noqa: E402
from ledger.api import Ledger  # noqa: E402

MEMBERS = 50


def workload(count: int) -> list[str]:
    """A mix members type: weekly set/change, one-off tips, list and balance."""
    lines = []
    for i in range(count):
        me, other, third = f"m{i % MEMBERS}", f"m{(i * 7 + 1) % MEMBERS}", f"m{(i * 13 + 2) % MEMBERS}"
        if other == me:
            other = f"m{(i + 1) % MEMBERS}"
        if third in (me, other):
            third = f"m{(i + 3) % MEMBERS}" if f"m{(i + 3) % MEMBERS}" not in (me, other) else f"m{(i + 5) % MEMBERS}"
        kind = i % 5
        if kind == 0:
            lines.append(f"{me}: /tip @{other} {1 + i % 9}.{i % 100:02d} for the reviews")
        elif kind == 1:
            lines.append(f"{me}: /tip @{other} 0.25 once thanks")
        elif kind == 2:
            lines.append(f"{me}: /tip")
        elif kind == 3:
            lines.append(f"{me}: /tip balance")
        else:
            lines.append(f"{me}: /tip @{other} @{third} 1.50")
    return lines


class TimedLedger(Ledger):
    """The ledger, counting the CPU time spent inside its calls."""

    cpu_inside = 0.0

    def run(self, op, *, key=None):
        start = time.thread_time()
        try:
            return super().run(op, key=key)
        finally:
            self.cpu_inside += time.thread_time() - start


def bench(url: str, count: int, label: str) -> None:
    ledger = TimedLedger(db.make_engine(url))
    runtime = build_runtime(Settings(database_url=url), ledger=ledger, platforms={})
    session = ConsoleSession(runtime, community="bench", admins=["treasurer"])
    for i in range(MEMBERS):  # everyone funded and receiving
        session.run_line(f"treasurer: /tip admin credit @m{i} 100000")
        session.run_line(f"m{i}: /tip receive on")
    lines = workload(count)
    for line in lines[:50]:  # warm up caches (SQLAlchemy statement cache, imports)
        session.run_line(line)
    ledger.cpu_inside = 0.0
    refused = 0
    wall, cpu = time.perf_counter(), time.thread_time()
    for line in lines:
        result = session.run_line(line)
        format_result(result, as_json=False)
        refused += not result.reply.ok
    wall, cpu = time.perf_counter() - wall, time.thread_time() - cpu
    outside = cpu - ledger.cpu_inside
    print(f"{label:<11} {count / wall:8.0f} commands/s   CPU {cpu / count * 1e3:6.3f} ms/command, "
          f"of which outside the ledger call {outside / count * 1e3:6.3f} ms   ({refused} refused)")
    ledger.dispose()


def parse_and_render(count: int) -> None:
    """The grammar and the renderer alone: no database."""
    lines = [line.split(": ", 1)[1] for line in workload(count)]
    start = time.thread_time()
    for text in lines:
        parse(text)
    parse_cpu = time.thread_time() - start
    from bot.reply import DirectMessage, Reply

    reply = Reply(text="You now tip m2 $1.50 a week, about $6.50 a month.\nYour weekly tips now total $3.00 a week.",
                  fields=(("Balance", "$10.00"), ("Next payday", "Thursday 26 November 2026, 12:00 UTC")),
                  direct_messages=(DirectMessage("m2", "m1 pledged $1.50 a week to you."),))
    start = time.thread_time()
    for _ in range(count):
        render(reply)
    render_cpu = time.thread_time() - start
    print(f"{'no database':<11} parse {parse_cpu / count * 1e6:6.1f} µs/command, "
          f"render {render_cpu / count * 1e6:6.1f} µs/reply")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=2000)
    parser.add_argument("--sqlite-only", action="store_true")
    args = parser.parse_args()
    print(f"{args.commands} console commands (mix: weekly set/change, one-off, several recipients, list, balance)")
    parse_and_render(args.commands * 5)
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite:///{directory}/bench.sqlite3"
        db.upgrade(db.make_engine(url))
        bench(url, args.commands, "SQLite")
    if args.sqlite_only:
        return 0
    with scratch_postgres("commands", upgrade=True) as url:
        bench(url, args.commands, "PostgreSQL")
    return 0


if __name__ == "__main__":
    sys.exit(main())
