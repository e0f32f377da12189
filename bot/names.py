"""How replies name the other side of a tip: never the tipper of an anonymous tip.

The ledger hands member-facing reads (tips received, history, receipts) without the
tipper's name when a tip is anonymous; this is the one word shown instead.
"""

from __future__ import annotations

SOMEONE = "someone (anonymous)"


def emoji_shown(key: str) -> str:
    """An emoji as chat shows it: `taco` -> `:taco:`, a Discord custom `name:123` -> `<:name:123>`."""
    if ":" in key:
        return f"<:{key}>"
    return f":{key}:" if key.isascii() else key


def shown_name(name: str | None) -> str:
    """The counterparty's name, or "someone (anonymous)" when the ledger withheld it."""
    return name if name else SOMEONE
