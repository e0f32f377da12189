"""The funding adapter boundary: how a funding mode other than `manual` plugs in.

A funding adapter (adapters/stripe/) names a factory under the `tipbot.funding` entry
point group; the composition root (bot/compose.py) calls it with the settings and
keeps the adapters it gets by mode name. The core knows an adapter only through this
protocol: it passes the adapter's payday processor to the payday engine (the ledger's
processor hook, ledger/payday/processors.py), routes `/tip fund` and `/tip payout`
to it, mounts its web routes and adds its CLI. A community in a mode whose adapter is
not installed or not configured gets a clear answer instead.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from bot.metrics import Metrics
    from bot.invocation import Invocation
    from bot.reply import Reply
    from bot.runtime import Runtime
    from ledger.book import Book
    from ledger.payday.processors import PaydayProcessor
    from ledger.records import Community

MANUAL = "manual"


class FundingAdapter(Protocol):
    mode: str  # the communities.funding_mode it serves ("stripe")
    label: str  # how members call it ("Stripe")

    def configured(self) -> bool:
        """Whether this process has what the adapter needs (keys) to serve its mode."""

    def not_configured_text(self) -> str:
        """Why the mode can't be used here, for members and admins (no secrets)."""

    def processor(self, community: Community) -> PaydayProcessor:
        """The payday processor for one community in this mode (configured adapters only)."""

    def describe(self, book: Book, community: Community) -> str:
        """What members of a community that just switched to this mode need to know."""

    def fund(self, runtime: Runtime, invocation: Invocation, community: Community, amount_text: str | None) -> Reply:
        """`/tip fund [AMOUNT]` in a community in this mode (not transactional)."""

    def payout(self, runtime: Runtime, invocation: Invocation, community: Community) -> Reply:
        """`/tip payout` in a community in this mode (not transactional)."""

    def use_metrics(self, metrics: Metrics) -> None:
        """Count calls to the provider on these metrics (bot/metrics.py: `stripe_calls`)."""

    def web_routes(self, runtime: Runtime) -> list[Any]:
        """Starlette routes for the web app (webhooks, return pages)."""

    def add_cli(self, subparsers: argparse._SubParsersAction) -> None:
        """Add the adapter's `tipbot` subcommands."""

    def body_limits(self) -> dict[str, int]:
        """The largest request body its routes take, by path prefix ({"/stripe/webhook": 524288});
        other routes get the core's `max_body_bytes`. Optional: the composition root asks an
        adapter that has it."""

    def merge_members(self, book: Book, old_member_id: int, remaining_member_id: int) -> None:
        """Two identities were linked: move what the adapter keeps for `old_member_id` (a saved
        card, a connected account) to `remaining_member_id`, in the linking transaction.
        Optional: the core calls it when an adapter has it."""
