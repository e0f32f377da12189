"""Communities, spaces, members and their platform identities (get-or-create)."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from ledger.clock import Clock
from ledger.errors import InvalidRequest, LookalikeName, NotAdmin, UnknownMember
from ledger.models import FUNDING_MODES, accounts, communities, identities, members, spaces
from ledger.money import Money, exponent, format_money
from ledger.names import lookalike
from ledger.records import Community, Member, Space

MAX_MIN_CHARGE_MINOR = 100_000  # 1,000.00: dues waiting longer than that help nobody

DEFAULT_CURRENCY = "USD"


def require_admin(by_admin: bool, what: str) -> None:
    if not by_admin:
        raise NotAdmin(f"Only an admin of this community can {what}.")


class Directory:
    conn: sa.Connection
    clock: Clock

    # communities

    def community(self, community_id: int) -> Community:
        row = self.conn.execute(_COMMUNITY, {"id": community_id}).one()
        return _community(row)

    def community_by_name(self, name: str) -> Community | None:
        row = self.conn.execute(sa.select(communities).where(communities.c.name == name)).first()
        return None if row is None else _community(row)

    def all_communities(self) -> list[Community]:
        rows = self.conn.execute(sa.select(communities).order_by(communities.c.id))
        return [_community(r) for r in rows]

    def ensure_community(self, name: str, currency: str = DEFAULT_CURRENCY) -> Community:
        existing = self.community_by_name(name)
        if existing is not None:
            return existing
        exponent(currency)  # refuses unknown currencies
        try:
            with self.conn.begin_nested():
                community_id = self.conn.execute(
                    communities.insert().values(name=name, currency=currency, created_at=self.clock.now())
                    .returning(communities.c.id)
                ).scalar_one()
                self.conn.execute(
                    accounts.insert().values(community_id=community_id, currency=currency, kind="manual")
                )
        except IntegrityError:  # created concurrently
            pass
        found = self.community_by_name(name)
        assert found is not None
        return found

    def outside_account(self, community: Community, kind: str) -> int:
        """The id of the community's account for the outside world of `kind`."""
        where = sa.and_(accounts.c.community_id == community.id, accounts.c.currency == community.currency,
                        accounts.c.kind == kind)
        found = self.conn.execute(sa.select(accounts.c.id).where(where)).scalar()
        if found is not None:
            return found
        try:
            with self.conn.begin_nested():
                return self.conn.execute(
                    accounts.insert().values(community_id=community.id, currency=community.currency, kind=kind)
                    .returning(accounts.c.id)
                ).scalar_one()
        except IntegrityError:
            return self.conn.execute(sa.select(accounts.c.id).where(where)).scalar_one()

    def set_limits(self, community_id: int, *, max_weekly: Money | None, max_once: Money | None,
                   by_admin: bool) -> Community:
        require_admin(by_admin, "change the limits")
        community = self.community(community_id)
        values = {}
        for column, money in (("max_weekly_minor", max_weekly), ("max_once_minor", max_once)):
            if money is None:
                continue
            if money.currency != community.currency or money.amount_minor <= 0:
                raise InvalidRequest(f"A limit must be more than zero, in {community.currency}.")
            values[column] = money.amount_minor
        if values:
            self.conn.execute(communities.update().where(communities.c.id == community_id).values(**values))
        return self.community(community_id)

    def set_min_charge(self, community_id: int, minimum: Money, *, by_admin: bool) -> Community:
        """The least a card is charged at once: dues wait until they reach it, so card fees stay small."""
        require_admin(by_admin, "change the minimum charge")
        community = self.community(community_id)
        if minimum.currency != community.currency or not 0 < minimum.amount_minor <= MAX_MIN_CHARGE_MINOR:
            raise InvalidRequest(f"The minimum charge must be more than zero and at most "
                                 f"{format_money(MAX_MIN_CHARGE_MINOR, community.currency)}, in {community.currency}.")
        self.conn.execute(communities.update().where(communities.c.id == community_id)
                          .values(min_charge_minor=minimum.amount_minor))
        return self.community(community_id)

    def set_funding_mode(self, community_id: int, mode: str, *, by_admin: bool) -> Community:
        require_admin(by_admin, "change how the community is funded")
        if mode not in FUNDING_MODES:
            raise InvalidRequest(f"Funding is one of: {', '.join(FUNDING_MODES)}.")
        self.conn.execute(communities.update().where(communities.c.id == community_id).values(funding_mode=mode))
        return self.community(community_id)

    def set_payday_cron(self, community_id: int, cron: str, *, by_admin: bool) -> Community:
        require_admin(by_admin, "change the payday schedule")
        self.conn.execute(communities.update().where(communities.c.id == community_id).values(payday_cron=cron))
        return self.community(community_id)

    # spaces

    def space(self, platform: str, external_id: str) -> Space | None:
        row = self.conn.execute(_SPACE, {"platform": platform, "external_id": external_id}).first()
        return None if row is None else _space(row)

    def space_with_members(self, platform: str, external_id: str,
                           platform_user_ids: Sequence[str]) -> tuple[Space, Community, dict[str, Member]] | None:
        """The space, its community and the members among `platform_user_ids`, in one statement:
        what every chat command needs first (None while the space is unknown)."""
        rows = self.conn.execute(_SPACE_WITH_MEMBERS, {"platform": platform, "external_id": external_id,
                                                      "user_ids": list(platform_user_ids)}).all()
        if not rows:
            return None
        first = rows[0]
        space = Space(*first[:_SPACE_END])
        community = Community(*first[_SPACE_END:_COMMUNITY_END])
        found = {row[_COMMUNITY_END]: Member(*row[_COMMUNITY_END + 1:])
                 for row in rows if row[_COMMUNITY_END] is not None}
        return space, community, found

    def space_by_id(self, space_id: int) -> Space:
        return _space(self.conn.execute(sa.select(spaces).where(spaces.c.id == space_id)).one())

    def spaces_of(self, community_id: int) -> list[Space]:
        rows = self.conn.execute(sa.select(spaces).where(spaces.c.community_id == community_id).order_by(spaces.c.id))
        return [_space(r) for r in rows]

    def ensure_space(self, platform: str, external_id: str, *, name: str | None = None,
                     community_name: str | None = None, currency: str = DEFAULT_CURRENCY) -> Space:
        """The space, created with a community of its own the first time it is seen."""
        found = self.space(platform, external_id)
        if found is not None:
            return found
        community = self.ensure_community(community_name or f"{platform}:{external_id}", currency)
        try:
            with self.conn.begin_nested():
                self.conn.execute(spaces.insert().values(
                    community_id=community.id, platform=platform, external_id=external_id, name=name,
                    created_at=self.clock.now()))
        except IntegrityError:
            pass
        found = self.space(platform, external_id)
        assert found is not None
        return found

    def set_summary_channel(self, space_id: int, channel_id: str, channel_name: str | None, *,
                            by_admin: bool) -> Space:
        require_admin(by_admin, "choose where payday summaries go")
        self.conn.execute(spaces.update().where(spaces.c.id == space_id).values(
            summary_channel_id=channel_id, summary_channel_name=channel_name))
        return self.space_by_id(space_id)

    # members

    def member(self, member_id: int) -> Member:
        row = self.conn.execute(_MEMBER, {"id": member_id}).first()
        if row is None:
            raise UnknownMember("That member is not part of this community.")
        return Member(*row)

    def find_member(self, space: Space, platform_user_id: str) -> Member | None:
        row = self.conn.execute(_FIND_MEMBER, {"space_id": space.id, "platform_user_id": platform_user_id}).first()
        return None if row is None else Member(*row)

    def find_member_by_name(self, community_id: int, display_name: str) -> Member | None:
        row = self.conn.execute(
            sa.select(*_MEMBER_COLUMNS).where(members.c.community_id == community_id,
                                              members.c.display_name == display_name).order_by(members.c.id)
        ).first()
        return None if row is None else Member(*row)

    def ensure_member(self, space: Space, platform_user_id: str, display_name: str | None = None, *,
                      refuse_lookalikes: bool = False) -> Member:
        """The member behind this identity, created (with an empty account) on first sight.

        With `refuse_lookalikes` (names people type, as on the console), a new name whose
        Unicode skeleton (UTS #39) is an existing member's is refused: one can't pose as another."""
        found = self.find_member(space, platform_user_id)
        if found is not None:
            return found
        community = self.community(space.community_id)
        name = (display_name or platform_user_id)[:200]
        if refuse_lookalikes:
            self._refuse_lookalike(community.id, name)
        try:
            with self.conn.begin_nested():
                member_id = self.conn.execute(
                    accounts.insert().values(community_id=community.id, currency=community.currency, kind="member")
                    .returning(accounts.c.id)
                ).scalar_one()
                now = self.clock.now()
                self.conn.execute(members.insert().values(id=member_id, community_id=community.id, display_name=name,
                                                          created_at=now))
                self.conn.execute(identities.insert().values(
                    member_id=member_id, space_id=space.id, platform_user_id=platform_user_id, display_name=name,
                    created_at=now))
        except IntegrityError:  # the same identity was created concurrently
            pass
        found = self.find_member(space, platform_user_id)
        assert found is not None
        return found

    def _refuse_lookalike(self, community_id: int, name: str) -> None:
        names = self.conn.execute(sa.select(members.c.display_name).where(
            members.c.community_id == community_id, members.c.display_name != name)).scalars()
        twin = lookalike(name, names)
        if twin is not None:
            raise LookalikeName(f"`{name}` looks like the name of the member `{twin}`, so it can't be a new member. "
                                f"Pick a name that looks different, or write `@{twin}` if you meant them.")

    def set_receiving(self, member_id: int, on: bool) -> bool:
        """Opt in or out of receiving; returns whether anything changed."""
        result = self.conn.execute(
            members.update().where(members.c.id == member_id, members.c.receiving == (not on)).values(receiving=on)
        )
        if result.rowcount == 0:
            self.member(member_id)  # refuses unknown members
        return result.rowcount == 1

    def set_receipts(self, member_id: int, on: bool) -> bool:
        """Ask for (or stop) payday receipts by direct message; returns whether anything changed."""
        result = self.conn.execute(
            members.update().where(members.c.id == member_id, members.c.wants_receipts == (not on))
            .values(wants_receipts=on)
        )
        if result.rowcount == 0:
            self.member(member_id)  # refuses unknown members
        return result.rowcount == 1

    def wants_receipts(self, member_id: int) -> bool:
        found = self.conn.execute(sa.select(members.c.wants_receipts).where(members.c.id == member_id)).scalar()
        if found is None:
            self.member(member_id)  # refuses unknown members
        return bool(found)

    def identities_of(self, member_id: int) -> list[tuple[Space, str]]:
        rows = self.conn.execute(
            sa.select(spaces, identities.c.platform_user_id).join(identities, identities.c.space_id == spaces.c.id)
            .where(identities.c.member_id == member_id).order_by(identities.c.id)
        )
        return [(_space(r), r.platform_user_id) for r in rows]


# Hot statements are built once: building a statement costs more CPU than running it.
_MEMBER_COLUMNS = (members.c.id, members.c.community_id, members.c.display_name, members.c.receiving)
_SPACE_COLUMNS = (spaces.c.id, spaces.c.community_id, spaces.c.platform, spaces.c.external_id, spaces.c.name,
                  spaces.c.summary_channel_id, spaces.c.summary_channel_name)
_COMMUNITY_COLUMNS = (communities.c.id, communities.c.name, communities.c.currency, communities.c.funding_mode,
                      communities.c.payday_cron, communities.c.max_weekly_minor, communities.c.max_once_minor,
                      communities.c.min_charge_minor)
_SPACE_END = len(_SPACE_COLUMNS)
_COMMUNITY_END = _SPACE_END + len(_COMMUNITY_COLUMNS)
_SPACE = sa.select(*_SPACE_COLUMNS).where(spaces.c.platform == sa.bindparam("platform"),
                                          spaces.c.external_id == sa.bindparam("external_id"))
_COMMUNITY = sa.select(*_COMMUNITY_COLUMNS).where(communities.c.id == sa.bindparam("id"))
_MEMBER = sa.select(*_MEMBER_COLUMNS).where(members.c.id == sa.bindparam("id"))
_FIND_MEMBER = (
    sa.select(*_MEMBER_COLUMNS).join(identities, identities.c.member_id == members.c.id)
    .where(identities.c.space_id == sa.bindparam("space_id"),
           identities.c.platform_user_id == sa.bindparam("platform_user_id"))
)
_SPACE_WITH_MEMBERS = (
    sa.select(*_SPACE_COLUMNS, *_COMMUNITY_COLUMNS, identities.c.platform_user_id, *_MEMBER_COLUMNS)
    .select_from(spaces)
    .join(communities, communities.c.id == spaces.c.community_id)
    .outerjoin(identities, sa.and_(identities.c.space_id == spaces.c.id,
                                   identities.c.platform_user_id.in_(sa.bindparam("user_ids", expanding=True))))
    .outerjoin(members, members.c.id == identities.c.member_id)
    .where(spaces.c.platform == sa.bindparam("platform"), spaces.c.external_id == sa.bindparam("external_id"))
)


def _community(row) -> Community:
    return Community(row.id, row.name, row.currency, row.funding_mode, row.payday_cron,
                     row.max_weekly_minor, row.max_once_minor, row.min_charge_minor)


def _space(row) -> Space:
    return Space(row.id, row.community_id, row.platform, row.external_id, row.name,
                 row.summary_channel_id, row.summary_channel_name)
