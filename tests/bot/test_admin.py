"""Admin commands: credits, debits, the summary channel and the limits; refused for non-admins."""

from __future__ import annotations

import pytest

from bot.compose import build_runtime
from bot.config import Settings
from bot.invocation import Invocation, UserRef
from ledger.api import Ledger
from tests.adapters.console.support import Console, make_runtime


def test_credit_and_debit_record_money_and_tell_the_member(console: Console) -> None:
    reply = console.ok("treasurer: /tip admin credit @alice 20 dues for May")
    assert reply.text == 'Recorded $20.00 paid in by alice ("dues for May"). Their balance is now $20.00.'
    assert [dm.user_id for dm in reply.direct_messages] == ["alice"]
    reply = console.ok("treasurer: /tip admin debit @alice 5.25 USD bank transfer")
    assert reply.text == 'Recorded $5.25 paid out to alice ("bank transfer"). Their balance is now $14.75.'
    assert console.balance("alice") == "14.75"
    assert not console.ok("treasurer: /tip admin credit @treasurer 1").direct_messages  # no DM to oneself


@pytest.mark.parametrize("line, what", [
    ("alice: /tip admin credit @alice 20", "credit balances"),
    ("alice: /tip admin debit @bob 1", "debit balances"),
    ("alice: /tip admin channel #general", "choose where payday summaries go"),
    ("alice: /tip admin limits", "see or change the limits"),
    ("alice: /tip admin limits max-weekly 1000", "see or change the limits"),
])
def test_admin_commands_are_refused_for_members(console: Console, line: str, what: str) -> None:
    console.ok("treasurer: /tip admin credit @bob 5")
    reply = console.refused(line, "not_admin", f"Only an admin of this community can {what}; nothing changed.")
    assert "--admin NAME" in reply.text


def test_refusals_of_credit_and_debit(console: Console) -> None:
    console.ok("treasurer: /tip admin credit @bob 5")
    console.refused("treasurer: /tip admin debit @bob 6", "insufficient_balance",
                    "this needs $6.00 and the balance is $5.00")
    console.refused("treasurer: /tip admin credit @bob 0", "invalid", "more than zero")
    console.refused("treasurer: /tip admin credit @bob 1.001", "malformed_amount", "USD has 2 decimals")
    console.refused("treasurer: /tip admin credit @bob 5 EUR", "malformed_amount", "another currency")
    console.refused("treasurer: /tip admin credit @bob", "invalid", "How much?")
    console.runtime.ledger.run(lambda b: b.set_funding_mode(1, "stripe", by_admin=True))
    console.refused("treasurer: /tip admin credit @bob 5", "wrong_funding_mode", "funded through Stripe")


@pytest.fixture
def core_only(db_url: str):
    """No funding adapter installed, as `pip install .` without the stripe extra."""
    runtime = build_runtime(Settings(database_url=db_url), ledger=Ledger.connect(db_url, upgrade=False), funding={})
    yield Console(runtime)
    runtime.ledger.dispose()


def test_a_funding_mode_that_is_none_is_refused_naming_the_modes_this_install_offers(core_only: Console) -> None:
    core_only.ok("treasurer: /tip admin credit @bob 5")
    core_only.refused("treasurer: /tip admin funding paypal", "invalid",
                      "There is no funding mode named `paypal`; this Tipbot offers: manual. Nothing changed.")
    core_only.refused("alice: /tip admin funding paypal", "not_admin")
    # a mode the ledger knows, whose adapter is not installed here
    core_only.refused("treasurer: /tip admin funding stripe", "not_installed",
                      "Stripe funding is not installed", "pip install 'tipbot[stripe]'", "Nothing changed.")
    assert "already funded by hand" in core_only.ok("treasurer: /tip admin funding manual").text


def test_configured_admins_count_as_admins(db_url: str) -> None:
    runtime = make_runtime(db_url, admins=["slack:UBOSS"])
    try:
        def handle(user: str, text: str):
            return runtime.bot.handle(Invocation("slack", "T1", UserRef(user, user), text=text))

        assert handle("UBOSS", "admin credit <@UAL|alice> 3").ok
        refused = handle("UAL", "admin credit <@UAL|alice> 3")
        assert refused.code == "not_admin" and "Slack workspace admins and owners" in refused.text
    finally:
        runtime.ledger.dispose()


def test_channel_sets_where_summaries_go(console: Console) -> None:
    assert console.ok("treasurer: /tip admin channel #payday").text == \
        "Payday summaries for this space now go to #payday."
    space = console.runtime.ledger.read(lambda b: b.space("console", "test"))
    assert (space.summary_channel_id, space.summary_channel_name) == ("payday", "payday")
    slack = console.runtime.bot.handle(
        Invocation("slack", "T1", UserRef("UB", "boss"), text="admin channel <#C42|general>", is_admin=True))
    assert slack.text == "Payday summaries for this space now go to <#C42>."
    space = console.runtime.ledger.read(lambda b: b.space("slack", "T1"))
    assert (space.summary_channel_id, space.summary_channel_name) == ("C42", "general")


def test_limits_show_and_change(console: Console) -> None:
    assert console.ok("treasurer: /tip admin limits").text.startswith(
        "Limits: a weekly tip is at most $100.00 to one member, and a one-off tip at most $100.00 to one member.")
    reply = console.ok("treasurer: /tip admin limits max-weekly 10 max-once $2.50")
    assert reply.text == ("Limits are now: a weekly tip is at most $10.00 to one member, "
                          "and a one-off tip at most $2.50 to one member.")
    console.ok("treasurer: /tip admin credit @alice 50")
    console.ok("bob: /tip receive on")
    console.refused("alice: /tip @bob 10.01", "over_limit", "A weekly tip is at most $10.00 here.")
    console.refused("alice: /tip @bob 3 once", "over_limit", "A one-off tip is at most $2.50 here.")
    console.refused("treasurer: /tip admin limits max-once 0", "invalid", "A limit must be more than zero")
    console.refused("treasurer: /tip admin limits max-weekly 1e3", "malformed_amount")
    console.ok("treasurer: /tip admin limits max-weekly 200")
    assert "You now tip bob $150.00 a week" in console.ok("alice: /tip @bob 150 confirm").text
