"""What members look at: list, balance, history, help, receiving."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.handlers.info import next_payday
from bot.help import TOPICS
from tests.adapters.console.support import Console, make_runtime


@pytest.mark.clock  # also run at fixed moments (.ci/run)
def test_next_payday_follows_the_cron_schedule() -> None:
    wednesday = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.timezone.utc)
    assert next_payday("0 12 * * 4", wednesday) == dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.timezone.utc)
    thursday_after = dt.datetime(2026, 11, 26, 12, 0, 1, tzinfo=dt.timezone.utc)
    assert next_payday("0 12 * * 4", thursday_after) == dt.datetime(2026, 12, 3, 12, 0, tzinfo=dt.timezone.utc)
    assert next_payday("not a schedule", wednesday) is None


@pytest.mark.clock  # also run at fixed moments (.ci/run)
def test_list_shows_tips_both_ways_balance_and_next_payday(console: Console) -> None:
    console.script("""
        treasurer: /tip admin credit @alice 20
        bob: /tip receive on
        alice: /tip @bob 1
        alice: /tip @carol 2
        carol: /tip @alice 3
    """)
    reply = console.ok("alice: /tip")
    assert reply.title == "Your tips in test"
    assert reply.text.splitlines() == [
        "You tip every week:",
        "  bob: $1.00 a week",
        "  carol: $2.00 a week (pledge: paid once they receive)",
        "Pledged to you (paid once you say `/tip receive on`):",
        "  carol: $3.00 a week (pledge)",
    ]
    fields = dict(reply.fields)
    assert fields["Balance"] == "$20.00"
    assert fields["You give"] == "$3.00 a week, about $13.00 a month"
    assert fields["You receive"] == "$3.00 a week, about $13.00 a month (pledged)"
    assert fields["Receiving"].startswith("off")
    assert fields["Next payday"].endswith("12:00 UTC") and fields["Next payday"].startswith("Thursday")
    assert console.ok("alice: /tip list") == reply

    empty = console.ok("dave: list")
    assert "You don't tip anyone weekly yet. Start with `/tip @name 1`." in empty.text
    assert "Nobody tips you weekly yet." in empty.text
    received = console.ok("bob: /tip").text
    assert "You receive every week:\n  alice: $1.00 a week" in received


def test_balance_says_what_weekly_tips_take(console: Console) -> None:
    assert console.ok("alice: balance").text == "Your balance is $0.00."
    console.ok("treasurer: /tip admin credit @alice 1.50")
    console.ok("bob: /tip receive on")
    console.ok("alice: /tip @bob 1")
    assert console.ok("alice: /tip balance").text == "Your balance is $1.50. Your weekly tips take $1.00 each payday."
    console.ok("alice: /tip @carol 1")  # a pledge takes nothing yet
    console.ok("alice: /tip @bob 2")
    assert console.ok("alice: balance").text.endswith("take $2.00 each payday; the balance doesn't cover them all yet.")


@pytest.mark.clock  # also run at fixed moments (.ci/run)
def test_history_lists_transfers_newest_first(console: Console) -> None:
    assert console.ok("alice: history").text == "No money has moved in or out of your balance yet."
    console.script("""
        treasurer: /tip admin credit @alice 10 dues
        bob: /tip receive on
        alice: /tip @bob 2 once thanks
        treasurer: /tip admin debit @alice 1
    """)
    reply = console.ok("alice: /tip history")
    lines = reply.text.splitlines()
    assert lines[0] == "Your last 3 transfers, newest first:"
    assert lines[1].endswith("-$1.00  paid out (recorded by an admin)")
    assert lines[2].endswith('-$2.00  one-off tip to bob ("thanks")')
    assert lines[3].endswith('+$10.00  paid in (recorded by an admin) ("dues")')
    assert dict(reply.fields) == {"Balance": "$7.00"}
    assert len(console.ok("alice: history 1").text.splitlines()) == 2
    assert console.ok("bob: history").text.splitlines()[1].endswith("+$2.00  one-off tip from alice (\"thanks\")")


@pytest.mark.parametrize("topic", [None, *TOPICS, "pledges", "payday", "admin payday", "Fund"])
def test_help_teaches_by_example(console: Console, topic: str | None) -> None:
    reply = console.ok(f"alice: help {topic or ''}")
    assert "/tip " in reply.text  # every help text shows commands to type
    assert "I have no help" not in reply.text


def test_help_on_an_unknown_topic_shows_the_overview(console: Console) -> None:
    reply = console.ok("alice: /tip help quantum")
    assert reply.text.startswith("I have no help about `quantum`.")
    assert "/tip @bob 1" in reply.text


def test_help_mentions_the_community_page_while_public_and_me_while_sign_in_is_configured(
        console: Console, db_url: str, clock) -> None:
    assert "On the web" not in console.ok("alice: /tip help").text  # private by default, no sign-in
    assert "/me/" not in console.ok("alice: /tip help").text
    console.ok("treasurer: /tip admin web public")
    shown = console.ok("alice: /tip help").text
    assert "On the web: this community's page, http://localhost:8000/c/test" in shown
    assert "/me/" not in shown
    assert "On the web" not in console.ok("alice: /tip help tips").text  # the overview only

    signin = make_runtime(db_url, clock, public_url="https://tips.example.org", slack_signin_client_id="C1",
                          slack_signin_client_secret="slack-secret")
    try:
        shown = Console(signin).ok("alice: /tip help").text
        assert "On the web: this community's page, https://tips.example.org/c/test" in shown
        assert "Sign in at https://tips.example.org/me/ with your chat account" in shown
        Console(signin).ok("treasurer: /tip admin web private")
        assert "On the web" not in Console(signin).ok("alice: /tip help").text
        assert "https://tips.example.org/me/" in Console(signin).ok("alice: /tip help").text
    finally:
        signin.ledger.dispose()


def test_receive_on_shows_the_pledges_now_waiting_and_off_turns_them_back(console: Console) -> None:
    console.ok("alice: /tip @bob 1")
    console.ok("carol: /tip @bob 2.50")
    reply = console.ok("bob: /tip receive on")
    assert reply.text == ("You now receive tips. Weekly tips to you, $3.50 a week (about $15.17 a month), "
                          "are paid from the next payday: alice ($1.00), carol ($2.50).")
    assert console.ok("bob: receive on").text.startswith("You already receive tips.")
    reply = console.ok("bob: receive off")
    assert reply.text == ("You no longer receive tips. Weekly tips to you ($3.50 a week) are pledges again: "
                          "recorded, not paid, until you say `/tip receive on`.")
    assert console.ok("bob: receive off").text.startswith("You already don't receive tips.")
    assert console.ok("dave: receive on").text == "You now receive tips."
