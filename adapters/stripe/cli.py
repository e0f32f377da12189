"""`tipbot stripe reconcile|fees`: operators' tools for Stripe funding (reconcile also finishes
what was left pending: adapters/stripe/reversals.py, adapters/stripe/late.py)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from adapters.stripe.reconcile import reconcile, unknown_events
from adapters.stripe.late import settle_late
from adapters.stripe.reversals import losses, settle_reversals
from adapters.stripe.settings import set_fees_paid_by
from bot.cli_options import add_database_option, open_runtime
from ledger.api import Ledger

if TYPE_CHECKING:
    from adapters.stripe.handlers import StripeFunding


def register(subparsers: argparse._SubParsersAction, funding: StripeFunding) -> None:
    parser = subparsers.add_parser("stripe", help="Stripe funding: reconcile with Stripe, choose who pays fees")
    sub = parser.add_subparsers(dest="stripe_command", metavar="ACTION", required=True)
    check = sub.add_parser(
        "reconcile", help="compare local charges and transfers with Stripe's; exit 1 on any difference",
        description="Compares every local charge and transfer with Stripe's objects and prints each "
                    "difference (exit 1 if any), the refunds and disputes not fully recovered from recipients "
                    "(on the community's losses account), and events about charges Tipbot has no record of. "
                    "With --fix it first finishes what was left pending: the Transfer reversals of refunds and "
                    "disputes (same idempotency keys), and requests pending past Stripe's 24-hour key window "
                    "(looked up at Stripe by their metadata: recorded if found, sent again with a new key if not).")
    check.add_argument("--payday", type=int, metavar="N", help="only payday N (its id)")
    check.add_argument("--fix", action="store_true",
                       help="first send pending Transfer reversals and settle requests past the 24-hour key window")
    add_database_option(check)
    check.set_defaults(handler=lambda args: cmd_reconcile(args, funding))
    fees = sub.add_parser("fees", help="who pays card fees in a community: the tipper on top, or recipients pro rata")
    fees.add_argument("community", metavar="COMMUNITY", help="the community's name")
    fees.add_argument("paid_by", choices=("tipper", "recipients"))
    add_database_option(fees)
    fees.set_defaults(handler=cmd_fees)


def _ledger(args: argparse.Namespace) -> Ledger:
    return open_runtime(args).ledger


def cmd_reconcile(args: argparse.Namespace, funding: StripeFunding) -> int:
    config = funding.config
    if config is None:
        print("STRIPE_SECRET_KEY is not set: nothing to reconcile against.", file=sys.stderr)
        return 2
    runtime = open_runtime(args)
    ledger = runtime.ledger
    client = funding.client(config)
    if args.fix:
        settled = settle_reversals(ledger, client, config)  # what a webhook left pending: same keys, never twice
        late = settle_late(ledger, client, config)  # past the key window: look first
        print(f"Fixed: {settled.reversed} Transfer reversal(s) sent ({settled.refused} refused), "
              f"{settled.applied} refund(s) or dispute(s) applied; requests past Stripe's 24-hour key window: "
              f"{late.found} found at Stripe and recorded, {late.resent} not found and sent again with a new key.")
    differences = reconcile(ledger, client, payday_id=args.payday)
    scope = f"payday {args.payday}" if args.payday is not None else "every payday"
    if not differences:
        print(f"Stripe reconcile ({scope}): every charge and transfer matches Stripe.")
    else:
        print(f"Stripe reconcile ({scope}): {len(differences)} difference(s):")
        for difference in differences:
            print(f"  - {difference}")
    lost = losses(ledger)
    if lost:  # recorded on the community's losses account; nothing disagrees, but a treasurer should see it
        print(f"{len(lost)} refund(s) or dispute(s) not fully recovered from recipients "
              f"(recorded on the community's losses account):")
        for loss in lost:
            print(f"  - {loss}")
    unknown = [event for event in unknown_events(ledger) if event.charge_row_id is None]
    if unknown:  # not differences: nothing of Tipbot's is wrong, but an operator should see them
        print(f"{len(unknown)} Stripe event(s) about charges Tipbot has no record of (answered 200, not applied; "
              f"another product on this Stripe account, or charges missing from this database):")
        for event in unknown:
            print(f"  - {event}")
    return 1 if differences else 0


def cmd_fees(args: argparse.Namespace) -> int:
    ledger = _ledger(args)
    community = ledger.read(lambda book: book.community_by_name(args.community))
    if community is None:
        print(f"No community named {args.community!r}.", file=sys.stderr)
        return 2
    ledger.run(lambda book: set_fees_paid_by(book, community.id, args.paid_by))
    who = "tippers, on top of their tips" if args.paid_by == "tipper" else "recipients, in proportion to their tips"
    print(f"Card fees in {community.name} are now paid by {who}.")
    return 0
