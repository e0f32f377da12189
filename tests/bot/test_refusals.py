"""Every refusal a member can meet from the console: a clear message, and the ledger exactly as it was."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.reply import Reply
from tests.adapters.console.support import Console

SETUP = """
treasurer: /tip admin credit @alice 10
bob: /tip receive on
alice: /tip @bob 1
"""

REFUSALS = [
    # grammar
    ("alice: /tip frobnicate", "invalid", "I don't know the command"),
    ("alice: /tip 5 @bob", "invalid", "Name the member first"),
    ("alice: /tip @bob", "invalid", "How much?"),
    ("alice: /tip @bob lots", "malformed_amount", "is not an amount"),
    ("alice: /tip @bob -1", "malformed_amount", "cannot be negative"),
    ("alice: /tip @bob 1e3", "malformed_amount", "is not an amount"),
    ("alice: /tip @bob NaN", "malformed_amount", "is not an amount"),
    ("alice: /tip @bob 1,50", "malformed_amount", "ambiguous"),
    ("alice: /tip @bob 1.505", "malformed_amount", "USD has 2 decimals"),
    ("alice: /tip @bob 2 EUR", "malformed_amount", "another currency"),
    ("alice: /tip @bob €2", "malformed_amount", "another currency"),
    ("alice: /tip @bob 99999999999999999999", "malformed_amount", ""),
    ("alice: /tip @bob @bob 1", "invalid", "only once"),
    ("alice: /tip @ 1", "invalid", "not a member mention"),
    ("alice: /tip @bob 1 \x07", "invalid", "control characters"),
    ("alice: /tip list everything", "invalid", "didn't expect"),
    ("alice: /tip history 0", "invalid", "between 1 and 100"),
    ("alice: /tip receive maybe", "invalid", "/tip receive on"),
    ("alice: /tip fund lots", "malformed_amount", "not an amount"),
    ("alice: /tip payout now", "invalid", "didn't expect"),
    ("alice: /tip link no!", "invalid", "letters and digits"),
    ("treasurer: /tip admin", "invalid", "Admin commands"),
    ("treasurer: /tip admin sudo", "invalid", "I don't know `admin sudo`"),
    ("treasurer: /tip admin credit 5", "invalid", "Whose balance?"),
    ("treasurer: /tip admin channel general", "invalid", "is not a channel"),
    ("treasurer: /tip admin payday later", "invalid", "status|dry-run|now"),
    ("treasurer: /tip admin limits max-daily 5", "invalid", "max-weekly"),
    ("treasurer: /tip admin funding paypal", "invalid", "no funding mode named `paypal`; this Tipbot offers: manual"),
    ("treasurer: /tip admin join", "invalid", "admin join CODE"),
    # the console's own line format
    ("/tip @bob 1", "malformed_line", "Start each line with who is speaking"),
    ("alice /tip @bob 1", "malformed_line", "Start each line with who is speaking"),
    # weekly tips
    ("alice: /tip @alice 1", "self_tip", "You can't tip yourself."),
    ("alice: /tip @bob @alice 1", "self_tip", "You can't tip yourself."),
    ("alice: /tip @carol 0", "invalid", "You have no weekly tip to carol to end."),
    ("alice: /tip @bob 100.01", "over_limit", "A weekly tip is at most $100.00 here."),
    ("alice: /tip @bob 100.01 confirm", "over_limit", "A weekly tip is at most $100.00 here."),
    # one-off tips
    ("alice: /tip @alice 1 once", "self_tip", "You can't tip yourself."),
    ("alice: /tip @bob 0 once", "invalid", "A one-off tip must be more than zero."),
    ("alice: /tip @bob 10.01 once", "insufficient_balance", "this needs $10.01 and the balance is $10.00"),
    ("alice: /tip @bob 100.01 once", "over_limit", "A one-off tip is at most $100.00 here."),
    ("alice: /tip @carol 1 once", "not_receiving", "carol has not opted in to receive tips yet"),
    ("alice: /tip @bob @carol 1 once", "not_receiving", "carol has not opted in"),
    ("bob: /tip @alice 1 once", "not_receiving", "alice has not opted in"),
    # admin
    ("alice: /tip admin credit @alice 5", "not_admin", "Only an admin of this community can credit balances"),
    ("alice: /tip admin debit @alice 5", "not_admin", "Only an admin of this community can debit balances"),
    ("alice: /tip admin channel #general", "not_admin", "Only an admin"),
    ("alice: /tip admin limits max-weekly 500", "not_admin", "Only an admin"),
    ("treasurer: /tip admin debit @alice 10.01", "insufficient_balance", "the balance is $10.00"),
    ("treasurer: /tip admin credit @alice 0", "invalid", "more than zero"),
    ("treasurer: /tip admin limits max-weekly 0", "invalid", "A limit must be more than zero"),
]


@pytest.mark.parametrize("line, code, fragment", REFUSALS, ids=[r[0][:40] for r in REFUSALS])
def test_refusal_is_clear_and_changes_nothing(console: Console, line: str, code: str, fragment: str) -> None:
    console.script(SETUP)
    console.refused(line, code, fragment)


# Commands whose handlers other modules provide (payday, linking, Stripe): reachable from the
# console, answered with a reply (never a crash), and a refusal among them changes nothing.
OTHER_AREAS = [
    "alice: /tip fund", "alice: /tip fund 20", "alice: /tip payout", "alice: /tip link", "alice: /tip link ABC123",
    "alice: /tip admin payday", "treasurer: /tip admin payday", "treasurer: /tip admin payday status",
    "treasurer: /tip admin payday dry-run", "alice: /tip admin funding stripe", "treasurer: /tip admin invite",
    "alice: /tip admin invite", "treasurer: /tip admin join ZZZZ99", "alice: /tip admin join ZZZZ99",
]


@pytest.mark.parametrize("line", OTHER_AREAS)
def test_commands_of_other_areas_are_reachable(console: Console, line: str) -> None:
    console.script(SETUP)
    before = console.tables()
    reply = console.say(line)
    assert reply.text.strip()
    assert reply.code != "error", reply.text
    if not reply.ok:
        assert console.tables() == before


# Words that make valid and invalid commands, so arbitrary text also reaches the handlers.
WORDS = ["@bob", "@carol", "@alice", "1", "0", "0.01", "10.01", "$1.50", "1.50", "USD", "EUR", "once", "confirm",
         "list", "balance", "history", "help", "receive", "on", "off", "admin", "credit", "limits", "max-weekly",
         "99999999999999999", "-1", "1e3", "NaN", "∞", "٣", "\x00", "\u202e", "<@U1|bob>", "<@>", "<#C1|x>", "#x"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(
    st.text(max_size=60),
    st.lists(st.one_of(st.sampled_from(WORDS), st.text(max_size=6)), max_size=7).map(" ".join),
))
def test_arbitrary_text_always_gets_a_reply_and_a_refusal_changes_nothing(console: Console, text: str) -> None:
    if not console.tables()["members"]:
        console.script(SETUP)
    before = console.tables()
    result = console.session.say("alice", "/tip " + text)
    assert isinstance(result.reply, Reply) and result.reply.text.strip()
    assert result.reply.code != "error", (text, result.reply.text)
    if not result.reply.ok:
        assert console.tables() == before, text


def test_a_one_off_tip_refused_for_the_payday_in_progress_says_what_is_reserved(console: Console) -> None:
    """alice's weekly tip is reserved while the payday runs: a one-off tip beyond the rest is
    refused with what is reserved and what she can spend, and changes nothing."""
    import datetime as dt

    from ledger.payday.engine import run_payday

    console.script(SETUP)
    ledger = console.runtime.ledger
    community_id = ledger.read(lambda book: book.community_by_name("test")).id
    replies = []

    def meanwhile(point: str) -> None:
        if point == "planned":
            replies.append(console.refused(
                "alice: /tip @bob 9.01 once", "insufficient_balance",
                "Not enough balance: this needs $9.01, and $1.00 of your balance of $10.00 is reserved for the "
                "payday in progress, so $9.00 can be spent until it has paid."))
            replies.append(console.ok("alice: /tip @bob 9 once"))

    result = run_payday(ledger, community_id, dt.date(2026, 11, 23), crash=meanwhile)
    assert len(replies) == 2 and result.stats["tips_paid"] == 1
    assert console.balance("alice") == "0.00"
