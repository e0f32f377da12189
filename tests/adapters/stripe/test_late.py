"""Requests pending past Stripe's 24-hour idempotency window (issue 16): with the clock
moved past it, Tipbot asks Stripe whether the object exists (by the `tipbot_key`
metadata it sets) and records it, or sends it again with a new key; never twice."""

from __future__ import annotations

import datetime as dt

import pytest

from adapters.stripe.late import settle_late
from tests.adapters.stripe.helpers import StripeTown
from tests.adapters.stripe.test_crashes import Crash, crash_at

PAST_THE_WINDOW = dt.timedelta(hours=25)


@pytest.fixture
def t(ledger, client, config, fake):
    town = StripeTown(ledger, client, config, fake)
    town.card("alice")
    town.recipient("bob")
    town.tip("alice", "bob", 1000)
    return town


def late_clock(written: dt.datetime) -> dt.datetime:
    """A day and an hour after a row was written (by the database's clock)."""
    return (written if written.tzinfo else written.replace(tzinfo=dt.timezone.utc)) + PAST_THE_WINDOW


def charge_posts(t: StripeTown) -> list:
    return t.fake.acted("/v1/payment_intents")


def test_a_charge_stripe_made_before_a_crash_is_found_and_recorded_not_charged_again(t):
    with pytest.raises(Crash):
        t.payday(crash=crash_at("stripe:charge:"))  # Stripe charged; the answer never reached the row
    [row] = t.charges()
    assert row.status == "pending" and len(charge_posts(t)) == 1
    now = late_clock(row.created_at)

    report = settle_late(t.ledger, t.client, t.config, now=now)

    assert (report.found, report.resent) == (1, 0)
    assert t.charges()[0].status == "succeeded" and len(charge_posts(t)) == 1
    t.payday(processor=t.processor(clock=lambda: now))  # the payday resumes: bob is paid, alice charged once
    assert len(charge_posts(t)) == 1 and len(t.fake.transfers()) == 1
    assert t.balances() == {"alice": 0, "bob": 0}
    t.check()


def test_a_charge_never_sent_is_sent_again_with_a_new_key_once(t):
    with pytest.raises(Crash):
        t.payday(crash=crash_at("stripe:planned"))  # the row is written, Stripe never called
    [row] = t.charges()
    now = late_clock(row.created_at)

    t.payday(processor=t.processor(clock=lambda: now))  # resumed a day later: looked up, not found, sent

    [post] = charge_posts(t)
    assert post.key.endswith(f"-charge-{row.id}-late-{now:%Y%m%d}")
    assert t.charges()[0].status == "succeeded" and len(t.fake.transfers()) == 1
    assert settle_late(t.ledger, t.client, t.config, now=now).resent == 0  # nothing pending any more
    assert len(charge_posts(t)) == 1
    t.check()


def test_a_transfer_stripe_made_before_a_crash_is_found_in_its_group_not_sent_again(t):
    with pytest.raises(Crash):
        t.payday(crash=crash_at("stripe:transfer:"))  # Stripe transferred; the line never heard
    [line] = t.lines()
    assert line.status == "pending" and len(t.fake.transfers()) == 1
    now = late_clock(line.updated_at)  # when its payout was reserved

    t.payday(processor=t.processor(clock=lambda: now))

    assert t.lines()[0].status == "succeeded" and len(t.fake.transfers()) == 1
    assert len(t.fake.acted("/v1/transfers")) == 1
    assert t.balances() == {"alice": 0, "bob": 0}
    t.check()
