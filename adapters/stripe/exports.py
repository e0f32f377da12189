"""Stripe's ids for `tipbot ledger export` (the `export_references` hook): which charge,
PaymentIntent or Transfer each ledger transfer stands for; and the payday of each payout
(the `export_paydays` hook), which its ledger transfer names only in its note."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from adapters.stripe.payouts import PAYOUT_NOTE
from adapters.stripe.tables import stripe_charges, stripe_transfers
from ledger.book import Book

_STRIPE_ID = re.compile(r"\b(?:ch|pi|tr|trr|re|dp)_[A-Za-z0-9]+\b")


def export_references(book: Book, rows: Sequence[Mapping[str, Any]]) -> dict[int, str]:
    """{ledger transfer id: "tr_..." / "pi_... ch_..."} for one batch of exported rows."""
    conn = book.conn  # Stripe's own tables
    found: dict[int, list[str]] = {}
    ids = {row["id"] for row in rows}
    if not ids:
        return {}
    # The batch's id range, not IN (10,000 ids): one short statement; other communities' rows are skipped here.
    for line in conn.execute(sa.select(stripe_transfers.c.ledger_transfer_id, stripe_transfers.c.transfer_id)
                             .where(stripe_transfers.c.ledger_transfer_id.between(min(ids), max(ids)),
                                    stripe_transfers.c.transfer_id.is_not(None))):
        if line.ledger_transfer_id in ids:
            found.setdefault(line.ledger_transfer_id, []).append(line.transfer_id)
    # A charge's money in ('charge': to the tipper) and its fee ('fee': from the tipper), by payday.
    wanted = {row["id"]: (row["payday_id"], row["to_account_id"] if row["kind"] == "charge" else row["from_account_id"])
              for row in rows if row["kind"] in ("charge", "fee") and row["payday_id"] is not None}
    if wanted:
        charges = {(c.payday_id, c.member_id): [i for i in (c.payment_intent_id, c.charge_id) if i]
                   for c in conn.execute(
                       sa.select(stripe_charges.c.payday_id, stripe_charges.c.member_id,
                                 stripe_charges.c.payment_intent_id, stripe_charges.c.charge_id)
                       .where(stripe_charges.c.payday_id.in_(sorted({p for p, _ in wanted.values()})),
                              stripe_charges.c.status == "succeeded"))}
        for transfer_id, payday_member in wanted.items():
            found.setdefault(transfer_id, []).extend(charges.get(payday_member, []))
    for row in rows:  # refunds, disputes, reversals name the charge in their note
        for stripe_id in _STRIPE_ID.findall(row["note"] or ""):
            if stripe_id not in found.get(row["id"], []):
                found.setdefault(row["id"], []).append(stripe_id)
    return {transfer_id: " ".join(values) for transfer_id, values in found.items()}


def export_paydays(book: Book, rows: Sequence[Mapping[str, Any]]) -> dict[int, int]:
    """{ledger transfer id: payday id} for payouts (and refused payouts given back) in one batch."""
    found = {}
    for row in rows:
        if row["payday_id"] is None and row["kind"] in ("payout", "reversal"):
            named = PAYOUT_NOTE.match(row["note"] or "")
            if named is not None:
                found[row["id"]] = int(named[1])
    return found
