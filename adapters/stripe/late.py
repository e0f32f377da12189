"""Requests left pending longer than Stripe keeps idempotency keys (24 hours).

Within the window a pending row is healed by sending the same key again: Stripe replays
its first answer. After it, the same key could act a second time, so a late row is
never sent blindly: Stripe is asked first whether the object exists, by the metadata
Tipbot sets on it (`tipbot_key`: the row's key, in this database's namespace). Found:
its state is recorded. Not found: the row is sent again with a new key (the row's key
and the day, so two reconcilers on the same day still share one key), and the next
look finds what that sent.

PaymentIntents are looked up with the Search API (eventually consistent, within about
a minute: far inside 24 hours); Transfers by listing the payday's transfer group.
Runs from `tipbot stripe reconcile --fix`; a payday leaves late rows alone (a charge keeps the
payday waiting, `ChargesPending`, until reconcile settles it).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import sqlalchemy as sa
import stripe

from ledger.api import Ledger
from adapters.stripe.charges import KEY_LIFETIME, answer_of, send_charge, write_charges
from adapters.stripe.client import StripeConfig, call
from adapters.stripe.keys import key, namespace
from adapters.stripe.payouts import complete_transfer, line_key, send_transfer, transfer_group, write_transfers
from adapters.stripe.tables import stripe_charges, stripe_transfers

log = logging.getLogger(__name__)


@dataclass
class LateReport:
    found: int = 0  # existed at Stripe: recorded
    resent: int = 0  # did not: sent again with a new key


def late_cutoff(now: dt.datetime) -> dt.datetime:
    return now - KEY_LIFETIME


def _day(now: dt.datetime) -> str:
    return now.strftime("%Y%m%d")


def _find_intent(client: stripe.StripeClient, config: StripeConfig, row, row_key: str):
    query = f"metadata['tipbot_key']:'{row_key}'"
    found = call(lambda: client.v1.payment_intents.search(params={"query": query, "limit": 10}),
                 config=config, what="payment_intents.search")
    for intent in found.data:
        seen = intent.to_dict()
        if (seen.get("metadata") or {}).get("tipbot_key") == row_key and seen.get("amount") == row.amount_minor \
                and seen.get("customer") == row.customer_id:
            return intent
    return None


def _find_transfer(client: stripe.StripeClient, config: StripeConfig, line, line_id_key: str):
    listed = call(lambda: client.v1.transfers.list(params={"transfer_group": transfer_group(line.payday_id),
                                                           "limit": 100}), config=config, what="transfers.list")
    for transfer in listed.auto_paging_iter():
        seen = transfer.to_dict()
        if (seen.get("metadata") or {}).get("tipbot_key") == line_id_key and seen.get("amount") == line.amount_minor \
                and seen.get("destination") == line.destination:
            return transfer
    return None


def settle_late(ledger: Ledger, client: stripe.StripeClient, config: StripeConfig, *,
                community_id: int | None = None) -> LateReport:
    """Look up, then record or resend, every charge and payout pending since before the window
    (by the ledger's clock)."""
    report = LateReport()
    now = ledger.clock.now()
    cutoff = late_cutoff(now)
    space = namespace(ledger)
    where_charge = [stripe_charges.c.status == "pending", stripe_charges.c.created_at <= cutoff]
    where_line = [stripe_transfers.c.status == "pending", stripe_transfers.c.ledger_transfer_id.is_not(None),
                  stripe_transfers.c.updated_at <= cutoff]
    if community_id is not None:
        where_charge.append(stripe_charges.c.community_id == community_id)
        where_line.append(stripe_transfers.c.community_id == community_id)
    charges = ledger.read(lambda book: book.conn.execute(
        sa.select(stripe_charges).where(*where_charge).order_by(stripe_charges.c.id)).all())
    for row in charges:
        row_key = key(space, "charge", row.id)
        intent = _find_intent(client, config, row, row_key)
        if intent is not None:
            answer = answer_of(intent)
            report.found += 1
        else:
            answer = send_charge(client, config, row, space, idempotency_key=f"{row_key}-late-{_day(now)}")
            report.resent += 1
        log.info("charge %s pending past the key window: %s at Stripe, %s", row.id,
                 "found" if intent is not None else "not found, sent again", answer.status)
        ledger.run(lambda book: write_charges(book, [(row, answer)]))
    lines = ledger.read(lambda book: book.conn.execute(
        sa.select(stripe_transfers, stripe_charges.c.charge_id)
        .join(stripe_charges, stripe_charges.c.id == stripe_transfers.c.charge_row_id)
        .where(*where_line).order_by(stripe_transfers.c.id)).all())
    for line in lines:
        line_id_key = line_key(space, line)
        transfer = _find_transfer(client, config, line, line_id_key)
        if transfer is not None:
            ledger.run(lambda book: complete_transfer(book, line.id, transfer.id))
            report.found += 1
            continue
        outcome = send_transfer(client, config, line, space, idempotency_key=f"{line_id_key}-late-{_day(now)}")
        ledger.run(lambda book: write_transfers(book, [(line, outcome)], now))
        report.resent += 1
    return report
