"""Projects ("Back the Stack"): maintainers, takes, packages, and tipping projects.

A project is tipped like a member: its id is its account's id and tip rows point at
it, so the payday funds it in the same rounds as members (ledger/payday/projects.py
then shares its money among its maintainers). A project receives only when at least
one of its maintainers receives; otherwise weekly tips to it are pledges, and one-off
tips are refused, like tips to a member who has not opted in.

Every change to one project (maintainers, takes, packages) first locks the project's
account row, so two changes to one project take turns (SQLite: BEGIN IMMEDIATE).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa

from ledger.errors import InvalidRequest, NotAdmin, NotReceiving, OverLimit, Refusal, UnknownMember
from ledger.models import accounts, members, paydays, tips, transfers
from ledger.money import Money, exponent, format_money
from ledger.project_tables import (
    MAX_MAINTAINERS, NAME_MAX, TAKE_MAX_MINOR, payday_projects, payday_shares, project_maintainers, project_packages, project_settings,
    project_takes, projects,
)
from ledger.records import Community, Member, TipChange
from ledger.tips import CURRENT_TIP, INSERT_TIP, LOCK_TIPPER, SUPERSEDE_TIP
from ledger.transfers import check_amount, clean_note

# Words of the `/tip` grammar: a project can't be named like a command.
RESERVED_NAMES = frozenset({
    "admin", "anonymous", "balance", "confirm", "csv", "fund", "help", "history", "link", "list", "once",
    "payout", "profile", "project", "projects", "receive", "stack", "statement", "take", "tips", "top",
})
_NAME = re.compile(r"[a-z0-9._-]{1,%d}" % NAME_MAX)
_PACKAGE = re.compile(r"([a-z][a-z0-9]{0,19}):([^\s:]{1,200})")
MAX_PACKAGES = 20
MAX_STACK = 25  # like a tip to several members


class UnknownProject(Refusal):
    code = "unknown_project"


class NotMaintainer(Refusal):
    code = "not_maintainer"


@dataclass(frozen=True)
class Project:
    id: int
    community_id: int
    name: str
    balance_minor: int  # money not yet paid out: the leftover carried


@dataclass(frozen=True)
class Maintainer:
    member_id: int
    display_name: str
    joined_at: dt.datetime
    take_minor: int
    asked_minor: int
    receiving: bool


@dataclass(frozen=True)
class ProjectSummary:
    """One project as `/tip projects` lists it."""

    project: Project
    maintainers: int
    weekly_minor: int  # current weekly tips to it that are paid (not pledges)
    pledged_minor: int  # current weekly tips waiting for a receiving maintainer
    tippers: int


@dataclass(frozen=True)
class LastPayday:
    week_start: dt.date
    income_minor: int
    paid_minor: int
    carried_minor: int
    shares: dict[int, int] = field(default_factory=dict)  # member id -> share


@dataclass(frozen=True)
class TakeChange:
    project: str
    old_minor: int
    new_minor: int
    asked_minor: int
    cap_minor: int | None  # the most it could rise to this week, when it rose
    currency: str

    @property
    def capped(self) -> bool:
        return self.new_minor < self.asked_minor

    def to_json(self) -> dict:
        return {"project": self.project, "old_minor": self.old_minor, "new_minor": self.new_minor,
                "asked_minor": self.asked_minor, "cap_minor": self.cap_minor, "currency": self.currency,
                "capped": self.capped}


def normalize_name(name: str) -> str:
    """A project's name as stored (lowercase), or InvalidRequest saying what is allowed."""
    cleaned = name.strip().lower()
    if not _NAME.fullmatch(cleaned):
        raise InvalidRequest(
            f"`{name[:50]}` can't be a project name: use 1 to {NAME_MAX} lowercase letters, digits, `-`, `_` or `.`.")
    if cleaned in RESERVED_NAMES:
        raise InvalidRequest(f"`{cleaned}` is a command word, so it can't be a project name.")
    return cleaned


def normalize_package(text: str) -> tuple[str, str]:
    """`pypi:Pillow` -> ('pypi', 'pillow'): lowercase, and PyPI names as PEP 503 compares them."""
    match = _PACKAGE.fullmatch(text.strip().lower())
    if match is None:
        raise InvalidRequest(f"`{text[:60]}` is not a package: write it as ecosystem:name, like `pypi:pillow`.")
    ecosystem, name = match.groups()
    if ecosystem == "pypi":
        name = re.sub(r"[-_.]+", "-", name)
    return ecosystem, name


def looks_like_package(text: str) -> bool:
    return ":" in text


def one_unit(currency: str) -> int:
    """1.00 of `currency` in minor units (the default new-take allowance)."""
    return 10 ** exponent(currency)


class Projects:
    conn: sa.Connection

    # reading

    def project_by_name(self, community_id: int, name: str) -> Project | None:
        row = self.conn.execute(_PROJECT_BY_NAME, {"community_id": community_id, "name": name.strip().lower()}).first()
        return None if row is None else Project(*row)

    def project_by_id(self, project_id: int) -> Project:
        row = self.conn.execute(_PROJECT_BY_ID, {"id": project_id}).first()
        if row is None:
            raise UnknownProject("That project is gone.")
        return Project(*row)

    def project(self, community_id: int, name: str) -> Project:
        found = self.project_by_name(community_id, name)
        if found is None:
            raise UnknownProject(f"No project named {name[:50]} here. `/tip projects` lists them.")
        return found

    def project_names(self, community_id: int, prefix: str = "", limit: int = 25) -> list[str]:
        """The community's project names that start with `prefix`, alphabetical (for autocomplete)."""
        query = sa.select(projects.c.name).where(projects.c.community_id == community_id)
        if prefix:
            query = query.where(projects.c.name.startswith(prefix.strip().lower(), autoescape=True))
        return list(self.conn.execute(query.order_by(projects.c.name).limit(limit)).scalars())

    def maintainers(self, project_id: int) -> list[Maintainer]:
        """Current maintainers, oldest first, with their current takes."""
        take = (sa.select(project_takes.c.take_minor, project_takes.c.asked_minor, project_takes.c.member_id)
                .where(project_takes.c.project_id == project_id, project_takes.c.is_current).subquery())
        rows = self.conn.execute(
            sa.select(members.c.id, members.c.display_name, project_maintainers.c.joined_at,
                      sa.func.coalesce(take.c.take_minor, 0), sa.func.coalesce(take.c.asked_minor, 0),
                      members.c.receiving)
            .select_from(project_maintainers)
            .join(members, members.c.id == project_maintainers.c.member_id)
            .outerjoin(take, take.c.member_id == project_maintainers.c.member_id)
            .where(project_maintainers.c.project_id == project_id, project_maintainers.c.left_at.is_(None))
            .order_by(project_maintainers.c.joined_at, project_maintainers.c.id)
        )
        return [Maintainer(r[0], r[1], r[2], int(r[3]), int(r[4]), bool(r[5])) for r in rows]

    def packages(self, project_id: int) -> list[str]:
        rows = self.conn.execute(
            sa.select(project_packages.c.ecosystem, project_packages.c.name)
            .where(project_packages.c.project_id == project_id)
            .order_by(project_packages.c.ecosystem, project_packages.c.name))
        return [f"{r.ecosystem}:{r.name}" for r in rows]

    def projects_of(self, community_id: int) -> list[ProjectSummary]:
        """Every project of the community, with what it receives each week, largest first."""
        receiving = _receiving_project(projects.c.id)
        current = (sa.select(tips.c.tippee_id, tips.c.weekly_amount_minor, tips.c.tipper_id)
                   .where(tips.c.is_current, tips.c.weekly_amount_minor > 0, tips.c.community_id == community_id)
                   .subquery())
        income = (sa.select(current.c.tippee_id, sa.func.sum(current.c.weekly_amount_minor).label("minor"),
                            sa.func.count().label("tippers"))
                  .group_by(current.c.tippee_id).subquery())
        counted = (sa.select(project_maintainers.c.project_id, sa.func.count().label("n"))
                   .where(project_maintainers.c.left_at.is_(None))
                   .group_by(project_maintainers.c.project_id).subquery())
        rows = self.conn.execute(
            sa.select(projects.c.id, projects.c.community_id, projects.c.name, accounts.c.balance_minor,
                      sa.func.coalesce(counted.c.n, 0).label("maintainers"),
                      sa.func.coalesce(income.c.minor, 0).label("minor"),
                      sa.func.coalesce(income.c.tippers, 0).label("tippers"), receiving.label("receiving"))
            .join(accounts, accounts.c.id == projects.c.id)
            .outerjoin(counted, counted.c.project_id == projects.c.id)
            .outerjoin(income, income.c.tippee_id == projects.c.id)
            .where(projects.c.community_id == community_id)
            .order_by(sa.func.coalesce(income.c.minor, 0).desc(), projects.c.name)
        )
        return [
            ProjectSummary(Project(r.id, r.community_id, r.name, int(r.balance_minor)), int(r.maintainers),
                           int(r.minor) if r.receiving else 0, 0 if r.receiving else int(r.minor), int(r.tippers))
            for r in rows
        ]

    def project_summary(self, project: Project) -> ProjectSummary:
        for summary in self.projects_of(project.community_id):
            if summary.project.id == project.id:
                return summary
        raise UnknownProject("That project is gone.")

    def last_payday_of(self, project: Project, *, before: dt.date | None = None) -> LastPayday | None:
        """What the project received, paid out and carried at its community's last finished payday."""
        query = (sa.select(paydays.c.id, paydays.c.week_start)
                 .where(paydays.c.community_id == project.community_id, paydays.c.stage == "done"))
        if before is not None:
            query = query.where(paydays.c.week_start < before)
        last = self.conn.execute(query.order_by(paydays.c.week_start.desc()).limit(1)).first()
        if last is None:
            return None
        row = self.conn.execute(sa.select(payday_projects).where(
            payday_projects.c.payday_id == last.id, payday_projects.c.project_id == project.id)).first()
        shares = dict(self.conn.execute(sa.select(payday_shares.c.member_id, payday_shares.c.share_minor).where(
            payday_shares.c.payday_id == last.id, payday_shares.c.project_id == project.id)).all())
        if row is None:
            return LastPayday(last.week_start, 0, 0, project.balance_minor, {})
        return LastPayday(last.week_start, int(row.income_minor), int(row.paid_minor), int(row.carried_minor),
                          {int(k): int(v or 0) for k, v in shares.items()})

    def top_project_incomes(self, payday_id: int, limit: int = 3) -> list[tuple[str, int]]:
        """The projects that received most in one payday: (name, income), largest first."""
        rows = self.conn.execute(
            sa.select(projects.c.name, payday_projects.c.income_minor)
            .join(projects, projects.c.id == payday_projects.c.project_id)
            .where(payday_projects.c.payday_id == payday_id, payday_projects.c.income_minor > 0)
            .order_by(payday_projects.c.income_minor.desc(), projects.c.name).limit(limit))
        return [(r.name, int(r.income_minor)) for r in rows]

    def is_maintainer(self, project_id: int, member_id: int) -> bool:
        return self.conn.execute(_IS_MAINTAINER, {"project_id": project_id, "member_id": member_id}).first() is not None

    def project_receives(self, project_id: int) -> bool:
        return bool(self.conn.execute(sa.select(_receiving_project(sa.literal(project_id)))).scalar())

    def new_take_allowance(self, community: Community) -> int:
        value = self.conn.execute(sa.select(project_settings.c.new_take_allowance_minor).where(
            project_settings.c.community_id == community.id)).scalar()
        return one_unit(community.currency) if value is None else int(value)

    def spotlight_on(self, community_id: int) -> bool:
        return bool(self.conn.execute(sa.select(project_settings.c.spotlight).where(
            project_settings.c.community_id == community_id)).scalar())

    # maintainers

    def add_project(self, community: Community, actor: Member, name: str, member_ids: Sequence[int] = (), *,
                    by_admin: bool = False, now: dt.datetime | None = None) -> dict:
        """Create project `name` (`actor` becomes its first maintainer) or, if it exists, add
        maintainers to it (a maintainer may; an admin too, so a project its maintainers all
        left can be taken over). Returns who was added and who already was."""
        now = now or self.clock.now()
        name = normalize_name(name)
        existing = self.project_by_name(community.id, name)
        created = existing is None
        if existing is None:
            project_id = self.conn.execute(accounts.insert().values(
                community_id=community.id, currency=community.currency, kind="project").returning(accounts.c.id)
            ).scalar_one()
            try:
                with self.conn.begin_nested():
                    self.conn.execute(projects.insert().values(
                        id=project_id, community_id=community.id, name=name, created_by=actor.id, created_at=now))
            except sa.exc.IntegrityError:  # created concurrently: add to that one instead
                raise InvalidRequest(f"Project {name} was just created by someone else; try again.") from None
            wanted = [actor.id] + [m for m in member_ids if m != actor.id]
        else:
            project_id = existing.id
            self._lock_project(project_id)
            if not by_admin and not self.is_maintainer(project_id, actor.id):
                raise NotMaintainer(f"Only maintainers of {name} (or an admin) can add maintainers to it.")
            if not member_ids:
                raise InvalidRequest(f"Project {name} already exists. Mention who to add: "
                                     f"`/tip project add {name} @someone`.")
            wanted = list(dict.fromkeys(member_ids))
        added, already = [], []
        for member_id in dict.fromkeys(wanted):
            member = self.member(member_id)  # type: ignore[attr-defined]
            if member.community_id != community.id:
                raise UnknownMember("That member is not part of this community.")
            if self.is_maintainer(project_id, member_id):
                already.append(member.display_name)
                continue
            self.conn.execute(project_maintainers.insert().values(
                project_id=project_id, member_id=member_id, joined_at=now, added_by=actor.id))
            added.append(member.display_name)
        count = self.conn.execute(sa.select(sa.func.count()).where(
            project_maintainers.c.project_id == project_id, project_maintainers.c.left_at.is_(None))).scalar_one()
        if count > MAX_MAINTAINERS:
            raise InvalidRequest(f"A project has at most {MAX_MAINTAINERS} maintainers.")
        return {"project": name, "created": created, "added": added, "already": already}

    def remove_maintainer(self, community: Community, actor: Member, name: str, member_id: int, *,
                          by_admin: bool, now: dt.datetime | None = None) -> dict:
        """A maintainer leaves (actor is them) or is removed by another maintainer or an admin.
        Their take ends; their share of this week's payday, if it already started, stands."""
        now = now or self.clock.now()
        project = self.project(community.id, name)
        self._lock_project(project.id)
        member = self.member(member_id)  # type: ignore[attr-defined]
        if not self.is_maintainer(project.id, member_id):
            raise InvalidRequest(f"{member.display_name} is not a maintainer of {project.name}.")
        leaving = actor.id == member_id
        if not leaving and not by_admin and not self.is_maintainer(project.id, actor.id):
            raise NotAdmin(f"Only maintainers of {project.name} or an admin can remove a maintainer.")
        self.conn.execute(project_maintainers.update().where(
            project_maintainers.c.project_id == project.id, project_maintainers.c.member_id == member_id,
            project_maintainers.c.left_at.is_(None)).values(left_at=now, removed_by=None if leaving else actor.id))
        current = self._current_take(project.id, member_id)
        if current is not None and current.take_minor > 0:
            self._insert_take(project.id, member_id, 0, 0, previous=current, now=now)
        left = len(self.maintainers(project.id))
        return {"project": project.name, "member": member.display_name, "left": leaving,
                "maintainers_left": left}

    # packages

    def set_packages(self, community: Community, actor: Member, name: str, packages: Sequence[str]) -> dict:
        """Replace the packages a project publishes (maintainers only); each is unique per community."""
        project = self.project(community.id, name)
        self._lock_project(project.id)
        if not self.is_maintainer(project.id, actor.id):
            raise NotMaintainer(f"Only maintainers of {project.name} can set its packages.")
        if len(packages) > MAX_PACKAGES:
            raise InvalidRequest(f"A project lists at most {MAX_PACKAGES} packages.")
        wanted = list(dict.fromkeys(normalize_package(p) for p in packages))
        if wanted:
            clauses = [sa.and_(project_packages.c.ecosystem == e, project_packages.c.name == n) for e, n in wanted]
            taken = self.conn.execute(
                sa.select(project_packages.c.ecosystem, project_packages.c.name, projects.c.name.label("owner"))
                .join(projects, projects.c.id == project_packages.c.project_id)
                .where(project_packages.c.community_id == community.id, project_packages.c.project_id != project.id,
                       sa.or_(*clauses))).all()
            if taken:
                listed = ", ".join(f"{r.ecosystem}:{r.name} ({r.owner})" for r in taken)
                raise InvalidRequest(f"Already declared by another project here: {listed}. Nothing was changed.")
        self.conn.execute(project_packages.delete().where(project_packages.c.project_id == project.id))
        if wanted:
            self.conn.execute(project_packages.insert(), [
                {"community_id": community.id, "project_id": project.id, "ecosystem": e, "name": n} for e, n in wanted])
        return {"project": project.name, "packages": [f"{e}:{n}" for e, n in wanted]}

    # takes

    def last_week_share(self, project_id: int, member_id: int, community_id: int) -> int:
        """What the member got from the project at the community's last finished payday."""
        last = self.conn.execute(
            sa.select(paydays.c.id).where(paydays.c.community_id == community_id, paydays.c.stage == "done")
            .order_by(paydays.c.week_start.desc()).limit(1)).scalar()
        if last is None:
            return 0
        return int(self.conn.execute(sa.select(sa.func.coalesce(sa.func.sum(transfers.c.amount_minor), 0)).where(
            transfers.c.payday_id == last, transfers.c.from_account_id == project_id,
            transfers.c.to_account_id == member_id, transfers.c.kind == "take")).scalar_one())

    def set_take(self, community: Community, member: Member, name: str, amount: Money, *,
                 now: dt.datetime | None = None) -> TakeChange:
        """Set my weekly take from project `name`. A take rises at most to
        max(2 x what I got from it last payday, the community's new-take allowance) in one week;
        lowering it is always allowed. The result says when it was capped."""
        now = now or self.clock.now()
        project = self.project(community.id, name)
        self._lock_project(project.id)
        if not self.is_maintainer(project.id, member.id):
            raise NotMaintainer(f"Only maintainers of {project.name} have a take from it. "
                                f"A maintainer can add you: `/tip project add {project.name} @you`.")
        if amount.currency != community.currency:
            raise InvalidRequest(f"This community uses {community.currency}, not {amount.currency}.")
        asked = amount.amount_minor
        if asked > TAKE_MAX_MINOR:
            raise OverLimit(f"A take is at most {format_money(TAKE_MAX_MINOR, community.currency)} a week.")
        current = self._current_take(project.id, member.id)
        old = current.take_minor if current is not None else 0
        cap = None
        new = asked
        if asked > old:
            cap = max(2 * self.last_week_share(project.id, member.id, community.id),
                      self.new_take_allowance(community))
            new = min(asked, max(cap, old))
        if current is None and new == 0 and asked == 0:
            return TakeChange(project.name, 0, 0, 0, None, community.currency)
        if current is not None and (current.take_minor, current.asked_minor) == (new, asked):
            return TakeChange(project.name, old, new, asked, cap, community.currency)
        self._insert_take(project.id, member.id, new, asked, previous=current, now=now)
        return TakeChange(project.name, old, new, asked, cap, community.currency)

    # tipping projects

    def set_project_tip(self, tipper: Member, project: Project, community: Community, weekly: Money, *,
                        note: str | None = None, now: dt.datetime | None = None) -> TipChange:
        """A weekly tip to a project: a new tip version, like a tip to a member; 0 ends it.
        A project with no receiving maintainer gets it as a pledge."""
        if not tipper.community_id == project.community_id == community.id:
            raise UnknownProject("That project is not part of this community.")
        self.conn.execute(LOCK_TIPPER, {"tipper_id": tipper.id})
        previous = self.conn.execute(CURRENT_TIP, {"tipper_id": tipper.id, "tippee_id": project.id}).first()
        old = previous.weekly_amount_minor if previous is not None else 0
        if weekly.amount_minor == 0:
            if old == 0:
                raise InvalidRequest(f"You have no weekly tip to {project.name} to end.")
        else:
            check_amount(weekly, community.currency, community.max_weekly_minor, "weekly tip")
        pledge = not self.project_receives(project.id)
        if old == weekly.amount_minor:
            return TipChange(tipper.id, project.id, project.name, old, old, community.currency,
                             pledge=pledge, notify_pledge=False, unchanged=True)
        now = now or self.clock.now()
        ctime = previous.ctime if previous is not None and old > 0 else now
        if previous is not None:
            self.conn.execute(SUPERSEDE_TIP, {"previous_id": previous.id})
        self.conn.execute(INSERT_TIP, {
            "community_id": community.id, "tipper_id": tipper.id, "tippee_id": project.id,
            "weekly_amount_minor": weekly.amount_minor, "ctime": ctime, "mtime": now, "note": clean_note(note)})
        return TipChange(tipper.id, project.id, project.name, old, weekly.amount_minor, community.currency,
                         pledge=pledge, notify_pledge=False)

    def tip_project_once(self, tipper: Member, project: Project, community: Community, amount: Money, *,
                         note: str | None = None) -> dict:
        """A one-off tip to a project, paid now from the tipper's balance (it waits in the
        project's account and is shared at the next payday)."""
        if not tipper.community_id == project.community_id == community.id:
            raise UnknownProject("That project is not part of this community.")
        check_amount(amount, community.currency, community.max_once_minor, "one-off tip")
        if not self.project_receives(project.id):
            raise NotReceiving(
                f"{project.name} has no maintainer who receives tips yet, so a one-off tip can't reach it. "
                f"A weekly tip waits as a pledge until one does.")
        transfer_ids = self.apply_moves(  # type: ignore[attr-defined]
            community, [(tipper.id, project.id, amount.amount_minor)], kind="once", note=clean_note(note))
        return {"transfer_ids": transfer_ids, "total_minor": amount.amount_minor, "currency": community.currency,
                "recipients": [project.name]}

    def resolve_stack(self, community_id: int, names: Sequence[str]) -> list[Project]:
        """The projects named (by name or by a package they declared), in order; refuses,
        listing them, when some names match nothing, and when one project is named twice."""
        if not names:
            raise InvalidRequest("Name at least one project (or package, like `pypi:pillow`).")
        if len(names) > MAX_STACK:
            raise InvalidRequest(f"A stack has at most {MAX_STACK} projects.")
        found: list[Project] = []
        unknown: list[str] = []
        for name in names:
            project = None
            if looks_like_package(name):
                try:
                    ecosystem, package = normalize_package(name)
                except InvalidRequest:
                    unknown.append(name)
                    continue
                project_id = self.conn.execute(sa.select(project_packages.c.project_id).where(
                    project_packages.c.community_id == community_id, project_packages.c.ecosystem == ecosystem,
                    project_packages.c.name == package)).scalar()
                if project_id is not None:
                    row = self.conn.execute(_PROJECT_BY_ID, {"id": project_id}).one()
                    project = Project(*row)
            else:
                project = self.project_by_name(community_id, name)
            if project is None:
                unknown.append(name)
            else:
                found.append(project)
        if unknown:
            raise UnknownProject("Nothing here matches " + ", ".join(f"`{n[:60]}`" for n in unknown)
                                 + ". No tip was set. `/tip projects` lists the projects and their packages.")
        seen: dict[int, str] = {}
        for name, project in zip(names, found):
            if project.id in seen:
                raise InvalidRequest(f"`{seen[project.id]}` and `{name}` are both {project.name}; "
                                     f"name each project once. No tip was set.")
            seen[project.id] = name
        return found

    def tip_stack(self, tipper: Member, community: Community, amount: Money, names: Sequence[str], *,
                  now: dt.datetime | None = None) -> dict:
        """One weekly tip to each named project: amount / n rounded down to minor units,
        the remainder to the first named. All or nothing."""
        found = self.resolve_stack(community.id, names)
        if amount.currency != community.currency:
            raise InvalidRequest(f"This community uses {community.currency}, not {amount.currency}.")
        each, remainder = divmod(amount.amount_minor, len(found))
        if each == 0:
            raise InvalidRequest(f"{amount.format()} can't be split across {len(found)} projects: "
                                 f"each would get less than {format_money(1, community.currency)}.")
        changes = []
        for index, project in enumerate(found):
            share = each + (remainder if index == 0 else 0)
            changes.append(self.set_project_tip(tipper, project, community, Money(share, community.currency),
                                                now=now))
        return {"each_minor": each, "remainder_minor": remainder, "currency": community.currency,
                "tips": [c.to_json() for c in changes]}

    def project_tips_given(self, member_id: int) -> list[tuple[str, int, bool]]:
        """A member's current weekly tips to projects: (name, amount, pledge)."""
        rows = self.conn.execute(
            sa.select(projects.c.name, tips.c.weekly_amount_minor, _receiving_project(projects.c.id).label("r"))
            .join(projects, projects.c.id == tips.c.tippee_id)
            .where(tips.c.tipper_id == member_id, tips.c.is_current, tips.c.weekly_amount_minor > 0)
            .order_by(tips.c.ctime, tips.c.id))
        return [(r.name, int(r.weekly_amount_minor), not r.r) for r in rows]

    def projects_maintained(self, member_id: int) -> list[str]:
        rows = self.conn.execute(
            sa.select(projects.c.name).join(project_maintainers, project_maintainers.c.project_id == projects.c.id)
            .where(project_maintainers.c.member_id == member_id, project_maintainers.c.left_at.is_(None))
            .order_by(projects.c.name))
        return list(rows.scalars())

    # settings

    def set_new_take_allowance(self, community: Community, amount: Money, *, by_admin: bool) -> None:
        if not by_admin:
            raise NotAdmin("Only an admin of this community can change the new-take allowance.")
        self._settings(community.id, new_take_allowance_minor=amount.amount_minor)

    def set_spotlight(self, community_id: int, on: bool, *, by_admin: bool) -> bool:
        if not by_admin:
            raise NotAdmin("Only an admin of this community can turn the spotlight on or off.")
        changed = self.spotlight_on(community_id) != on
        self._settings(community_id, spotlight=on)
        return changed

    # internals

    def _settings(self, community_id: int, **values) -> None:
        updated = self.conn.execute(project_settings.update().where(
            project_settings.c.community_id == community_id).values(**values)).rowcount
        if not updated:
            self.conn.execute(project_settings.insert().values(community_id=community_id, **values))

    def _lock_project(self, project_id: int) -> None:
        self.conn.execute(sa.select(accounts.c.id).where(accounts.c.id == project_id).with_for_update())

    def _current_take(self, project_id: int, member_id: int):
        return self.conn.execute(sa.select(project_takes).where(
            project_takes.c.project_id == project_id, project_takes.c.member_id == member_id,
            project_takes.c.is_current)).first()

    def _insert_take(self, project_id: int, member_id: int, take_minor: int, asked_minor: int, *, previous,
                     now: dt.datetime) -> None:
        ctime = now
        if previous is not None:
            ctime = previous.ctime
            self.conn.execute(project_takes.update().where(project_takes.c.id == previous.id).values(is_current=False))
        self.conn.execute(project_takes.insert().values(
            project_id=project_id, member_id=member_id, take_minor=take_minor, asked_minor=asked_minor,
            ctime=ctime, mtime=now, is_current=True))


def _receiving_project(project_id) -> sa.ColumnElement[bool]:
    """Whether a project receives: at least one current maintainer who receives."""
    return sa.exists().where(
        project_maintainers.c.project_id == project_id, project_maintainers.c.left_at.is_(None),
        members.c.id == project_maintainers.c.member_id, members.c.receiving)


_PROJECT_COLUMNS = (projects.c.id, projects.c.community_id, projects.c.name, accounts.c.balance_minor)
_PROJECT_BY_NAME = (sa.select(*_PROJECT_COLUMNS).join(accounts, accounts.c.id == projects.c.id)
                    .where(projects.c.community_id == sa.bindparam("community_id"),
                           projects.c.name == sa.bindparam("name")))
_PROJECT_BY_ID = (sa.select(*_PROJECT_COLUMNS).join(accounts, accounts.c.id == projects.c.id)
                  .where(projects.c.id == sa.bindparam("id")))
_IS_MAINTAINER = sa.select(project_maintainers.c.id).where(
    project_maintainers.c.project_id == sa.bindparam("project_id"),
    project_maintainers.c.member_id == sa.bindparam("member_id"), project_maintainers.c.left_at.is_(None))

