"""Crash injection between each Stripe call and its local write: the rerun sends the
same idempotency key, Stripe (the recording server) replays its first answer, nothing
is charged or created twice, and the local row completes."""

from __future__ import annotations

import datetime as dt

import pytest

from adapters.stripe.charges import KEY_LIFETIME
from adapters.stripe.keys import key, namespace
from adapters.stripe.onboarding import ensure_account, ensure_customer, start_checkout
from adapters.stripe.processor import ChargesPending
from adapters.stripe.tables import stripe_accounts, stripe_checkouts, stripe_customers
from tests.adapters.stripe.helpers import StripeTown


class Crash(BaseException):
    """A process dying: not an Exception, so nothing on the way catches it."""


def crash_at(prefix: str):
    def hook(point: str) -> None:
        if point.startswith(prefix):
            raise Crash(point)
    return hook


def after_call_crash(what: str):
    def hook(call: str, row_id: int) -> None:
        if call == what:
            raise Crash(f"{call}:{row_id}")
    return hook


def test_crash_after_the_charge_before_its_row_completes(ledger, client, config, fake):
    t = StripeTown(ledger, client, config, fake)
    t.card("alice")
    t.recipient("bob")
    t.tip("alice", "bob", 1000)

    with pytest.raises(Crash):
        t.payday(crash=crash_at("stripe:charge:"))
    [charge] = t.charges()
    assert charge.status == "pending" and charge.payment_intent_id is None
    assert len(fake.acted("/v1/payment_intents")) == 1 and t.transfers_of_kind("charge") == []

    result = t.payday()

    assert result.status == "resumed"
    [charge] = t.charges()
    assert charge.status == "succeeded" and charge.payment_intent_id
    sent = fake.calls("POST", "/v1/payment_intents")
    assert [r.key for r in sent] == [key(namespace(ledger), "charge", charge.id)] * 2 and sent[1].replayed
    assert len(fake.acted("/v1/payment_intents")) == 1  # charged once
    listed = client.v1.charges.list(params={"customer": charge.customer_id})
    assert len(listed.data) == 1
    assert len(t.transfers_of_kind("charge")) == 1 and len(fake.transfers()) == 1
    assert t.balances() == {"alice": 0, "bob": 0}
    t.check()


@pytest.mark.clock  # also run at fixed moments (.ci/run)
def test_a_charge_left_pending_longer_than_stripe_keeps_keys_is_not_sent_again(ledger, clock, client, config,
                                                                               fake):
    t = StripeTown(ledger, client, config, fake)
    t.card("alice")
    t.recipient("bob")
    t.tip("alice", "bob", 1000)
    with pytest.raises(Crash):
        t.payday(crash=crash_at("stripe:charge:"))
    assert len(fake.calls("POST", "/v1/payment_intents")) == 1

    clock.advance(KEY_LIFETIME + dt.timedelta(minutes=1))  # by the ledger's clock, the key may be gone
    with pytest.raises(ChargesPending):  # the payday waits for reconcile
        t.payday()

    [charge] = t.charges()
    assert charge.status == "pending"  # left for `tipbot stripe reconcile`, never charged on a new key
    assert len(fake.calls("POST", "/v1/payment_intents")) == 1 and t.transfers_of_kind("charge") == []


def test_crash_after_the_transfer_before_its_row_completes(ledger, client, config, fake):
    t = StripeTown(ledger, client, config, fake)
    t.card("alice")
    t.recipient("bob")
    t.tip("alice", "bob", 1000)

    with pytest.raises(Crash):
        t.payday(crash=crash_at("stripe:transfer:"))
    [line] = t.lines()
    assert line.status == "pending" and line.ledger_transfer_id is not None and len(fake.transfers()) == 1

    t.payday()

    [line] = t.lines()
    assert line.status == "succeeded" and line.transfer_id == fake.transfers()[0]["id"]
    sent = fake.calls("POST", "/v1/transfers")
    assert [r.key for r in sent] == [key(namespace(ledger), "transfer", line.id)] * 2 and sent[1].replayed
    assert len(fake.transfers()) == 1 and len(t.transfers_of_kind("payout")) == 1
    t.check()


def test_crash_after_a_decline_before_it_is_recorded(ledger, client, config, fake):
    t = StripeTown(ledger, client, config, fake)
    t.card("carol", "pm_card_chargeCustomerFail")
    t.recipient("bob")
    t.tip("carol", "bob", 1000)

    with pytest.raises(Crash):
        t.payday(crash=crash_at("stripe:charge:"))
    assert t.charges()[0].status == "pending" and t.customer("carol").declines == 0

    t.payday()

    [charge] = t.charges()
    assert charge.status == "failed" and t.customer("carol").declines == 1 and t.dues("carol") == 1000
    assert len(fake.acted("/v1/payment_intents")) == 1 and fake.calls("POST", "/v1/payment_intents")[1].replayed


@pytest.mark.parametrize("what", ["customer", "checkout"])
def test_crash_after_creating_a_customer_or_checkout_session(ledger, client, config, fake, what):
    t = StripeTown(ledger, client, config, fake)
    member = t.member("alice", receiving=False)

    def fund():
        return start_checkout(ledger, client, config, member_id=member, currency="USD", request_key="console:town:r1",
                              after_call=after_call_crash(what))

    with pytest.raises(Crash):
        fund()
    url = start_checkout(ledger, client, config, member_id=member, currency="USD", request_key="console:town:r1")

    [customer] = t.rows(stripe_customers)
    [checkout] = t.rows(stripe_checkouts)
    assert customer.customer_id and checkout.url == url
    assert len(fake.acted("/v1/customers")) == 1 and len(fake.acted("/v1/checkout/sessions")) == 1
    keys = [r.key for r in fake.calls("POST", f"/v1/{'customers' if what == 'customer' else 'checkout/sessions'}")]
    assert len(keys) == 2 and keys[0] == keys[1]
    assert ensure_customer(ledger, client, config, member) == customer.customer_id
    assert len(fake.calls("POST", "/v1/customers")) == (2 if what == "customer" else 1)  # the row answers now


def test_crash_after_creating_a_connected_account(ledger, client, config, fake):
    t = StripeTown(ledger, client, config, fake)
    member = t.member("bob")

    with pytest.raises(Crash):
        ensure_account(ledger, client, config, member, after_call=after_call_crash("account"))
    assert t.rows(stripe_accounts)[0].account_id is None

    account_id = ensure_account(ledger, client, config, member)

    assert t.rows(stripe_accounts)[0].account_id == account_id
    sent = fake.calls("POST", "/v1/accounts")
    assert len(sent) == 2 and sent[1].replayed and len(fake.acted("/v1/accounts")) == 1


def test_a_webhook_and_the_rerun_racing_to_complete_a_crashed_charge_record_it_once(ledger, client, config, fake):
    import threading

    from adapters.stripe.processor import StripeProcessor
    from adapters.stripe.webhooks import process
    from tests.adapters.stripe.helpers import event

    t = StripeTown(ledger, client, config, fake)
    t.card("alice")
    t.recipient("bob")
    t.tip("alice", "bob", 1000)
    with pytest.raises(Crash):
        t.payday(crash=crash_at("stripe:charge:"))
    [charge] = t.charges()
    intent = fake.answer_to(key(namespace(ledger), "charge", charge.id))  # what Stripe did before the crash
    intent_id = intent["id"]

    outcomes: list = []
    webhook = threading.Thread(target=lambda: outcomes.append(
        process(ledger, event("payment_intent.succeeded", intent))))
    webhook.start()
    t.payday(processor=StripeProcessor(config, t.community, client=client))
    webhook.join()

    [charge] = t.charges()
    assert charge.status == "succeeded" and charge.payment_intent_id == intent_id
    assert outcomes[0] in ("charge completed", "charge already succeeded")
    assert len(t.transfers_of_kind("charge")) == 1 and len(t.transfers_of_kind("fee")) == 1
    assert len(fake.acted("/v1/payment_intents")) == 1 and len(fake.transfers()) == 1
    assert t.balances() == {"alice": 0, "bob": 0}
    t.check()


def test_a_payment_failed_event_records_the_decline_of_a_crashed_charge(ledger, client, config, fake):
    from adapters.stripe.webhooks import process
    from tests.adapters.stripe.helpers import event

    t = StripeTown(ledger, client, config, fake)
    t.card("carol", "pm_card_chargeCustomerFail")
    t.recipient("bob")
    t.tip("carol", "bob", 1000)
    with pytest.raises(Crash):
        t.payday(crash=crash_at("stripe:charge:"))
    [charge] = t.charges()
    failed = {"id": "pi_failed_1", "object": "payment_intent", "amount": charge.amount_minor, "currency": "usd",
              "customer": charge.customer_id, "status": "requires_payment_method",
              "metadata": {"tipbot_charge_id": str(charge.id)},
              "last_payment_error": {"code": "card_declined", "message": "Your card was declined."}}

    assert process(ledger, event("payment_intent.payment_failed", failed)) == "charge declined"
    assert process(ledger, event("payment_intent.payment_failed", failed)) == "charge already failed"

    [charge] = t.charges()
    assert charge.status == "failed" and charge.failure_code == "card_declined"
    assert t.customer("carol").declines == 1 and t.dues("carol") == 1000
