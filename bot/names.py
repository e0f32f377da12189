"""How replies name the other side of a tip: never the tipper of an anonymous tip.

The ledger hands member-facing reads (tips received, history, receipts) without the
tipper's name when a tip is anonymous; this is the one word shown instead.
"""

from __future__ import annotations

SOMEONE = "someone (anonymous)"


def shown_name(name: str | None) -> str:
    """The counterparty's name, or "someone (anonymous)" when the ledger withheld it."""
    return name if name else SOMEONE
