"""Refunds and disputes reach the recipients: each recipient's share of a refunded or
disputed charge comes back with a Stripe Transfer reversal.

Three steps, each safe to repeat and to interrupt:

1. `plan_reversal` (in the webhook's transaction, once per refund or dispute): a
   `stripe_reversals` row and one `stripe_line_reversals` row per recipient the charge
   paid, holding that recipient's share: the reversed amount split pro rata over what
   the charge paid each recipient and what it kept (the card fee), largest remainder,
   ties to the lowest line, and never more than is still reversible on the line.
2. `settle_reversals` (after the webhook's transaction; again from `tipbot stripe
   reconcile` and each payday): one Transfer reversal per pending row, keyed by the
   row's id, each answer written at once. Stripe refusing (the recipient already took
   the money out) marks the row failed: that share is a loss.
3. `apply_reversal` (one transaction, once every share has Stripe's answer): the ledger
   moves. Per recovered share: stripe -> recipient -> tipper ('reversal'); a share that
   never reached Stripe comes from the recipient's balance as far as it is spendable.
   The rest comes from the tipper's spendable balance, and what is still missing from
   the community's `losses` account; then tipper -> stripe (`refund` or `dispute`).
   No member balance goes below zero and no payday reservation is touched.

A dispute that closes won sends every recovered share back to its recipient with a new
Transfer (keyed by the share's row) and undoes the ledger moves; lost leaves them. A
reinstating Transfer Stripe refuses leaves the share in the recipient's balance, still
owed: the recipient is told once, and it is sent again (a new key) a week after each
refusal while Stripe says their account can be paid.
A dispute closed before it was seen to open is recorded with its outcome: won moves
nothing at all, lost is applied like an opened one.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
import stripe
from sqlalchemy.exc import IntegrityError

from ledger.api import Ledger
from ledger.book import Book
from ledger.errors import InsufficientBalance
from ledger.money import format_money
from ledger.notices import queue_notices
from adapters.stripe.charges import KEY_LIFETIME, aware
from adapters.stripe.client import StripeConfig, call
from adapters.stripe.fees import split_pro_rata
from adapters.stripe.keys import key, namespace
from adapters.stripe.tables import (stripe_accounts, stripe_charges, stripe_line_reversals, stripe_reversals,
                                    stripe_transfers)

log = logging.getLogger(__name__)

KEPT = -1  # the key of the charge's own part (the card fee) in the pro-rata split
LOSSES = "losses"
RETRY_REINSTATEMENT = dt.timedelta(days=6)  # a refused reinstating Transfer goes again at the next weekly payday


def plan_reversal(book: Book, row, *, kind: str, source_id: str, amount_minor: int,
                  outcome: str | None = None) -> str:
    """Record a refund or dispute of charge `row` (a stripe_charges row) and each
    recipient's share, once per `source_id`; applies it at once when no share needs Stripe."""
    row = book.conn.execute(sa.select(stripe_charges).where(stripe_charges.c.id == row.id)
                            .with_for_update()).one()  # one refund or dispute of a charge at a time
    if book.conn.execute(sa.select(stripe_reversals.c.id).where(stripe_reversals.c.source_id == source_id)).first():
        return f"{kind} already recorded"
    amount = min(amount_minor, row.amount_minor - row.reversed_minor)
    if amount <= 0:
        return f"ignored: nothing left to {kind}"
    try:
        with book.conn.begin_nested():
            reversal_id = book.conn.execute(stripe_reversals.insert().values(
                charge_row_id=row.id, source_id=source_id, kind=kind, amount_minor=amount, status="pending",
                outcome=outcome, created_at=book.clock.now()).returning(stripe_reversals.c.id)).scalar_one()
    except IntegrityError:  # the same refund or dispute, recorded concurrently
        return f"{kind} already recorded"
    shares = _shares(book, row, amount)
    book.conn.execute(stripe_charges.update().where(stripe_charges.c.id == row.id)
                      .values(reversed_minor=stripe_charges.c.reversed_minor + amount, updated_at=book.clock.now()))
    if shares:
        book.conn.execute(stripe_line_reversals.insert(), [
            {"reversal_id": reversal_id, "line_id": line.id, "recipient_id": line.recipient_id,
             "amount_minor": share, "status": "pending" if _at_stripe(line) else "local",
             "created_at": book.clock.now(), "updated_at": book.clock.now()}
            for line, share in shares])
    apply_reversal(book, reversal_id)
    return f"{kind} recorded"


def _at_stripe(line) -> bool:
    return line.status == "succeeded" and line.transfer_id is not None


def _shares(book: Book, row, amount_minor: int) -> list[tuple[object, int]]:
    """(line, share) for each recipient line of the charge. Cumulative, so successive partial
    refunds add up exactly: everything reversed so far (with `amount_minor`) is split pro
    rata over the lines' amounts and the part the charge kept (largest remainder), and each
    line's share is its part of that less what earlier reversals already asked of it."""
    lines = book.conn.execute(
        sa.select(stripe_transfers).where(stripe_transfers.c.charge_row_id == row.id,
                                          stripe_transfers.c.status != "cancelled")
        .order_by(stripe_transfers.c.id)).all()
    if not lines:
        return []
    weights = {line.id: line.amount_minor for line in lines}
    kept = row.amount_minor - sum(weights.values())
    if kept > 0:
        weights[KEPT] = kept
    split = split_pro_rata(weights, min(row.reversed_minor + amount_minor, row.amount_minor))
    asked = dict(book.conn.execute(
        sa.select(stripe_line_reversals.c.line_id, sa.func.sum(stripe_line_reversals.c.amount_minor))
        .join(stripe_reversals, stripe_reversals.c.id == stripe_line_reversals.c.reversal_id)
        .where(stripe_line_reversals.c.line_id.in_(list(weights)), stripe_reversals.c.reinstated == sa.false())
        .group_by(stripe_line_reversals.c.line_id)).all())
    shares = []
    for line in lines:
        before = int(asked.get(line.id) or 0)  # SUM is NUMERIC on PostgreSQL
        share = min(split[line.id], line.amount_minor) - before
        if share > 0:
            shares.append((line, share))
    return shares


def apply_reversal(book: Book, reversal_id: int) -> bool:
    """The ledger moves of a reversal whose shares all have Stripe's answer, once."""
    rev = book.conn.execute(sa.select(stripe_reversals).where(stripe_reversals.c.id == reversal_id)
                            .with_for_update()).one()
    if rev.status != "pending":
        return False
    parts = book.conn.execute(sa.select(stripe_line_reversals).where(stripe_line_reversals.c.reversal_id == reversal_id)
                              .order_by(stripe_line_reversals.c.id)).all()
    if any(part.status == "pending" for part in parts):
        return False
    charge = book.conn.execute(sa.select(stripe_charges).where(stripe_charges.c.id == rev.charge_row_id)).one()
    community = book.community(charge.community_id)
    clearing = book.outside_account(community, "stripe")
    tipper = charge.member_id
    note = f"{rev.kind} of card charge {charge.charge_id}"
    own_spendable = book.spendable(tipper).amount_minor
    moves: list[tuple[int, int, int]] = []
    recovered = 0
    for part in parts:
        if part.status == "succeeded":
            got = part.amount_minor
            moves += [(clearing, part.recipient_id, got), (part.recipient_id, tipper, got)]
        elif part.status == "local":
            free = book.spendable(part.recipient_id).amount_minor - _net_out(moves, part.recipient_id)
            got = max(min(part.amount_minor, free), 0)
            if got:
                moves.append((part.recipient_id, tipper, got))
        else:
            got = 0
        if got != part.recovered_minor:
            book.conn.execute(stripe_line_reversals.update().where(stripe_line_reversals.c.id == part.id)
                              .values(recovered_minor=got, updated_at=book.clock.now()))
        recovered += got
    if moves:
        book.apply_moves(community, moves, kind="reversal", note=note, overdraw=frozenset({clearing}))
    own = min(rev.amount_minor - recovered, max(own_spendable, 0))
    loss = rev.amount_minor - recovered - own
    if loss:
        losses = book.outside_account(community, LOSSES)
        book.apply_moves(community, [(losses, tipper, loss)], kind=rev.kind, note=f"{note}: not recovered",
                         overdraw=frozenset({losses}))
    book.apply_moves(community, [(tipper, clearing, rev.amount_minor)], kind=rev.kind, note=note)
    book.conn.execute(stripe_reversals.update().where(stripe_reversals.c.id == reversal_id).values(
        status="applied", recovered_minor=recovered, own_minor=own, loss_minor=loss))
    if rev.outcome == "won":
        _plan_reinstatement(book, reversal_id)
    return True


def _net_out(moves: list[tuple[int, int, int]], account_id: int) -> int:
    """What `moves` take out of `account_id`, less what they bring in."""
    return sum(m[2] for m in moves if m[0] == account_id) - sum(m[2] for m in moves if m[1] == account_id)


# --- disputes closing -----------------------------------------------------

def close_dispute(book: Book, row, *, dispute_id: str, amount_minor: int, outcome: str) -> str:
    """`charge.dispute.closed`: won gives back what the dispute reversed, lost keeps it."""
    rev = book.conn.execute(sa.select(stripe_reversals).where(stripe_reversals.c.source_id == dispute_id)
                            .with_for_update()).first()
    if rev is None:
        if outcome == "lost":
            return plan_reversal(book, row, kind="dispute", source_id=dispute_id, amount_minor=amount_minor,
                                 outcome="lost").replace("recorded", "lost, recorded")
        book.conn.execute(stripe_reversals.insert().values(
            charge_row_id=row.id, source_id=dispute_id, kind="dispute", amount_minor=max(amount_minor, 1),
            status="void", outcome="won", created_at=book.clock.now()))
        return "dispute won before it was recorded: nothing reversed"
    if rev.outcome is not None:
        return f"dispute already {rev.outcome}"
    book.conn.execute(stripe_reversals.update().where(stripe_reversals.c.id == rev.id).values(outcome=outcome))
    if outcome == "won" and rev.status == "applied":
        _plan_reinstatement(book, rev.id)
    return f"dispute {outcome}"


def _plan_reinstatement(book: Book, reversal_id: int) -> None:
    book.conn.execute(stripe_line_reversals.update().where(
        stripe_line_reversals.c.reversal_id == reversal_id, stripe_line_reversals.c.recovered_minor > 0,
        stripe_line_reversals.c.reinstate_status.is_(None)).values(reinstate_status="pending",
                                                                    updated_at=book.clock.now()))
    apply_reinstatement(book, reversal_id)


def apply_reinstatement(book: Book, reversal_id: int) -> bool:
    """A won dispute's ledger moves, once every recovered share's new Transfer has an answer:
    stripe -> tipper (the disputed amount), tipper -> each recipient (their share back) and
    recipient -> stripe ('payout', when its Transfer went out; a refused one stays in their
    balance), tipper -> losses (what the loss account covered)."""
    rev = book.conn.execute(sa.select(stripe_reversals).where(stripe_reversals.c.id == reversal_id)
                            .with_for_update()).one()
    if rev.outcome != "won" or rev.status != "applied" or rev.reinstated:
        return False
    parts = book.conn.execute(sa.select(stripe_line_reversals).where(
        stripe_line_reversals.c.reversal_id == reversal_id, stripe_line_reversals.c.recovered_minor > 0)).all()
    if any(part.reinstate_status == "pending" for part in parts):
        return False
    charge = book.conn.execute(sa.select(stripe_charges).where(stripe_charges.c.id == rev.charge_row_id)).one()
    community = book.community(charge.community_id)
    clearing = book.outside_account(community, "stripe")
    tipper = charge.member_id
    note = _won(charge.charge_id)
    book.apply_moves(community, [(clearing, tipper, rev.amount_minor)], kind="dispute", note=note,
                     overdraw=frozenset({clearing}))
    moves = [(tipper, part.recipient_id, part.recovered_minor) for part in parts]
    if moves:
        book.apply_moves(community, moves, kind="reversal", note=note)
    payouts = [(part.recipient_id, clearing, part.recovered_minor) for part in parts
               if part.reinstate_status == "succeeded"]
    if payouts:
        book.apply_moves(community, payouts, kind="payout", note=f"{note}: Stripe transfer")
    if rev.loss_minor:
        losses = book.outside_account(community, LOSSES)
        book.apply_moves(community, [(tipper, losses, rev.loss_minor)], kind="dispute", note=note)
    book.conn.execute(stripe_reversals.update().where(stripe_reversals.c.id == reversal_id).values(reinstated=True))
    book.conn.execute(stripe_charges.update().where(stripe_charges.c.id == charge.id)
                      .values(reversed_minor=stripe_charges.c.reversed_minor - rev.amount_minor, updated_at=book.clock.now()))
    return True


def _won(charge_id: str | None) -> str:
    return f"dispute of card charge {charge_id} won"


def _retry_reinstatements(ledger: Ledger) -> int:
    """Refused reinstating Transfers due again (a week after their refusal) to recipients Stripe
    says can be paid: the share leaves the recipient's balance again ('payout') and is pending
    once more. A share the recipient has spent in Tipbot meanwhile is no longer owed."""
    due = ledger.clock.now() - RETRY_REINSTATEMENT
    refused = ledger.read(lambda book: book.conn.execute(
        sa.select(stripe_line_reversals.c.id, stripe_line_reversals.c.updated_at)
        .join(stripe_reversals, stripe_reversals.c.id == stripe_line_reversals.c.reversal_id)
        .join(stripe_accounts, stripe_accounts.c.member_id == stripe_line_reversals.c.recipient_id)
        .where(stripe_line_reversals.c.reinstate_status == "failed", stripe_reversals.c.reinstated == sa.true(),
               stripe_accounts.c.payable == sa.true())
        .order_by(stripe_line_reversals.c.id)).all())
    return sum(bool(ledger.run(lambda book, part_id=part.id: _reserve_reinstatement(book, part_id)).value)
               for part in refused if aware(part.updated_at) <= due)


def _reserve_reinstatement(book: Book, part_id: int) -> bool:
    part = book.conn.execute(
        sa.select(stripe_line_reversals, stripe_charges.c.community_id, stripe_charges.c.charge_id)
        .join(stripe_reversals, stripe_reversals.c.id == stripe_line_reversals.c.reversal_id)
        .join(stripe_charges, stripe_charges.c.id == stripe_reversals.c.charge_row_id)
        .where(stripe_line_reversals.c.id == part_id, stripe_line_reversals.c.reinstate_status == "failed")
        .with_for_update(of=stripe_line_reversals)).first()
    if part is None:
        return False
    community = book.community(part.community_id)
    clearing = book.outside_account(community, "stripe")
    status = "pending"
    try:
        with book.conn.begin_nested():
            book.apply_moves(community, [(part.recipient_id, clearing, part.recovered_minor)], kind="payout",
                             note=f"{_won(part.charge_id)}: Stripe transfer")
    except InsufficientBalance:  # spent in Tipbot since: looked at again in a week
        status = "failed"
    book.conn.execute(stripe_line_reversals.update().where(stripe_line_reversals.c.id == part_id)
                      .values(reinstate_status=status, updated_at=book.clock.now()))
    return status == "pending"


def _write_reinstatement(book: Book, part, status: str, value: str) -> None:
    """Stripe's answer to a reinstating Transfer. Refused the first time (the won dispute's
    moves not yet applied): the recipient is told once. Refused on a retry: the share goes
    back to their balance."""
    values = {"reinstate_transfer_id": value} if status == "succeeded" else {"failure_message": value[:500]}
    if book.conn.execute(stripe_line_reversals.update().where(
            stripe_line_reversals.c.id == part.id, stripe_line_reversals.c.reinstate_status == "pending")
            .values(reinstate_status=status, updated_at=book.clock.now(), **values)).rowcount != 1 \
            or status == "succeeded":
        return
    if not part.reinstated:
        money = format_money(part.recovered_minor, part.currency)
        queue_notices(book, [(part.recipient_id, (
            f"A dispute about tips to you was won, but the {money} it gives back could not be sent to your "
            f"Stripe account: {value} Run `/tip payout` to finish setting up your Stripe account. The money "
            f"stays in your Tipbot balance meanwhile, and is sent again at the next paydays."))],
            dedupe_prefix=f"stripe:reinstate:{part.id}")
        return
    community = book.community(part.community_id)
    clearing = book.outside_account(community, "stripe")
    book.apply_moves(community, [(clearing, part.recipient_id, part.recovered_minor)], kind="reversal",
                     note=f"{_won(part.charge_id)}: Stripe transfer refused", overdraw=frozenset({clearing}))


# --- talking to Stripe ----------------------------------------------------

@dataclass
class SettleReport:
    reversed: int = 0
    refused: int = 0
    reinstated: int = 0
    applied: int = 0


def _find_reversal(client: stripe.StripeClient, config: StripeConfig, part) -> str | None:
    """The reversal Stripe already made for this share (by the metadata Tipbot sets), if any."""
    listed = call(lambda: client.v1.transfers.reversals.list(part.transfer_id, params={"limit": 100}),
                  config=config, what="transfers.reversals.list")
    for reversal in listed.auto_paging_iter():
        seen = reversal.to_dict()
        if (seen.get("metadata") or {}).get("tipbot_line_reversal_id") == str(part.id) \
                and seen.get("amount") == part.amount_minor:
            return seen["id"]
    return None


def _send_reversal(client: stripe.StripeClient, config: StripeConfig, part, space: str,
                   now: dt.datetime) -> tuple[str, str]:
    """Send one share's reversal keyed by its row. A row pending longer than Stripe keeps
    keys is never sent blindly: Stripe is asked first whether the reversal exists, and a
    new request carries a new key (the row's and the day's), as adapters/stripe/late.py does."""
    idempotency_key = key(space, "transfer-reversal", part.id)
    if part.created_at <= now - KEY_LIFETIME:
        found = _find_reversal(client, config, part)
        if found is not None:
            return "succeeded", found
        idempotency_key = f"{idempotency_key}-late-{now:%Y%m%d}"
    try:
        answer = call(lambda: client.v1.transfers.reversals.create(
            part.transfer_id, params={"amount": part.amount_minor,
                                      "metadata": {"tipbot_line_reversal_id": str(part.id)}},
            options={"idempotency_key": idempotency_key}),
            config=config, what="transfers.reversals.create")
    except stripe.InvalidRequestError as error:  # e.g. the connected account's balance is paid out
        return "failed", error.user_message or str(error)
    return "succeeded", answer.id


def _find_reinstatement(client: stripe.StripeClient, config: StripeConfig, part) -> str | None:
    """The Transfer Stripe already made to reinstate this share (by its metadata), if any."""
    listed = call(lambda: client.v1.transfers.list(params={"destination": part.destination, "limit": 100}),
                  config=config, what="transfers.list")
    for transfer in listed.auto_paging_iter():
        seen = transfer.to_dict()
        metadata = seen.get("metadata") or {}
        if metadata.get("tipbot_line_reversal_id") == str(part.id) and metadata.get("tipbot_reinstated") \
                and seen.get("amount") == part.recovered_minor and seen.get("destination") == part.destination:
            return seen["id"]
    return None


def _send_reinstatement(client: stripe.StripeClient, config: StripeConfig, part, space: str,
                        now: dt.datetime) -> tuple[str, str]:
    """Like `_send_reversal`: past the key window, look first, then send with a new key. A
    retry after a refusal (Stripe stored it under the first key) has a key of its own."""
    idempotency_key = key(space, "reinstate", part.id)
    if part.reinstated:
        idempotency_key += f"-retry-{aware(part.updated_at):%Y%m%d}"
    if part.updated_at <= now - KEY_LIFETIME:  # pending since the dispute was won
        found = _find_reinstatement(client, config, part)
        if found is not None:
            return "succeeded", found
        idempotency_key = f"{idempotency_key}-late-{now:%Y%m%d}"
    try:
        answer = call(lambda: client.v1.transfers.create(
            params={"amount": part.recovered_minor, "currency": part.currency.lower(),
                    "destination": part.destination,
                    "metadata": {"tipbot_line_reversal_id": str(part.id), "tipbot_reinstated": "dispute won"}},
            options={"idempotency_key": idempotency_key}),
            config=config, what="transfers.create")
    except stripe.InvalidRequestError as error:
        return "failed", error.user_message or str(error)
    return "succeeded", answer.id


def settle_reversals(ledger: Ledger, client: stripe.StripeClient, config: StripeConfig,
                     after_call: Callable[[str, int], None] | None = None) -> SettleReport:
    """Send every pending Transfer reversal and reinstatement (each keyed by its row; a
    crash before the answer is written sends the same key again), then apply every
    reversal and reinstatement that has all its answers."""
    report = SettleReport()
    space = namespace(ledger)
    pending = ledger.read(lambda book: book.conn.execute(
        sa.select(stripe_line_reversals.c.id, stripe_line_reversals.c.amount_minor, stripe_line_reversals.c.created_at,
                  stripe_transfers.c.transfer_id)
        .join(stripe_transfers, stripe_transfers.c.id == stripe_line_reversals.c.line_id)
        .where(stripe_line_reversals.c.status == "pending").order_by(stripe_line_reversals.c.id)).all())
    answers = _send_each(ledger, pending, "transfer-reversal", after_call,
                         send=lambda part: _send_reversal(client, config, part, space, ledger.clock.now()),
                         write=_write_reversal)
    report.reversed += answers.count("succeeded")
    report.refused += answers.count("failed")
    _retry_reinstatements(ledger)
    reinstating = ledger.read(lambda book: book.conn.execute(
        sa.select(stripe_line_reversals.c.id, stripe_line_reversals.c.recipient_id,
                  stripe_line_reversals.c.recovered_minor, stripe_line_reversals.c.updated_at,
                  stripe_transfers.c.currency, stripe_transfers.c.destination, stripe_transfers.c.community_id,
                  stripe_reversals.c.reinstated, stripe_charges.c.charge_id)
        .join(stripe_transfers, stripe_transfers.c.id == stripe_line_reversals.c.line_id)
        .join(stripe_reversals, stripe_reversals.c.id == stripe_line_reversals.c.reversal_id)
        .join(stripe_charges, stripe_charges.c.id == stripe_reversals.c.charge_row_id)
        .where(stripe_line_reversals.c.reinstate_status == "pending").order_by(stripe_line_reversals.c.id)).all())
    answers = _send_each(ledger, reinstating, "reinstate", after_call,
                         send=lambda part: _send_reinstatement(client, config, part, space, ledger.clock.now()),
                         write=_write_reinstatement)
    report.reinstated += answers.count("succeeded")
    waiting = ledger.read(lambda book: book.conn.execute(
        sa.select(stripe_reversals.c.id, stripe_reversals.c.status).where(sa.or_(
            stripe_reversals.c.status == "pending",
            sa.and_(stripe_reversals.c.outcome == "won", stripe_reversals.c.status == "applied",
                    stripe_reversals.c.reinstated == sa.false()))).order_by(stripe_reversals.c.id)).all())
    for rev in waiting:
        def apply(book: Book, rev=rev) -> bool:
            done = apply_reversal(book, rev.id) if rev.status == "pending" else False
            return apply_reinstatement(book, rev.id) or done
        report.applied += bool(ledger.run(apply).value)
    return report


def _send_each(ledger: Ledger, parts: list, what: str, after_call: Callable[[str, int], None] | None, *,
               send: Callable[[object], tuple[str, str]],
               write: Callable[[Book, object, str, str], None]) -> list[str]:
    """Send each row's request in turn and write each answer at once; the answers' statuses."""
    statuses = []
    for part in parts:
        status, value = send(part)
        if after_call is not None:
            after_call(what, part.id)
        ledger.run(lambda book: write(book, part, status, value))
        statuses.append(status)
    return statuses


def _write_reversal(book: Book, part, status: str, value: str) -> None:
    values = {"stripe_reversal_id": value} if status == "succeeded" else {"failure_message": value[:500]}
    book.conn.execute(stripe_line_reversals.update().where(
        stripe_line_reversals.c.id == part.id, stripe_line_reversals.c.status == "pending")
        .values(status=status, updated_at=book.clock.now(), **values))


# --- what reconcile shows -------------------------------------------------

@dataclass(frozen=True)
class Loss:
    reversal_id: int
    charge_row_id: int
    kind: str
    source_id: str
    amount_minor: int
    loss_minor: int
    currency: str
    reasons: tuple[str, ...]

    def __str__(self) -> str:
        why = "; ".join(self.reasons) or "the card fee Stripe keeps, beyond what the tipper's balance covered"
        return (f"charge {self.charge_row_id}: {self.kind} {self.source_id} of {self.amount_minor} "
                f"{self.currency}: {self.loss_minor} not recovered, on the losses account ({why})")


def losses(ledger: Ledger) -> list[Loss]:
    """Every applied refund or dispute whose recipients' shares did not all come back."""
    def load(book: Book) -> list[Loss]:
        rows = book.conn.execute(
            sa.select(stripe_reversals, stripe_charges.c.currency)
            .join(stripe_charges, stripe_charges.c.id == stripe_reversals.c.charge_row_id)
            .where(stripe_reversals.c.loss_minor > 0, stripe_reversals.c.reinstated == sa.false())
            .order_by(stripe_reversals.c.id)).all()
        found = []
        for rev in rows:
            reasons = book.conn.execute(
                sa.select(stripe_line_reversals.c.failure_message).where(
                    stripe_line_reversals.c.reversal_id == rev.id, stripe_line_reversals.c.status == "failed")
            ).scalars().all()
            found.append(Loss(rev.id, rev.charge_row_id, rev.kind, rev.source_id, rev.amount_minor,
                              rev.loss_minor, rev.currency, tuple(r for r in reasons if r)))
        return found

    return ledger.read(load)
