"""Funding commands: `/tip admin funding manual|stripe`, `/tip fund`, `/tip payout`.

`fund` and `payout` call Stripe, so they are non-transactional handlers: each local
row is written in its own short transaction, then Stripe is called with an
idempotency key derived from that row (ledger.stripe.onboarding), and no database
transaction stays open during the network call. In manual mode both explain how
the community is funded and who to ask.

Importing this module also registers the Stripe payday processor.
"""

from __future__ import annotations

import functools
import logging
import uuid
from dataclasses import replace
from typing import TYPE_CHECKING

import stripe

from bot.commands import AdminFunding, Fund, Payout
from bot.config import Settings
from bot.context import Context
from bot.handlers.admin import WHO_ARE_ADMINS, require_admin
from bot.handlers.registry import handles
from bot.invocation import Invocation
from bot.reply import Reply, refusal
from ledger.money import format_money, parse_money
from ledger.payday.processors import register_processor
from ledger.records import Community, Member
from ledger.stripe.charges import fees_paid_by
from ledger.stripe.client import StripeConfig, make_client
from ledger.stripe.dues import dues_of
from ledger.stripe.onboarding import account_status, card_status, onboarding_link, start_checkout
from ledger.stripe.processor import StripeProcessor

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger(__name__)

UNREACHABLE = "Stripe could not be reached just now; nothing was charged or changed. Please try again in a minute."
NOT_CONFIGURED = ("Stripe is not configured on this Tipbot server (STRIPE_SECRET_KEY is not set), "
                  "so this community can't use it. Ask whoever runs Tipbot to add the Stripe keys.")

INTERACTIVE_ATTEMPTS = 3  # a member is waiting for the reply: give up sooner than the payday does

_settings: Settings | None = None


def stripe_config(settings: Settings) -> StripeConfig | None:
    """The plain Stripe values ledger/ takes, or None when no secret key is configured."""
    key = Settings.secret(settings.stripe_secret_key)
    if not key:
        return None
    return StripeConfig(
        secret_key=key, api_url=settings.stripe_api_url, webhook_secret=Settings.secret(settings.stripe_webhook_secret),
        public_url=settings.public_url, concurrency=settings.stripe_concurrency,
        fee_percent_bp=settings.stripe_fee_percent_bp, fee_fixed_minor=settings.stripe_fee_fixed_minor,
        fees_paid_by=settings.stripe_fees_paid_by,
    )


@functools.lru_cache(maxsize=8)
def client_for(config: StripeConfig) -> stripe.StripeClient:
    return make_client(config)


def configure(settings: Settings) -> None:
    """Remember the process's settings for the payday processor (called by every entry point)."""
    global _settings
    _settings = settings


def _processor(community: Community) -> StripeProcessor:
    config = stripe_config(_settings or Settings())
    if config is None:
        from ledger.errors import InvalidRequest

        raise InvalidRequest(f"{community.name} is funded through Stripe, but STRIPE_SECRET_KEY is not set here.")
    return StripeProcessor(config, community, client=client_for(config))


register_processor("stripe", _processor)


def _fees_text(config: StripeConfig | None, paid_by: str, currency: str) -> str:
    if config is None:
        return ""
    rate = f"{config.fee_percent_bp // 100}.{config.fee_percent_bp % 100:02d}".rstrip("0").rstrip(".")
    fee = f"{rate}% + {format_money(config.fee_fixed_minor, currency)}"
    if paid_by == "tipper":
        return f"Card fees ({fee}) are added on top of what each tipper gives."
    return f"Card fees ({fee}) are taken from what recipients receive, in proportion."


@handles(AdminFunding)
def admin_funding(ctx: Context, cmd: AdminFunding) -> Reply:
    require_admin(ctx, "change how the community is funded")
    configure(ctx.runtime.settings)
    config = stripe_config(ctx.runtime.settings)
    if cmd.mode == "stripe" and config is None:
        return refusal(NOT_CONFIGURED + " Nothing changed.", "not_configured")
    if cmd.mode == ctx.community.funding_mode:
        return Reply(text=f"This community is already funded {_mode_words(cmd.mode)}; nothing changed.")
    community = ctx.book.set_funding_mode(ctx.community.id, cmd.mode, by_admin=True)
    if community.funding_mode == "stripe":
        paid_by = fees_paid_by(ctx.book, community.id, config.fees_paid_by if config else "tipper")
        minimum = format_money(community.min_charge_minor, community.currency)
        return Reply(text=(
            "This community is now funded through Stripe. Tippers: `/tip fund` saves a card; at each payday "
            f"the tips you owe are added up and your card is charged once they reach {minimum}. "
            "Recipients: `/tip payout` connects a Stripe account; tips reach you once Stripe says it can be paid. "
            + _fees_text(config, paid_by, community.currency)))
    return Reply(text=(
        "This community is now funded by hand: admins record money members paid in with "
        "`/tip admin credit @member AMOUNT` and money paid out with `/tip admin debit @member AMOUNT`. "
        "Saved cards and connected accounts stay on file in case you switch back."))


def _mode_words(mode: str) -> str:
    return "through Stripe" if mode == "stripe" else "by hand (manual mode)"


def _community_of(runtime: Runtime, invocation: Invocation) -> Community | None:
    """The invocation's community, read only (None: a space Tipbot has not seen yet)."""
    def op(book):
        space = book.space(invocation.platform, invocation.space_id)
        return None if space is None else book.community(space.community_id)

    return runtime.ledger.read(op)


def _whoami(runtime: Runtime, invocation: Invocation) -> tuple[Community, Member]:
    """Resolve the asker in one short transaction (created on first use)."""
    def op(book):
        ctx = runtime.bot.context(book, invocation)
        return ctx.community, ctx.member

    return runtime.ledger.run(op).value


def _manual_name(community: Community | None, invocation: Invocation) -> str:
    return community.name if community is not None else (invocation.space_name or "This community")


def _manual_answer(community: Community | None, invocation: Invocation, what: str) -> Reply:
    """Manual mode: how the community is funded and who to ask. Writes nothing."""
    admins = WHO_ARE_ADMINS.get(invocation.platform, "Ask an admin of this community.")
    name = _manual_name(community, invocation)
    if what == "fund":
        text = (f"{name} is funded by hand, not by card: you pay money in the way your community "
                f"agreed (a budget, dues collected elsewhere), and an admin records it with "
                f"`/tip admin credit`. Ask an admin to credit your balance. {admins}")
    else:
        text = (f"{name} is funded by hand, not through Stripe: your balance is paid out by an "
                f"admin, who records it with `/tip admin debit`. Ask an admin to pay you out. {admins}")
    return Reply(text=text)


def _stripe_ready(runtime: Runtime, invocation: Invocation, what: str) -> tuple[Community, StripeConfig] | Reply:
    """The community and Stripe settings for `fund`/`payout`, or the answer to give
    instead (manual mode, Stripe not configured). Writes nothing."""
    configure(runtime.settings)
    community = _community_of(runtime, invocation)
    if community is None or community.funding_mode != "stripe":
        return _manual_answer(community, invocation, what)
    config = stripe_config(runtime.settings)
    if config is None:
        return refusal(NOT_CONFIGURED, "not_configured")
    return community, config


@handles(Fund, transactional=False)
def fund(runtime: Runtime, invocation: Invocation, cmd: Fund) -> Reply:
    ready = _stripe_ready(runtime, invocation, "fund")
    if isinstance(ready, Reply):
        return ready
    community, config = ready
    planned = ""
    if cmd.amount_text:
        amount = parse_money(cmd.amount_text, community.currency)  # refuses anything malformed
        if amount.amount_minor <= 0:
            return refusal("Name an amount above zero, like `/tip fund 20`, or just `/tip fund`.", "invalid")
        planned = (f" You plan to give {amount.format()}: nothing is charged now; at each payday your card "
                   f"is charged for the tips you owe, once they reach "
                   f"{format_money(community.min_charge_minor, community.currency)}.")
    community, member = _whoami(runtime, invocation)  # only now: a refusal above writes nothing
    request_key = f"{invocation.platform}:{invocation.space_id}:{invocation.request_id or uuid.uuid4().hex}"
    try:
        config = replace(config, max_attempts=INTERACTIVE_ATTEMPTS)
        url = start_checkout(runtime.ledger, client_for(config), config, member_id=member.id,
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


@handles(Payout, transactional=False)
def payout(runtime: Runtime, invocation: Invocation, cmd: Payout) -> Reply:
    ready = _stripe_ready(runtime, invocation, "payout")
    if isinstance(ready, Reply):
        return ready
    _, config = ready
    community, member = _whoami(runtime, invocation)
    try:
        config = replace(config, max_attempts=INTERACTIVE_ATTEMPTS)
        url = onboarding_link(runtime.ledger, client_for(config), config, member.id)
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
