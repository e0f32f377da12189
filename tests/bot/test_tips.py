"""Weekly and one-off tips through the console and through Slack-style invocations."""

from __future__ import annotations

import re

import sqlalchemy as sa

from bot.handlers.tips import CANCEL_ACTION, CONFIRM_ACTION, about_monthly_minor
from bot.invocation import Action, Invocation, UserRef
from tests.adapters.console.support import Console


def test_about_monthly_is_weekly_times_52_over_12_in_integers() -> None:
    assert about_monthly_minor(100) == 433
    assert about_monthly_minor(150) == 650
    assert about_monthly_minor(5) == 22  # 21.67 rounds up
    assert about_monthly_minor(1) == 4  # 4.33 rounds down
    assert about_monthly_minor(10**15) == 4333333333333333  # exact at any size: integers, no float


def test_weekly_tip_set_change_end_states_costs_and_totals(console: Console) -> None:
    console.ok("treasurer: /tip admin credit @alice 20")
    console.ok("bob: /tip receive on")
    reply = console.ok("alice: /tip @bob 1")
    assert "You now tip bob $1.00 a week, about $4.33 a month." in reply.text
    assert "Your weekly tips now total $1.00 a week, about $4.33 a month." in reply.text
    assert "pledge" not in reply.text and not reply.direct_messages

    reply = console.ok("alice: /tip @carol 2.5 for the docs")
    assert "You now tip carol $2.50 a week, about $10.83 a month." in reply.text
    assert "Your weekly tips now total $3.50 a week, about $15.17 a month ($2.50 of it pledged)." in reply.text

    reply = console.ok("alice: /tip @bob $1.50")
    assert "Your weekly tip to bob is now $1.50 a week, about $6.50 a month (it was $1.00)." in reply.text
    reply = console.ok("alice: /tip @bob 1.50 USD")
    assert "Your weekly tip to bob is already $1.50; nothing changed." in reply.text
    reply = console.ok("alice: /tip @bob 0")
    assert "You ended your weekly tip to bob (it was $1.50 a week)." in reply.text
    assert "Your weekly tips now total $2.50 a week" in reply.text

    given = console.runtime.ledger.read(lambda b: b.tips_given(b.find_member_by_name(1, "alice").id))
    assert [(t.other_name, t.weekly_amount_minor, t.pledge) for t in given] == [("carol", 250, True)]


def test_a_pledge_is_explained_and_the_tippee_told_once(console: Console) -> None:
    reply = console.ok("alice: /tip @bob 1")
    assert "bob has not opted in to receive tips yet, so this is a pledge" in reply.text
    assert [(dm.user_id, dm.text) for dm in reply.direct_messages] == [
        ("bob", "alice pledged $1.00 a week to you on Tipbot. Pledges are paid once you opt in to receive tips: "
                "`/tip receive on`.")]
    assert not console.ok("alice: /tip @bob 2").direct_messages  # told once, not on every change
    assert not console.ok("carol: /tip @bob 1").direct_messages  # once per tippee, whoever pledges
    assert "doesn't cover" not in reply.text  # pledges cost nothing yet


def test_balance_warning_when_weekly_tips_are_not_covered(console: Console) -> None:
    console.ok("bob: /tip receive on")
    reply = console.ok("alice: /tip @bob 1")
    assert "Your balance ($0.00) doesn't cover a week of them yet" in reply.text


def test_weekly_tip_to_several_members_at_once(console: Console) -> None:
    reply = console.ok("alice: /tip @bob @carol @dave 2")
    for name in ("bob", "carol", "dave"):
        assert f"You now tip {name} $2.00 a week, about $8.67 a month." in reply.text
    assert "Your weekly tips now total $6.00 a week, about $26.00 a month" in reply.text
    assert sorted(dm.user_id for dm in reply.direct_messages) == ["bob", "carol", "dave"]


def test_weekly_tip_to_several_is_all_or_nothing(console: Console) -> None:
    console.refused("alice: /tip @bob @alice 2", "self_tip")
    console.ok("treasurer: /tip admin limits max-weekly 5")
    console.refused("alice: /tip @bob @carol 6", "over_limit", "at most $5.00")


def test_one_off_tip_pays_now_and_tells_the_recipient(console: Console) -> None:
    console.ok("treasurer: /tip admin credit @alice 10")
    console.ok("bob: /tip receive on")
    reply = console.ok("alice: /tip @bob 2.50 once thanks for the fix")
    assert reply.text == 'You gave bob $2.50 as a one-off tip ("thanks for the fix"). Your balance is now $7.50.'
    assert [(dm.user_id, dm.text) for dm in reply.direct_messages] == [(
        "bob", 'alice gave you a one-off tip of $2.50 ("thanks for the fix"). It is in your balance now '
               '(`/tip balance`).')]
    assert console.balance("bob") == "2.50"
    assert console.balance("alice") == "7.50"


def test_one_off_tip_to_several_is_all_or_nothing(console: Console) -> None:
    console.ok("treasurer: /tip admin credit @alice 10")
    console.ok("bob: /tip receive on")
    console.ok("carol: /tip receive on")
    console.refused("alice: /tip @bob @dave 1 once", "not_receiving", "dave has not opted in")
    console.refused("alice: /tip @bob @carol 6 once", "insufficient_balance",
                    "this needs $12.00 and the balance is $10.00")
    reply = console.ok("alice: /tip @bob @carol 5 once")
    assert reply.text.startswith("You gave bob, carol $5.00 each ($10.00 in all) as a one-off tip.")
    assert len(reply.direct_messages) == 2
    assert (console.balance("alice"), console.balance("bob"), console.balance("carol")) == ("0.00", "5.00", "5.00")


def test_large_weekly_tip_asks_to_confirm_on_the_console(console: Console) -> None:
    before = console.tables()
    reply = console.ok("alice: /tip @bob 40 for hosting")
    assert reply.code == "confirm" and not reply.buttons
    assert "$40.00 a week to bob is about $173.33 a month. Set it?" in reply.text
    assert "`/tip @bob 40 confirm for hosting`" in reply.text
    after = console.tables()
    assert after["tips"] == before["tips"] and after["transfers"] == before["transfers"]
    typed = re.search(r"`(/tip [^`]*confirm[^`]*)`", reply.text)[1]
    reply = console.ok(f"alice: {typed}")
    assert "You now tip bob $40.00 a week, about $173.33 a month." in reply.text
    assert console.ok("alice: /tip @bob 40").code is None  # unchanged: nothing to confirm
    assert console.ok("alice: /tip @bob 25").code is None  # at the threshold: no question
    reply = console.ok("alice: /tip @carol @dave 30 USD for hosting")
    assert "$30.00 a week to carol, dave each is about $130.00 a month each." in reply.text
    assert "`/tip @carol @dave 30 USD confirm for hosting`" in reply.text
    assert "You now tip dave $30.00 a week" in console.ok("alice: /tip @carol @dave 30 USD confirm for hosting").text


def _slack(console: Console, user: str, text: str, request_id: str | None = None, admin: bool = False):
    invocation = Invocation("slack", "T1", UserRef(f"U{user.upper()}", user), text=text, request_id=request_id,
                            is_admin=admin)
    return console.runtime.bot.handle(invocation)


def test_large_weekly_tip_confirmed_by_button_once(console: Console) -> None:
    reply = _slack(console, "alice", "<@UBOB|bob> 30")
    assert reply.ok and reply.code == "confirm"
    confirm, cancel = reply.buttons
    assert (confirm.action_id, cancel.action_id) == (CONFIRM_ACTION, CANCEL_ACTION)
    assert confirm.value == "<@UBOB> 30"
    assert "Or send the command again with `confirm` after the amount." in reply.text
    assert "<@UBOB> is about $130.00 a month" in reply.text

    cancelled = console.runtime.bot.handle_action(
        Action("slack", "T1", UserRef("UALICE", "alice"), CANCEL_ACTION, cancel.value, request_id="a0"))
    assert cancelled.ok and "Cancelled" in cancelled.text

    click = Action("slack", "T1", UserRef("UALICE", "alice"), CONFIRM_ACTION, confirm.value, request_id="a1")
    done = console.runtime.bot.handle_action(click)
    assert done.ok and "You now tip <@UBOB> $30.00 a week, about $130.00 a month." in done.text
    before = console.tables()
    again = console.runtime.bot.handle_action(click)  # the platform retried the click
    assert again.ok and again.repeated and again.text.startswith("Already recorded")
    assert console.tables() == before
    typed = _slack(console, "alice", "<@UCAROL|carol> 30 confirm")  # typing `confirm` works on Slack too
    assert typed.ok and typed.code is None and "You now tip <@UCAROL> $30.00 a week" in typed.text


def test_a_stale_or_forged_button_changes_nothing(console: Console) -> None:
    before = console.tables()
    for value in ("", "balance", "<@UBOB|bob> 30 once", "<@UBOB|bob> lots"):
        reply = console.runtime.bot.handle_action(
            Action("slack", "T1", UserRef("UALICE", "alice"), CONFIRM_ACTION, value, request_id=f"x{value}"))
        assert not reply.ok
    reply = console.runtime.bot.handle_action(
        Action("slack", "T1", UserRef("UALICE", "alice"), "no_such_action", "", request_id="y"))
    assert not reply.ok and "no longer valid" in reply.text
    assert console.tables() == before


def test_slack_and_discord_mentions_name_the_same_person_each_time(console: Console) -> None:
    first = _slack(console, "alice", "<@UBOB|bob> 1")
    assert "You now tip <@UBOB> $1.00 a week" in first.text
    assert first.direct_messages[0].user_id == "UBOB"
    assert "already $1.00" in _slack(console, "alice", "<@UBOB> 1").text
    discord = console.runtime.bot.handle(
        Invocation("discord", "G1", UserRef("111", "alice"), text="<@!222> 2"))
    assert "You now tip <@222> $2.00 a week" in discord.text


def test_a_bare_name_on_slack_gets_how_to_mention(console: Console) -> None:
    _slack(console, "alice", "balance")
    before = console.tables()
    for text in ("@bob 1", "<@UCAROL|carol> @bob 1 once"):
        reply = _slack(console, "alice", text)
        assert not reply.ok and reply.code == "invalid"
        assert "`@bob` reached me as plain text" in reply.text
        assert "pick the member from the list Slack offers" in reply.text
    reply = _slack(console, "treasurer", "admin credit @bob 5", admin=True)
    assert "reached me as plain text" in reply.text
    assert console.tables() == before


def test_a_repeated_request_is_already_recorded(console: Console) -> None:
    _slack(console, "treasurer", "admin credit <@UALICE|alice> 10", request_id="r1", admin=True)
    _slack(console, "bob", "receive on", request_id="r2")
    first = _slack(console, "alice", "<@UBOB|bob> 3 once", request_id="r3")
    assert first.ok and not first.repeated
    before = console.tables()
    again = _slack(console, "alice", "<@UBOB|bob> 3 once", request_id="r3")
    assert again.ok and again.repeated
    assert again.text == ("Already recorded: this request was received before, and nothing changed now.\n"
                          + first.text)
    assert not again.direct_messages  # the recipient was told the first time
    assert console.tables() == before


def test_typed_commands_are_validated_like_text(console: Console) -> None:
    """Discord passes commands already built; the handlers refuse what the grammar would."""
    from bot.commands import AdminCredit, Tip

    def typed(command, admin: bool = False):
        return console.runtime.bot.handle(
            Invocation("discord", "G1", UserRef("111", "alice"), command=command, is_admin=admin))

    typed(Tip((UserRef("222", "bob"),), "1"))
    before = console.tables()
    for command, code in [
        (Tip((UserRef("222", "bob"),), "1", note="bad\x00note"), "invalid"),
        (Tip((), "1"), "invalid"),
        (Tip((UserRef("222", "bob"), UserRef("222", "bob")), "1"), "invalid"),
        (Tip((UserRef("222", "bob"),), "1e3"), "malformed_amount"),
        (Tip((UserRef("111", "alice"),), "1"), "self_tip"),
        (AdminCredit(UserRef("222", "bob"), "5", note="\x1b[2J"), "invalid"),
    ]:
        reply = typed(command, admin=True)
        assert not reply.ok and reply.code == code, (command, reply.text)
    assert console.tables() == before


def test_a_weekly_tip_between_known_members_costs_eight_statements(console: Console) -> None:
    """The hot path stays short (bench/README.md, "Slack HTTP"): space, community and both
    members in one read, the tipper's lock, the current tip, superseding it, the new version,
    the first-pledge mark, the totals and the idempotency record. Counted, not timed."""
    bot = console.runtime.bot

    def tip(text: str, request_id: str):
        return bot.handle(Invocation(platform="slack", space_id="T-count", user=UserRef("U1", "alice"),
                                     text=text, request_id=request_id))

    assert tip("<@U2|bob> 1", "r1").ok  # first sight of the space and both members costs more, once
    statements: list[str] = []

    def count(_conn, _cursor, statement, _params, _context, _many) -> None:
        statements.append(statement.split(None, 1)[0].upper())

    engine = console.runtime.ledger.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        reply = tip("<@U2|bob> 2", "r2")
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert "is now $2.00 a week" in reply.text
    statements = [s for s in statements if s not in ("BEGIN", "COMMIT")]  # SQLite's explicit ones
    assert statements == ["SELECT", "SELECT", "SELECT", "UPDATE", "INSERT", "UPDATE", "SELECT", "INSERT"]
