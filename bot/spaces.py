"""Spaces a platform announces before anyone runs a command (a Discord server adding the bot).

Creating the space and its community up front lets its admins configure it (channel,
limits, joining another community) from their first command. Idempotent: a space
seen again is returned as it is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ledger.records import Space

if TYPE_CHECKING:
    from bot.runtime import Runtime


def register_space(runtime: Runtime, platform: str, external_id: str, name: str | None = None) -> Space:
    """The space (and a community of its own, the first time), through the ledger API."""
    return runtime.ledger.run(lambda book: book.ensure_space(
        platform, external_id, name=name, currency=runtime.settings.currency)).value
