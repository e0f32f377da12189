"""Names that look alike: Unicode skeletons (UTS #39, "Unicode Security Mechanisms").

Two names with the same skeleton can be told apart by nobody reading them: `аlice`
with a Cyrillic `а`, `paypaI` with a capital I, `b0b` with a zero. The skeleton comes
from disarm's TR39 skeleton key (its confusables data, digits folded as TR39 does,
case folded too: `Bob` and `bob` read as one name in a chat line).
"""

from __future__ import annotations

from collections.abc import Iterable

from disarm import skeleton_key


def skeleton(name: str) -> str:
    """The name's UTS #39 skeleton, case-folded: equal skeletons are confusable names."""
    return skeleton_key(name, digit_policy="tr39")


def lookalike(name: str, others: Iterable[str]) -> str | None:
    """The first of `others` (other than `name` itself) that is confusable with `name`, if any."""
    mine = skeleton(name)
    if not mine:
        return None
    return next((other for other in others if other != name and skeleton(other) == mine), None)
