"""Reconcile: compare local charges and transfers with Stripe's objects, report every difference.

Read-only on both sides (`tipbot stripe reconcile --fix` first finishes what was left
pending: adapters/stripe/reversals.py, adapters/stripe/late.py). For each local charge: its PaymentIntent's status, amount,
currency, customer and charge, and refunds against the reversals recorded. For each
local transfer line: the Transfer's amount, destination, group, source charge and the
Transfer reversals recorded against it (refunds and disputes; adapters/stripe/reversals.py).
Refunds and disputes whose reversals are still pending are differences; what could not be
recovered from recipients is not (nothing disagrees) but `losses` lists it.
For each payday in scope: Transfers Stripe has in the payday's transfer group that
Tipbot never recorded. Rows still pending are reported with what to do.

Webhook events about charges Tipbot had no row for (answered 200, recorded, not
applied: see adapters.stripe.webhooks) are listed by `unknown_events`; one whose charge
Tipbot knows by now is a difference, since its refund or dispute was never applied.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
import stripe

from ledger.api import Ledger
from adapters.stripe.payouts import transfer_group
from adapters.stripe.tables import (
    stripe_charges, stripe_events, stripe_line_reversals, stripe_reversals, stripe_transfers,
)
from adapters.stripe.webhooks import UNKNOWN_CHARGE, unknown_charge_ref


@dataclass(frozen=True)
class Difference:
    subject: str  # "charge 12", "transfer 7", "Stripe transfer tr_..."
    detail: str

    def __str__(self) -> str:
        return f"{self.subject}: {self.detail}"


@dataclass(frozen=True)
class UnknownEvent:
    """A refund or dispute event about a charge Tipbot had no row for when it arrived."""

    event_id: str
    type: str
    charge_ref: str | None
    charge_row_id: int | None  # the charge's row if Tipbot knows it by now

    def __str__(self) -> str:
        return f"Stripe event {self.event_id} ({self.type}) about charge {self.charge_ref}"


def unknown_events(ledger: Ledger) -> list[UnknownEvent]:
    """Every event recorded as about an unknown charge, with the charge's row if it exists now."""
    def load(book):
        events = book.conn.execute(
            sa.select(stripe_events.c.event_id, stripe_events.c.type, stripe_events.c.outcome)
            .where(stripe_events.c.outcome.startswith(UNKNOWN_CHARGE))
            .order_by(stripe_events.c.received_at, stripe_events.c.event_id)).all()
        refs = {event.event_id: unknown_charge_ref(event.outcome) for event in events}
        wanted = sorted({ref for ref in refs.values() if ref})
        rows = {}
        if wanted:
            for row in book.conn.execute(sa.select(stripe_charges.c.id, stripe_charges.c.charge_id,
                                                   stripe_charges.c.payment_intent_id)
                                         .where(sa.or_(stripe_charges.c.charge_id.in_(wanted),
                                                       stripe_charges.c.payment_intent_id.in_(wanted)))):
                rows.update({ref: row.id for ref in (row.charge_id, row.payment_intent_id) if ref})
        return [UnknownEvent(event.event_id, event.type, refs[event.event_id],
                             rows.get(refs[event.event_id] or "")) for event in events]

    return ledger.read(load)


def _status_of(intent: dict) -> str:
    if intent.get("status") == "succeeded":
        return "succeeded"
    if intent.get("status") in ("processing", "requires_capture"):
        return "pending"
    return "failed"


def _charge_id(intent: dict) -> str | None:
    latest = intent.get("latest_charge")
    return latest.get("id") if isinstance(latest, dict) else latest


def _compare(subject: str, pairs: list[tuple[str, object, object]]) -> list[Difference]:
    return [Difference(subject, f"{name}: Tipbot has {mine!r}, Stripe has {theirs!r}")
            for name, mine, theirs in pairs if mine != theirs]


def _retrieve(fn, object_id: str) -> dict | None:
    try:
        return fn(object_id).to_dict()
    except stripe.InvalidRequestError:
        return None


@dataclass(frozen=True)
class _Local:
    """Tipbot's side, read in one transaction."""

    charges: list
    lines: list
    refunds: dict[int, int]  # charge row -> refunds recorded
    reversed_lines: dict[int, int]  # line -> Transfer reversals that succeeded
    pending: list  # reversals still pending


def _local(ledger: Ledger, payday_id: int | None) -> _Local:
    def load(book):
        charge_where = [] if payday_id is None else [stripe_charges.c.payday_id == payday_id]
        line_where = [] if payday_id is None else [stripe_transfers.c.payday_id == payday_id]
        charges = book.conn.execute(sa.select(stripe_charges).where(*charge_where).order_by(stripe_charges.c.id)).all()
        lines = book.conn.execute(
            sa.select(stripe_transfers, stripe_charges.c.charge_id)
            .join(stripe_charges, stripe_charges.c.id == stripe_transfers.c.charge_row_id)
            .where(*line_where).order_by(stripe_transfers.c.id)).all()
        refunds = book.conn.execute(
            sa.select(stripe_reversals.c.charge_row_id, sa.func.sum(stripe_reversals.c.amount_minor))
            .where(stripe_reversals.c.kind == "refund").group_by(stripe_reversals.c.charge_row_id)).all()
        reversed_lines = book.conn.execute(
            sa.select(stripe_line_reversals.c.line_id, sa.func.sum(stripe_line_reversals.c.amount_minor))
            .where(stripe_line_reversals.c.status == "succeeded").group_by(stripe_line_reversals.c.line_id)).all()
        pending = book.conn.execute(
            sa.select(stripe_reversals.c.id, stripe_reversals.c.charge_row_id, stripe_reversals.c.source_id)
            .where(stripe_reversals.c.status == "pending").order_by(stripe_reversals.c.id)).all()
        return _Local(charges, lines, {k: int(v) for k, v in refunds}, {k: int(v) for k, v in reversed_lines},
                      pending)

    return ledger.read(load)


def reconcile(ledger: Ledger, client: stripe.StripeClient, *, payday_id: int | None = None) -> list[Difference]:
    """Every difference between Tipbot's rows (of one payday, or all) and Stripe's objects."""
    local = _local(ledger, payday_id)
    in_scope = {row.id for row in local.charges}
    found = [Difference(f"charge {rev.charge_row_id}", f"{rev.source_id}: Transfer reversals still pending; "
                                                       f"they are sent again with the same keys")
             for rev in local.pending if payday_id is None or rev.charge_row_id in in_scope]
    for row in local.charges:
        found += _charge_differences(client, row, local.refunds.get(row.id, 0))
    for line in local.lines:
        found += _line_differences(client, line, local.reversed_lines.get(line.id, 0))
    known = {line.transfer_id for line in local.lines if line.transfer_id is not None}
    paydays = sorted({row.payday_id for row in local.charges if row.payday_id is not None} |
                     ({payday_id} if payday_id is not None else set()))
    found += _unrecorded_transfers(client, paydays, known)
    for unknown in unknown_events(ledger):
        if unknown.charge_row_id is not None and (payday_id is None or unknown.charge_row_id in in_scope):
            found.append(Difference(str(unknown), f"arrived before Tipbot recorded the charge (now charge "
                                                  f"{unknown.charge_row_id}) and was not applied: resend the event "
                                                  f"from Stripe's dashboard and Tipbot applies it"))
    return found


def _charge_differences(client: stripe.StripeClient, row, refunded: int) -> list[Difference]:
    """A local charge against its PaymentIntent and, once succeeded, its Charge's refunds."""
    subject = f"charge {row.id} (payday {row.payday_id}, member {row.member_id})"
    if row.payment_intent_id is None:
        if row.status == "pending":
            return [Difference(subject, "pending in Tipbot and no PaymentIntent recorded: run the payday "
                                        "again (it sends the same idempotency key) or wait for the webhook")]
        if row.status == "succeeded":
            return [Difference(subject, "succeeded in Tipbot but no PaymentIntent is recorded")]
        return []
    intent = _retrieve(client.v1.payment_intents.retrieve, row.payment_intent_id)
    if intent is None:
        return [Difference(subject, f"PaymentIntent {row.payment_intent_id} does not exist at Stripe")]
    found = _compare(subject, [
        ("status", row.status, _status_of(intent)),
        ("amount", row.amount_minor, intent.get("amount")),
        ("currency", row.currency.lower(), str(intent.get("currency", "")).lower()),
        ("customer", row.customer_id, intent.get("customer")),
    ])
    if row.status != "succeeded":
        return found
    found += _compare(subject, [("charge", row.charge_id, _charge_id(intent))])
    if row.charge_id:
        charge = _retrieve(client.v1.charges.retrieve, row.charge_id)
        if charge is None:
            found.append(Difference(subject, f"charge {row.charge_id} does not exist at Stripe"))
        else:
            found += _compare(subject, [("refunded", refunded, charge.get("amount_refunded", 0))])
    return found


def _line_differences(client: stripe.StripeClient, line, reversed_minor: int) -> list[Difference]:
    """A local transfer line against its Transfer: amount, destination, group, source, reversals."""
    subject = f"transfer {line.id} (payday {line.payday_id}, member {line.recipient_id})"
    if line.transfer_id is None:
        if line.status == "pending" and line.ledger_transfer_id is not None:
            return [Difference(subject, "pending in Tipbot after its payout was recorded: run the payday "
                                        "again (it sends the same idempotency key)")]
        if line.status == "succeeded":
            return [Difference(subject, "succeeded in Tipbot but no Stripe transfer is recorded")]
        return []
    transfer = _retrieve(client.v1.transfers.retrieve, line.transfer_id)
    if transfer is None:
        return [Difference(subject, f"Stripe transfer {line.transfer_id} does not exist at Stripe")]
    return _compare(subject, [
        ("amount", line.amount_minor, transfer.get("amount")),
        ("destination", line.destination, transfer.get("destination")),
        ("transfer group", transfer_group(line.payday_id), transfer.get("transfer_group")),
        ("source charge", line.charge_id, transfer.get("source_transaction")),
        ("status", line.status, "succeeded"),
        ("reversed", reversed_minor, int(transfer.get("amount_reversed") or 0)),
    ])


def _unrecorded_transfers(client: stripe.StripeClient, paydays: list[int], known: set[str]) -> list[Difference]:
    """Transfers in the paydays' transfer groups at Stripe that Tipbot never recorded."""
    found = []
    for payday in paydays:
        listed = client.v1.transfers.list(params={"transfer_group": transfer_group(payday), "limit": 100})
        for transfer in listed.auto_paging_iter():
            if transfer.id not in known:
                found.append(Difference(f"Stripe transfer {transfer.id}",
                                        f"in payday {payday}'s group at Stripe ({transfer.amount} to "
                                        f"{transfer.destination}), not recorded in Tipbot"))
    return found
