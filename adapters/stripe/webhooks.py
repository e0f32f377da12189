"""Stripe webhook events: verified, processed once each (by event id), in any order.

An event's effect and its `stripe_events` row are written in one transaction, so a
duplicate delivery finds the row and changes nothing. Order doesn't matter: state
set from an object (a saved card, an account's payability) only moves forward by
the event's `created` time; money events are idempotent per Stripe object (a charge
completes once, a refund or dispute reverses once, a dispute closes once). A refund or
dispute is planned here, recipient by recipient; the Transfer reversals it needs are
sent after the event's transaction (adapters/stripe/reversals.py).

A refund or dispute of a charge whose row is still `pending` (a payday between its
Stripe call and its local write) raises `NotYet`: nothing is stored, the answer is 5xx
and Stripe delivers it again; the next payday tick completes the row meanwhile. A
refund or dispute of a charge Tipbot has no row for at all (another product on the
same Stripe account, a charge from before a database restore) is answered 200 and
recorded with the outcome "unknown charge ...", nothing applied: retrying would never
help, and Stripe disables endpoints that keep failing. Such an event is never treated
as a duplicate: delivered again (Stripe's dashboard can resend it) once the charge is
known, it is applied then. `tipbot stripe reconcile` lists every one, and reports as a
difference those whose charge Tipbot knows by now.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import re
import time

import sqlalchemy as sa
import stripe
from sqlalchemy.exc import IntegrityError

from ledger.api import Ledger
from ledger.book import Book
from adapters.stripe.charges import latest_charge_id, complete_charge, decline_charge
from adapters.stripe.onboarding import account_payable
from adapters.stripe.reversals import close_dispute, plan_reversal
from adapters.stripe.tables import stripe_accounts, stripe_charges, stripe_customers, stripe_events, stripe_reversals

TOLERANCE_SECONDS = stripe.Webhook.DEFAULT_TOLERANCE  # 300: how far a signature's time may be from ours
UNKNOWN_CHARGE = "unknown charge"  # the outcome's start for events about charges Tipbot has no row for
_UNKNOWN_OUTCOME = re.compile(rf"{UNKNOWN_CHARGE} (\S+): ")


class NotYet(Exception):
    """The event refers to something not recorded yet: answer 5xx so Stripe retries."""


class UnknownCharge(Exception):
    """The event is about a charge Tipbot has no row for: recorded, not applied."""

    def __init__(self, charge_ref: str) -> None:
        super().__init__(charge_ref)
        self.charge_ref = charge_ref


def verify(payload: bytes, signature: str | None, secret: str, *, now: float | None = None,
           tolerance_seconds: int = TOLERANCE_SECONDS) -> dict[str, Any]:
    """The event, if `signature` is Stripe's for `payload` and was made within the tolerance
    of `now`, before or after (Stripe's library checks only the past: a signature dated in
    the future would stay replayable until then); raises ValueError otherwise."""
    try:
        event = stripe.Webhook.construct_event(payload, signature or "", secret, tolerance=None)
    except (stripe.SignatureVerificationError, ValueError) as error:
        raise ValueError("bad signature") from error
    signed_at = _signed_at(signature or "")
    now = time.time() if now is None else now
    if signed_at is None or abs(signed_at - now) > tolerance_seconds:
        raise ValueError("signature timestamp outside the tolerance")
    return event.to_dict()


def _signed_at(header: str) -> int | None:
    """The `t=` of a Stripe-Signature header (already verified, so well formed)."""
    for item in header.split(","):
        name, _, value = item.strip().partition("=")
        if name == "t" and value.isdigit():
            return int(value)
    return None


def _id(value: Any) -> str | None:
    if isinstance(value, dict):
        return value.get("id")
    return value


def _member_from_metadata(obj: dict) -> int | None:
    raw = (obj.get("metadata") or {}).get("tipbot_member_id")
    return int(raw) if raw and str(raw).isdigit() else None


# --- cards ---------------------------------------------------------------

def _save_card(book: Book, *, customer_id: str | None, member_id: int | None, payment_method: Any,
               created: int) -> str:
    pm_id = _id(payment_method)
    if not pm_id:
        return "ignored: no payment method"
    row = None
    if customer_id:
        row = book.conn.execute(sa.select(stripe_customers).where(stripe_customers.c.customer_id == customer_id)).first()
    if row is None and member_id is not None:
        row = book.conn.execute(sa.select(stripe_customers).where(stripe_customers.c.member_id == member_id)).first()
    if row is None:
        return "ignored: unknown customer"
    label = None
    if isinstance(payment_method, dict) and isinstance(payment_method.get("card"), dict):
        card = payment_method["card"]
        label = f"{card.get('brand', 'card')} {card.get('last4', '')}".strip()
    changed = book.conn.execute(
        stripe_customers.update()
        .where(stripe_customers.c.member_id == row.member_id,
               sa.or_(stripe_customers.c.payment_method_at.is_(None), stripe_customers.c.payment_method_at <= created))
        .values(payment_method_id=pm_id, card_label=label, payment_method_at=created, declines=0,
                customer_id=sa.func.coalesce(stripe_customers.c.customer_id, customer_id), updated_at=book.clock.now())
    ).rowcount
    return "card saved" if changed else "ignored: a newer card is saved"


def on_setup_intent(book: Book, obj: dict, created: int) -> str:
    return _save_card(book, customer_id=_id(obj.get("customer")), member_id=_member_from_metadata(obj),
                      payment_method=obj.get("payment_method"), created=created)


def on_checkout_completed(book: Book, obj: dict, created: int) -> str:
    if obj.get("mode") != "setup":
        return "ignored: not a setup session"
    intent = obj.get("setup_intent")
    if not isinstance(intent, dict):
        raise NotYet("the session's SetupIntent was not fetched")
    return _save_card(book, customer_id=_id(obj.get("customer")) or _id(intent.get("customer")),
                      member_id=_member_from_metadata(obj), payment_method=intent.get("payment_method"),
                      created=created)


# --- connected accounts --------------------------------------------------

def on_account_updated(book: Book, obj: dict, created: int) -> str:
    account_id = obj["id"]
    row = book.conn.execute(sa.select(stripe_accounts).where(stripe_accounts.c.account_id == account_id)).first()
    member_id = _member_from_metadata(obj)
    if row is None and member_id is not None:
        row = book.conn.execute(sa.select(stripe_accounts).where(stripe_accounts.c.member_id == member_id,
                                                                 stripe_accounts.c.account_id.is_(None))).first()
    if row is None:
        return "ignored: unknown account"
    payable = account_payable(obj)
    changed = book.conn.execute(
        stripe_accounts.update()
        .where(stripe_accounts.c.member_id == row.member_id,
               sa.or_(stripe_accounts.c.status_at.is_(None), stripe_accounts.c.status_at <= created))
        .values(payable=payable, status_at=created, account_id=account_id, updated_at=book.clock.now())
    ).rowcount
    if not changed:
        return "ignored: a newer account status is recorded"
    if payable:  # connecting an account to be paid is opting in to receive
        book.set_receiving(row.member_id, True)
    return "account payable" if payable else "account not payable"


# --- charges -------------------------------------------------------------

def _charge_row(book: Book, *, charge_row_id: Any = None, payment_intent_id: str | None = None,
                charge_id: str | None = None):
    clauses = []
    if charge_row_id and str(charge_row_id).isdigit():
        clauses.append(stripe_charges.c.id == int(charge_row_id))
    if payment_intent_id:
        clauses.append(stripe_charges.c.payment_intent_id == payment_intent_id)
    if charge_id:
        clauses.append(stripe_charges.c.charge_id == charge_id)
    if not clauses:
        return None
    return book.conn.execute(sa.select(stripe_charges).where(sa.or_(*clauses))).first()


def _intent_row(book: Book, obj: dict):
    """The charge row a PaymentIntent is for: by id or by the row id in its metadata, and
    only if amount, currency and customer agree (metadata alone could name another database's row)."""
    row = _charge_row(book, charge_row_id=(obj.get("metadata") or {}).get("tipbot_charge_id"),
                      payment_intent_id=obj["id"])
    if row is None:
        return None
    if row.payment_intent_id not in (None, obj["id"]) or obj.get("amount") != row.amount_minor \
            or str(obj.get("currency", "")).lower() != row.currency.lower() \
            or _id(obj.get("customer")) != row.customer_id:
        return None
    return row


def on_payment_intent_succeeded(book: Book, obj: dict, created: int) -> str:
    row = _intent_row(book, obj)
    if row is None:
        return "ignored: not a Tipbot charge"
    if complete_charge(book, row.id, obj["id"], latest_charge_id(obj)):
        return "charge completed"
    return f"charge already {row.status}"


def on_payment_intent_failed(book: Book, obj: dict, created: int) -> str:
    row = _intent_row(book, obj)
    if row is None:
        return "ignored: not a Tipbot charge"
    error = obj.get("last_payment_error") or {}
    if decline_charge(book, row.id, code=error.get("code"), message=error.get("message"),
                      payment_intent_id=obj["id"]) is not None:
        return "charge declined"
    return f"charge already {row.status}"


def _settled_charge(book: Book, charge_id: str, payment_intent_id: str | None):
    row = _charge_row(book, charge_id=charge_id, payment_intent_id=payment_intent_id)
    if row is None:
        raise UnknownCharge(charge_id or payment_intent_id or "")
    if row.status == "pending":
        raise NotYet(f"charge {charge_id} is not recorded as succeeded yet")
    return row


def on_charge_refunded(book: Book, obj: dict, created: int) -> str:
    row = _settled_charge(book, obj["id"], _id(obj.get("payment_intent")))
    if row.status != "succeeded":
        return "ignored: the charge did not succeed"
    refunded_before = int(book.conn.execute(
        sa.select(sa.func.coalesce(sa.func.sum(stripe_reversals.c.amount_minor), 0))
        .where(stripe_reversals.c.charge_row_id == row.id, stripe_reversals.c.kind == "refund")
    ).scalar_one())  # SUM is NUMERIC on PostgreSQL
    total = int(obj.get("amount_refunded") or 0)  # cumulative: later events carry larger totals
    return plan_reversal(book, row, kind="refund", source_id=f"{obj['id']}:refunded:{total}",
                         amount_minor=total - refunded_before)


def on_dispute_created(book: Book, obj: dict, created: int) -> str:
    row = _settled_charge(book, _id(obj.get("charge")) or "", _id(obj.get("payment_intent")))
    if row.status != "succeeded":
        return "ignored: the charge did not succeed"
    return plan_reversal(book, row, kind="dispute", source_id=obj["id"], amount_minor=int(obj.get("amount") or 0))


def on_dispute_closed(book: Book, obj: dict, created: int) -> str:
    row = _settled_charge(book, _id(obj.get("charge")) or "", _id(obj.get("payment_intent")))
    if row.status != "succeeded":
        return "ignored: the charge did not succeed"
    outcome = obj.get("status")
    if outcome not in ("won", "lost"):
        return f"ignored: dispute closed as {outcome}"
    return close_dispute(book, row, dispute_id=obj["id"], amount_minor=int(obj.get("amount") or 0), outcome=outcome)


HANDLERS: dict[str, Callable[[Book, dict, int], str]] = {
    "checkout.session.completed": on_checkout_completed,
    "setup_intent.succeeded": on_setup_intent,
    "account.updated": on_account_updated,
    "payment_intent.succeeded": on_payment_intent_succeeded,
    "payment_intent.payment_failed": on_payment_intent_failed,
    "charge.refunded": on_charge_refunded,
    "charge.dispute.created": on_dispute_created,
    "charge.dispute.closed": on_dispute_closed,
}


def prepare(event: dict[str, Any], client: stripe.StripeClient | None) -> dict[str, Any]:
    """Fetch what an event needs from Stripe, outside any transaction (a setup session's SetupIntent)."""
    obj = event["data"]["object"]
    if event["type"] == "checkout.session.completed" and isinstance(obj.get("setup_intent"), str) and client:
        intent = client.v1.setup_intents.retrieve(obj["setup_intent"])
        obj = {**obj, "setup_intent": intent.to_dict()}
        event = {**event, "data": {**event["data"], "object": obj}}
    return event


def unknown_charge_outcome(charge_ref: str) -> str:
    return f"{UNKNOWN_CHARGE} {charge_ref}: not applied (another product's, or missing from this database)"


def unknown_charge_ref(outcome: str) -> str | None:
    """The charge an event recorded with `unknown_charge_outcome` was about (None for other outcomes)."""
    m = _UNKNOWN_OUTCOME.match(outcome)
    return m[1] if m else None


def _recorded_outcome(book: Book, event_id: str, *, lock: bool = False) -> str | None:
    query = sa.select(stripe_events.c.outcome).where(stripe_events.c.event_id == event_id)
    return book.conn.execute(query.with_for_update() if lock else query).scalar()


def process(ledger: Ledger, event: dict[str, Any], client: stripe.StripeClient | None = None) -> str:
    """Apply one verified event, once. Returns what happened (for logs and the HTTP answer).

    An event recorded earlier as about an unknown charge is not a duplicate: it is
    tried again, and applied if the charge is known by now."""
    event_id, kind = event["id"], event["type"]
    handler = HANDLERS.get(kind)
    recorded = ledger.read(lambda book: _recorded_outcome(book, event_id))
    if recorded is not None and not recorded.startswith(UNKNOWN_CHARGE):
        return "duplicate"
    if handler is not None:
        event = prepare(event, client)
    obj = event["data"]["object"]
    created = int(event.get("created") or 0)

    def op(book: Book) -> str:
        try:
            with book.conn.begin_nested():
                book.conn.execute(stripe_events.insert().values(
                    event_id=event_id, type=kind[:100], object_id=_id(obj), outcome="processing",
                    received_at=book.clock.now()))
        except IntegrityError:
            earlier = _recorded_outcome(book, event_id, lock=True)
            if earlier is None or not earlier.startswith(UNKNOWN_CHARGE):
                return "duplicate"
        try:
            with book.conn.begin_nested():  # an unknown charge rolls back only the handler's work
                outcome = handler(book, obj, created) if handler is not None else "ignored: not an event Tipbot uses"
        except UnknownCharge as unknown:
            outcome = unknown_charge_outcome(unknown.charge_ref)
        book.conn.execute(stripe_events.update().where(stripe_events.c.event_id == event_id)
                          .values(outcome=outcome[:200]))
        return outcome

    return ledger.run(op).value
