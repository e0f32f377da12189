"""`tipbot ledger export` over a million transfers: time and peak memory (issue 16).

    .venv/bin/python bench/export.py [--transfers 1000000] [--only sqlite|postgresql] [--format csv|jsonl]

Fills a scratch database (SQLite file in a temporary directory; a scratch PostgreSQL
database, see bench/scratch.py) with one community of 1,000 members and N transfers
among them (one-off tips, weekly tips, credits; a quarter with notes that need CSV
quoting), inserted set-based in SQL (cached balances are not maintained: only the export
is measured), then runs `tipbot ledger export` in a child process writing to a temporary
file, at N/10 and at N transfers, and prints wall time and the child's peak resident
memory for each: flat memory means the two peaks are about equal.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.scratch import scratch_postgres  # noqa: E402
from ledger.api import Ledger  # noqa: E402

MEMBERS = 1_000


def fill(url: str, count: int) -> None:
    """`count` transfers in one community, set-based (no balance upkeep: the export reads transfers)."""
    ledger = Ledger.connect(url)
    with ledger.begin() as book:
        space = book.ensure_space("console", "bench", community_name="bench")
        for n in range(MEMBERS):
            book.ensure_member(space, f"m{n}", f"member {n}")
        community = book.community(space.community_id)
        manual = book.outside_account(community, "manual")
    engine = ledger.engine
    with engine.begin() as conn:
        first = conn.exec_driver_sql("SELECT MIN(id) FROM members").scalar_one()
        params = {"c": community.id, "n": count, "m": MEMBERS, "first": first, "manual": manual}
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text("""
                INSERT INTO transfers (community_id, currency, from_account_id, to_account_id, amount_minor, kind, note)
                SELECT :c, 'USD',
                       CASE WHEN i % 10 = 0 THEN :manual ELSE :first + (i % :m) END,
                       :first + ((i * 7 + 1) % :m), 1 + i % 500,
                       CASE WHEN i % 10 = 0 THEN 'credit' WHEN i % 3 = 0 THEN 'tip' ELSE 'once' END,
                       CASE WHEN i % 4 = 0 THEN 'thanks, "bench" ' || i END
                FROM generate_series(1, :n) AS i
                WHERE (i % 10 = 0) OR (i % :m) <> ((i * 7 + 1) % :m)"""), params)
        else:
            conn.execute(sa.text("""
                WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < :n)
                INSERT INTO transfers (community_id, currency, from_account_id, to_account_id, amount_minor, kind, note)
                SELECT :c, 'USD',
                       CASE WHEN i % 10 = 0 THEN :manual ELSE :first + (i % :m) END,
                       :first + ((i * 7 + 1) % :m), 1 + i % 500,
                       CASE WHEN i % 10 = 0 THEN 'credit' WHEN i % 3 = 0 THEN 'tip' ELSE 'once' END,
                       CASE WHEN i % 4 = 0 THEN 'thanks, "bench" ' || i END
                FROM seq WHERE (i % 10 = 0) OR (i % :m) <> ((i * 7 + 1) % :m)"""), params)
    ledger.dispose()


def export(url: str, fmt: str) -> tuple[float, int, int]:
    """(seconds, peak RSS in KiB, rows) of `tipbot ledger export` in a child process."""
    code = ("import resource, sys; from bot.cli import main; rc = main(sys.argv[1:]); "
            "sys.stderr.write(f'maxrss={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}\\n'); sys.exit(rc)")
    with tempfile.NamedTemporaryFile("w+", suffix=f".{fmt}") as out:
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", code, "ledger", "export", "--community", "bench", "--format", fmt,
             "--output", out.name, "--database", url],
            capture_output=True, text=True, cwd=Path(__file__).resolve().parent.parent, check=True)
        seconds = time.perf_counter() - start
        rows = sum(1 for _ in open(out.name, encoding="utf-8")) - (1 if fmt == "csv" else 0)
    peak = int(done.stderr.split("maxrss=")[1].split()[0])
    return seconds, peak, rows


def run(label: str, url_for, count: int, fmt: str) -> None:
    for n in (count // 10, count):
        with url_for() as url:
            started = time.perf_counter()
            fill(url, n)
            filled = time.perf_counter() - started
            seconds, peak_kib, rows = export(url, fmt)
            print(f"{label:<11} {n:>9,} transfers (filled in {filled:5.1f} s): export {fmt} {rows:>9,} rows "
                  f"in {seconds:6.1f} s, {rows / seconds:>9,.0f} rows/s, peak RSS {peak_kib / 1024:6.1f} MiB",
                  flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transfers", type=int, default=1_000_000)
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument("--format", choices=("csv", "jsonl"), default="csv")
    args = parser.parse_args()
    from contextlib import contextmanager

    @contextmanager
    def sqlite_url():
        with tempfile.TemporaryDirectory() as directory:
            yield f"sqlite:///{directory}/bench.sqlite3"

    @contextmanager
    def postgres_url():
        with scratch_postgres("export", upgrade=True) as url:
            yield url

    if args.only in (None, "sqlite"):
        run("SQLite", sqlite_url, args.transfers, args.format)
    if args.only in (None, "postgresql"):
        run("PostgreSQL", postgres_url, args.transfers, args.format)


if __name__ == "__main__":
    main()
