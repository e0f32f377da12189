"""Stripe funding mode: cards through Checkout, charges at payday, payouts through Connect.

ledger/stripe never imports bot/: settings arrive as plain arguments (`StripeConfig`).
"""

from ledger.stripe import tables  # noqa: F401  (registers the tables on ledger.models.metadata)
