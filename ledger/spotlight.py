"""The weekly "Back the Stack" spotlight: which project or member a payday features.

One pick per payday, recorded (`spotlights`, UNIQUE payday_id; migration 0016_spotlight)
in the same transaction that makes it, so a retried or taken-over announcement features
the same one and never a second. The choice is deterministic, from the database alone:

- candidates: projects with at least one maintainer who receives (a tip to one reaches
  someone), and members who opted in to receive (`members.receiving`);
- nothing featured in the community's last `ROTATION_WEEKS` paydays before this one;
- the kind alternates (a member after a project, a project after a member) when both
  have candidates; then never featured before it first, then least recently featured,
  then oldest (lowest id).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from ledger.book import Book
from ledger.models import BigId, UtcTime, members, metadata, paydays
from ledger.project_tables import project_maintainers, projects

ROTATION_WEEKS = 8
KINDS = ("project", "member")

spotlights = sa.Table(
    "spotlights", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("community_id", sa.Integer, sa.ForeignKey("communities.id"), nullable=False),
    sa.Column("payday_id", sa.Integer, sa.ForeignKey("paydays.id"), nullable=False),
    sa.Column("week_start", sa.Date, nullable=False),
    sa.Column("kind", sa.String(10), nullable=False),
    # a project's or member's id (both are their account's id); no foreign key, like payday_shares:
    # it is the record of what was featured, kept whatever happens to the participant later
    sa.Column("featured_id", BigId, nullable=False),
    sa.Column("created_at", UtcTime(), nullable=False),
    sa.UniqueConstraint("payday_id", name="uq_spotlights_payday"),
    sa.CheckConstraint("kind IN ('project', 'member')", name="spotlight_kind"),
    sa.Index("ix_spotlights_community_week", "community_id", "week_start"),
)


@dataclass(frozen=True)
class Pick:
    """What one payday features."""

    payday_id: int
    kind: str  # "project" | "member"
    featured_id: int


def recorded_pick(book: Book, payday_id: int) -> Pick | None:
    row = book.conn.execute(sa.select(spotlights.c.kind, spotlights.c.featured_id)
                            .where(spotlights.c.payday_id == payday_id)).first()
    return None if row is None else Pick(payday_id, row.kind, int(row.featured_id))


def pick_spotlight(book: Book, payday_id: int) -> Pick | None:
    """The payday's pick: the recorded one, or a new one recorded now (None: no candidate)."""
    found = recorded_pick(book, payday_id)
    if found is not None:
        return found
    payday = book.conn.execute(sa.select(paydays.c.community_id, paydays.c.week_start)
                               .where(paydays.c.id == payday_id)).one()
    choice = choose(book, payday.community_id, payday.week_start)
    if choice is None:
        return None
    kind, featured_id = choice
    try:
        with book.conn.begin_nested():
            book.conn.execute(spotlights.insert().values(
                community_id=payday.community_id, payday_id=payday_id, week_start=payday.week_start, kind=kind,
                featured_id=featured_id, created_at=book.clock.now()))
    except sa.exc.IntegrityError:  # another announcer recorded it first: theirs stands
        return recorded_pick(book, payday_id)
    return Pick(payday_id, kind, featured_id)


def choose(book: Book, community_id: int, week_start: dt.date) -> tuple[str, int] | None:
    """The deterministic choice for the community's payday of `week_start` (not recorded)."""
    conn = book.conn
    history = conn.execute(
        sa.select(spotlights.c.kind, spotlights.c.featured_id, spotlights.c.week_start)
        .where(spotlights.c.community_id == community_id, spotlights.c.week_start < week_start)
        .order_by(spotlights.c.week_start.desc(), spotlights.c.id.desc())).all()
    recent_from = week_start - dt.timedelta(weeks=ROTATION_WEEKS)
    recent = {(r.kind, int(r.featured_id)) for r in history if r.week_start >= recent_from}
    last_featured: dict[tuple[str, int], dt.date] = {}
    for r in history:
        last_featured.setdefault((r.kind, int(r.featured_id)), r.week_start)
    candidates = {kind: [i for i in ids if (kind, i) not in recent]
                  for kind, ids in (("project", _receiving_projects(conn, community_id)),
                                    ("member", _receiving_members(conn, community_id)))}
    previous_kind = history[0].kind if history else "member"  # so the first spotlight is a project
    order = sorted(KINDS, key=lambda kind: kind == previous_kind)
    for kind in order:
        if candidates[kind]:
            never = dt.date.min
            best = min(candidates[kind], key=lambda i: (last_featured.get((kind, i), never), i))
            return kind, best
    return None


def _receiving_projects(conn: sa.Connection, community_id: int) -> list[int]:
    receiving = sa.exists().where(
        project_maintainers.c.project_id == projects.c.id, project_maintainers.c.left_at.is_(None),
        members.c.id == project_maintainers.c.member_id, members.c.receiving)
    return [int(i) for i in conn.execute(sa.select(projects.c.id).where(
        projects.c.community_id == community_id, receiving).order_by(projects.c.id)).scalars()]


def _receiving_members(conn: sa.Connection, community_id: int) -> list[int]:
    return [int(i) for i in conn.execute(sa.select(members.c.id).where(
        members.c.community_id == community_id, members.c.receiving).order_by(members.c.id)).scalars()]
