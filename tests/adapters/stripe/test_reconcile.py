"""`tipbot stripe reconcile` compares local rows with Stripe's objects and reports every difference."""

from __future__ import annotations

import pytest

from bot.cli import main
from adapters.stripe.tables import stripe_charges, stripe_settings
from tests.adapters.stripe.conftest import SECRET_KEY
from tests.adapters.stripe.helpers import StripeTown
from tests.adapters.stripe.test_crashes import Crash, crash_at


@pytest.fixture
def cli(monkeypatch, fake, db_url, capsys, clock):
    monkeypatch.setenv("STRIPE_SECRET_KEY", SECRET_KEY)
    monkeypatch.setenv("TIPBOT_STRIPE_API_URL", fake.url)

    def run(*args: str) -> tuple[int, str]:
        code = main(["stripe", *args, "--database", db_url], clock=clock)  # the pinned clock, as the ledger's
        return code, capsys.readouterr().out

    return run


def paid(ledger, client, config, fake) -> tuple[StripeTown, int]:
    t = StripeTown(ledger, client, config, fake)
    t.card("alice")
    t.recipient("bob")
    t.tip("alice", "bob", 1000)
    return t, t.payday().payday_id


def test_a_clean_payday_reconciles(ledger, client, config, fake, cli):
    _, payday_id = paid(ledger, client, config, fake)

    assert cli("reconcile") == (0, "Stripe reconcile (every payday): every charge and transfer matches Stripe.\n")
    assert cli("reconcile", "--payday", str(payday_id))[0] == 0


def test_every_difference_is_reported(ledger, client, config, fake, cli):
    t, payday_id = paid(ledger, client, config, fake)
    [charge] = t.charges()
    ledger.run(lambda book: book.conn.execute(
        stripe_charges.update().where(stripe_charges.c.id == charge.id).values(amount_minor=999)))
    client.v1.refunds.create(params={"charge": charge.charge_id, "amount": 100})  # no webhook came
    stray = client.v1.transfers.create(params={"amount": 5, "currency": "usd", "destination": t.accounts["bob"],
                                               "transfer_group": f"tipbot-payday-{payday_id}"})

    code, out = cli("reconcile", "--payday", str(payday_id))

    assert code == 1 and "3 difference(s)" in out
    assert f"charge {charge.id}" in out and "amount: Tipbot has 999, Stripe has 1061" in out
    assert "refunded: Tipbot has 0, Stripe has 100" in out
    assert f"Stripe transfer {stray.id}" in out and "not recorded in Tipbot" in out


def test_a_row_left_pending_by_a_crash_is_reported(ledger, client, config, fake, cli):
    t = StripeTown(ledger, client, config, fake)
    t.card("alice")
    t.recipient("bob")
    t.tip("alice", "bob", 1000)
    with pytest.raises(Crash):
        t.payday(crash=crash_at("stripe:charge:"))

    code, out = cli("reconcile")

    assert code == 1 and "pending in Tipbot and no PaymentIntent recorded" in out


def test_fees_choice_per_community(ledger, client, config, fake, cli):
    t = StripeTown(ledger, client, config, fake)
    assert cli("fees", "town", "recipients") == (0, "Card fees in town are now paid by recipients, in proportion "
                                                    "to their tips.\n")
    assert cli("fees", "town", "tipper")[0] == 0
    [row] = t.rows(stripe_settings)
    assert row.fees_paid_by == "tipper"
    assert cli("fees", "nowhere", "tipper")[0] == 2


def test_events_about_charges_tipbot_never_made_are_listed_but_are_no_difference(ledger, client, config, fake, cli,
                                                                                  web):
    from tests.adapters.stripe.helpers import event, signed

    paid(ledger, client, config, fake)
    refund = event("charge.refunded", {"id": "ch_other_product", "object": "charge", "amount_refunded": 500})
    body, headers = signed(refund)
    assert web.post("/stripe/webhook", body, headers).status_code == 200

    code, out = cli("reconcile")

    assert code == 0 and "every charge and transfer matches Stripe" in out
    assert "1 Stripe event(s) about charges Tipbot has no record of" in out
    assert f"Stripe event {refund['id']} (charge.refunded) about charge ch_other_product" in out
