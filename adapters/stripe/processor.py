"""The Stripe processor for the payday engine (ledger.payday.processors).

before_settlement: finish refunds and disputes left pending, accrue dues from the
snapshot (once), plan and send the charges (not those pending past Stripe's key window:
`tipbot stripe reconcile` looks those up first, adapters/stripe/late.py).
Settlement then pays the charged tips from the money each charge brought in.
after_settlement: forget dues paid from balances, send Stripe Transfers (and retry
refused ones that are due).

A charge still pending after the run (Stripe unreachable, or a payment still
processing) stops the payday before settlement with `ChargesPending`: the payday
is resumed later, and the pending rows complete by rerun or by webhook first.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

import sqlalchemy as sa
import stripe

from ledger.errors import InsufficientBalance
from ledger.models import transfers
from ledger.notices import queue_notices
from ledger.records import Community
from adapters.stripe.charges import ChargeReport, free_payday, plan_charges, run_charges
from adapters.stripe.client import StripeConfig, make_client
from adapters.stripe.dues import accrue, settle_balance_paid
from adapters.stripe.payouts import PayoutReport, run_payouts
from adapters.stripe.reversals import settle_reversals
from adapters.stripe.tables import stripe_charges, stripe_transfers

if TYPE_CHECKING:
    from ledger.payday.engine import PaydayRun

log = logging.getLogger(__name__)

Notify = Callable[[int, str], None]  # (member id, text): how the bot tells a tipper


class ChargesPending(Exception):
    """Some charges are still pending: the payday resumes later."""


class StripeProcessor:
    def __init__(self, config: StripeConfig, community: Community, *, client: stripe.StripeClient | None = None,
                 notify: Notify | None = None) -> None:
        self.config = config
        self.community = community
        self.client = client or make_client(config)
        self.notify = notify
        self.charges: ChargeReport | None = None
        self.payouts: PayoutReport | None = None

    def _after_call(self, run: PaydayRun) -> Callable[[str, int], None]:
        return lambda what, row_id: run.crash_point(f"stripe:{what}:{row_id}")

    def before_settlement(self, run: PaydayRun) -> None:
        try:  # refunds and disputes a webhook could not finish: same keys, never twice
            settle_reversals(run.ledger, self.client, self.config)
        except stripe.StripeError:
            log.exception("stripe reversals left pending; the next payday or reconcile retries them")
        run.ledger.run(lambda book: accrue(book, self.community.id, run.payday_id))
        run.crash_point("stripe:accrued")
        notices = run.ledger.run(lambda book: plan_charges(book, self.community.id, run.payday_id,
                                                           self.config)).value
        run.crash_point("stripe:planned")
        run.report("stripe planned", f"{len(notices)} tippers told to add a card")
        report = run_charges(run.ledger, self.client, self.config, run.payday_id, after_call=self._after_call(run))
        report.notices[:0] = notices
        self.charges = report
        run.report("stripe charges", f"{report.succeeded} charged, {report.declined} declined, "
                                     f"{report.pending} pending")
        self._tell(run, report.notices)
        if report.pending:
            raise ChargesPending(f"{report.pending} charges of payday {run.payday_id} are still pending")

    def after_settlement(self, run: PaydayRun) -> None:
        def prepare(book) -> None:
            settle_balance_paid(book, run.payday_id)
            unpaid_lines(book, run.payday_id)

        run.ledger.run(prepare)
        self.payouts = run_payouts(run.ledger, self.client, self.config, self.community.id,
                                   after_call=self._after_call(run))
        run.report("stripe transfers", f"{self.payouts.succeeded} sent, {self.payouts.failed} failed, "
                                       f"{self.payouts.pending} pending")

    def _tell(self, run: PaydayRun, notices: list[tuple[int, str]]) -> None:
        """Tell tippers about declines and missing cards: queued in the notices outbox
        (delivered with the payday's announcement, once), or through `notify` if given."""
        if not notices:
            return
        if self.notify is None:
            run.ledger.run(lambda book: queue_notices(book, notices, dedupe_prefix=f"stripe:{run.payday_id}"))
            return
        for member_id, text in notices:
            try:
                self.notify(member_id, text)
            except Exception:  # telling a tipper must never stop a payday
                log.exception("could not tell member %s", member_id)


def unpaid_lines(book, payday_id: int) -> int:
    """Lines of succeeded charges whose tip settlement did not pay (it always should: the
    charge brought exactly that money in). They are paid here from the tipper's balance,
    so no payout draws on money the recipient never got; a line even that can't pay is
    cancelled and the money stays in the tipper's balance (never charged again)."""
    paid = sa.exists().where(transfers.c.payday_id == payday_id, transfers.c.kind == "tip",
                             transfers.c.from_account_id == stripe_charges.c.member_id,
                             transfers.c.to_account_id == stripe_transfers.c.recipient_id)
    rows = book.conn.execute(
        sa.select(stripe_transfers.c.id, stripe_transfers.c.recipient_id, stripe_transfers.c.amount_minor,
                  stripe_charges.c.member_id, stripe_charges.c.community_id)
        .join(stripe_charges, stripe_charges.c.id == stripe_transfers.c.charge_row_id)
        .where(stripe_transfers.c.payday_id == payday_id, stripe_transfers.c.status == "pending",
               stripe_transfers.c.ledger_transfer_id.is_(None), stripe_charges.c.status == "succeeded", ~paid)
    ).all()
    for row in rows:
        log.error("payday %s: settlement did not pay %s -> %s; paying it now", payday_id, row.member_id,
                  row.recipient_id)
        community = book.community(row.community_id)
        try:
            with book.conn.begin_nested():
                book.apply_moves(community, [(row.member_id, row.recipient_id, row.amount_minor)], kind="tip",
                                 payday_id=free_payday(book, payday_id, row.member_id, row.recipient_id))
        except InsufficientBalance:
            book.conn.execute(stripe_transfers.update().where(stripe_transfers.c.id == row.id)
                              .values(status="cancelled", failure_message="settlement did not pay this tip"))
    return len(rows)
