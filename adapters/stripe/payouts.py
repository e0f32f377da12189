"""Payday payouts: a Stripe Transfer to each recipient's connected account for their
share of each succeeded charge (`transfer_group` = the payday, `source_transaction` =
the charge), so Tipbot holds no money between paydays.

Per line: (1) one transaction moves the share out of the recipient's balance in the
ledger (recipient -> stripe, 'payout') and remembers that transfer on the line; (2)
Stripe is called with the line's id as idempotency key; (3) the line completes. A
crash between (1) and (3) is healed by the next run sending the same key. A transfer
Stripe refuses is marked failed and its ledger payout reversed, so the money is back
in the recipient's balance, still owed: it is sent again at later paydays with backoff
(`retry_delay`, a new key per attempt), and the recipient is told once what to fix.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass

import sqlalchemy as sa
import stripe

from ledger.api import Ledger
from ledger.book import Book
from ledger.errors import InsufficientBalance
from ledger.money import format_money
from ledger.notices import queue_notices
from adapters.stripe.charges import KEY_LIFETIME, AfterCall, aware
from adapters.stripe.client import StripeConfig, call
from adapters.stripe.concurrent import BATCH, send_all
from adapters.stripe.keys import key, namespace
from adapters.stripe.tables import stripe_accounts, stripe_charges, stripe_transfers

log = logging.getLogger(__name__)

MAX_PAYOUT_ATTEMPTS = 6
RETRY_FIRST = dt.timedelta(days=6)  # a refused payout goes again at the next weekly payday
RETRY_MAX = dt.timedelta(weeks=8)


def transfer_group(payday_id: int | None) -> str:
    return f"tipbot-payday-{payday_id}"


# A payout's ledger transfers carry no payday_id (a recipient may be paid several lines in
# one payday, and transfers are unique per payday and pair): their note names the payday.
PAYOUT_NOTE = re.compile(r"^payday (\d+): Stripe transfer")


def payout_note(payday_id: int | None, *, refused: bool = False) -> str:
    return f"payday {payday_id}: Stripe transfer" + (" refused" if refused else "")


@dataclass
class PayoutReport:
    succeeded: int = 0
    failed: int = 0
    pending: int = 0
    paid_minor: int = 0
    retried: int = 0


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
                                             kind="payout", note=payout_note(line.payday_id))
    except InsufficientBalance:
        book.conn.execute(stripe_transfers.update().where(stripe_transfers.c.id == line_id).values(
            status="failed", failure_message="the recipient's balance no longer covers it", updated_at=book.clock.now()))
        return False
    book.conn.execute(stripe_transfers.update().where(stripe_transfers.c.id == line_id)
                      .values(ledger_transfer_id=transfer_id, updated_at=book.clock.now()))
    return True


def complete_transfer(book: Book, line_id: int, transfer_id: str) -> bool:
    return book.conn.execute(
        stripe_transfers.update()
        .where(stripe_transfers.c.id == line_id, stripe_transfers.c.status == "pending")
        .values(status="succeeded", transfer_id=transfer_id, failure_message=None, updated_at=book.clock.now())
    ).rowcount == 1


def retry_delay(attempts: int) -> dt.timedelta:
    """How long after its `attempts`-th refusal a payout is tried again: the next weekly
    payday, then every other one, and so on, at most about two months apart."""
    return min(RETRY_FIRST * 2 ** (attempts - 1), RETRY_MAX)


def fail_transfer(book: Book, line_id: int, message: str, now: dt.datetime | None = None) -> bool:
    """Stripe refused: the money goes back to the recipient's balance, where it stays owed;
    with `now`, it is sent again at a later payday (after `retry_delay`), up to
    MAX_PAYOUT_ATTEMPTS attempts. The recipient is told once what to fix."""
    line = book.conn.execute(sa.select(stripe_transfers).where(stripe_transfers.c.id == line_id)).one()
    retry_at = now + retry_delay(line.attempts) if now is not None and line.attempts < MAX_PAYOUT_ATTEMPTS else None
    done = book.conn.execute(
        stripe_transfers.update()
        .where(stripe_transfers.c.id == line_id, stripe_transfers.c.status == "pending")
        .values(status="failed", failure_message=message[:500], retry_at=retry_at, updated_at=book.clock.now())
    ).rowcount == 1
    if done:
        _tell_once(book, line, message, retrying=retry_at is not None)
    if done and line.ledger_transfer_id is not None:
        community = book.community(line.community_id)
        clearing = book.outside_account(community, "stripe")
        book.apply_moves(community, [(clearing, line.recipient_id, line.amount_minor)], kind="reversal",
                         note=payout_note(line.payday_id, refused=True), overdraw=frozenset({clearing}))
    return done


def _tell_once(book: Book, line, message: str, *, retrying: bool) -> None:
    """Tell the recipient what to fix, unless an earlier refusal still outstanding told them."""
    told = book.conn.execute(sa.select(stripe_transfers.c.id).where(
        stripe_transfers.c.recipient_id == line.recipient_id, stripe_transfers.c.status == "failed",
        stripe_transfers.c.told == sa.true())).first()
    if told is not None:
        return
    money = format_money(line.amount_minor, line.currency)
    later = "It is sent again at the next paydays" if retrying else "Ask an admin to look at it"
    text = (f"Your tips of {money} could not be sent to your Stripe account: {message} "
            f"Run `/tip payout` to finish setting up your Stripe account. The money stays in your Tipbot "
            f"balance meanwhile. {later}.")
    queue_notices(book, [(line.recipient_id, text)], dedupe_prefix=f"stripe:payout:{line.id}")
    book.conn.execute(stripe_transfers.update().where(stripe_transfers.c.id == line.id).values(told=True))


def retry_failed(book: Book, community_id: int, now: dt.datetime) -> int:
    """Failed payouts due again (`retry_at` passed) to recipients Stripe says can be paid:
    pending once more, as a new attempt (a new idempotency key: Stripe stored the refusal)."""
    return book.conn.execute(
        stripe_transfers.update()
        .where(stripe_transfers.c.community_id == community_id, stripe_transfers.c.status == "failed",
               stripe_transfers.c.retry_at.is_not(None), stripe_transfers.c.retry_at <= now,
               stripe_transfers.c.recipient_id.in_(
                   sa.select(stripe_accounts.c.member_id).where(stripe_accounts.c.payable == sa.true())))
        .values(status="pending", attempts=stripe_transfers.c.attempts + 1, ledger_transfer_id=None,
                transfer_id=None, retry_at=None, updated_at=book.clock.now())
    ).rowcount


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


def write_transfers(book: Book, batch: list, now: dt.datetime | None = None) -> list[tuple[str, None]]:
    outcomes: list[tuple[str, None]] = []
    for line, (kind, value) in batch:
        if kind == "sent":
            complete_transfer(book, line.id, value)
            outcomes.append(("succeeded", None))
        else:
            fail_transfer(book, line.id, value, now)
            outcomes.append(("failed", None))
    return outcomes


def run_payouts(ledger: Ledger, client: stripe.StripeClient, config: StripeConfig, community_id: int,
                after_call: AfterCall | None = None) -> PayoutReport:
    """Send every pending line whose charge succeeded (this payday's, and any a crash left).

    Every line's payout is reserved in the ledger first (batched transactions), then
    the Transfers go out concurrently and their answers are written in batches."""
    report = PayoutReport()
    now = ledger.clock.now()
    report.retried = ledger.run(lambda book: retry_failed(book, community_id, now)).value
    query = (
        sa.select(stripe_transfers, stripe_charges.c.charge_id)
        .join(stripe_charges, stripe_charges.c.id == stripe_transfers.c.charge_row_id)
        .where(stripe_transfers.c.community_id == community_id, stripe_transfers.c.status == "pending",
               stripe_charges.c.status == "succeeded")
        .order_by(stripe_transfers.c.id)
    )
    lines = ledger.read(lambda book: book.conn.execute(query).all())
    cutoff = now - KEY_LIFETIME
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
                        send=lambda line: send_transfer(client, config, line, space),
                        write=lambda book, batch: write_transfers(book, batch, now))
    for line, (outcome, _) in outcomes:
        if outcome == "succeeded":
            report.succeeded += 1
            report.paid_minor += line.amount_minor
        elif outcome == "failed":
            report.failed += 1
        else:
            report.pending += 1
    return report
