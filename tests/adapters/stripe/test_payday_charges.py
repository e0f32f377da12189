"""Payday in Stripe mode against localstripe (customers, payment methods, off-session
PaymentIntents, declines) and the recording server (Accounts, Transfers), on both databases."""

from __future__ import annotations

import datetime as dt

import pytest

from adapters.stripe.fees import gross_up
from adapters.stripe.keys import key, namespace
from tests.dbs import stored_times
from tests.moments import PINNED
from tests.adapters.stripe.helpers import StripeTown


def town(ledger, client, config, fake) -> StripeTown:
    return StripeTown(ledger, client, config, fake)


def test_a_payday_charges_the_card_pays_the_tip_and_transfers_it(ledger, client, config, fake):
    t = town(ledger, client, config, fake)
    t.card("alice")
    account = t.recipient("bob")
    t.tip("alice", "bob", 1000)

    result = t.payday()

    assert result.status == "ran" and result.stats["tips_paid"] == 1 and result.stats["paid_minor"] == 1000
    [charge] = t.charges()
    expected = gross_up(1000, rate_bp=290, fixed_minor=30)
    assert (charge.status, charge.dues_minor, charge.amount_minor, charge.fee_minor) == (
        "succeeded", 1000, expected, expected - 1000)
    [intent_call] = fake.acted("/v1/payment_intents")
    assert intent_call.key == key(namespace(ledger), "charge", charge.id)
    assert intent_call.params["amount"] == str(expected) and intent_call.params["off_session"] == "true"
    [transfer] = fake.transfers()
    assert transfer["amount"] == 1000 and transfer["destination"] == account
    assert transfer["transfer_group"] == f"tipbot-payday-{result.payday_id}"
    assert transfer["source_transaction"] == charge.charge_id
    [line] = t.lines()
    assert (line.status, line.transfer_id) == ("succeeded", transfer["id"])
    # Tipbot holds nothing: the money went through alice and bob to Stripe.
    assert t.balances() == {"alice": 0, "bob": 0}
    assert [tr.amount_minor for tr in t.transfers_of_kind("charge")] == [expected]
    assert [tr.amount_minor for tr in t.transfers_of_kind("fee")] == [expected - 1000]
    assert [tr.amount_minor for tr in t.transfers_of_kind("payout")] == [1000]
    t.check()


def test_dues_accumulate_until_the_minimum_charge_and_are_paid_whole(ledger, client, config, fake):
    t = town(ledger, client, config, fake)
    t.card("alice")
    t.recipient("bob")
    t.recipient("carol")
    t.tip("alice", "bob", 300)
    t.tip("alice", "carol", 100)

    first, second = t.payday(0), t.payday(1)
    assert t.charges() == [] and t.dues("alice") == 800 and fake.transfers() == []
    # Waiting for the minimum is not a failure: nothing is reported unfunded, nothing paid.
    assert [p.stats["unfunded_tips"] for p in (first, second)] == [0, 0]
    assert [p.stats["paid_minor"] for p in (first, second)] == [0, 0]

    result = t.payday(2)  # 1200 due: at least 10.00

    [charge] = t.charges()
    assert charge.dues_minor == 1200 and charge.status == "succeeded"
    assert sorted(tr["amount"] for tr in fake.transfers()) == [100 * 3, 300 * 3]
    assert t.dues("alice") == 0 and result.stats["paid_minor"] == 1200
    assert t.balances() == {"alice": 0, "bob": 0, "carol": 0}
    t.check()


def test_only_recipients_stripe_can_pay_count(ledger, client, config, fake):
    t = town(ledger, client, config, fake)
    t.card("alice")
    t.recipient("bob")
    t.member("dave")  # receiving, but no connected account: a pledge in Stripe mode
    t.tip("alice", "bob", 1000)
    t.tip("alice", "dave", 500)

    result = t.payday()

    [charge] = t.charges()
    assert charge.dues_minor == 1000
    assert result.stats["pledges"] == 1 and result.stats["unfunded_tips"] == 0
    assert t.dues("alice") == 0
    t.check()


def test_recipients_bear_the_fee_pro_rata_when_the_community_chooses(ledger, client, config, fake):
    from adapters.stripe.tables import stripe_settings

    t = town(ledger, client, config, fake)
    ledger.run(lambda book: book.conn.execute(stripe_settings.insert().values(
        community_id=t.community_id, fees_paid_by="recipients")))
    t.card("alice")
    t.recipient("bob")
    t.recipient("carol")
    t.tip("alice", "bob", 1500)
    t.tip("alice", "carol", 500)

    t.payday()

    [charge] = t.charges()
    assert charge.amount_minor == 2000  # no more than the tips
    fee = charge.fee_minor
    assert fee == 58 + 30
    shares = sorted(tr["amount"] for tr in fake.transfers())
    assert sum(shares) == 2000 - fee and shares == [500 - 22, 1500 - 66]
    assert t.balances() == {"alice": 0, "bob": 0, "carol": 0}
    t.check()


def test_a_decline_leaves_the_dues_and_three_in_a_row_pause_the_tips(ledger, client, config, fake):
    t = town(ledger, client, config, fake)
    t.card("carol", "pm_card_chargeCustomerFail")
    t.recipient("bob")
    t.tip("carol", "bob", 1000)
    told: list[tuple[int, str]] = []

    for n in range(3):
        t.payday(n, processor=t.processor(notify=lambda member, text: told.append((member, text))))

    assert [c.status for c in t.charges()] == ["failed"] * 3
    assert all(c.failure_code == "card_declined" for c in t.charges())
    assert t.dues("carol") == 3000 and t.customer("carol").declines == 3
    assert fake.transfers() == [] and t.balances() == {"carol": 0, "bob": 0}
    assert len(told) == 3 and all("/tip fund" in text for _, text in told)
    assert "paused" in told[-1][1] and "paused" not in told[0][1]

    t.payday(3)  # paused: nothing accrues, nothing is charged
    assert len(t.charges()) == 3 and t.dues("carol") == 3000

    t.card("carol")  # funding again resumes the tips
    assert t.customer("carol").declines == 0
    t.payday(4)
    assert t.charges()[-1].status == "succeeded" and t.charges()[-1].dues_minor == 4000
    assert [tr["amount"] for tr in fake.transfers()] == [4000]
    t.check()


def test_a_tipper_without_a_card_is_told_and_keeps_the_dues(ledger, client, config, fake):
    t = town(ledger, client, config, fake)
    t.member("erin", receiving=False)
    t.recipient("bob")
    t.tip("erin", "bob", 1200)
    told: list[tuple[int, str]] = []

    t.payday(processor=t.processor(notify=lambda member, text: told.append((member, text))))

    assert t.charges() == [] and t.dues("erin") == 1200
    assert told == [(t.ids["erin"], told[0][1])] and "no card is saved" in told[0][1]


def test_429s_and_dropped_connections_are_retried_with_the_same_key(ledger, client, config, fake):
    t = town(ledger, client, config, fake)
    t.card("alice")
    t.recipient("bob")
    t.tip("alice", "bob", 1000)
    fake.fail("POST", "/v1/payment_intents", "429", times=2)
    fake.fail("POST", "/v1/transfers", "drop", times=1)

    t.payday()

    [charge] = t.charges()
    keys = {r.key for r in fake.calls("POST", "/v1/payment_intents")}
    assert keys == {key(namespace(ledger), "charge", charge.id)} and len(fake.calls("POST", "/v1/payment_intents")) == 3
    assert len(fake.acted("/v1/payment_intents")) == 1
    assert len(fake.calls("POST", "/v1/transfers")) == 2 and len(fake.transfers()) == 1
    assert charge.status == "succeeded" and t.lines()[0].status == "succeeded"
    t.check()


def test_the_runtimes_processor_runs_a_stripe_payday_from_the_settings(ledger, client, config, fake, runtime):
    from ledger.payday.engine import run_payday
    from tests.adapters.stripe.helpers import WEEK

    t = town(ledger, client, config, fake)
    t.card("alice")
    t.recipient("bob")
    t.tip("alice", "bob", 1000)
    # what `tipbot run` and `tipbot payday` do: the processors of the funding adapters the root built
    result = run_payday(ledger, t.community_id, WEEK, processors=runtime.processors, crash=None)

    assert result.status == "ran" and result.stats["paid_minor"] == 1000
    assert [c.status for c in t.charges()] == ["succeeded"] and len(fake.transfers()) == 1
    t.check()


def test_two_databases_on_one_stripe_account_never_share_a_key(ledger, client, config, fake, sqlite_template,
                                                               tmp_path):
    from ledger.api import Ledger

    other_dir = tmp_path / "other"
    other_dir.mkdir()
    other = Ledger.connect(sqlite_template.fresh(other_dir), upgrade=False)
    try:
        towns = [town(ledger, client, config, fake), town(other, client, config, fake)]
        for t in towns:
            t.card("alice")
            t.recipient("bob")
            t.tip("alice", "bob", 1000)
            t.payday()
        charges = [t.charges()[0] for t in towns]
        assert charges[0].id == charges[1].id  # the same row id in each database...
        assert namespace(ledger) != namespace(other)
        keys = [r.key for r in fake.acted("/v1/payment_intents")]
        assert len(keys) == 2 and len(set(keys)) == 2  # ...yet two keys, two charges
        assert all(c.status == "succeeded" for c in charges) and charges[0].payment_intent_id != charges[1].payment_intent_id
    finally:
        other.dispose()


@pytest.mark.clock  # also run at fixed moments (.ci/run)
def test_stripe_rows_take_their_times_from_the_ledgers_clock(ledger, clock, client, config, fake):
    t = town(ledger, client, config, fake)
    t.card("alice")
    t.recipient("bob")
    t.tip("alice", "bob", 1000)
    thursday = PINNED + dt.timedelta(days=1, hours=3)
    clock.set(thursday)
    assert t.payday().status == "ran"

    times = stored_times(ledger.engine)
    given = {"tips.ctime", "tips.mtime", "payday_tips.ctime",  # the tip's, set by the test
             "stripe_accounts.status_at"}  # Stripe's, from its event
    for column, values in times.items():
        assert column in given or values <= {PINNED, thursday}, column
    assert {"stripe_customers.updated_at", "stripe_accounts.updated_at", "stripe_events.received_at",
            "stripe_accruals.created_at", "stripe_charges.created_at", "stripe_charges.updated_at",
            "stripe_transfers.created_at", "stripe_transfers.updated_at"} <= times.keys()
    assert times["stripe_charges.created_at"] == {thursday}
