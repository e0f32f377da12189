"""Reaction tips (docs/architecture.md, "Chat"): an emoji mapped to a one-off amount.

Reacting to a member's message with a mapped emoji moves a one-off tip from the
reactor to the author, recorded with a key made of the platform's ids (space,
channel, message, emoji, reactor): a redelivered event, or the same reaction added
again after being removed, finds the key and moves nothing. A per-reactor daily cap
(UTC days, by the ledger's clock passed in as `now`) bounds what reactions spend.
The author learns of their reaction tips later, in one batched direct message
(`untold_reaction_tips` / `mark_told`), so twenty reactions are not twenty messages.
Removing a reaction does not refund.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from ledger.errors import InvalidRequest, OverLimit, Refusal, SelfTip
from ledger.models import BigId, Minor, UtcTime, communities, metadata
from ledger.money import Money, format_money
from ledger.records import Community, Member

reaction_emojis = sa.Table(
    "reaction_emojis", metadata,
    sa.Column("community_id", sa.Integer, sa.ForeignKey("communities.id"), nullable=False),
    sa.Column("emoji", sa.String(100), nullable=False),  # `taco`, `👍`, Discord custom `name:123`
    sa.Column("amount_minor", Minor, nullable=False),
    sa.PrimaryKeyConstraint("community_id", "emoji", name="pk_reaction_emojis"),
    sa.CheckConstraint("amount_minor > 0", name="amount_positive"),
)

reaction_tips = sa.Table(
    "reaction_tips", metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("community_id", sa.Integer, sa.ForeignKey("communities.id"), nullable=False),
    sa.Column("dedupe_key", sa.String(255), nullable=False, unique=True),
    sa.Column("reactor_id", BigId, sa.ForeignKey("members.id"), nullable=False),
    sa.Column("author_id", BigId, sa.ForeignKey("members.id"), nullable=False),
    sa.Column("emoji", sa.String(100), nullable=False),
    sa.Column("amount_minor", Minor, nullable=False),
    sa.Column("transfer_id", BigId, nullable=False),
    sa.Column("created_at", UtcTime(), nullable=False),
    sa.Column("author_told_at", UtcTime()),
    sa.CheckConstraint("amount_minor > 0", name="amount_positive"),
    sa.Index("ix_reaction_tips_reactor_day", "reactor_id", "created_at"),
    sa.Index("ix_reaction_tips_untold", "author_id", postgresql_where=sa.text("author_told_at IS NULL"),
             sqlite_where=sa.text("author_told_at IS NULL")),
)

MAX_EMOJIS = 50  # mapped emojis per community


class CapReached(Refusal):
    code = "reaction_cap"


@dataclass(frozen=True)
class ReactionTip:
    """What one reaction did: `repeated` when its key was already recorded (nothing moved now)."""

    amount_minor: int
    currency: str
    author_name: str
    repeated: bool = False


@dataclass(frozen=True)
class UntoldAuthor:
    """An author with reaction tips they have not been told about yet."""

    author_id: int
    tips: int
    amount_minor: int
    currency: str
    emojis: tuple[str, ...]
    last_id: int  # the newest reaction tip covered (mark_told marks up to it)


def day_start(now: dt.datetime) -> dt.datetime:
    return now.astimezone(dt.timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)


class Reactions:
    conn: sa.Connection

    def reaction_map(self, community_id: int) -> list[tuple[str, int]]:
        rows = self.conn.execute(sa.select(reaction_emojis.c.emoji, reaction_emojis.c.amount_minor)
                                 .where(reaction_emojis.c.community_id == community_id)
                                 .order_by(reaction_emojis.c.emoji))
        return [(r.emoji, int(r.amount_minor)) for r in rows]

    def reaction_amount(self, community_id: int, emoji: str) -> int | None:
        return self.conn.execute(sa.select(reaction_emojis.c.amount_minor).where(
            reaction_emojis.c.community_id == community_id, reaction_emojis.c.emoji == emoji)).scalar()

    def map_reaction(self, community: Community, emoji: str, amount: Money) -> int | None:
        """Map `emoji` to a one-off `amount` (at most the community's one-off limit); returns the old amount."""
        if amount.currency != community.currency:
            raise InvalidRequest(f"This community uses {community.currency}, not {amount.currency}.")
        if amount.amount_minor <= 0:
            raise InvalidRequest("A reaction tip must be more than zero.")
        if amount.amount_minor > community.max_once_minor:
            raise OverLimit(f"A one-off tip is at most {format_money(community.max_once_minor, community.currency)} "
                            f"here, reactions included.")
        old = self.reaction_amount(community.id, emoji)
        if old is None:
            if len(self.reaction_map(community.id)) >= MAX_EMOJIS:
                raise InvalidRequest(f"At most {MAX_EMOJIS} emojis tip; remove one first.")
            self.conn.execute(reaction_emojis.insert().values(
                community_id=community.id, emoji=emoji, amount_minor=amount.amount_minor))
        else:
            self.conn.execute(reaction_emojis.update().where(
                reaction_emojis.c.community_id == community.id, reaction_emojis.c.emoji == emoji)
                .values(amount_minor=amount.amount_minor))
        return old

    def unmap_reaction(self, community_id: int, emoji: str) -> int:
        """Remove a mapping; returns the amount it had. Refuses an emoji that tips nothing."""
        old = self.reaction_amount(community_id, emoji)
        if old is None:
            raise InvalidRequest(f"`{emoji}` does not tip anything here; nothing changed.")
        self.conn.execute(reaction_emojis.delete().where(
            reaction_emojis.c.community_id == community_id, reaction_emojis.c.emoji == emoji))
        return old

    def reaction_cap_minor(self, community_id: int) -> int:
        return int(self.conn.execute(sa.select(communities.c.reaction_daily_cap_minor)
                                     .where(communities.c.id == community_id)).scalar_one())

    def set_reaction_cap(self, community: Community, cap: Money) -> None:
        if cap.currency != community.currency:
            raise InvalidRequest(f"This community uses {community.currency}, not {cap.currency}.")
        self.conn.execute(communities.update().where(communities.c.id == community.id)
                          .values(reaction_daily_cap_minor=cap.amount_minor))

    def spent_on_reactions(self, reactor_id: int, now: dt.datetime) -> int:
        """What a member's reactions tipped since the start of `now`'s UTC day."""
        return int(self.conn.execute(
            sa.select(sa.func.coalesce(sa.func.sum(reaction_tips.c.amount_minor), 0))
            .where(reaction_tips.c.reactor_id == reactor_id, reaction_tips.c.created_at >= day_start(now))
        ).scalar_one())

    def tip_by_reaction(self, community: Community, reactor: Member, author: Member, emoji: str,
                        dedupe_key: str, now: dt.datetime) -> ReactionTip | None:
        """Tip `author` the amount `emoji` is mapped to, once per `dedupe_key`; None: the emoji tips nothing.

        Refuses (rolling back) a self-tip, an author not receiving, a short balance, or a
        reactor over their daily cap."""
        amount_minor = self.reaction_amount(community.id, emoji)
        if amount_minor is None:
            return None
        recorded = self.conn.execute(sa.select(reaction_tips.c.amount_minor)
                                     .where(reaction_tips.c.dedupe_key == dedupe_key)).scalar()
        if recorded is not None:
            return ReactionTip(int(recorded), community.currency, author.display_name, repeated=True)
        if reactor.id == author.id:
            raise SelfTip("You can't tip yourself.")
        # The transfer locks the reactor's account row (with the author's, in id order): the
        # reactor's reactions take turns from here, so the cap is read after the previous one's
        # commit. Over the cap, the refusal rolls the transfer back.
        moved = self.tip_once(reactor.id, [(author.id, Money(amount_minor, community.currency))],  # type: ignore[attr-defined]
                              note=f"reaction :{emoji}:")
        cap = self.reaction_cap_minor(community.id)
        spent = self.spent_on_reactions(reactor.id, now)
        if spent + amount_minor > cap:
            raise CapReached(
                f"Your reactions have tipped {format_money(spent, community.currency)} today; the daily cap for "
                f"reaction tips here is {format_money(cap, community.currency)}, so this one was not sent. "
                f"`/tip @name AMOUNT once` still works.")
        # A concurrent delivery of the same reaction fails here on the unique key and rolls back.
        self.conn.execute(reaction_tips.insert().values(
            community_id=community.id, dedupe_key=dedupe_key[:255], reactor_id=reactor.id,
            author_id=author.id, emoji=emoji, amount_minor=amount_minor,
            transfer_id=moved["transfer_ids"][0], created_at=now))
        return ReactionTip(amount_minor, community.currency, author.display_name)

    def untold_reaction_tips(self, older_than: dt.datetime, limit: int = 500) -> list[UntoldAuthor]:
        """Authors whose oldest untold reaction tip is older than `older_than`: one line each."""
        untold = reaction_tips.c.author_told_at.is_(None)
        due = (sa.select(reaction_tips.c.author_id).where(untold)
               .group_by(reaction_tips.c.author_id)
               .having(sa.func.min(reaction_tips.c.created_at) <= older_than)
               .order_by(reaction_tips.c.author_id).limit(limit).subquery())
        rows = self.conn.execute(
            sa.select(reaction_tips.c.author_id, reaction_tips.c.id, reaction_tips.c.emoji,
                      reaction_tips.c.amount_minor, communities.c.currency)
            .join(due, due.c.author_id == reaction_tips.c.author_id)
            .join(communities, communities.c.id == reaction_tips.c.community_id)
            .where(untold).order_by(reaction_tips.c.author_id, reaction_tips.c.id)
        ).all()
        found: dict[int, list] = {}
        for row in rows:
            found.setdefault(row.author_id, []).append(row)
        return [
            UntoldAuthor(author_id, len(group), sum(int(r.amount_minor) for r in group), group[0].currency,
                         tuple(dict.fromkeys(r.emoji for r in group)), max(r.id for r in group))
            for author_id, group in found.items()
        ]

    def mark_told(self, author_id: int, up_to_id: int, now: dt.datetime) -> int:
        """Claim an author's untold reaction tips up to `up_to_id`; returns how many this call claimed."""
        return self.conn.execute(
            reaction_tips.update().where(reaction_tips.c.author_id == author_id, reaction_tips.c.id <= up_to_id,
                                         reaction_tips.c.author_told_at.is_(None))
            .values(author_told_at=now)).rowcount

