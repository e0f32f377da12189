"""The Stripe funding adapter: `/tip fund`, `/tip payout`, the payday processor, its
web routes and CLI, as the core's `bot.funding.FundingAdapter`.

`fund` and `payout` call Stripe, so they run outside the command transaction: each
local row is written in its own short transaction, then Stripe is called with an
idempotency key derived from that row (adapters/stripe/onboarding.py), and no
database transaction stays open during the network call. The core answers for
manual mode and for a Stripe that is not configured (bot/handlers/funding.py).
"""

from __future__ import annotations

import argparse
import logging
import uuid
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import stripe

from adapters.stripe import cli, web
from adapters.stripe.charges import fees_paid_by
from adapters.stripe.client import StripeConfig, make_client
from adapters.stripe.config import StripeSettings
from adapters.stripe.dues import dues_of
from adapters.stripe.exports import export_paydays, export_references
from adapters.stripe.merge import merge_members
from adapters.stripe.onboarding import account_status, card_status, onboarding_link, start_checkout
from adapters.stripe.processor import StripeProcessor
from bot.config import Settings
from bot.invocation import Invocation
from bot.reply import Reply, refusal
from ledger.book import Book
from ledger.errors import InvalidRequest
from ledger.money import format_money, parse_money
from ledger.records import Community

if TYPE_CHECKING:
    from bot.metrics import Metrics
    from bot.runtime import Runtime

log = logging.getLogger(__name__)

UNREACHABLE = "Stripe could not be reached just now; nothing was charged or changed. Please try again in a minute."
NOT_CONFIGURED = ("Stripe is not configured on this Tipbot server (STRIPE_SECRET_KEY is not set), "
                  "so this community can't use it. Ask whoever runs Tipbot to add the Stripe keys.")

INTERACTIVE_ATTEMPTS = 3  # a member is waiting for the reply: give up sooner than the payday does


class StripeFunding:
    """Stripe funding for one process, built by the composition root from the settings."""

    mode = "stripe"
    label = "Stripe"

    def __init__(self, settings: Settings, stripe_settings: StripeSettings | None = None) -> None:
        own = stripe_settings or StripeSettings()
        self.config = own.config(settings.public_url)
        self.max_body_bytes = own.stripe_max_body_bytes
        self._clients: dict[StripeConfig, stripe.StripeClient] = {}

    def configured(self) -> bool:
        return self.config is not None

    def use_metrics(self, metrics: Metrics) -> None:
        if self.config is not None:
            calls = metrics.stripe_calls
            self.config = replace(self.config, observe=lambda method, outcome: calls.labels(method, outcome).inc())

    def body_limits(self) -> dict[str, int]:
        """Stripe's events are bigger than a page request, far smaller than Slack's."""
        return {"/stripe/webhook": self.max_body_bytes}

    def not_configured_text(self) -> str:
        return NOT_CONFIGURED

    def client(self, config: StripeConfig) -> stripe.StripeClient:
        """One client per configuration (the payday's and the interactive one differ in retries)."""
        found = self._clients.get(config)
        if found is None:
            found = self._clients[config] = make_client(config)
        return found

    def processor(self, community: Community) -> StripeProcessor:
        if self.config is None:
            raise InvalidRequest(f"{community.name} is funded through Stripe, but STRIPE_SECRET_KEY is not set here.")
        return StripeProcessor(self.config, community, client=self.client(self.config))

    def describe(self, book: Book, community: Community) -> str:
        config = self.config
        paid_by = fees_paid_by(book, community.id, config.fees_paid_by if config else "tipper")
        minimum = format_money(community.min_charge_minor, community.currency)
        return ("This community is now funded through Stripe. Tippers: `/tip fund` saves a card; at each payday "
                f"the tips you owe are added up and your card is charged once they reach {minimum}. "
                "Recipients: `/tip payout` connects a Stripe account; tips reach you once Stripe says it can be "
                "paid. " + _fees_text(config, paid_by, community.currency))

    def _interactive(self) -> StripeConfig:
        assert self.config is not None  # the core asks configured() first
        return replace(self.config, max_attempts=INTERACTIVE_ATTEMPTS)

    def fund(self, runtime: Runtime, invocation: Invocation, community: Community, amount_text: str | None) -> Reply:
        planned = ""
        if amount_text:
            amount = parse_money(amount_text, community.currency)  # refuses anything malformed
            if amount.amount_minor <= 0:
                return refusal("Name an amount above zero, like `/tip fund 20`, or just `/tip fund`.", "invalid")
            planned = (f" You plan to give {amount.format()}: nothing is charged now; at each payday your card "
                       f"is charged for the tips you owe, once they reach "
                       f"{format_money(community.min_charge_minor, community.currency)}.")
        community, member = runtime.bot.whoami(invocation)  # only now: a refusal above writes nothing
        request_key = f"{invocation.platform}:{invocation.space_id}:{invocation.request_id or uuid.uuid4().hex}"
        config = self._interactive()
        try:
            url = start_checkout(runtime.ledger, self.client(config), config, member_id=member.id,
                                 currency=community.currency, request_key=request_key)
        except stripe.StripeError as error:
            log.warning("fund: Stripe error %s", type(error).__name__)
            return refusal(UNREACHABLE, "stripe_unavailable")
        card = runtime.ledger.read(lambda book: card_status(book, member.id))
        owed = runtime.ledger.read(lambda book: dues_of(book, member.id))
        lines = [f"Save a card with Stripe Checkout (only you can see this link): {url}"]
        if card.payment_method_id:
            lines.append(f"You already have a card saved ({card.card_label or 'card'}); a new one replaces it.")
        if card.declines:
            lines.append("Saving a working card resumes your tips after the declines.")
        if owed:
            lines.append(f"Tips you owe so far: {format_money(owed, community.currency)}.")
        return Reply(text="\n".join(lines) + planned, title="Fund your tips")

    def payout(self, runtime: Runtime, invocation: Invocation, community: Community) -> Reply:
        community, member = runtime.bot.whoami(invocation)
        config = self._interactive()
        try:
            url = onboarding_link(runtime.ledger, self.client(config), config, member.id)
        except stripe.StripeError as error:
            log.warning("payout: Stripe error %s", type(error).__name__)
            return refusal(UNREACHABLE, "stripe_unavailable")
        _, payable = runtime.ledger.read(lambda book: account_status(book, member.id))
        if payable:
            state = "Your Stripe account can be paid: tips reach it at each payday. This link updates its details."
        else:
            state = ("Finish Stripe's onboarding with this link; once Stripe says your account can be paid, "
                     "tips to you are paid into it at each payday (until then they wait as pledges).")
        return Reply(text=f"{state}\nConnect your Stripe account (only you can see this link): {url}",
                     title="Receive tips through Stripe")

    def web_routes(self, runtime: Runtime) -> list[Any]:
        return web.routes(runtime, self)

    def export_references(self, book: Book, rows) -> dict[int, str]:
        """Stripe's ids for the transfers `tipbot ledger export` writes."""
        return export_references(book, rows)

    def export_paydays(self, book: Book, rows) -> dict[int, int]:
        """The paydays of the payouts `tipbot ledger export` writes."""
        return export_paydays(book, rows)

    def merge_members(self, book: Book, old_member_id: int, remaining_member_id: int) -> None:
        merge_members(book, old_member_id, remaining_member_id)

    def add_cli(self, subparsers: argparse._SubParsersAction) -> None:
        cli.register(subparsers, self)


def _fees_text(config: StripeConfig | None, paid_by: str, currency: str) -> str:
    if config is None:
        return ""
    rate = f"{config.fee_percent_bp // 100}.{config.fee_percent_bp % 100:02d}".rstrip("0").rstrip(".")
    fee = f"{rate}% + {format_money(config.fee_fixed_minor, currency)}"
    if paid_by == "tipper":
        return f"Card fees ({fee}) are added on top of what each tipper gives."
    return f"Card fees ({fee}) are taken from what recipients receive, in proportion."
