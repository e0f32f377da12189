"""`tipbot payday`: run (or preview) the weekly payday from the command line.

    tipbot payday [--database URL] [--community NAME] [--at ISO-TIME] [--dry-run] [--json]

Runs the payday of the week containing `--at` (default: now) for one community or
all of them, exactly as the scheduler would: once per community and week (a rerun
says it already ran and changes nothing), resuming a crashed one, then posting the
summary to every space. `--at` lets a script run several weeks in a row. In a
terminal a progress display follows the stages.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import sys
from typing import Any

from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from bot.cli_options import add_database_option, open_runtime
from bot.runtime import Runtime
from bot.scheduler import run_community_payday
from bot.summary import Announcement, summary_text
from ledger.errors import Refusal
from ledger.money import format_money
from ledger.payday.engine import run_payday
from ledger.payday.preview import dry_run
from ledger.payday.run import PaydayResult
from ledger.payday.weeks import week_start_of
from ledger.payday.weeks import as_utc


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "payday", help="run this week's payday now (once per community and week), or preview it",
        description="Run the payday of the week containing --at (default: now) for every community, or one. "
                    "A payday runs once per community and week; running it again says so and changes nothing.")
    add_database_option(parser)
    parser.add_argument("--community", metavar="NAME", help="only this community")
    parser.add_argument("--at", metavar="ISO-TIME", type=_moment,
                        help="run the payday of the week containing this time (e.g. 2026-11-26T12:00Z); "
                             "naive times are UTC")
    parser.add_argument("--dry-run", action="store_true", help="show what would be paid; change nothing")
    parser.add_argument("--json", action="store_true", help="print a JSON list, one object per community")
    parser.add_argument("--no-summary", action="store_true", help="do not post the summaries to the spaces")
    parser.add_argument("--wait", action="store_true",
                        help="if another process is running a payday, wait for it instead of skipping")
    parser.set_defaults(handler=main)


def _moment(text: str) -> dt.datetime:
    try:
        return as_utc(dt.datetime.fromisoformat(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO time: {text!r} (try 2026-11-26T12:00Z)") from None


def main(args: argparse.Namespace) -> int:
    runtime = open_runtime(args)
    week = week_start_of(args.at or runtime.clock.now())
    with runtime.ledger.begin(readonly=True) as book:
        if args.community:
            found = book.community_by_name(args.community)
            if found is None:
                print(f"No community is named {args.community!r}. `tipbot ledger balances` lists them.",
                      file=sys.stderr)
                return 2
            targets = [found]
        else:
            targets = book.all_communities()
    outputs: list[dict[str, Any]] = []
    failed = 0
    for community in targets:
        try:
            if args.dry_run:
                result = dry_run(runtime.ledger, community.id, week)
                outputs.append({**result.to_json(), "unfunded_preview": [
                    {"tipper": n.tipper_name, "tips": n.tips, "unfunded_minor": n.unfunded_minor,
                     "balance_minor": n.balance_minor} for n in result.notices]})
                announcement = None
            else:
                result, announcement = _run(runtime, community.id, community.name, week, args)
                outputs.append({**result.to_json(),
                                "announcement": announcement.to_json() if announcement else None})
        except Refusal as error:
            failed += 1
            outputs.append({"status": "refused", "community": community.name, "error": error.message})
            continue
        if not args.json:
            _print_result(result, announcement)
    if args.json:
        print(json.dumps(outputs, indent=2, default=str))
    elif not targets:
        print("No communities yet: nothing to pay.")
    for output in outputs:
        if output["status"] == "refused" and not args.json:
            print(f"{output['community']}: {output['error']}", file=sys.stderr)
    runtime.ledger.dispose()
    return 1 if failed else 0


def _run(runtime: Runtime, community_id: int, name: str, week: dt.date,
         args: argparse.Namespace) -> tuple[PaydayResult, Announcement | None]:
    with _progress_display(name, enabled=sys.stdout.isatty() and not args.json) as progress:
        if args.no_summary:
            return run_payday(runtime.ledger, community_id, week, processors=runtime.processors, progress=progress,
                              wait=args.wait), None

        async def both():
            scheduled = await run_community_payday(runtime, community_id, week, progress=progress, wait=args.wait)
            return scheduled.result, scheduled.announcement

        # Summaries printed by the console platform must not mix into --json output.
        with contextlib.redirect_stdout(sys.stderr) if args.json else contextlib.nullcontext():
            result, announcement = asyncio.run(both())
    return result, announcement


@contextlib.contextmanager
def _progress_display(name: str, *, enabled: bool):
    """A rich spinner naming each stage as it is recorded (terminals only)."""
    if not enabled:
        yield None
        return
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), transient=True) as bar:
        task = bar.add_task(f"{name}: starting the payday")

        def progress(stage: str, detail: str) -> None:
            bar.update(task, description=f"{name}: {stage}" + (f" ({detail})" if detail else ""))

        yield progress


def _print_result(result: PaydayResult, announcement: Announcement | None) -> None:
    headline = {
        "ran": "payday done",
        "resumed": "payday resumed and done",
        "already_ran": "this week's payday already ran; nothing changed",
        "running_elsewhere": "another process is running this payday now; skipped (use --wait to wait)",
        "dry_run": "dry run, nothing was paid",
    }[result.status]
    print(f"{result.community_name}, week of {result.week_start.isoformat()}: {headline}")
    if result.stats:
        text, fields = summary_text(result)
        print("  " + text.replace("\n", "\n  "))
        for label, value in fields:
            print(f"  {label + ':':<18} {value}")
    for notice in result.notices[:10]:
        print(f"  waiting: {notice.tipper_name}, {notice.tips} tip(s), "
              f"{format_money(notice.unfunded_minor, result.currency)}")
    if announcement is not None and announcement.summary is not None:
        posted = ", ".join(f"{space} {state}" for space, state in announcement.delivered.items()) or "no spaces"
        print(f"  summary: {posted}; {announcement.notified} tipper(s) told by DM"
              + (f", {len(announcement.not_notified)} not reachable by DM" if announcement.not_notified else ""))
