"""Self-check: recompute every balance from the transfers, find each pair's current tip, and
match every reservation to the unsettled payday plans that spend it.

`tipbot ledger check` runs this; any difference is a bug or tampering and makes the
command exit non-zero.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from ledger.models import accounts, communities, members, paydays, tips, transfers
from ledger.money import decimal_string, format_money
from ledger.payday.tables import payday_members


@dataclass(frozen=True)
class Problem:
    community: str
    currency: str
    account_id: int | None
    what: str
    cached_minor: int
    computed_minor: int
    owner: str = ""  # the member's name, or the outside account's kind

    def __str__(self) -> str:
        if self.account_id is None:
            where = "all accounts"
        elif self.owner:
            where = f"account {self.account_id} ({self.owner})"
        else:
            where = f"account {self.account_id}"
        cached = decimal_string(self.cached_minor, self.currency)
        computed = decimal_string(self.computed_minor, self.currency)
        if self.account_id is None:
            return f"community {self.community!r} {self.currency}: {self.what}: they sum to {cached}, not 0"
        return (f"community {self.community!r} {self.currency} {where}: {self.what}: "
                f"cached balance {cached}, from its transfers {computed}")


def check_ledger(connection: sa.Connection) -> list[Problem]:
    """Every account whose cached balance differs from its transfers, and every
    community/currency whose accounts do not sum to zero."""
    legs = sa.union_all(
        sa.select(transfers.c.to_account_id.label("account_id"), transfers.c.amount_minor.label("delta")),
        sa.select(transfers.c.from_account_id, -transfers.c.amount_minor),
    ).subquery()
    computed = (
        sa.select(legs.c.account_id, sa.func.sum(legs.c.delta).label("computed"))
        .group_by(legs.c.account_id).subquery()
    )
    rows = connection.execute(
        sa.select(accounts.c.id, accounts.c.currency, accounts.c.kind, accounts.c.balance_minor,
                  sa.func.coalesce(computed.c.computed, 0).label("computed"), communities.c.name,
                  members.c.display_name)
        .outerjoin(computed, computed.c.account_id == accounts.c.id)
        .join(communities, communities.c.id == accounts.c.community_id)
        .outerjoin(members, members.c.id == accounts.c.id)
        .where(sa.or_(accounts.c.balance_minor != sa.func.coalesce(computed.c.computed, 0),
                      sa.and_(accounts.c.kind == "member", accounts.c.balance_minor < 0)))
        .order_by(accounts.c.id)
    )
    problems = [
        Problem(r.name, r.currency, r.id,
                "negative member balance" if r.balance_minor < 0 and r.kind == "member" else "balance differs",
                int(r.balance_minor), int(r.computed),
                f"member {r.display_name}" if r.display_name is not None else f"outside account: {r.kind}")
        for r in rows
    ]
    sums = connection.execute(
        sa.select(communities.c.name, accounts.c.currency, sa.func.sum(accounts.c.balance_minor).label("total"))
        .join(communities, communities.c.id == accounts.c.community_id)
        .group_by(communities.c.name, accounts.c.currency)
        .having(sa.func.sum(accounts.c.balance_minor) != 0)
    )
    problems += [Problem(r.name, r.currency, None, "accounts do not sum to zero", int(r.total), 0) for r in sums]
    return problems


def check_tips(connection: sa.Connection) -> list[str]:
    """Every pair of members whose current tip is not its newest version (the schema already
    allows at most one current version per pair)."""
    newer = tips.alias("newer")
    has_newer = sa.exists().where(newer.c.tipper_id == tips.c.tipper_id, newer.c.tippee_id == tips.c.tippee_id,
                                  newer.c.id > tips.c.id)
    stale = connection.execute(
        sa.select(tips.c.tipper_id, tips.c.tippee_id, tips.c.id).where(tips.c.is_current, has_newer)
        .order_by(tips.c.id)
    )
    problems = [f"tip from member {r.tipper_id} to member {r.tippee_id}: version {r.id} is marked current "
                f"but a newer version exists" for r in stale]
    without = connection.execute(
        sa.select(tips.c.tipper_id, tips.c.tippee_id).group_by(tips.c.tipper_id, tips.c.tippee_id)
        .having(sa.func.sum(sa.case((tips.c.is_current, 1), else_=0)) == 0)
        .order_by(tips.c.tipper_id, tips.c.tippee_id)
    )
    problems += [f"tip from member {r.tipper_id} to member {r.tippee_id}: no version is marked current"
                 for r in without]
    return problems


UNSETTLED = ("started", "snapshotted", "funded", "planned")  # and "round N": stages before settlement


def check_reservations(connection: sa.Connection) -> list[str]:
    """Every account whose reservation is not exactly what unsettled paydays' plans still
    spend from it (GREATEST(spent - received, 0) per payday), which includes any
    reservation left outside a running payday. (Settlement releases a payday's
    reservations; `payday_members.reserved_minor` then only records what it held.)"""
    pm = payday_members
    unsettled = sa.or_(paydays.c.stage.in_(UNSETTLED), paydays.c.stage.like("round %"))
    net = sa.case((pm.c.spent_minor > pm.c.received_minor, pm.c.spent_minor - pm.c.received_minor), else_=0)
    plans = (
        sa.select(pm.c.member_id, sa.func.sum(net).label("spends_minor"),
                  sa.func.sum(pm.c.reserved_minor).label("held_minor"))
        .join(paydays, paydays.c.id == pm.c.payday_id).where(unsettled)
        .group_by(pm.c.member_id).subquery()
    )
    spends = sa.func.coalesce(plans.c.spends_minor, 0)
    held = sa.func.coalesce(plans.c.held_minor, 0)
    rows = connection.execute(
        sa.select(accounts.c.id, accounts.c.currency, accounts.c.reserved_minor, communities.c.name,
                  members.c.display_name, spends.label("spends_minor"), held.label("held_minor"))
        .join(communities, communities.c.id == accounts.c.community_id)
        .outerjoin(members, members.c.id == accounts.c.id)
        .outerjoin(plans, plans.c.member_id == accounts.c.id)
        .where(sa.or_(accounts.c.reserved_minor != spends, accounts.c.reserved_minor != held))
        .order_by(accounts.c.id)
    )
    problems = []
    for r in rows:
        where = f"community {r.name!r} account {r.id} (member {r.display_name})"
        reserved = format_money(int(r.reserved_minor), r.currency)
        if r.reserved_minor and not r.spends_minor:
            problems.append(f"{where}: {reserved} is reserved but no running payday plans to spend it")
        else:
            problems.append(f"{where}: {reserved} is reserved but unsettled paydays' plans spend "
                            f"{format_money(int(r.spends_minor), r.currency)} from it "
                            f"(they hold {format_money(int(r.held_minor), r.currency)})")
    return problems
