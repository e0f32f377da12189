"""The `/tip` grammar: every form in docs/architecture.md ("Commands"), and a Refusal
(never anything else) for the rest."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import commands as c
from bot.grammar import parse
from bot.invocation import UserRef
from ledger.errors import InvalidRequest, MalformedAmount, Refusal

BOB = UserRef("bob", "bob", bare=True)
CAROL = UserRef("carol", "carol", bare=True)


@pytest.mark.parametrize("text, command", [
    ("", c.ShowList()),
    ("/tip", c.ShowList()),
    ("  list ", c.ShowList()),
    ("LIST", c.ShowList()),
    ("/tip @bob 1", c.Tip((BOB,), "1")),
    ("@bob 1.5", c.Tip((BOB,), "1.5")),
    ("@bob $1.50", c.Tip((BOB,), "$1.50")),
    ("@bob 1.50 USD", c.Tip((BOB,), "1.50 USD")),
    ("@bob 1.50 usd for the docs", c.Tip((BOB,), "1.50 usd", note="for the docs")),
    ("@bob 1.50USD", c.Tip((BOB,), "1.50USD")),
    ("@bob 0", c.Tip((BOB,), "0")),
    ("@bob 1 thanks for the   review", c.Tip((BOB,), "1", note="thanks for the review")),
    ("@bob 5 once", c.Tip((BOB,), "5", once=True)),
    ("@bob 5 ONCE thanks!", c.Tip((BOB,), "5", once=True, note="thanks!")),
    ("@bob 40 confirm", c.Tip((BOB,), "40", confirmed=True)),
    ("@bob, @carol 2 once confirm hi", c.Tip((BOB, CAROL), "2", once=True, note="hi", confirmed=True)),
    ("<@U123|bob> 1", c.Tip((UserRef("U123", "bob"),), "1")),
    ("<@U123> 1", c.Tip((UserRef("U123", None),), "1")),
    ("<@U1|first last> <@U2|carol> 2", c.Tip((UserRef("U1", "first last"), UserRef("U2", "carol")), "2")),
    ("<@!80351110224678912> 3 once", c.Tip((UserRef("80351110224678912"),), "3", once=True)),
    ("<@80351110224678912> 3", c.Tip((UserRef("80351110224678912"),), "3")),
    ("@zoë 1", c.Tip((UserRef("zoë", "zoë", bare=True),), "1")),
    ("balance", c.ShowBalance()),
    ("history", c.ShowHistory()),
    ("history 20", c.ShowHistory(20)),
    ("help", c.ShowHelp()),
    ("help Admin", c.ShowHelp("admin")),
    ("receive on", c.SetReceiving(True)),
    ("receive OFF", c.SetReceiving(False)),
    ("receipts on", c.SetReceipts(True)),
    ("/tip Receipts OFF", c.SetReceipts(False)),
    ("fund", c.Fund()),
    ("fund 20", c.Fund("20")),
    ("fund 20 USD", c.Fund("20 USD")),
    ("payout", c.Payout()),
    ("link", c.Link()),
    ("link 4F7QX2", c.Link("4F7QX2")),
    ("admin credit @bob 20", c.AdminCredit(BOB, "20")),
    ("admin credit <@U9|bob> $20.00 dues for May", c.AdminCredit(UserRef("U9", "bob"), "$20.00", "dues for May")),
    ("admin debit @bob 5 USD paid out", c.AdminDebit(BOB, "5 USD", "paid out")),
    ("admin channel #general", c.AdminChannel("general", "general")),
    ("admin channel <#C123|general>", c.AdminChannel("C123", "general")),
    ("admin channel <#1234567>", c.AdminChannel("1234567", None)),
    ("admin payday", c.AdminPayday("status")),
    ("admin payday status", c.AdminPayday("status")),
    ("admin payday dry-run", c.AdminPayday("dry-run")),
    ("admin payday now", c.AdminPayday("now")),
    ("admin limits", c.AdminLimits()),
    ("admin limits max-weekly 100", c.AdminLimits("100")),
    ("admin limits max-once 5 USD max-weekly $50", c.AdminLimits("$50", "5 USD")),
    ("admin funding manual", c.AdminFunding("manual")),
    ("admin funding Stripe", c.AdminFunding("stripe")),
    ("admin funding paypal", c.AdminFunding("paypal")),  # whether it exists is the handler's to say
    ("admin funding minimum", c.AdminFundingMinimum()),
    ("admin funding Minimum 20", c.AdminFundingMinimum("20")),
    ("admin funding minimum 20 USD", c.AdminFundingMinimum("20 USD")),
    ("admin invite", c.AdminInvite()),
    ("admin join AB12-CD", c.AdminJoin("AB12-CD")),
])
def test_parses(text: str, command: c.Command) -> None:
    assert parse(text) == command


@pytest.mark.parametrize("text, error, fragment", [
    ("Frob!nicate", InvalidRequest, "I don't know the command `Frob!nicate`"),
    ("5 @bob", InvalidRequest, "Name the member first"),
    ("@bob", InvalidRequest, "How much?"),
    ("@bob @carol", InvalidRequest, "How much?"),
    ("@bob lots", MalformedAmount, "`lots` is not an amount"),
    ("@bob once 5", InvalidRequest, "Put `once` after the amount, like `/tip @bob 1 once`."),
    ("@bob -1", MalformedAmount, "cannot be negative"),
    ("@bob NaN", MalformedAmount, "not an amount"),
    ("@ 1", InvalidRequest, "not a member mention"),
    ("@bob @bob 1", InvalidRequest, "only once"),
    ("<@U1> <@U1|bob> 1", InvalidRequest, "only once"),
    (" ".join(f"@m{i}" for i in range(26)) + " 1", InvalidRequest, "at most 25"),
    ("@" + "x" * 81 + " 1", InvalidRequest, "too long"),
    ("@bob 1\x00", InvalidRequest, "control characters"),
    ("@bob 1 \x1b[31m", InvalidRequest, "control characters"),
    ("x" * 4001, InvalidRequest, "too long"),
    ("list all", InvalidRequest, "I didn't expect `all`"),
    ("balance please", InvalidRequest, "Usage: `/tip balance`"),
    ("history 0", InvalidRequest, "between 1 and 100"),
    ("history 101", InvalidRequest, "between 1 and 100"),
    ("history ten", InvalidRequest, "between 1 and 100"),
    ("history ١٢", InvalidRequest, "between 1 and 100"),
    ("history 5 6", InvalidRequest, "didn't expect"),
    ("receive", InvalidRequest, "/tip receive on"),
    ("receive yes", InvalidRequest, "/tip receive on"),
    ("receipts", InvalidRequest, "/tip receipts on"),
    ("receipts please", InvalidRequest, "/tip receipts off"),
    ("receipts on off", InvalidRequest, "/tip receipts on"),
    ("fund lots", MalformedAmount, "not an amount"),
    ("fund 5 now", InvalidRequest, "didn't expect"),
    ("payout 5", InvalidRequest, "didn't expect"),
    ("link bad!code", InvalidRequest, "letters and digits"),
    ("link a b", InvalidRequest, "didn't expect"),
    ("admin", InvalidRequest, "Admin commands"),
    ("admin sudo", InvalidRequest, "I don't know `admin sudo`"),
    ("admin credit", InvalidRequest, "Whose balance?"),
    ("admin credit 5 @bob", InvalidRequest, "Whose balance?"),
    ("admin debit @bob", InvalidRequest, "How much?"),
    ("admin credit @bob -5", MalformedAmount, "negative"),
    ("admin channel", InvalidRequest, "Name one channel"),
    ("admin channel general", InvalidRequest, "is not a channel"),
    ("admin channel #a #b", InvalidRequest, "Name one channel"),
    ("admin payday later", InvalidRequest, "status|dry-run|now"),
    ("admin payday now now", InvalidRequest, "status|dry-run|now"),
    ("admin limits max-daily 5", InvalidRequest, "max-weekly"),
    ("admin limits max-weekly", InvalidRequest, "How much?"),
    ("admin limits max-weekly 5 max-weekly 6", InvalidRequest, "appears twice"),
    ("admin funding pay pal", InvalidRequest, "admin funding MODE"),
    ("admin funding @bob", InvalidRequest, "manual"),
    ("admin funding", InvalidRequest, "manual"),
    ("admin funding minimum 20 USD please", InvalidRequest, "admin funding minimum 10"),
    ("admin invite me", InvalidRequest, "didn't expect"),
    ("admin join", InvalidRequest, "admin join CODE"),
    ("admin join ??", InvalidRequest, "admin join CODE"),
])
def test_refuses_with_a_helpful_message(text: str, error: type[Refusal], fragment: str) -> None:
    with pytest.raises(error) as raised:
        parse(text)
    assert fragment in raised.value.message


def test_bare_mentions_are_marked_bare_and_escaped_ones_are_not() -> None:
    tip = parse("@bob <@U1|carol> 1")
    assert isinstance(tip, c.Tip)
    assert [r.bare for r in tip.recipients] == [True, False]


TOKENS = ["@bob", "<@U1|bob>", "<@!12>", "1", "1.5", "$1.50", "USD", "once", "confirm", "admin", "credit",
          "limits", "max-weekly", "#general", "<#C1|x>", "history", "99999999999999999999", "-1", "1e3", "∞",
          "receive", "on", "link", "fund", "<", ">", "@", "\x00", "\u202e", "\ud800"]


@settings(max_examples=600, deadline=None)
@given(st.one_of(
    st.text(),
    st.lists(st.one_of(st.sampled_from(TOKENS), st.text(max_size=8)), max_size=8).map(" ".join),
))
def test_never_raises_anything_but_a_refusal(text: str) -> None:
    try:
        command = parse(text)
    except Refusal as refusal:
        assert refusal.message.strip()
    else:
        assert isinstance(command, c.Command.__args__)  # type: ignore[attr-defined]


def test_project_commands_parse_and_a_bare_word_names_a_project() -> None:
    from bot import project_commands as pc
    from bot.invocation import UserRef

    assert parse("projects") == pc.ListProjects()
    assert parse("project Pillow") == pc.ShowProject("pillow")
    assert parse("project add pillow @bob @carol") == pc.AddProject(
        "pillow", (UserRef("bob", "bob", bare=True), UserRef("carol", "carol", bare=True)))
    assert parse("project remove pillow <@U1|bob>") == pc.RemoveMaintainer("pillow", UserRef("U1", "bob"))
    assert parse("project pillow packages pypi:pillow npm:left-pad") == pc.SetPackages(
        "pillow", ("pypi:pillow", "npm:left-pad"))
    assert parse("take pillow 1.50") == pc.SetTake("pillow", "1.50")
    assert parse("stack 10 pillow pypi:requests") == pc.Stack("10", ("pillow", "pypi:requests"))
    assert parse("pillow 5 once thanks") == pc.TipProject("pillow", "5", once=True, note="thanks")
    assert parse("pillow 40 confirm") == pc.TipProject("pillow", "40", confirmed=True)
    assert parse("frobnicate") == pc.TipProject("frobnicate", None)  # the handler says it knows no such command
    assert parse("admin spotlight on") == pc.AdminSpotlight(on=True)


@pytest.mark.parametrize("text, fragment", [
    ("project", "Project commands"), ("project add @bob", "Which project?"),
    ("project remove pillow", "Name one maintainer"), ("project add pillow bob", "Mention maintainers"),
    ("take pillow", "How much?"), ("stack 10", "Name the projects"), ("stack 10 @bob", "not members"),
    ("project add balance", "command word"), ("admin spotlight maybe", "spotlight on"),
])
def test_project_commands_refuse_with_a_helpful_message(text: str, fragment: str) -> None:
    with pytest.raises(Refusal) as raised:
        parse(text)
    assert fragment in raised.value.message
