"""The interactive console, driven through prompt_toolkit's own pipe input."""

from __future__ import annotations

from prompt_toolkit.history import InMemoryHistory
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from adapters.console.interactive import interactive
from tests.adapters.console.support import Console


def run(console: Console, typed: str, history: InMemoryHistory | None = None) -> str:
    printed: list[str] = []
    with create_pipe_input() as pipe:
        pipe.send_text(typed)
        status = interactive(console.session, user="alice", history=history or InMemoryHistory(),
                             input=pipe, output=DummyOutput(), echo=printed.append)
    assert status == 0
    return "\n".join(printed)


def test_help_switching_users_and_one_line_as_someone_else(console: Console) -> None:
    out = run(console, "help\r/tip @bob 1\ras bob\r/tip\rcarol: /tip @alice 2\ras\rquit\r/tip @bob 50\r")
    assert "You are talking to Tipbot as alice." in out
    assert "as bob                 from now on, speak as bob" in out
    assert "admins are the names given with --admin (treasurer)" in out
    assert "Tipbot: tip the people who help you" in out  # the bot's own help follows
    assert "You now tip bob $1.00 a week, about $4.33 a month." in out
    assert "You are now bob." in out
    assert "Pledged to you (paid once you say `/tip receive on`):\n  alice: $1.00 a week (pledge)" in out
    assert "You now tip alice $2.00 a week" in out  # said by carol
    assert "Say who you want to be, like `as bob`." in out
    assert "$50.00" not in out  # after quit, nothing more runs
    given = console.runtime.ledger.read(lambda b: b.tips_given(b.find_member_by_name(1, "carol").id))
    assert [(t.other_name, t.weekly_amount_minor) for t in given] == [("alice", 200)]


def test_refusals_are_marked_and_end_of_input_leaves(console: Console) -> None:
    history = InMemoryHistory()
    out = run(console, "/tip @alice 1\r\r/tip @bob lots\r\x04", history)  # Ctrl-D leaves
    assert "✗ You can't tip yourself." in out
    assert "✗ `lots` is not an amount." in out
    assert list(history.load_history_strings()) == ["/tip @bob lots", "/tip @alice 1"]  # history, newest first
