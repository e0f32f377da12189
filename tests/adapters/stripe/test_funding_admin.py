"""`/tip admin funding minimum` and linking identities in a Stripe community, through the
bot's command path with the Stripe adapter installed (issue 16)."""

from __future__ import annotations

import re

import pytest

from adapters.stripe.tables import stripe_accounts, stripe_customers
from bot.invocation import Invocation, UserRef
from tests.adapters.stripe.helpers import StripeTown


def say(runtime, space: str, user: str, text: str, *, admin: bool = False):
    return runtime.bot.handle(Invocation("console", space, UserRef(user, user), text=text, is_admin=admin))


@pytest.fixture
def t(ledger, client, config, fake):
    return StripeTown(ledger, client, config, fake)


def test_the_minimum_charge_is_shown_and_set_by_admins_and_used_at_payday(t, runtime):
    shown = say(runtime, "town", "treasurer", "/tip admin funding minimum", admin=True)
    assert shown.ok and "The minimum charge is $10.00" in shown.text

    refused = say(runtime, "town", "bob", "/tip admin funding minimum 20")
    assert not refused.ok and t.community.min_charge_minor == 1000
    for bad in ("0", "-5", "abc", "20000"):
        answer = say(runtime, "town", "treasurer", f"/tip admin funding minimum {bad}", admin=True)
        assert not answer.ok and t.community.min_charge_minor == 1000, (bad, answer.text)

    changed = say(runtime, "town", "treasurer", "/tip admin funding minimum 20", admin=True)
    assert changed.ok and "now $20.00" in changed.text and t.community.min_charge_minor == 2000

    t.card("alice")
    t.recipient("bob")
    t.tip("alice", "bob", 1500)
    t.payday(0)
    assert t.charges() == [] and t.dues("alice") == 1500  # below the minimum: it waits
    t.payday(1)
    [charge] = t.charges()
    assert charge.dues_minor == 3000 and t.dues("alice") == 0


def link(runtime, member: str, other_space: str, other_user: str) -> None:
    """`member` on town gets a code; `other_user` on `other_space` enters it."""
    issued = say(runtime, "town", member, "/tip link")
    code = re.search(r"`([A-Z0-9-]{8,})`", issued.text)[1]
    linked = say(runtime, other_space, other_user, f"/tip link {code}")
    assert linked.ok, linked.text


def test_a_saved_card_and_a_connected_account_follow_the_member_that_remains(t, runtime):
    t.member("alice")
    t.member("bob")
    t.tip("alice", "bob", 100)  # both have activity on town: they are the members that remain
    invite = say(runtime, "town", "treasurer", "/tip admin invite", admin=True)
    code = re.search(r"`([A-Z0-9-]{8,})`", invite.text)[1]
    assert say(runtime, "lab", "labadmin", f"/tip admin join {code}", admin=True).ok
    # On the new space, alice saves a card and bob connects an account before linking.
    with t.ledger.begin() as book:
        lab = book.space("console", "lab")
        alice_lab = book.ensure_member(lab, "alice_lab", "alice_lab").id
        bob_lab = book.ensure_member(lab, "bob_lab", "bob_lab").id
    t.ids.update(alice_lab=alice_lab, bob_lab=bob_lab)
    card = t.card("alice_lab")
    account = t.recipient("bob_lab")

    link(runtime, "alice", "lab", "alice_lab")
    link(runtime, "bob", "lab", "bob_lab")

    assert t.rows(stripe_customers, stripe_customers.c.member_id == t.ids["alice"])[0].payment_method_id == card
    assert t.rows(stripe_accounts, stripe_accounts.c.member_id == t.ids["bob"])[0].account_id == account
    assert t.rows(stripe_customers, stripe_customers.c.member_id == alice_lab) == []
    t.payday(0)  # dues below the minimum: nothing charged, but the card is where payday looks
    t.tip("alice", "bob", 1000)
    t.payday(1)
    [charge] = t.charges()
    assert charge.member_id == t.ids["alice"] and charge.payment_method_id == card
    assert [tr["destination"] for tr in t.fake.transfers()] == [account]
    t.check()
