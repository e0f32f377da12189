"""Stripe funding mode: cards through Checkout, charges at payday, payouts through Connect.

The `tipbot.funding` entry point names `funding`; the composition root calls it with
the settings. Stripe's own tables (stripe_*) are defined in tables.py; every ledger
row it needs moves through the ledger API (Book methods, ledger/payday/funding.py).
"""

from __future__ import annotations

from adapters.stripe.handlers import StripeFunding
from bot.config import Settings


def funding(settings: Settings) -> StripeFunding:
    return StripeFunding(settings)


__all__ = ["StripeFunding", "funding"]
