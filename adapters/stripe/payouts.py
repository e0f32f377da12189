"""Payday payouts: a Stripe Transfer to each recipient's connected account for their
share of each succeeded charge (`transfer_group` = the payday, `source_transaction` =
the charge), so Tipbot holds no money between paydays.

Per line: (1) one transaction moves the share out of the recipient's balance in the
ledger (recipient -> stripe, 'payout') and remembers that transfer on the line; (2)
Stripe is called with the line's id as idempotency key; (3) the line completes. A
crash between (1) and (3) is healed by the next run sending the same key. A transfer
Stripe refuses for good is marked failed and its ledger payout reversed, so the
money is back in the recipient's balance.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import sqlalchemy as sa
import stripe

from ledger.api import Ledger
from ledger.book import Book
from ledger.errors import InsufficientBalance
from adapters.stripe.charges import KEY_LIFETIME, AfterCall, aware, sql_now
from adapters.stripe.client import StripeConfig, call
from adapters.stripe.concurrent import BATCH, send_all
from adapters.stripe.keys import key, namespace
from adapters.stripe.tables import stripe_charges, stripe_transfers

log = logging.getLogger(__name__)


def transfer_group(payday_id: int | None) -> str:
    return f"tipbot-payday-{payday_id}"


@dataclass
class PayoutReport:
    succeeded: int = 0
    failed: int = 0
    pending: int = 0
    paid_minor: int = 0


def reserve(book: Book, line_id: int) -> bool:
    """Move the line's amount out of the recipient's balance, once. False: can't (failed)."""
    line = book.conn.execute(sa.select(stripe_transfers).where(stripe_transfers.c.id == line_id)).one()
    if line.status != "pending":
        return False
    if line.ledger_transfer_id is not None:
        return True
    community = book.community(line.community_id)
    clearing = book.outside_account(community, "stripe")
    try:
        with book.conn.begin_nested():
            [transfer_id] = book.apply_moves(community, [(line.recipient_id, clearing, line.amount_minor)],
                                             kind="payout", note=f"payday {line.payday_id}: Stripe transfer")
    except InsufficientBalance:
        book.conn.execute(stripe_transfers.update().where(stripe_transfers.c.id == line_id).values(
            status="failed", failure_message="the recipient's balance no longer covers it", updated_at=sql_now()))
        return False
    book.conn.execute(stripe_transfers.update().where(stripe_transfers.c.id == line_id)
                      .values(ledger_transfer_id=transfer_id, updated_at=sql_now()))
    return True


def complete_transfer(book: Book, line_id: int, transfer_id: str) -> bool:
    return book.conn.execute(
        stripe_transfers.update()
        .where(stripe_transfers.c.id == line_id, stripe_transfers.c.status == "pending")
        .values(status="succeeded", transfer_id=transfer_id, failure_message=None, updated_at=sql_now())
    ).rowcount == 1


def fail_transfer(book: Book, line_id: int, message: str) -> bool:
    """Stripe refused for good: the money goes back to the recipient's balance."""
    line = book.conn.execute(sa.select(stripe_transfers).where(stripe_transfers.c.id == line_id)).one()
    done = book.conn.execute(
        stripe_transfers.update()
        .where(stripe_transfers.c.id == line_id, stripe_transfers.c.status == "pending")
        .values(status="failed", failure_message=message[:500], updated_at=sql_now())
    ).rowcount == 1
    if done and line.ledger_transfer_id is not None:
        community = book.community(line.community_id)
        clearing = book.outside_account(community, "stripe")
        book.apply_moves(community, [(clearing, line.recipient_id, line.amount_minor)], kind="reversal",
                         note=f"payday {line.payday_id}: Stripe transfer refused", overdraw=frozenset({clearing}))
    return done


def send_transfer(client: stripe.StripeClient, config: StripeConfig, line, space: str,
                  idempotency_key: str | None = None) -> tuple[str, str]:
    """One Stripe Transfer for a reserved line, keyed by the line's id (and attempt):
    ("sent", tr_...) or ("refused", why). Its metadata names the line (`tipbot_key`)."""
    params = {
        "amount": line.amount_minor, "currency": line.currency.lower(), "destination": line.destination,
        "transfer_group": transfer_group(line.payday_id),
        "metadata": {"tipbot_transfer_id": str(line.id), "tipbot_payday_id": str(line.payday_id or ""),
                     "tipbot_key": line_key(space, line)},
    }
    if line.charge_id:  # ties the transfer to the funds of the charge that paid it
        params["source_transaction"] = line.charge_id
    try:
        transfer = call(lambda: client.v1.transfers.create(
            params=params, options={"idempotency_key": idempotency_key or line_key(space, line)}), config=config,
            what="transfers.create")
    except stripe.InvalidRequestError as error:  # e.g. the account can no longer be paid
        return "refused", error.user_message or str(error)
    return "sent", transfer.id


def line_key(space: str, line) -> str:
    """The line's key: its id, and from the second attempt on (a payout retried) the attempt."""
    attempts = getattr(line, "attempts", 1) or 1
    return key(space, "transfer", line.id) + (f"-attempt{attempts}" if attempts > 1 else "")


def write_transfers(book: Book, batch: list) -> list[tuple[str, None]]:
    outcomes: list[tuple[str, None]] = []
    for line, (kind, value) in batch:
        if kind == "sent":
            complete_transfer(book, line.id, value)
            outcomes.append(("succeeded", None))
        else:
            fail_transfer(book, line.id, value)
            outcomes.append(("failed", None))
    return outcomes


def run_payouts(ledger: Ledger, client: stripe.StripeClient, config: StripeConfig, community_id: int,
                after_call: AfterCall | None = None, now: dt.datetime | None = None) -> PayoutReport:
    """Send every pending line whose charge succeeded (this payday's, and any a crash left).

    Every line's payout is reserved in the ledger first (batched transactions), then
    the Transfers go out concurrently and their answers are written in batches."""
    report = PayoutReport()
    query = (
        sa.select(stripe_transfers, stripe_charges.c.charge_id)
        .join(stripe_charges, stripe_charges.c.id == stripe_transfers.c.charge_row_id)
        .where(stripe_transfers.c.community_id == community_id, stripe_transfers.c.status == "pending",
               stripe_charges.c.status == "succeeded")
        .order_by(stripe_transfers.c.id)
    )
    lines = ledger.read(lambda book: book.conn.execute(query).all())
    cutoff = (now or dt.datetime.now(dt.timezone.utc)) - KEY_LIFETIME
    late = [line for line in lines if line.ledger_transfer_id is not None and aware(line.updated_at) <= cutoff]
    report.pending += len(late)  # sent before Stripe's key window: adapters/stripe/late.py looks first
    lines = [line for line in lines if line not in late]
    reserved: list = []
    for start in range(0, len(lines), BATCH):
        chunk = lines[start:start + BATCH]
        kept = ledger.run(lambda book: [reserve(book, line.id) for line in chunk]).value
        reserved += [line for line, ok in zip(chunk, kept) if ok]
        report.failed += kept.count(False)
    space = namespace(ledger)
    outcomes = send_all(ledger, reserved, concurrency=config.concurrency, what="transfer", after_call=after_call,
                        send=lambda line: send_transfer(client, config, line, space), write=write_transfers)
    for line, (outcome, _) in outcomes:
        if outcome == "succeeded":
            report.succeeded += 1
            report.paid_minor += line.amount_minor
        elif outcome == "failed":
            report.failed += 1
        else:
            report.pending += 1
    return report
