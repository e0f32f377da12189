"""Weekly tips: versions, never rewritten; the newest version per pair is the current tip.

A new version clears `is_current` on the one it supersedes (the only change ever made to
a tip row), so reading current tips costs the current tips, not their whole history.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from ledger.clock import Clock
from ledger.errors import InvalidRequest, SelfTip, UnknownMember
from ledger.models import accounts, members, tips
from ledger.project_tables import project_maintainers
from ledger.money import Money
from ledger.records import Community, Member, TipChange, TipLine
from ledger.transfers import check_amount, clean_note


def current_tips_query(community_id: int | None = None) -> sa.Select:
    """Every pair's newest version: one row per (tipper, tippee), amount possibly 0."""
    query = sa.select(tips).where(tips.c.is_current)
    if community_id is not None:
        query = query.where(tips.c.community_id == community_id)
    return query


class Tips:
    conn: sa.Connection
    clock: Clock

    def current_tip(self, tipper_id: int, tippee_id: int):
        return self.conn.execute(CURRENT_TIP, {"tipper_id": tipper_id, "tippee_id": tippee_id}).first()

    def set_tip(self, tipper_id: int, tippee_id: int, weekly: Money, *, note: str | None = None,
                now: dt.datetime | None = None, anonymous: bool | None = None) -> TipChange:
        """Set the weekly tip from tipper to tippee (a new version); 0 ends it."""
        if tipper_id == tippee_id:
            raise SelfTip("You can't tip yourself.")
        tipper = self.member(tipper_id)  # type: ignore[attr-defined]
        tippee = self.member(tippee_id)  # type: ignore[attr-defined]
        community = self.community(tipper.community_id)  # type: ignore[attr-defined]
        return self.set_tip_between(tipper, tippee, community, weekly, note=note, now=now, anonymous=anonymous)

    def set_tip_between(self, tipper: Member, tippee: Member, community: Community, weekly: Money, *,
                        note: str | None = None, now: dt.datetime | None = None,
                        anonymous: bool | None = None) -> TipChange:
        """`set_tip` for callers that already read the members and community in this
        transaction (every chat command does): three statements fewer per tip.

        `anonymous`: True hides the tipper from the tippee, False names them, None keeps
        what the running tip says (a new tip: named)."""
        tipper_id, tippee_id = tipper.id, tippee.id
        if tipper_id == tippee_id:
            raise SelfTip("You can't tip yourself.")
        if not tipper.community_id == tippee.community_id == community.id:
            raise UnknownMember("That member is not part of this community.")
        # One tipper's changes take turns (the tipper's account row is locked), so the newest
        # version read here stays the newest; the unique index of current tips backs this up.
        self.conn.execute(LOCK_TIPPER, {"tipper_id": tipper_id})
        previous = self.current_tip(tipper_id, tippee_id)
        old = previous.weekly_amount_minor if previous is not None else 0
        if weekly.amount_minor == 0:
            if old == 0:
                raise InvalidRequest(f"You have no weekly tip to {tippee.display_name} to end.")
        else:
            check_amount(weekly, community.currency, community.max_weekly_minor, "weekly tip")
        pledge = not tippee.receiving
        was_anonymous = bool(previous.anonymous) if previous is not None and old > 0 else False
        hidden = was_anonymous if anonymous is None else anonymous
        if old == weekly.amount_minor and (hidden == was_anonymous or old == 0):
            return TipChange(tipper_id, tippee_id, tippee.display_name, old, old, community.currency,
                             pledge=pledge, notify_pledge=False, unchanged=True, anonymous=was_anonymous)
        now = now or self.clock.now()
        ctime = previous.ctime if previous is not None and old > 0 else now
        if previous is not None:
            self.conn.execute(SUPERSEDE_TIP, {"previous_id": previous.id})
        self.conn.execute(INSERT_TIP, {
            "community_id": community.id, "tipper_id": tipper_id, "tippee_id": tippee_id,
            "weekly_amount_minor": weekly.amount_minor, "ctime": ctime, "mtime": now, "note": clean_note(note),
            "anonymous": hidden})
        notify = False
        if pledge and weekly.amount_minor > 0:
            # Tell a non-receiving member once that pledges wait for them.
            notify = self.conn.execute(_NOTE_FIRST_PLEDGE, {"tippee_id": tippee_id, "now": now}).rowcount == 1
        return TipChange(tipper_id, tippee_id, tippee.display_name, old, weekly.amount_minor, community.currency,
                         pledge=pledge, notify_pledge=notify, anonymous=hidden)

    def given_totals(self, member_id: int) -> tuple[int, int, int]:
        """(weekly total, of which pledged, balance) of a member's current tips given, in
        minor units: what a reply to a tip says, in one statement."""
        row = self.conn.execute(_GIVEN_TOTALS, {"member_id": member_id}).one()
        if row.balance_minor is None:
            raise UnknownMember("That member is not part of this community.")
        return int(row.total_minor), int(row.pledged_minor), int(row.balance_minor)

    def tips_given(self, member_id: int) -> list[TipLine]:
        return self._tip_lines(member_id, given=True)

    def tips_received(self, member_id: int) -> list[TipLine]:
        return self._tip_lines(member_id, given=False)

    def _tip_lines(self, member_id: int, *, given: bool) -> list[TipLine]:
        me = self.member(member_id)  # type: ignore[attr-defined]  # refuses unknown members
        current = current_tips_query().where(
            (tips.c.tipper_id if given else tips.c.tippee_id) == member_id, tips.c.weekly_amount_minor > 0
        ).subquery()
        other = current.c.tippee_id if given else current.c.tipper_id
        rows = self.conn.execute(
            sa.select(other.label("other_id"), members.c.display_name, current.c.weekly_amount_minor,
                      current.c.ctime, members.c.receiving, current.c.anonymous)
            .join(members, members.c.id == other).order_by(current.c.ctime, current.c.id)
        )
        # A tippee never learns who tips them anonymously: the line carries no name nor id.
        return [
            TipLine(0 if r.anonymous and not given else r.other_id,
                    None if r.anonymous and not given else r.display_name, r.weekly_amount_minor, r.ctime,
                    pledge=not (r.receiving if given else me.receiving), anonymous=bool(r.anonymous))
            for r in rows
        ]


# Hot statements, built once (building one costs more CPU than running it); ledger/projects.py
# versions project tips with the same four.
CURRENT_TIP = sa.select(tips).where(
    tips.c.tipper_id == sa.bindparam("tipper_id"), tips.c.tippee_id == sa.bindparam("tippee_id"), tips.c.is_current)
LOCK_TIPPER = sa.select(accounts.c.id).where(accounts.c.id == sa.bindparam("tipper_id")).with_for_update(key_share=True)
SUPERSEDE_TIP = tips.update().where(tips.c.id == sa.bindparam("previous_id")).values(is_current=False)
INSERT_TIP = tips.insert().values(is_current=True)
_NOTE_FIRST_PLEDGE = (
    members.update().where(members.c.id == sa.bindparam("tippee_id"), members.c.pledge_notified_at.is_(None))
    .values(pledge_notified_at=sa.bindparam("now"))
)
_GIVEN = (
    current_tips_query().where(tips.c.tipper_id == sa.bindparam("member_id"), tips.c.weekly_amount_minor > 0)
    .subquery("given")
)
_MAINTAINER = members.alias("maintainer")
_PROJECT_RECEIVES = sa.exists().where(  # a tip to a project is paid once one of its maintainers receives
    project_maintainers.c.project_id == _GIVEN.c.tippee_id, project_maintainers.c.left_at.is_(None),
    _MAINTAINER.c.id == project_maintainers.c.member_id, _MAINTAINER.c.receiving)
_GIVEN_TOTALS = (
    sa.select(
        sa.func.coalesce(sa.func.sum(_GIVEN.c.weekly_amount_minor), 0).label("total_minor"),
        sa.func.coalesce(sa.func.sum(
            sa.case((members.c.receiving, 0), (members.c.id.is_(None) & _PROJECT_RECEIVES, 0),
                    else_=_GIVEN.c.weekly_amount_minor)), 0).label("pledged_minor"),
        sa.select(accounts.c.balance_minor).where(accounts.c.id == sa.bindparam("member_id"))
        .scalar_subquery().label("balance_minor"),
    )
    .select_from(_GIVEN).outerjoin(members, members.c.id == _GIVEN.c.tippee_id)
)
