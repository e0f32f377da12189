"""Profiles, leaderboards and the community's chat settings (docs/architecture.md, "Chat").

A leaderboard is one set-based query over the period's tip transfers (one-off and
weekly, reactions included: they are one-off tips): totals per member, ranked; only
members with a public profile are named, the rest are counted. Anonymous tips count
for their receiver, never for their giver (a giver's total would hint at whom).
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

import sqlalchemy as sa

from ledger.errors import InvalidRequest
from ledger.models import communities, members, transfers

LEADERBOARD_SHOWS = ("amounts", "counts")
TIP_KINDS = ("once", "tip")


@dataclass(frozen=True)
class Standing:
    """One named line of a leaderboard."""

    name: str
    amount_minor: int
    tips: int


@dataclass(frozen=True)
class Leaderboard:
    shows: str  # "amounts" | "counts": what the community chose to show (and rank by)
    named: tuple[Standing, ...]  # public profiles, best first
    others: int  # members who gave/received in the period but are not named


class Chat:
    conn: sa.Connection

    def set_profile(self, member_id: int, public: bool) -> bool:
        """Make a member's profile public or private; returns whether anything changed."""
        result = self.conn.execute(
            members.update().where(members.c.id == member_id, members.c.profile_public == (not public))
            .values(profile_public=public))
        if result.rowcount == 0:
            self.member(member_id)  # type: ignore[attr-defined]  # refuses unknown members
        return result.rowcount == 1

    def profile_public(self, member_id: int) -> bool:
        return bool(self.conn.execute(
            sa.select(members.c.profile_public).where(members.c.id == member_id)).scalar_one())

    def leaderboard_shows(self, community_id: int) -> str:
        return self.conn.execute(
            sa.select(communities.c.leaderboard_shows).where(communities.c.id == community_id)).scalar_one()

    def set_leaderboard_shows(self, community_id: int, shows: str) -> None:
        if shows not in LEADERBOARD_SHOWS:
            raise InvalidRequest("Leaderboards show `amounts` or `counts`.")
        self.conn.execute(communities.update().where(communities.c.id == community_id)
                          .values(leaderboard_shows=shows))

    def leaderboard(self, community_id: int, *, received: bool, since: dt.datetime | None,
                    until: dt.datetime, limit: int = 10) -> Leaderboard:
        """The period's top givers or receivers: public profiles named, the rest counted."""
        shows = self.leaderboard_shows(community_id)
        params = {"community_id": community_id, "until": until, "limit": limit}
        if since is not None:
            params["since"] = since
        rows = self.conn.execute(_leaderboard_query(received, since is not None, shows), params).all()
        named = sorted((r for r in rows if r.position), key=lambda r: r.position)
        others = next(int(r.tips) for r in rows if not r.position)
        return Leaderboard(shows, tuple(Standing(r.display_name, int(r.amount_minor), int(r.tips)) for r in named),
                           others)


@functools.lru_cache(maxsize=None)
def _leaderboard_query(received: bool, bounded: bool, shows: str) -> sa.CompoundSelect:
    """The leaderboard query for one shape, built once (bound: community_id, until, since
    when `bounded`, limit): every weekly summary runs it, and building it cost more than running it."""
    who = transfers.c.to_account_id if received else transfers.c.from_account_id
    period = [transfers.c.community_id == sa.bindparam("community_id"), transfers.c.kind.in_(TIP_KINDS),
              transfers.c.created_at < sa.bindparam("until", type_=transfers.c.created_at.type)]
    if bounded:
        period.append(transfers.c.created_at >= sa.bindparam("since", type_=transfers.c.created_at.type))
    if not received:
        period.append(sa.not_(transfers.c.anonymous))
    totals = (sa.select(who.label("member_id"), sa.func.sum(transfers.c.amount_minor).label("amount_minor"),
                        sa.func.count().label("tips"))
              .where(*period).group_by(who).subquery("totals"))
    metric = totals.c.tips if shows == "counts" else totals.c.amount_minor
    ranked = (sa.select(members.c.display_name, members.c.profile_public, totals.c.amount_minor, totals.c.tips,
                        sa.func.row_number().over(partition_by=members.c.profile_public,
                                                  order_by=(metric.desc(), members.c.id)).label("position"))
              .join(members, members.c.id == totals.c.member_id).subquery("ranked"))
    shown = sa.and_(ranked.c.profile_public, ranked.c.position <= sa.bindparam("limit"))
    return (sa.select(ranked.c.display_name, ranked.c.amount_minor, ranked.c.tips, ranked.c.position)
            .where(shown).union_all(  # and one row counting the members not named (position 0)
                sa.select(sa.null(), sa.null(), sa.func.count(), sa.literal(0)).select_from(ranked)
                .where(sa.not_(shown))))
