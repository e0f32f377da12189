"""One community across several spaces, and one member across several identities.

Both work with one-time codes that expire:
- an admin's invite code (`/tip admin invite`) lets another space join the inviting
  community (`/tip admin join CODE`), while the joining space's own community has
  no ledger activity yet;
- a member's link code (`/tip link`) lets the same person attach an identity from
  another space of the community (`/tip link CODE`), while that identity has no
  activity of its own.
link_codes keeps only a hash of each code; the `used_at IS NULL` conditional update makes
a code single-use even under concurrent redemption. Every check raises a
`CodeRefused` before anything is written, so a refusal changes nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from ledger.book import Book
from ledger.directory import require_admin
from ledger.errors import Refusal
from ledger.models import BigId, UtcTime, accounts, identities, members, metadata, spaces, tips, transfers
from ledger.records import Community, Member, Space

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud, typed by hand
CODE_LENGTH = 8  # 32**8 = 2**40 codes
INVITE_TTL = dt.timedelta(hours=24)
LINK_TTL = dt.timedelta(minutes=30)

link_codes = sa.Table(
    "link_codes", metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("code_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("kind", sa.String(10), nullable=False),
    sa.Column("community_id", sa.Integer, sa.ForeignKey("communities.id"), nullable=False),
    sa.Column("space_id", sa.Integer, sa.ForeignKey("spaces.id"), nullable=False),  # where it was made
    sa.Column("member_id", BigId, sa.ForeignKey("members.id")),  # identity codes: who to attach to
    sa.Column("created_at", UtcTime, nullable=False),
    sa.Column("expires_at", UtcTime, nullable=False),
    sa.Column("used_at", UtcTime),
    sa.Column("used_space_id", sa.Integer, sa.ForeignKey("spaces.id")),  # where it was redeemed
    sa.Column("used_platform_user_id", sa.String(100)),
    # what the redemption replaced: the joining space's old community, or the
    # attached identity's old member (kept for the audit trail; may be deleted)
    sa.Column("replaced_id", sa.BigInteger),
    sa.CheckConstraint("kind IN ('invite', 'identity')", name="kind"),
    sa.CheckConstraint(
        "(kind = 'identity' AND member_id IS NOT NULL) OR (kind = 'invite' AND member_id IS NULL)",
        name="member_for_identity"),
    sa.CheckConstraint("expires_at > created_at", name="expires_after_created"),
    sa.CheckConstraint(
        "(used_at IS NULL AND used_space_id IS NULL) OR (used_at IS NOT NULL AND used_space_id IS NOT NULL)",
        name="used_together"),
)


class CodeRefused(Refusal):
    """A code that can't be redeemed here, or a link or join that isn't allowed."""

    def __init__(self, message: str, code: str = "link_refused") -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class IssuedCode:
    code: str  # shown once to whoever asked; only its hash is stored
    kind: str
    expires_at: dt.datetime


@dataclass(frozen=True)
class Joined:
    community: Community
    previous_community_id: int
    members_moved: int


def normalize(code: str) -> str:
    """What people type: any case, with or without the dash or spaces."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def _hash(code: str) -> str:
    return hashlib.sha256(normalize(code).encode()).hexdigest()


def _new_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:4]}-{raw[4:]}"


def _issue(book: Book, kind: str, space: Space, member_id: int | None, now: dt.datetime,
           ttl: dt.timedelta) -> IssuedCode:
    for _ in range(5):  # a collision of 40-bit codes is rare; retry rather than fail
        code = _new_code()
        try:
            with book.conn.begin_nested():
                book.conn.execute(link_codes.insert().values(
                    code_hash=_hash(code), kind=kind, community_id=space.community_id, space_id=space.id,
                    member_id=member_id, created_at=now, expires_at=now + ttl))
        except IntegrityError:
            continue
        return IssuedCode(code, kind, now + ttl)
    raise RuntimeError("could not issue a unique code")


# invites: one community across spaces

def create_invite(book: Book, space_id: int, *, by_admin: bool, now: dt.datetime | None = None,
                  ttl: dt.timedelta = INVITE_TTL) -> IssuedCode:
    """A one-time code another space's admin redeems with `/tip admin join CODE`."""
    require_admin(by_admin, "invite another space into this community")
    return _issue(book, "invite", book.space_by_id(space_id), None, now or book.clock.now(), ttl)


def join_community(book: Book, space_id: int, code: str, *, by_admin: bool,
                   now: dt.datetime | None = None) -> Joined:
    """Move this space (and its members) into the community that issued `code`."""
    require_admin(by_admin, "join this space to another community")
    now = now or book.clock.now()
    space = book.space_by_id(space_id)
    row = _redeemable(book, code, "invite", now)
    if row.community_id == space.community_id:
        raise CodeRefused("This space is already part of that community.", "already_linked")
    old_id = space.community_id
    if len(book.spaces_of(old_id)) > 1:
        raise CodeRefused(
            "This space already shares its community with another space, so it can't move to another one.",
            "already_linked")
    if _community_has_activity(book, old_id):
        raise CodeRefused(
            "This space's community already has tips or transfers, so it can't join another community "
            "(that would mix two ledgers). Joining works only before anyone here tips or is credited.",
            "has_activity")
    target = book.community(row.community_id)
    _mark_used(book, row.id, now, space.id, None, old_id)
    # With no transfers and no tips, every member account of the old community is
    # empty: it moves with its member, taking the new community's currency.
    moved = book.conn.execute(members.update().where(members.c.community_id == old_id)
                              .values(community_id=target.id)).rowcount
    book.conn.execute(accounts.update().where(accounts.c.community_id == old_id, accounts.c.kind == "member")
                      .values(community_id=target.id, currency=target.currency))
    book.conn.execute(spaces.update().where(spaces.c.id == space.id).values(community_id=target.id))
    return Joined(target, old_id, moved)


def _community_has_activity(book: Book, community_id: int) -> bool:
    has_transfer = sa.exists().where(transfers.c.community_id == community_id)
    has_tip = sa.exists().where(tips.c.community_id == community_id)
    return bool(book.conn.execute(sa.select(sa.or_(has_transfer, has_tip))).scalar())


# identity links: one member across spaces

def create_link_code(book: Book, member_id: int, space_id: int, *, now: dt.datetime | None = None,
                     ttl: dt.timedelta = LINK_TTL) -> IssuedCode:
    """A one-time code the same person redeems from their identity on another space."""
    member = book.member(member_id)
    space = book.space_by_id(space_id)
    if member.community_id != space.community_id:
        raise CodeRefused("That member is not part of this space's community.")
    return _issue(book, "identity", space, member_id, now or book.clock.now(), ttl)


def link_identity(book: Book, space_id: int, platform_user_id: str, code: str, *,
                  now: dt.datetime | None = None,
                  before_merge: Callable[[Book, int, int], None] | None = None) -> Member:
    """Attach this identity to the member who issued `code`; returns that member.

    When the identity had a member of its own (no activity, but perhaps a saved card or a
    connected account at a funding adapter), `before_merge(book, old_member_id,
    remaining_member_id)` lets the adapters move what they keep to the member that remains,
    in the same transaction, before the old member is dropped."""
    now = now or book.clock.now()
    space = book.space_by_id(space_id)
    row = _redeemable(book, code, "identity", now)
    if row.community_id != space.community_id:
        raise CodeRefused(
            "That code belongs to another community. An admin can bring this space into it first "
            "with `/tip admin invite` there and `/tip admin join CODE` here.", "other_community")
    target = book.member(row.member_id)
    current = book.find_member(space, platform_user_id)
    if current is not None and current.id == target.id:
        raise CodeRefused("This identity is already linked to that member.", "already_linked")
    if any(s.id == space.id for s, _ in book.identities_of(target.id)):
        raise CodeRefused("That member already has an identity on this space; "
                          "each person links one identity per space.", "already_linked")
    if current is not None:
        if len(book.identities_of(current.id)) > 1:
            raise CodeRefused("This identity is already linked with another one; it can't be linked again.",
                              "already_linked")
        if _member_has_activity(book, current.id):
            raise CodeRefused(
                "This identity already has tips or transfers of its own, so it can't be merged into another "
                "member. Link from the identity that has no activity instead.", "has_activity")
    _mark_used(book, row.id, now, space.id, platform_user_id, current.id if current else None)
    if current is None:
        book.conn.execute(identities.insert().values(
            member_id=target.id, space_id=space.id, platform_user_id=platform_user_id, created_at=now))
    else:
        book.conn.execute(identities.update().where(identities.c.space_id == space.id,
                                                    identities.c.platform_user_id == platform_user_id)
                          .values(member_id=target.id))
        if before_merge is not None:
            before_merge(book, current.id, target.id)
        _drop_empty_member(book, current.id)
    return target


def _member_has_activity(book: Book, member_id: int) -> bool:
    has_transfer = sa.exists().where(sa.or_(transfers.c.from_account_id == member_id,
                                            transfers.c.to_account_id == member_id))
    has_tip = sa.exists().where(sa.or_(tips.c.tipper_id == member_id, tips.c.tippee_id == member_id))
    return bool(book.conn.execute(sa.select(sa.or_(has_transfer, has_tip))).scalar())


def _drop_empty_member(book: Book, member_id: int) -> None:
    """Remove the member left without identities, unless something still refers to it."""
    try:
        with book.conn.begin_nested():
            book.conn.execute(members.delete().where(members.c.id == member_id))
            book.conn.execute(accounts.delete().where(accounts.c.id == member_id, accounts.c.balance_minor == 0))
    except IntegrityError:
        pass  # another table refers to it: keep the empty member rather than lose a reference


# codes

def _redeemable(book: Book, code: str, kind: str, now: dt.datetime):
    if not normalize(code):
        raise CodeRefused("Give the code you were shown, like `ABCD-EFGH`.", "bad_code")
    row = book.conn.execute(sa.select(link_codes).where(link_codes.c.code_hash == _hash(code))).first()
    if row is None:
        raise CodeRefused("That code is not valid. Check it, or ask for a new one.", "bad_code")
    if row.kind != kind:
        if kind == "invite":
            raise CodeRefused("That is a member's link code; use it with `/tip link CODE`.", "bad_code")
        raise CodeRefused("That is an invite code for admins; use it with `/tip admin join CODE`.", "bad_code")
    if row.used_at is not None:
        raise CodeRefused("That code was already used. Ask for a new one.", "code_used")
    if _aware(row.expires_at) <= now:
        raise CodeRefused("That code has expired. Ask for a new one.", "code_expired")
    return row


def _mark_used(book: Book, code_id: int, now: dt.datetime, space_id: int, platform_user_id: str | None,
               replaced_id: int | None) -> None:
    # The conditional update is what makes a code single-use under concurrency.
    updated = book.conn.execute(
        link_codes.update().where(link_codes.c.id == code_id, link_codes.c.used_at.is_(None))
        .values(used_at=now, used_space_id=space_id, used_platform_user_id=platform_user_id,
                replaced_id=replaced_id)
    ).rowcount
    if updated != 1:
        raise CodeRefused("That code was already used. Ask for a new one.", "code_used")


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.timezone.utc)


__all__ = [
    "CodeRefused", "IssuedCode", "Joined", "create_invite", "create_link_code", "join_community",
    "link_codes", "link_identity", "normalize",
]
