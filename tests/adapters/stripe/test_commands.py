"""`/tip admin funding`, `/tip fund` and `/tip payout` through the real bot (console
invocations), with Stripe behind the recording server on 127.0.0.1."""

from __future__ import annotations

import pytest

from adapters.stripe.tables import stripe_accounts, stripe_checkouts, stripe_customers
from tests.adapters.console.support import Console, make_runtime
from tests.adapters.stripe.conftest import SECRET_KEY, WEBHOOK_SECRET


@pytest.fixture
def console(db_url, fake) -> Console:
    runtime = make_runtime(db_url, stripe_secret_key=SECRET_KEY, stripe_webhook_secret=WEBHOOK_SECRET,
                           stripe_api_url=fake.url, public_url="https://tipbot.example")
    return Console(runtime)


@pytest.fixture
def unconfigured(db_url) -> Console:
    return Console(make_runtime(db_url))


def test_fund_and_payout_in_manual_mode_say_how_the_community_is_funded_and_change_nothing(unconfigured):
    before = unconfigured.tables()

    fund = unconfigured.ok("alice: /tip fund")
    payout = unconfigured.ok("bob: /tip payout")
    fund_amount = unconfigured.ok("alice: /tip fund 20")

    assert "funded by hand" in fund.text and "/tip admin credit" in fund.text and "admin" in fund.text
    assert "funded by hand" in payout.text and "/tip admin debit" in payout.text
    assert "funded by hand" in fund_amount.text
    assert unconfigured.tables() == before


def test_stripe_funding_needs_a_secret_key_and_an_admin(unconfigured, console):
    unconfigured.refused("treasurer: /tip admin funding stripe", "not_configured", "STRIPE_SECRET_KEY")
    unconfigured.refused("treasurer: /tip admin funding paypal", "invalid",
                         "no funding mode named `paypal`; this Tipbot offers: manual, stripe.")
    console.refused("alice: /tip admin funding stripe", "not_admin")

    switched = console.ok("treasurer: /tip admin funding stripe")

    assert "funded through Stripe" in switched.text and "/tip fund" in switched.text and "2.9%" in switched.text
    assert "already" in console.ok("treasurer: /tip admin funding stripe").text
    assert "funded by hand" in console.ok("treasurer: /tip admin funding manual").text


def test_fund_makes_one_customer_and_a_setup_checkout_session_per_request(console, fake):
    console.ok("treasurer: /tip admin funding stripe")

    first = console.ok("alice: /tip fund")
    second = console.ok("alice: /tip fund 20")

    sessions = fake.acted("/v1/checkout/sessions")
    assert len(sessions) == 2 and len(fake.acted("/v1/customers")) == 1
    customer = console.runtime.ledger.read(lambda b: b.conn.execute(stripe_customers.select()).one())
    for reply, session in zip((first, second), sessions):
        assert session.params["mode"] == "setup" and session.params["customer"] == customer.customer_id
        assert session.params["currency"] == "usd"
        assert session.params["success_url"].startswith("https://tipbot.example/stripe/return")
        url = fake.objects[next(k for k, o in fake.objects.items() if o.get("object") == "checkout.session"
                                and o["id"] in reply.text)]["url"]
        assert url in reply.text
    assert "nothing is charged now" in second.text
    assert len(console.runtime.ledger.read(lambda b: b.conn.execute(stripe_checkouts.select()).all())) == 2


def test_fund_refuses_a_malformed_amount_and_changes_nothing(console, fake):
    console.ok("treasurer: /tip admin funding stripe")
    console.refused("alice: /tip fund 1e3", "malformed_amount")
    console.refused("alice: /tip fund 1.234", "malformed_amount")
    assert fake.requests == []


def test_payout_makes_one_express_account_and_an_account_link(console, fake):
    console.ok("treasurer: /tip admin funding stripe")

    first = console.ok("bob: /tip payout")
    second = console.ok("bob: /tip payout")

    [account] = fake.acted("/v1/accounts")
    assert account.params["type"] == "express"
    assert account.params["capabilities[transfers][requested]"] == "true"
    links = fake.acted("/v1/account_links")
    assert len(links) == 2 and all(link.params["type"] == "account_onboarding" for link in links)
    assert "https://connect.stripe.com/setup/e/" in first.text and "wait as pledges" in second.text
    row = console.runtime.ledger.read(lambda b: b.conn.execute(stripe_accounts.select()).one())
    assert row.account_id and not row.payable


def test_stripe_down_gets_a_clear_answer(console, fake):
    console.ok("treasurer: /tip admin funding stripe")
    fake.fail("POST", "/v1/checkout/sessions", "500", times=100)

    reply = console.say("alice: /tip fund")

    assert not reply.ok and reply.code == "stripe_unavailable" and "nothing was charged" in reply.text
