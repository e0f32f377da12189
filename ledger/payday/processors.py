"""The extension point for funding modes (docs/architecture.md, "Funding adapters").

A community in `manual` mode needs no processor: settlement moves money between
balances that treasurers credit and debit by hand. Any other mode (`stripe`) needs
its processor, which the caller passes in (the bot's composition root builds one per
funding adapter; nothing is looked up in a registry):

    run_payday(ledger, community_id, week, processors={"stripe": stripe_funding.processor})

The engine calls, for one payday, in this order:

1. `before_settlement(run)` after the snapshot: e.g. charge cards and record each
   charge as a transfer (Stripe clearing account -> tipper, `payday_id=run.payday_id`,
   via `Book.apply_moves(..., overdraw={clearing})`). Every transfer carrying the
   payday's id that is not a tip is added to the working balances when
   settlement starts, so settlement spends it this payday.
2. settlement rounds (the engine's own, set-based).
3. `after_settlement(run)`: e.g. send recipients' balances to their connected accounts.

Each hook runs OUTSIDE any engine transaction and may be called again after a
crash until the engine records its stage (`funded`, `paid_out`), so it must be
idempotent: write a local row before each outside call and derive the outside
idempotency key from it. What a tipper owes this payday is `run.due_by_tipper()`
(their due tips, pledges excluded, minus their balance at the snapshot; the same
figure on every rerun). A hook reads and changes the snapshot only through
ledger/payday/funding.py (e.g. turning due tips into pledges for recipients it
can't pay, which also keeps the running sums right). Call
`run.crash_point("name")` between steps so tests can crash there, and
`run.report(stage, detail)` to show progress.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Protocol

from ledger.errors import InvalidRequest
from ledger.records import Community

if TYPE_CHECKING:
    from ledger.payday.engine import PaydayRun


class PaydayProcessor(Protocol):
    def before_settlement(self, run: PaydayRun) -> None:
        """Bring money in before settlement (charges). Idempotent."""

    def after_settlement(self, run: PaydayRun) -> None:
        """Send money out after settlement (payouts). Idempotent."""


ProcessorFactory = Callable[[Community], PaydayProcessor]


def processor_for(community: Community, processors: Mapping[str, ProcessorFactory]) -> PaydayProcessor | None:
    """None for manual mode; the caller's processor for the community's mode otherwise
    (refuses when the caller has none: the mode is not installed or configured here)."""
    if community.funding_mode == "manual":
        return None
    factory = processors.get(community.funding_mode)
    if factory is None:
        raise InvalidRequest(
            f"{community.name} is funded through {community.funding_mode}, which is not configured in this "
            f"process, so its payday can't run here."
        )
    return factory(community)
