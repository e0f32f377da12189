"""`tipbot console`: interactive in a terminal, a script reader otherwise.

Script mode reads one message per line (`alice: /tip @bob 1`) and prints each reply
in order; with `--json`, exactly one JSON object per message line (blank lines and
`# comments` are skipped). The exit status is 0 even when commands were refused:
refusals are answers, reported in the output (`"ok": false`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Iterable
from typing import TextIO

from sqlalchemy.exc import ProgrammingError

from adapters.console.interactive import interactive
from adapters.console.render import escape_controls, render, to_json
from adapters.console.session import ConsoleSession, Result, valid_name
from bot.cli_options import add_database_option, open_runtime
from ledger.clock import SYSTEM_CLOCK, ShiftedClock

PROG_HELP = """\
Talk to Tipbot in this terminal. Interactive when stdin is a terminal; otherwise
reads a script, one message per line, like:

  alice: /tip @bob 1
  bob: /tip receive on
  later 7 days

`later N hours|days|weeks` moves this console's clock on (to show next week's payday).
Members are created by name the first time they speak or are mentioned.
Admins (for `/tip admin ...`) are the names given with --admin."""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "console", help="talk to Tipbot in this terminal (no accounts needed)", description=PROG_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    add_database_option(parser)
    parser.add_argument("--community", metavar="NAME", default="console", type=_community_name,
                        help="the console community to use (default: console)")
    parser.add_argument("--admin", metavar="NAME", action="append", default=[], type=_member_name,
                        help="this name may use `/tip admin ...` (repeat for several)")
    parser.add_argument("--json", action="store_true", help="print one JSON object per input line")
    parser.add_argument("--user", metavar="NAME", default="alice", type=_member_name,
                        help="interactive mode: who you are at the start (default: alice)")
    parser.add_argument("--at", metavar="TIME", default=None, type=_moment,
                        help="start the console's clock at TIME (UTC, e.g. 2026-11-26T12:00) instead of now; "
                             "it runs on from there (`later` moves it too): scripts that replay the same way any day")
    parser.set_defaults(handler=main)


def _community_name(text: str) -> str:
    if not 0 < len(text.strip()) <= 100:
        raise argparse.ArgumentTypeError("a community name is 1 to 100 characters")
    return text.strip()


def _moment(text: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a time like 2026-11-26T12:00 (UTC)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def _member_name(text: str) -> str:
    name = text.strip().lstrip("@")
    if not valid_name(name):
        raise argparse.ArgumentTypeError(f"{text!r} is not a name to speak as (letters, digits, . - _)")
    return name


def open_session(args: argparse.Namespace) -> ConsoleSession:
    base = getattr(args, "clock", None) or SYSTEM_CLOCK
    runtime = open_runtime(args, ShiftedClock(base, start=getattr(args, "at", None)))  # `later 7 days` moves it on
    return ConsoleSession(runtime, community=args.community, admins=args.admin)


def main(args: argparse.Namespace, stdin: TextIO | None = None, stdout: TextIO | None = None) -> int:
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    try:
        session = open_session(args)
    except ProgrammingError as error:  # PostgreSQL without the schema: say what to do
        # (anything else, an unreachable server or an unknown driver, `tipbot` says in one line)
        print(f"tipbot console: can't use the database ({type(error).__name__}). For PostgreSQL, create the "
              f"schema first with `tipbot db upgrade --database URL`.", file=sys.stderr)
        return 2
    try:
        if stdin.isatty() and not args.json:
            return interactive(session, user=args.user)
        return run_script(session, stdin, stdout, as_json=args.json)
    except KeyboardInterrupt:
        return 130
    finally:
        session.runtime.ledger.dispose()


def run_script(session: ConsoleSession, lines: Iterable[str], out: TextIO, *, as_json: bool = False) -> int:
    """Run each line; print each reply as it comes (flushed, so a pipe sees it at once)."""
    for line in lines:
        result = session.run_line(line)
        if result is None:
            continue
        out.write(format_result(result, as_json=as_json))
        out.flush()
    return 0


def format_result(result: Result, *, as_json: bool) -> str:
    if as_json:
        data = to_json(result.user, result.line, result.reply, result.summaries)
        return json.dumps(data) + "\n"
    body = "\n".join([render(result.reply), *result.summaries])
    indented = "\n".join(f"  {line}" if line else "" for line in body.splitlines())
    return f"{escape_controls(result.line)}\n{indented}\n\n"
