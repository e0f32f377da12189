"""Who a signed-in web visitor is: the members behind a platform identity, and the spaces
a member shares with another (reads only; bot/webme acts through the bot's commands).

Sign-in proves a platform identity (a Slack user in a workspace, a Discord user); the
member is whoever holds that identity in the ledger (ledger/linking.py merges a person's
identities on several spaces of one community into one member). Nothing here creates a
member: an identity the ledger has never seen signs in to nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from ledger.book import Book
from ledger.models import identities, members, spaces
from ledger.records import Member, Space


@dataclass(frozen=True)
class SignedIdentity:
    """One identity of a member: where they are and who they are there."""

    space: Space
    platform_user_id: str
    member: Member


@dataclass(frozen=True)
class Route:
    """How one member reaches another in chat: a space both are in, with each one's id there."""

    space: Space
    my_user_id: str
    member_id: int  # theirs
    their_user_id: str
    their_name: str


def members_of_identity(book: Book, platform: str, platform_user_id: str,
                        space_external_id: str | None = None) -> list[SignedIdentity]:
    """The identities of `platform_user_id` on `platform` (in one space when given), oldest first."""
    query = (sa.select(identities.c.space_id, identities.c.member_id)
             .join(spaces, spaces.c.id == identities.c.space_id)
             .where(spaces.c.platform == platform, identities.c.platform_user_id == platform_user_id)
             .order_by(identities.c.id))
    if space_external_id is not None:
        query = query.where(spaces.c.external_id == space_external_id)
    return [SignedIdentity(book.space_by_id(row.space_id), platform_user_id, book.member(row.member_id))
            for row in book.conn.execute(query)]


def routes_from(book: Book, member_id: int, other_id: int | None = None, limit: int = 1000) -> list[Route]:
    """The members `member_id` can tip in chat (one route each: the oldest shared space), by name;
    only `other_id` when given."""
    mine = identities.alias("mine")
    theirs = identities.alias("theirs")
    query = (
        sa.select(mine.c.space_id, mine.c.platform_user_id.label("my_user_id"), theirs.c.member_id,
                  theirs.c.platform_user_id.label("their_user_id"), members.c.display_name)
        .join(theirs, sa.and_(theirs.c.space_id == mine.c.space_id, theirs.c.member_id != member_id))
        .join(members, members.c.id == theirs.c.member_id)
        .where(mine.c.member_id == member_id)
        .order_by(members.c.display_name, theirs.c.member_id, mine.c.id, theirs.c.id)
    )
    if other_id is not None:
        query = query.where(theirs.c.member_id == other_id)
    found: dict[int, Route] = {}
    spaces_seen: dict[int, Space] = {}
    for row in book.conn.execute(query):
        if row.member_id in found:
            continue
        if len(found) >= limit:
            break
        space = spaces_seen.get(row.space_id) or book.space_by_id(row.space_id)
        spaces_seen[row.space_id] = space
        found[row.member_id] = Route(space, row.my_user_id, row.member_id, row.their_user_id, row.display_name)
    return list(found.values())
