"""Helpers shared by the console, bot and acceptance tests: a console session on a test database."""

from __future__ import annotations

import argparse
import io
from collections.abc import Iterable

import pytest

from adapters.console.cli import main as console_main
from adapters.console.session import ConsoleSession, Result
from bot.cli import build_parser
from bot.config import Settings
from bot.reply import Reply
from bot.compose import build_runtime
from bot.runtime import Runtime
from ledger.api import Ledger
from ledger.clock import Clock, FixedClock
from tests.dbs import dump_tables

ADMIN = "treasurer"


def make_runtime(db_url: str, clock: Clock | None = None, **settings) -> Runtime:
    """A runtime with the installed platforms; `stripe_*` settings configure the Stripe adapter."""
    ledger = Ledger.connect(db_url, upgrade=False, clock=clock)
    stripe = {name: settings.pop(name) for name in list(settings) if name.startswith("stripe_")}
    core = Settings(database_url=db_url, **settings)
    funding = None  # the installed adapters, as the environment configures them
    if stripe:
        from adapters.stripe import StripeFunding  # the Stripe tests only: the core's need no stripe
        from adapters.stripe.config import StripeSettings

        funding = {"stripe": StripeFunding(core, StripeSettings(**stripe))}
    return build_runtime(core, ledger=ledger, funding=funding)  # the installed platforms


class Console:
    """A console session plus the checks tests need: say, run a script, snapshot the ledger."""

    def __init__(self, runtime: Runtime, community: str = "test", admins: Iterable[str] = (ADMIN,)) -> None:
        self.runtime = runtime
        self.session = ConsoleSession(runtime, community=community, admins=admins)

    def say(self, line: str) -> Reply:
        """One script line (`alice: /tip @bob 1`) -> its reply."""
        result = self.session.run_line(line)
        assert result is not None, line
        return result.reply

    def ok(self, line: str) -> Reply:
        reply = self.say(line)
        assert reply.ok, f"{line!r} was refused: {reply.text}"
        return reply

    def script(self, text: str) -> list[Result]:
        results = [self.session.run_line(line) for line in text.strip().splitlines()]
        for result in results:
            assert result is None or result.reply.ok, f"{result.line!r} was refused: {result.reply.text}"
        return [r for r in results if r is not None]

    def tables(self) -> dict:
        return dump_tables(self.runtime.ledger.engine)

    def refused(self, line: str, code: str | None = None, *fragments: str) -> Reply:
        """Say `line`, assert it is refused with `code` and `fragments`, and that nothing changed."""
        before = self.tables()
        reply = self.say(line)
        assert not reply.ok, f"{line!r} was accepted: {reply.text}"
        assert reply.code != "error", f"{line!r} failed inside: {reply.text}"
        if code is not None:
            assert reply.code == code, (line, reply.code, reply.text)
        for fragment in fragments:
            assert fragment in reply.text, (line, fragment, reply.text)
        assert self.tables() == before, f"{line!r} was refused but changed the ledger"
        return reply

    def balance(self, name: str) -> str:
        return next(row["balance"] for row in self.runtime.ledger.read(lambda b: b.balances("test"))
                    if row["member"] == name)


def run_console_entry(db_url: str, stdin_text: str, *extra: str) -> str:
    """`tipbot console --database URL ...` through its Python entry, stdin as given; returns stdout."""
    args: argparse.Namespace = build_parser().parse_args(
        ["console", "--database", db_url, "--community", "test", *extra])
    out = io.StringIO()
    assert console_main(args, stdin=io.StringIO(stdin_text), stdout=out) == 0
    return out.getvalue()


@pytest.fixture
def console(db_url: str, clock: FixedClock) -> Iterable[Console]:
    runtime = make_runtime(db_url, clock)
    yield Console(runtime)
    runtime.ledger.dispose()
