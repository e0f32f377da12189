"""Project names as a platform offers them while a member types (Discord's autocomplete).

Read-only and short: one read transaction, at most `limit` names of the community the
space belongs to; a space Tipbot has not seen yet has no projects to offer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.runtime import Runtime

MAX_CHOICES = 25  # Discord shows at most 25 autocomplete choices


def project_name_choices(runtime: Runtime, platform: str, space_id: str, typed: str,
                         limit: int = MAX_CHOICES) -> list[str]:
    """Names of the space's community's projects that start with what was typed so far."""
    prefix = typed.strip().lower()

    def read(book) -> list[str]:
        space = book.space(platform, space_id)
        if space is None:
            return []
        return book.project_names(space.community_id, prefix, limit)

    return runtime.ledger.read(read)
