"""POST /stripe/webhook through the real web app (uvicorn on 127.0.0.1): signatures,
exactly-once processing, any order, refunds and disputes, and events localstripe
itself signs and delivers."""

from __future__ import annotations

import time

import httpx
import pytest

from adapters.stripe.tables import stripe_charges, stripe_events, stripe_reversals
from adapters.stripe.webhooks import unknown_charge_ref
from tests.dbs import dump_tables
from tests.adapters.stripe.conftest import WEBHOOK_SECRET
from tests.adapters.stripe.helpers import STRIPE_NOW, StripeTown, event, signed


def deliver(web, evt: dict, **kwargs) -> httpx.Response:
    body, headers = signed(evt, **kwargs)
    return web.post("/stripe/webhook", body, headers)


def setup_intent(t: StripeTown, name: str, payment_method: str = "pm_card_visa") -> dict:
    """A SetupIntent confirmed at localstripe for the member's Customer."""
    from adapters.stripe.onboarding import ensure_customer

    member = t.ids.get(name) or t.member(name, receiving=False)
    customer = ensure_customer(t.ledger, t.client, t.config, member)
    intent = t.client.v1.setup_intents.create(params={"customer": customer})
    return t.client.v1.setup_intents.confirm(intent.id, params={"payment_method": payment_method}).to_dict()


@pytest.fixture
def t(ledger, client, config, fake):
    return StripeTown(ledger, client, config, fake)


@pytest.mark.clock  # also run at fixed moments (.ci/run)
def test_a_bad_signature_gets_400_and_changes_nothing(t, web, ledger):
    intent = setup_intent(t, "alice")
    evt = event("setup_intent.succeeded", intent)
    before = dump_tables(ledger.engine)

    wrong_secret = deliver(web, evt, secret="whsec_not_ours")
    body, headers = signed(evt)
    tampered = web.post("/stripe/webhook", body.replace(b"succeeded", b"SUCCEEDED"), headers)
    unsigned = web.post("/stripe/webhook", body, {"Content-Type": "application/json"})
    stale = deliver(web, evt, timestamp=int(time.time()) - 3600)

    assert [r.status_code for r in (wrong_secret, tampered, unsigned, stale)] == [400, 400, 400, 400]
    assert dump_tables(ledger.engine) == before
    assert deliver(web, evt).status_code == 200  # the same event, signed right
    assert t.customer("alice").payment_method_id == intent["payment_method"]


def test_a_duplicated_event_is_processed_once(t, web, ledger):
    intent = setup_intent(t, "alice")
    evt = event("setup_intent.succeeded", intent)

    first, second = deliver(web, evt), deliver(web, evt)

    assert (first.status_code, second.status_code) == (200, 200)
    assert first.json()["outcome"] == "card saved" and second.json()["outcome"] == "duplicate"
    assert len(t.rows(stripe_events)) == 1


def test_events_in_any_order_keep_the_newest_card_and_account_state(t, web):
    older, newer = setup_intent(t, "alice"), setup_intent(t, "alice")
    now = STRIPE_NOW
    assert deliver(web, event("setup_intent.succeeded", newer, created=now)).json()["outcome"] == "card saved"
    late = deliver(web, event("setup_intent.succeeded", older, created=now - 60)).json()["outcome"]
    assert late == "ignored: a newer card is saved"
    assert t.customer("alice").payment_method_id == newer["payment_method"]

    from adapters.stripe.onboarding import ensure_account

    bob = t.member("bob", receiving=False)
    account = ensure_account(t.ledger, t.client, t.config, bob)
    pending = dict(t.fake.objects[account])
    payable = t.fake.activate(account)
    assert deliver(web, event("account.updated", payable, created=now)).json()["outcome"] == "account payable"
    assert deliver(web, event("account.updated", pending, created=now - 60)).status_code == 200
    assert t.account("bob").payable and t.ledger.read(lambda b: b.member(bob).receiving)


def test_checkout_session_completed_saves_the_setup_intents_card(t, web):
    intent = setup_intent(t, "alice")
    session = {"id": "cs_test_1", "object": "checkout.session", "mode": "setup", "customer": intent["customer"],
               "setup_intent": intent["id"], "status": "complete", "metadata": {}}

    answer = deliver(web, event("checkout.session.completed", session))

    assert answer.json()["outcome"] == "card saved"
    assert t.customer("alice").payment_method_id == intent["payment_method"]
    assert t.fake.calls("GET", f"/v1/setup_intents/{intent['id']}")  # fetched from Stripe, not trusted from the event


def paid_town(t: StripeTown) -> tuple:
    t.card("alice")
    t.recipient("bob")
    t.tip("alice", "bob", 1000)
    t.payday()
    [charge] = t.charges()
    return charge


def test_refunds_become_reversing_transfers_once_in_any_order(t, web):
    charge = paid_town(t)
    t.client.v1.refunds.create(params={"charge": charge.charge_id, "amount": 400})
    partial = t.client.v1.charges.retrieve(charge.charge_id).to_dict()
    t.client.v1.refunds.create(params={"charge": charge.charge_id, "amount": charge.amount_minor - 400})
    full = t.client.v1.charges.retrieve(charge.charge_id).to_dict()
    assert (partial["amount_refunded"], full["amount_refunded"]) == (400, charge.amount_minor)

    # The full refund's event arrives first, then the partial one's, then a repeat.
    assert deliver(web, event("charge.refunded", full)).json()["outcome"] == "refund recorded"
    assert deliver(web, event("charge.refunded", partial)).json()["outcome"] == "ignored: nothing left to refund"
    assert deliver(web, event("charge.refunded", full)).json()["outcome"] == "refund already recorded"

    refunds = [r for r in t.transfers_of_kind("refund") if r.from_account_id == t.ids["alice"]]
    assert sum(r.amount_minor for r in refunds) == charge.amount_minor  # back to the card
    assert t.rows(stripe_charges)[0].reversed_minor == charge.amount_minor
    assert t.balances() == {"alice": 0, "bob": 0}  # bob's transfer reversed (tests/adapters/stripe/test_refunds.py)
    t.check()


def test_a_dispute_becomes_a_reversing_transfer_once(t, web):
    charge = paid_town(t)
    dispute = {"id": "dp_1", "object": "dispute", "charge": charge.charge_id, "amount": charge.amount_minor,
               "currency": "usd", "status": "needs_response", "reason": "fraudulent"}

    assert deliver(web, event("charge.dispute.created", dispute)).json()["outcome"] == "dispute recorded"
    assert deliver(web, event("charge.dispute.created", dispute)).json()["outcome"] == "dispute already recorded"

    assert [r.amount_minor for r in t.transfers_of_kind("dispute")
            if r.from_account_id == t.ids["alice"]] == [charge.amount_minor]
    assert len(t.rows(stripe_reversals)) == 1
    t.check()


def test_a_refund_or_dispute_of_a_charge_tipbot_never_made_gets_200_and_is_recorded(t, web, ledger):
    paid_town(t)  # a real charge exists; the events below are about another product's
    books = {name: dump_tables(ledger.engine)[name] for name in ("transfers", "accounts", "stripe_charges")}
    refund = event("charge.refunded", {"id": "ch_other_product", "object": "charge", "amount_refunded": 500,
                                       "payment_intent": "pi_other_product"})
    dispute = event("charge.dispute.created", {"id": "dp_other", "object": "dispute", "charge": "ch_other_product",
                                               "amount": 500, "currency": "usd"})

    answers = [deliver(web, refund), deliver(web, dispute), deliver(web, refund)]

    assert [a.status_code for a in answers] == [200, 200, 200]  # Stripe stops retrying
    assert all(a.json()["outcome"].startswith("unknown charge ch_other_product") for a in answers)
    recorded = t.rows(stripe_events, stripe_events.c.outcome.startswith("unknown charge"))
    assert sorted((e.event_id, unknown_charge_ref(e.outcome)) for e in recorded) == sorted(
        [(refund["id"], "ch_other_product"), (dispute["id"], "ch_other_product")])
    assert {name: dump_tables(ledger.engine)[name] for name in books} == books  # nothing applied
    t.check()


def test_a_refund_of_a_charge_still_pending_is_refused_for_a_retry(t, web, ledger):
    from tests.adapters.stripe.test_crashes import Crash, crash_at

    t.card("alice")
    t.recipient("bob")
    t.tip("alice", "bob", 1000)
    with pytest.raises(Crash):
        t.payday(crash=crash_at("stripe:charge:"))
    [row] = t.charges()
    ledger.run(lambda book: book.conn.execute(  # its PaymentIntent known, not yet succeeded
        stripe_charges.update().where(stripe_charges.c.id == row.id).values(payment_intent_id="pi_pending")))
    before = dump_tables(ledger.engine)

    answer = deliver(web, event("charge.refunded", {"id": "ch_pending", "object": "charge", "amount_refunded": 10,
                                                     "payment_intent": "pi_pending"}))

    assert answer.status_code == 503 and dump_tables(ledger.engine) == before


def test_an_event_that_came_before_its_charge_was_recorded_is_applied_when_delivered_again(t, web, ledger):
    """A payday dies between Stripe's charge and its local write; the refund's event comes
    meanwhile and is recorded as unknown. Once the payday resumes, reconcile points at it,
    and delivering it again (Stripe's dashboard resends) applies it, once."""
    from tests.adapters.stripe.test_crashes import Crash, crash_at

    t.card("alice")
    t.recipient("bob")
    t.tip("alice", "bob", 1000)
    with pytest.raises(Crash):
        t.payday(crash=crash_at("stripe:charge:"))
    [charge_at_stripe] = t.client.v1.charges.list(params={"customer": t.customer("alice").customer_id}).data
    t.client.v1.refunds.create(params={"charge": charge_at_stripe.id})
    refunded = event("charge.refunded", t.client.v1.charges.retrieve(charge_at_stripe.id).to_dict())

    first = deliver(web, refunded)
    assert first.status_code == 200 and first.json()["outcome"].startswith(f"unknown charge {charge_at_stripe.id}")

    t.payday()  # resumed: the charge row completes, bob is paid
    [row] = t.charges()
    assert row.status == "succeeded" and row.charge_id == charge_at_stripe.id and row.reversed_minor == 0
    from adapters.stripe.reconcile import reconcile

    differences = [str(d) for d in reconcile(ledger, t.client)]
    assert any(refunded["id"] in d and "not applied" in d for d in differences)

    again = deliver(web, refunded)

    assert again.json()["outcome"] == "refund recorded"
    assert deliver(web, refunded).json()["outcome"] == "duplicate"
    assert t.rows(stripe_charges)[0].reversed_minor == row.amount_minor
    assert [r.amount_minor for r in t.transfers_of_kind("refund")
            if r.from_account_id == t.ids["alice"]] == [row.amount_minor]
    assert reconcile(ledger, t.client) == []
    t.check()


def test_a_correctly_signed_event_dated_in_the_future_gets_400_and_changes_nothing(t, web, ledger):
    intent = setup_intent(t, "alice")
    evt = event("setup_intent.succeeded", intent)
    before = dump_tables(ledger.engine)

    answer = deliver(web, evt, timestamp=4_102_444_800)  # 2100-01-01: beyond any tolerance, any day CI runs

    assert answer.status_code == 400 and dump_tables(ledger.engine) == before


def test_the_signature_tolerance_holds_both_ways():
    from adapters.stripe.webhooks import TOLERANCE_SECONDS, verify

    now = 1_800_000_000
    evt = event("account.updated", {"id": "acct_1"}, created=now)
    for offset, accepted in [(-TOLERANCE_SECONDS - 1, False), (-TOLERANCE_SECONDS, True), (0, True),
                             (TOLERANCE_SECONDS, True), (TOLERANCE_SECONDS + 1, False)]:
        body, headers = signed(evt, timestamp=now + offset)
        if accepted:
            assert verify(body, headers["Stripe-Signature"], WEBHOOK_SECRET, now=now)["id"] == evt["id"]
        else:
            with pytest.raises(ValueError):
                verify(body, headers["Stripe-Signature"], WEBHOOK_SECRET, now=now)


def test_localstripe_delivers_payment_intent_succeeded_that_completes_a_crashed_charge(t, web, localstripe_url):
    from tests.adapters.stripe.test_crashes import Crash, crash_at

    t.card("alice")
    t.recipient("bob")
    t.tip("alice", "bob", 1000)
    httpx.post(f"{localstripe_url}/_config/webhooks/tipbot", data={
        "url": f"{web.url}/stripe/webhook", "secret": WEBHOOK_SECRET, "events[0]": "payment_intent.succeeded"})
    try:
        with pytest.raises(Crash):
            t.payday(crash=crash_at("stripe:charge:"))
        assert t.charges()[0].status == "pending"

        deadline = time.monotonic() + 20  # localstripe sends its events about a second later
        while t.charges()[0].status == "pending" and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:  # later tests' events must go nowhere
        httpx.post(f"{localstripe_url}/_config/webhooks/tipbot", data={
            "url": "http://127.0.0.1:9/nowhere", "secret": WEBHOOK_SECRET, "events[0]": "none"})

    [charge] = t.charges()
    assert charge.status == "succeeded" and charge.payment_intent_id
    # (localstripe may also deliver earlier tests' events: they don't match any row here)
    delivered = t.rows(stripe_events, stripe_events.c.type == "payment_intent.succeeded")
    completed = [e for e in delivered if e.outcome == "charge completed"]
    assert [e.object_id for e in completed] == [charge.payment_intent_id]
    assert all(e.outcome == "ignored: not a Tipbot charge" for e in delivered if e not in completed)

    t.payday()  # the resumed payday finds the charge done: no second charge, the transfer goes out

    assert len(t.fake.acted("/v1/payment_intents")) == 1 and len(t.transfers_of_kind("charge")) == 1
    assert len(t.fake.transfers()) == 1 and t.balances() == {"alice": 0, "bob": 0}
    t.check()
