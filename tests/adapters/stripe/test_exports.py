"""`tipbot ledger export` names the Stripe objects behind each transfer: the ledger streams
the rows and the Stripe adapter's `export_references` hook adds their ids, on both databases."""

from __future__ import annotations

import json

from bot.cli import main
from tests.adapters.stripe.helpers import StripeTown


def test_the_export_names_the_charge_and_the_transfer_at_stripe(ledger, client, config, fake, db_url, capsys):
    town = StripeTown(ledger, client, config, fake)
    town.card("alice")
    town.recipient("bob")
    town.tip("alice", "bob", 1000)
    assert town.payday().status == "ran"
    [charge], [line] = town.charges(), town.lines()

    code = main(["ledger", "export", "--community", "town", "--format", "jsonl", "--database", db_url])

    assert code == 0
    rows = {row["kind"]: row for row in map(json.loads, capsys.readouterr().out.splitlines())}
    assert rows["charge"]["external_ids"].split() == [charge.payment_intent_id, charge.charge_id]
    assert rows["fee"]["external_ids"].split() == [charge.payment_intent_id, charge.charge_id]
    assert rows["payout"]["external_ids"] == line.transfer_id
    assert rows["tip"]["external_ids"] == ""
