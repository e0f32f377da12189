"""Payday charges: one off-session PaymentIntent per tipper whose dues reach the minimum.

`plan_charges` writes, in one transaction, a `stripe_charges` row per tipper and a
`stripe_transfers` line per recipient (the dues it settles move out of `stripe_dues`),
so what a charge pays is fixed before Stripe is called. `run_charges` then calls
Stripe concurrently under a bound, each call keyed by its row id, and completes each
row in its own short transaction: on success the ledger records stripe -> tipper
('charge'), tipper -> stripe_fees ('fee') and tipper -> recipients ('tip'); on a
decline the lines are cancelled and the dues go back.

A crash anywhere leaves rows `pending`; the next run sends the same idempotency keys,
Stripe answers with what it already did, and the rows complete. Pending rows older
than Stripe keeps keys (24 hours) are not sent again blindly: adapters/stripe/late.py
looks for them at Stripe first (`tipbot stripe reconcile`, and each payday).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa
import stripe

from ledger.api import Ledger
from ledger.book import Book
from ledger.models import transfers
from ledger.money import format_money
from adapters.stripe.client import StripeConfig, call
from adapters.stripe.concurrent import send_all
from adapters.stripe.dues import PAUSE_AFTER_DECLINES, payable_members
from ledger.payday.funding import defer_tippers, set_amounts_due
from adapters.stripe.fees import plan_charge, split_pro_rata
from adapters.stripe.keys import key, namespace
from adapters.stripe.tables import (
    stripe_accounts, stripe_charges, stripe_customers, stripe_dues, stripe_settings, stripe_transfers,
)

log = logging.getLogger(__name__)

KEY_LIFETIME = dt.timedelta(hours=23)  # Stripe keeps idempotency keys 24 hours

# Called after each Stripe call, before its local write: tests inject crashes here.
AfterCall = Callable[[str, int], None]


@dataclass
class ChargeReport:
    planned: int = 0
    succeeded: int = 0
    declined: int = 0
    pending: int = 0
    notices: list[tuple[int, str]] = field(default_factory=list)  # (member id, message for them)


def fees_paid_by(book: Book, community_id: int, default: str) -> str:
    chosen = book.conn.execute(
        sa.select(stripe_settings.c.fees_paid_by).where(stripe_settings.c.community_id == community_id)
    ).scalar()
    return chosen or default


def plan_charges(book: Book, community_id: int, payday_id: int, config: StripeConfig) -> list[tuple[int, str]]:
    """Write a pending charge (and its lines) for every tipper whose dues reach the minimum.

    Returns notices for tippers who owe enough but have no card saved.
    """
    community = book.community(community_id)
    paid_by = fees_paid_by(book, community_id, config.fees_paid_by)
    notices: list[tuple[int, str]] = []
    planned: list[_Planned] = []
    deferred: set[int] = set()  # dues below the minimum charge: they wait, nothing failed
    for tipper_id, lines in _dues_by_tipper(book, community_id, payday_id).items():
        dues = sum(line.due_minor for line in lines)
        if dues < max(community.min_charge_minor, 1):
            deferred.add(tipper_id)
            continue
        first = lines[0]
        if first.declines is not None and first.declines >= PAUSE_AFTER_DECLINES:
            continue
        if not first.customer_id or not first.payment_method_id:
            notices.append((tipper_id, (
                f"Your tips of {format_money(dues, community.currency)} are due, but no card is saved. "
                f"Run `/tip fund` to add one; they stay due until then.")))
            continue
        plan = _plan(community, payday_id, tipper_id, lines, dues, paid_by, config)
        if plan is not None:
            planned.append(plan)
    defer_tippers(book, payday_id, deferred)
    if planned:
        _write_plans(book, payday_id, planned)
    return notices


# A planned charge's row and its lines' rows (one per recipient it pays).
_Planned = tuple[dict, list[dict]]


def _dues_by_tipper(book: Book, community_id: int, payday_id: int) -> dict[int, list]:
    """Each tipper's dues to recipients Stripe can pay, with their card, by tipper; tippers
    with a charge of this payday or one still pending are left out."""
    busy = sa.select(stripe_charges.c.member_id).where(
        sa.or_(stripe_charges.c.payday_id == payday_id, stripe_charges.c.status == "pending"))
    rows = book.conn.execute(
        sa.select(stripe_dues.c.tipper_id, stripe_dues.c.tippee_id, stripe_dues.c.due_minor,
                  stripe_accounts.c.account_id, stripe_customers.c.customer_id,
                  stripe_customers.c.payment_method_id, stripe_customers.c.declines)
        .join(stripe_accounts, stripe_accounts.c.member_id == stripe_dues.c.tippee_id)
        .outerjoin(stripe_customers, stripe_customers.c.member_id == stripe_dues.c.tipper_id)
        .where(stripe_dues.c.community_id == community_id, stripe_dues.c.due_minor > 0,
               stripe_dues.c.tippee_id.in_(payable_members()), stripe_dues.c.tipper_id.not_in(busy))
        .order_by(stripe_dues.c.tipper_id, stripe_dues.c.tippee_id)
    ).all()
    by_tipper: dict[int, list] = defaultdict(list)
    for row in rows:
        by_tipper[row.tipper_id].append(row)
    return by_tipper


def _plan(community, payday_id: int, tipper_id: int, lines: list, dues: int, paid_by: str,
          config: StripeConfig) -> _Planned | None:
    """One tipper's charge (dues plus the fee when the tipper bears it) and what each
    recipient gets; None when the fee would leave nothing to pay."""
    amount, fee = plan_charge(dues, fees_paid_by=paid_by, rate_bp=config.fee_percent_bp,
                              fixed_minor=config.fee_fixed_minor)
    if amount - fee <= 0:
        return None
    shares = {line.tippee_id: line.due_minor for line in lines}
    paid = shares if paid_by == "tipper" else split_pro_rata(shares, dues - fee)
    first = lines[0]
    charge = {"community_id": community.id, "payday_id": payday_id, "member_id": tipper_id,
              "currency": community.currency, "dues_minor": dues, "fee_minor": fee, "amount_minor": amount,
              "customer_id": first.customer_id, "payment_method_id": first.payment_method_id}
    return charge, [
        {"community_id": community.id, "payday_id": payday_id, "recipient_id": line.tippee_id,
         "destination": line.account_id, "currency": community.currency, "due_minor": line.due_minor,
         "amount_minor": paid[line.tippee_id]}
        for line in lines if paid[line.tippee_id] > 0
    ]


def _write_plans(book: Book, payday_id: int, planned: list[_Planned]) -> None:
    """The charges and lines as pending rows, what settlement pays each charged pair, and
    the dues they settle out of stripe_dues, in the caller's transaction."""
    stamps = {"created_at": book.clock.now(), "updated_at": book.clock.now()}  # created_at decides if a key is still fresh
    ids = book.conn.execute(
        stripe_charges.insert().returning(stripe_charges.c.id, sort_by_parameter_order=True),
        [{**charge, **stamps} for charge, _ in planned],
    ).scalars().all()
    lines = [{**line, "charge_row_id": charge_id, **stamps} for charge_id, (_, charge_lines) in zip(ids, planned)
             for line in charge_lines]
    if lines:
        book.conn.execute(stripe_transfers.insert(), lines)
    # Settlement pays each charged pair its accumulated dues (less its share of the fee
    # when recipients bear it), not just one week's tip.
    set_amounts_due(book, payday_id, {(charge["member_id"], line["recipient_id"]): line["amount_minor"]
                                      for charge, charge_lines in planned for line in charge_lines})
    # The dues these charges settle leave stripe_dues (they come back on a decline).
    book.conn.execute(
        stripe_dues.update()
        .where(stripe_dues.c.tipper_id == sa.bindparam("t"), stripe_dues.c.tippee_id == sa.bindparam("e"))
        .values(due_minor=stripe_dues.c.due_minor - sa.bindparam("d")),
        [{"t": charge["member_id"], "e": line["recipient_id"], "d": line["due_minor"]}
         for charge, charge_lines in planned for line in charge_lines],
    )


def free_payday(book: Book, payday_id: int | None, from_id: int, to_id: int) -> int | None:
    """The payday id for a new transfer between two accounts, or None if that pair is taken
    (a charge completed late, after settlement already paid the pair from a balance)."""
    if payday_id is None:
        return None
    taken = book.conn.execute(sa.select(transfers.c.id).where(
        transfers.c.payday_id == payday_id, transfers.c.from_account_id == from_id,
        transfers.c.to_account_id == to_id)).first()
    return None if taken else payday_id


def complete_charge(book: Book, charge_row_id: int, payment_intent_id: str, charge_id: str | None) -> bool:
    """Record a succeeded charge, once: stripe -> tipper ('charge') and tipper -> stripe_fees
    ('fee'), both carrying the payday id so settlement spends the money on the tips.
    False if the row was not pending."""
    done = book.conn.execute(
        stripe_charges.update()
        .where(stripe_charges.c.id == charge_row_id, stripe_charges.c.status == "pending")
        .values(status="succeeded", payment_intent_id=payment_intent_id, charge_id=charge_id,
                failure_code=None, failure_message=None, updated_at=book.clock.now())
    ).rowcount == 1
    if not done:
        return False
    row = book.conn.execute(sa.select(stripe_charges).where(stripe_charges.c.id == charge_row_id)).one()
    community = book.community(row.community_id)
    clearing = book.outside_account(community, "stripe")
    fees = book.outside_account(community, "stripe_fees")
    tipper = row.member_id
    note = f"card charge {charge_id or payment_intent_id}"
    book.apply_moves(community, [(clearing, tipper, row.amount_minor)], kind="charge", note=note,
                     payday_id=free_payday(book, row.payday_id, clearing, tipper), overdraw=frozenset({clearing}))
    if row.fee_minor:
        book.apply_moves(community, [(tipper, fees, row.fee_minor)], kind="fee", note=note,
                         payday_id=free_payday(book, row.payday_id, tipper, fees))
    book.conn.execute(stripe_customers.update().where(stripe_customers.c.member_id == tipper)
                      .values(declines=0, updated_at=book.clock.now()))
    return True


def decline_charge(book: Book, charge_row_id: int, *, code: str | None, message: str | None,
                   payment_intent_id: str | None) -> str | None:
    """Record a declined charge once: its dues go back, the decline counts. Returns the
    message for the tipper (None if the row was not pending)."""
    done = book.conn.execute(
        stripe_charges.update()
        .where(stripe_charges.c.id == charge_row_id, stripe_charges.c.status == "pending")
        .values(status="failed", failure_code=(code or "declined")[:100], failure_message=(message or "")[:500],
                payment_intent_id=payment_intent_id, updated_at=book.clock.now())
    ).rowcount == 1
    if not done:
        return None
    row = book.conn.execute(sa.select(stripe_charges).where(stripe_charges.c.id == charge_row_id)).one()
    lines = book.conn.execute(
        sa.select(stripe_transfers.c.id, stripe_transfers.c.recipient_id, stripe_transfers.c.due_minor)
        .where(stripe_transfers.c.charge_row_id == charge_row_id)
    ).all()
    if lines:
        book.conn.execute(
            stripe_dues.update()
            .where(stripe_dues.c.tipper_id == row.member_id, stripe_dues.c.tippee_id == sa.bindparam("e"))
            .values(due_minor=stripe_dues.c.due_minor + sa.bindparam("d")),
            [{"e": line.recipient_id, "d": line.due_minor} for line in lines],
        )
        book.conn.execute(stripe_transfers.update().where(stripe_transfers.c.charge_row_id == charge_row_id)
                          .values(status="cancelled", updated_at=book.clock.now()))
    declines = book.conn.execute(
        stripe_customers.update().where(stripe_customers.c.member_id == row.member_id)
        .values(declines=stripe_customers.c.declines + 1, updated_at=book.clock.now())
        .returning(stripe_customers.c.declines)
    ).scalar()
    due = format_money(row.dues_minor, row.currency)
    text = (f"Your card was declined for this week's tips ({message or code or 'declined'}). "
            f"Your tips of {due} are still due. Run `/tip fund` to save a working card.")
    if declines is not None and declines >= PAUSE_AFTER_DECLINES:
        text += (f" After {PAUSE_AFTER_DECLINES} declines in a row your tips are paused; "
                 f"they resume when you save a card with `/tip fund`.")
    return text


def latest_charge_id(intent) -> str | None:
    if hasattr(intent, "to_dict"):
        intent = intent.to_dict()
    latest = intent.get("latest_charge")
    if isinstance(latest, dict):
        return latest.get("id")
    return latest


@dataclass(frozen=True)
class ChargeAnswer:
    """What Stripe said about one charge."""

    status: str  # "succeeded" | "declined" | "pending"
    payment_intent_id: str | None = None
    charge_id: str | None = None
    code: str | None = None
    message: str | None = None


def send_charge(client: stripe.StripeClient, config: StripeConfig, row, space: str,
                idempotency_key: str | None = None) -> ChargeAnswer:
    """One off-session PaymentIntent for a pending row, keyed by the row's id (in `space`).
    Its metadata names the row (`tipbot_key`), so the PaymentIntent can be found again once
    Stripe has forgotten the idempotency key (adapters/stripe/late.py)."""
    params = {
        "amount": row.amount_minor, "currency": row.currency.lower(), "customer": row.customer_id,
        "payment_method": row.payment_method_id, "confirm": True, "off_session": True,
        "metadata": {"tipbot_charge_id": str(row.id), "tipbot_payday_id": str(row.payday_id or ""),
                     "tipbot_key": key(space, "charge", row.id)},
    }
    try:
        intent = call(lambda: client.v1.payment_intents.create(
            params=params, options={"idempotency_key": idempotency_key or key(space, "charge", row.id)}),
            config=config, what="payment_intents.create")
    except stripe.CardError as error:
        payload = (error.json_body or {}).get("error") or {}
        declined = payload.get("payment_intent")
        return ChargeAnswer("declined", declined.get("id") if isinstance(declined, dict) else declined,
                            code=error.code, message=error.user_message or str(error))
    return answer_of(intent)


def answer_of(intent) -> ChargeAnswer:
    """What a PaymentIntent says about its charge."""
    if intent.status == "succeeded":
        return ChargeAnswer("succeeded", intent.id, latest_charge_id(intent))
    if intent.status in ("processing", "requires_capture"):
        return ChargeAnswer("pending", intent.id)  # the payment_intent.succeeded webhook completes it
    return ChargeAnswer("declined", intent.id, code=intent.status,
                        message="your bank asks you to confirm this payment"
                        if intent.status == "requires_action" else None)


def complete_charges(book: Book, done: list) -> set[int]:
    """Record many succeeded charges at once (the payday's batches): per community and
    payday, one set of 'charge' transfers and one of 'fee' transfers, so the clearing and
    fee accounts are locked once per batch. Returns the row ids completed now (rows no
    longer pending, e.g. completed by a webhook meanwhile, are left alone)."""
    ids = sorted(row.id for row, _ in done)
    pending = set(book.conn.execute(
        sa.select(stripe_charges.c.id).where(stripe_charges.c.id.in_(ids), stripe_charges.c.status == "pending")
        .with_for_update()).scalars())
    todo = [(row, answer) for row, answer in done if row.id in pending]
    if not todo:
        return set()
    book.conn.execute(
        stripe_charges.update().where(stripe_charges.c.id == sa.bindparam("row_id"))
        .values(status="succeeded", payment_intent_id=sa.bindparam("intent"), charge_id=sa.bindparam("charge"),
                failure_code=None, failure_message=None, updated_at=book.clock.now()),
        [{"row_id": row.id, "intent": answer.payment_intent_id, "charge": answer.charge_id} for row, answer in todo])
    groups: dict[tuple[int, int | None], list] = defaultdict(list)
    for row, _ in todo:
        groups[(row.community_id, row.payday_id)].append(row)
    for (community_id, payday_id), rows in groups.items():
        community = book.community(community_id)
        clearing = book.outside_account(community, "stripe")
        fees = book.outside_account(community, "stripe_fees")
        book.apply_moves(community, [(clearing, row.member_id, row.amount_minor) for row in rows], kind="charge",
                         note="card charge", payday_id=payday_id, overdraw=frozenset({clearing}))
        fee_moves = [(row.member_id, fees, row.fee_minor) for row in rows if row.fee_minor]
        if fee_moves:
            book.apply_moves(community, fee_moves, kind="fee", note="card fee", payday_id=payday_id)
    book.conn.execute(stripe_customers.update().where(stripe_customers.c.member_id.in_(
        sorted({row.member_id for row, _ in todo}))).values(declines=0, updated_at=book.clock.now()))
    return {row.id for row, _ in todo}


def write_charges(book: Book, batch: list) -> list[tuple[str, str | None]]:
    """Record Stripe's answers for a batch of rows: (outcome, message for the tipper) each."""
    complete_charges(book, [(row, answer) for row, answer in batch if answer.status == "succeeded"])
    outcomes: list[tuple[str, str | None]] = []
    for row, answer in batch:
        if answer.status == "succeeded":
            outcomes.append(("succeeded", None))
        elif answer.status == "declined":
            outcomes.append(("declined", decline_charge(book, row.id, code=answer.code, message=answer.message,
                                                        payment_intent_id=answer.payment_intent_id)))
        else:
            outcomes.append(("pending", None))
    return outcomes


def run_charges(ledger: Ledger, client: stripe.StripeClient, config: StripeConfig, payday_id: int,
                after_call: AfterCall | None = None) -> ChargeReport:
    """Send every pending charge of the payday (again, after a crash) concurrently; not
    those older than Stripe keeps keys (adapters/stripe/late.py looks those up first)."""
    report = ChargeReport()
    cutoff = ledger.clock.now() - KEY_LIFETIME
    rows = ledger.read(lambda book: book.conn.execute(
        sa.select(stripe_charges).where(stripe_charges.c.payday_id == payday_id,
                                        stripe_charges.c.status == "pending").order_by(stripe_charges.c.id)
    ).all())
    fresh = [r for r in rows if aware(r.created_at) > cutoff]
    report.pending += len(rows) - len(fresh)
    space = namespace(ledger)
    outcomes = send_all(ledger, fresh, concurrency=config.concurrency, what="charge", after_call=after_call,
                        send=lambda row: send_charge(client, config, row, space), write=write_charges)
    for row, (outcome, message) in outcomes:
        if outcome == "succeeded":
            report.succeeded += 1
        elif outcome == "declined":
            report.declined += 1
        else:
            report.pending += 1
        if message:
            report.notices.append((row.member_id, message))
    return report


def aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
