"""What the public web pages and badges read (docs/architecture.md, "Web pages").

Read-only and set-based: each figure is one SQL statement over the current tips (the
partial index `ix_tips_current_tippee`, 0017_web), never a Python loop over members.
Privacy lives here, so no page can forget it:

- a community's pages exist only while `communities.web_public` (`/tip admin web public`);
- a member with a private profile is never listed, and their own page and badge carry
  only their name: no amounts, no patrons, no projects;
- anonymous tips never count for their giver (as on leaderboards, ledger/chat.py);
- maintainers with a private profile are counted on a project's page, not named.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from ledger.models import communities, members
from ledger.payday.stats import recent_paydays
from ledger.project_tables import project_maintainers, project_takes
from ledger.records import Community, Space

LISTED_MEMBERS = 100  # a community page names at most this many public profiles (largest receivers first)


@dataclass(frozen=True)
class Receiving:
    """What one member or project receives each week from its current tips."""

    shown: bool  # False: a private profile; nothing below may be shown
    receiving: bool  # False: their weekly tips are pledges, not paid
    weekly_minor: int
    patrons: int
    currency: str


@dataclass(frozen=True)
class ListedMember:
    name: str
    receiving: bool
    received_minor: int  # current weekly tips to them (pledges when not receiving)
    patrons: int
    given_minor: int  # their current weekly tips, anonymous ones left out


@dataclass(frozen=True)
class ListedProject:
    name: str
    weekly_minor: int  # paid each week (a project with a receiving maintainer)
    pledged_minor: int  # waiting for a maintainer to opt in to receive
    patrons: int
    maintainers: int


@dataclass(frozen=True)
class CommunityPage:
    community: Community
    spaces: tuple[Space, ...]
    weekly_minor: int  # current weekly tips to members and projects who receive (pledges left out)
    tippers: int
    receivers: int
    pledged_minor: int  # current weekly tips waiting for their tippee to opt in
    paydays: tuple[tuple[dt.date, dict], ...]  # the last 12 finished, oldest first (week, stats)
    projects: tuple[ListedProject, ...]
    members: tuple[ListedMember, ...]  # public profiles, largest receivers first, at most LISTED_MEMBERS
    public_members: int  # how many members have a public profile (more than listed, perhaps)


@dataclass(frozen=True)
class MemberPage:
    community: Community
    spaces: tuple[Space, ...]
    name: str
    receiving: Receiving
    projects: tuple[str, ...]  # projects they maintain (empty for a private profile)


@dataclass(frozen=True)
class ProjectMaintainer:
    name: str | None  # None: a private profile
    take_minor: int | None  # None: a private profile


@dataclass(frozen=True)
class ProjectPage:
    community: Community
    spaces: tuple[Space, ...]
    name: str
    receiving: Receiving
    pledged_minor: int
    maintainers: tuple[ProjectMaintainer, ...]
    packages: tuple[str, ...]
    last_week: tuple[dt.date, int, int, int] | None  # (week, income, paid out, carried) at the last payday
    carried_minor: int  # what it holds now, not yet paid out


class MemberBadges:
    """Every member's badge figures in one community, by name; a `Receiving` made on lookup
    (a rebuild of ten thousand members stays a few milliseconds of Python)."""

    def __init__(self, community: Community, figures: dict[str, list]) -> None:
        self.community = community
        self._figures = figures  # name -> [profile_public, receiving, weekly_minor, patrons]

    def get(self, name: str) -> Receiving | None:
        found = self._figures.get(name)
        if found is None:
            return None
        public, receiving, weekly_minor, patrons = found
        if not public:
            return Receiving(False, False, 0, 0, self.community.currency)
        return Receiving(True, bool(receiving), int(weekly_minor), int(patrons), self.community.currency)


class Pages:
    conn: sa.Connection

    # the switch

    def set_web_public(self, community_id: int, public: bool) -> bool:
        """Turn a community's pages on or off; returns whether anything changed."""
        result = self.conn.execute(
            communities.update().where(communities.c.id == community_id, communities.c.web_public == (not public))
            .values(web_public=public))
        return result.rowcount == 1

    def web_public(self, community_id: int) -> bool:
        return bool(self.conn.execute(
            sa.select(communities.c.web_public).where(communities.c.id == community_id)).scalar_one())

    def public_community(self, name: str) -> Community | None:
        """The community called `name` if its pages are public; None otherwise (private or unknown alike)."""
        found = self.community_by_name(name)  # type: ignore[attr-defined]
        if found is None or not self.web_public(found.id):
            return None
        return found

    # pages

    def community_page(self, community: Community, limit: int = LISTED_MEMBERS) -> CommunityPage:
        params = {"community_id": community.id}
        weekly, tippers, receivers, pledged = self.conn.execute(_TOTALS, params).one()
        public_members = self.conn.execute(
            sa.select(sa.func.count()).where(members.c.community_id == community.id, members.c.profile_public)
        ).scalar_one()
        listed = tuple(ListedMember(r.display_name, bool(r.receiving), int(r.received_minor), int(r.patrons),
                                    int(r.given_minor))
                       for r in self.conn.execute(_PUBLIC_MEMBERS, {**params, "limit": limit}))
        listed_projects = tuple(
            ListedProject(s.project.name, s.weekly_minor, s.pledged_minor, s.tippers, s.maintainers)
            for s in self.projects_of(community.id))  # type: ignore[attr-defined]
        return CommunityPage(community, tuple(self.spaces_of(community.id)),  # type: ignore[attr-defined]
                             int(weekly), int(tippers), int(receivers), int(pledged),
                             tuple(recent_paydays(self.conn, community.id, 12)), listed_projects, listed,
                             int(public_members))

    def member_page(self, community: Community, name: str) -> MemberPage | None:
        member = self.find_member_by_name(community.id, name)  # type: ignore[attr-defined]
        if member is None:
            return None
        receiving = self.member_receiving(community, member.id)
        maintained = tuple(self.projects_maintained(member.id)) if receiving.shown else ()  # type: ignore[attr-defined]
        return MemberPage(community, tuple(self.spaces_of(community.id)),  # type: ignore[attr-defined]
                          member.display_name, receiving, maintained)

    def member_receiving(self, community: Community, member_id: int) -> Receiving:
        row = self.conn.execute(_MEMBER_RECEIVING, {"member_id": member_id}).one()
        if not row.profile_public:
            return Receiving(False, False, 0, 0, community.currency)
        return Receiving(True, bool(row.receiving), int(row.weekly_minor), int(row.patrons), community.currency)

    def member_badges(self, community_name: str) -> MemberBadges | None:
        """Every member's badge in a public community, from one aggregate (what the web app keeps
        for a while, bot/webpages/routes.py); None when the community is not public or unknown."""
        community = self.public_community(community_name)
        if community is None:
            return None
        rows = self.conn.execute(_ALL_BADGES, {"community_id": community.id}).all()
        # Newest first, so the oldest member of a name is stored last and wins (as find_member_by_name).
        return MemberBadges(community, {name: figures for name, *figures in rows})

    def member_badge(self, community_name: str, member_name: str) -> Receiving | None:
        """What a member's badge says, in one statement; None when the community is not public
        or has no such member (a badge is read far more often than any page)."""
        row = self.conn.execute(_MEMBER_BADGE, {"community": community_name, "member": member_name}).first()
        if row is None:
            return None
        if not row.profile_public:
            return Receiving(False, False, 0, 0, row.currency)
        return Receiving(True, bool(row.receiving), int(row.weekly_minor), int(row.patrons), row.currency)

    def project_receiving_by_name(self, community: Community, name: str) -> Receiving | None:
        project = self.project_by_name(community.id, name)  # type: ignore[attr-defined]
        if project is None:
            return None
        row = self.conn.execute(_PROJECT_RECEIVING, {"project_id": project.id}).one()
        return Receiving(True, bool(row.receiving), int(row.weekly_minor), int(row.patrons), community.currency)

    def project_page(self, community: Community, name: str) -> ProjectPage | None:
        project = self.project_by_name(community.id, name)  # type: ignore[attr-defined]
        if project is None:
            return None
        row = self.conn.execute(_PROJECT_RECEIVING, {"project_id": project.id}).one()
        receiving = Receiving(True, bool(row.receiving), int(row.weekly_minor) if row.receiving else 0,
                              int(row.patrons), community.currency)
        shown = tuple(
            ProjectMaintainer(r.display_name if r.profile_public else None,
                              int(r.take_minor) if r.profile_public else None)
            for r in self.conn.execute(_MAINTAINERS, {"project_id": project.id}))
        last = self.last_payday_of(project)  # type: ignore[attr-defined]
        return ProjectPage(
            community, tuple(self.spaces_of(community.id)), project.name, receiving,  # type: ignore[attr-defined]
            0 if row.receiving else int(row.weekly_minor), shown,
            tuple(self.packages(project.id)),  # type: ignore[attr-defined]
            None if last is None else (last.week_start, last.income_minor, last.paid_minor, last.carried_minor),
            project.balance_minor)


# A tippee receives: a member who opted in, or a project with at least one such maintainer.
_RECEIVING_TIPPEES = """
SELECT m.id FROM members m WHERE m.community_id = :community_id AND m.receiving
UNION ALL
SELECT p.id FROM projects p WHERE p.community_id = :community_id AND EXISTS (
  SELECT 1 FROM project_maintainers pm JOIN members mm ON mm.id = pm.member_id
  WHERE pm.project_id = p.id AND pm.left_at IS NULL AND mm.receiving)
"""

_TOTALS = sa.text(f"""
WITH receivers AS ({_RECEIVING_TIPPEES}),
current AS (
  SELECT t.tipper_id, t.tippee_id, t.weekly_amount_minor, r.id IS NOT NULL AS paid
  FROM tips t LEFT JOIN receivers r ON r.id = t.tippee_id
  WHERE t.community_id = :community_id AND t.is_current AND t.weekly_amount_minor > 0
)
SELECT COALESCE(SUM(CASE WHEN paid THEN weekly_amount_minor ELSE 0 END), 0),
       COUNT(DISTINCT CASE WHEN paid THEN tipper_id END),
       COUNT(DISTINCT CASE WHEN paid THEN tippee_id END),
       COALESCE(SUM(CASE WHEN paid THEN 0 ELSE weekly_amount_minor END), 0)
FROM current
""")

# Public profiles with what they receive and give each week (anonymous tips never count for their giver).
# Each side is one hash aggregate over the community's current tips, joined to the members shown.
_PUBLIC_MEMBERS = sa.text("""
SELECT m.display_name, m.receiving, COALESCE(r.minor, 0) AS received_minor, COALESCE(r.patrons, 0) AS patrons,
       COALESCE(g.minor, 0) AS given_minor
FROM members m
LEFT JOIN (SELECT tippee_id, SUM(weekly_amount_minor) AS minor, COUNT(*) AS patrons FROM tips
           WHERE community_id = :community_id AND is_current AND weekly_amount_minor > 0
           GROUP BY tippee_id) r ON r.tippee_id = m.id
LEFT JOIN (SELECT tipper_id, SUM(weekly_amount_minor) AS minor FROM tips
           WHERE community_id = :community_id AND is_current AND weekly_amount_minor > 0 AND NOT anonymous
           GROUP BY tipper_id) g ON g.tipper_id = m.id
WHERE m.community_id = :community_id AND m.profile_public
ORDER BY COALESCE(r.minor, 0) DESC, m.display_name, m.id
LIMIT :limit
""")

# A badge in one statement: the community (only if public), the member by name, their current tips.
_MEMBER_BADGE = sa.text("""
SELECT c.currency, m.profile_public, m.receiving,
       COALESCE(SUM(t.weekly_amount_minor), 0) AS weekly_minor, COUNT(t.id) AS patrons
FROM communities c
JOIN members m ON m.community_id = c.id AND m.display_name = :member
LEFT JOIN tips t ON t.tippee_id = m.id AND t.is_current AND t.weekly_amount_minor > 0
WHERE c.name = :community AND c.web_public
GROUP BY m.id, c.currency, m.profile_public, m.receiving
ORDER BY m.id
LIMIT 1
""")

_ALL_BADGES = sa.text("""
SELECT m.display_name, m.profile_public, m.receiving, COALESCE(r.minor, 0) AS weekly_minor,
       COALESCE(r.patrons, 0) AS patrons
FROM members m
LEFT JOIN (SELECT tippee_id, SUM(weekly_amount_minor) AS minor, COUNT(*) AS patrons FROM tips
           WHERE community_id = :community_id AND is_current AND weekly_amount_minor > 0
           GROUP BY tippee_id) r ON r.tippee_id = m.id
WHERE m.community_id = :community_id
ORDER BY m.id DESC
""")

_MEMBER_RECEIVING = sa.text("""
SELECT m.profile_public, m.receiving,
       (SELECT COALESCE(SUM(t.weekly_amount_minor), 0) FROM tips t
        WHERE t.tippee_id = m.id AND t.is_current AND t.weekly_amount_minor > 0) AS weekly_minor,
       (SELECT COUNT(*) FROM tips t
        WHERE t.tippee_id = m.id AND t.is_current AND t.weekly_amount_minor > 0) AS patrons
FROM members m WHERE m.id = :member_id
""")

_PROJECT_RECEIVING = sa.text("""
SELECT EXISTS (SELECT 1 FROM project_maintainers pm JOIN members mm ON mm.id = pm.member_id
               WHERE pm.project_id = :project_id AND pm.left_at IS NULL AND mm.receiving) AS receiving,
       (SELECT COALESCE(SUM(t.weekly_amount_minor), 0) FROM tips t
        WHERE t.tippee_id = :project_id AND t.is_current AND t.weekly_amount_minor > 0) AS weekly_minor,
       (SELECT COUNT(*) FROM tips t
        WHERE t.tippee_id = :project_id AND t.is_current AND t.weekly_amount_minor > 0) AS patrons
""")

_MAINTAINERS = (
    sa.select(members.c.display_name, members.c.profile_public,
              sa.func.coalesce(project_takes.c.take_minor, 0).label("take_minor"))
    .select_from(project_maintainers)
    .join(members, members.c.id == project_maintainers.c.member_id)
    .outerjoin(project_takes, sa.and_(project_takes.c.project_id == project_maintainers.c.project_id,
                                      project_takes.c.member_id == project_maintainers.c.member_id,
                                      project_takes.c.is_current))
    .where(project_maintainers.c.project_id == sa.bindparam("project_id"), project_maintainers.c.left_at.is_(None))
    .order_by(project_maintainers.c.joined_at, project_maintainers.c.id)
)
