"""Requests pending past Stripe's 24-hour idempotency window (issue 16): with the ledger's
clock moved past it, `tipbot stripe reconcile` asks Stripe whether the object exists (by
the `tipbot_key` metadata Tipbot sets) and records it, or sends it again with a new key;
never twice. The payday itself waits for that (tests/adapters/stripe/test_crashes.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from adapters.stripe.late import settle_late
from adapters.stripe.processor import ChargesPending
from tests.adapters.stripe.helpers import StripeTown
from tests.adapters.stripe.test_crashes import Crash, crash_at

PAST_THE_WINDOW = dt.timedelta(hours=25)
pytestmark = pytest.mark.clock  # also run at fixed moments (.ci/run)


@pytest.fixture
def t(ledger, client, config, fake):
    town = StripeTown(ledger, client, config, fake)
    town.card("alice")
    town.recipient("bob")
    town.tip("alice", "bob", 1000)
    return town


def charge_posts(t: StripeTown) -> list:
    return t.fake.acted("/v1/payment_intents")


def test_a_charge_stripe_made_before_a_crash_is_found_and_recorded_not_charged_again(t, clock):
    with pytest.raises(Crash):
        t.payday(crash=crash_at("stripe:charge:"))  # Stripe charged; the answer never reached the row
    [row] = t.charges()
    assert row.status == "pending" and len(charge_posts(t)) == 1
    clock.advance(PAST_THE_WINDOW)
    with pytest.raises(ChargesPending):  # the payday does not send an expired key again
        t.payday()

    report = settle_late(t.ledger, t.client, t.config)  # what `tipbot stripe reconcile` does first

    assert (report.found, report.resent) == (1, 0)
    assert t.charges()[0].status == "succeeded" and len(charge_posts(t)) == 1
    t.payday()  # the payday resumes: bob is paid, alice charged once
    assert len(charge_posts(t)) == 1 and len(t.fake.transfers()) == 1
    assert t.balances() == {"alice": 0, "bob": 0}
    t.check()


def test_a_charge_never_sent_is_sent_again_with_a_new_key_once(t, clock):
    with pytest.raises(Crash):
        t.payday(crash=crash_at("stripe:planned"))  # the row is written, Stripe never called
    [row] = t.charges()
    now = clock.advance(PAST_THE_WINDOW)

    report = settle_late(t.ledger, t.client, t.config)  # looked up, not found, sent with a new key

    assert (report.found, report.resent) == (0, 1)
    [post] = charge_posts(t)
    assert post.key.endswith(f"-charge-{row.id}-late-{now:%Y%m%d}")
    assert settle_late(t.ledger, t.client, t.config).resent == 0  # nothing pending any more
    t.payday()
    assert len(charge_posts(t)) == 1 and t.charges()[0].status == "succeeded" and len(t.fake.transfers()) == 1
    t.check()


def test_a_transfer_stripe_made_before_a_crash_is_found_in_its_group_not_sent_again(t, clock):
    with pytest.raises(Crash):
        t.payday(crash=crash_at("stripe:transfer:"))  # Stripe transferred; the line never heard
    [line] = t.lines()
    assert line.status == "pending" and len(t.fake.transfers()) == 1
    clock.advance(PAST_THE_WINDOW)

    t.payday()  # resumed a day later: the late line is left for reconcile, not sent on an expired key
    assert t.lines()[0].status == "pending" and len(t.fake.transfers()) == 1
    assert settle_late(t.ledger, t.client, t.config).found == 1

    assert t.lines()[0].status == "succeeded" and len(t.fake.acted("/v1/transfers")) == 1
    assert t.balances() == {"alice": 0, "bob": 0}
    t.check()
