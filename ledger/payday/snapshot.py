"""The snapshot: the payday's inputs, frozen at its start in two INSERT ... SELECTs.

Members (receiving flag, balance), projects (like members, plus their maintainers'
takes: ledger/payday/projects.py) and the tips current at that moment (amount > 0,
with the ctime that orders funding) are copied into payday_members / payday_tips,
each due tip with the running sum of its tipper's due tips in funding order: the
one window function of the payday.
Settlement reads only these, so a tip set or a member opting in while the payday
runs counts from the next payday. On PostgreSQL the transaction is REPEATABLE READ
so both statements see the same instant.
"""

from __future__ import annotations

import sqlalchemy as sa

from ledger.models import accounts, members, tips
from ledger.payday.projects import snapshot_projects
from ledger.payday.tables import payday_members, payday_tips
from ledger.tips import current_tips_query

# Below this, any plan is fast and ANALYZE (a sample of every payday's rows) would be most of
# a small community's payday (bench/tenants.py: thousands of 20-member communities).
ANALYZE_MIN_MEMBERS = 1_000


def take_snapshot(conn: sa.Connection, payday_id: int, community_id: int) -> dict[str, int]:
    postgresql = conn.dialect.name == "postgresql"
    if postgresql:  # the window's sort of a million tips fits in memory instead of spilling
        conn.exec_driver_sql("SET LOCAL work_mem = '64MB'")
    params = {"payday_id": payday_id, "community_id": community_id}
    inserted = conn.execute(_INSERT_MEMBERS, params).rowcount
    projects = snapshot_projects(conn, payday_id, community_id)  # tipped like members: before the tips
    if postgresql and inserted >= ANALYZE_MIN_MEMBERS:
        # plan the tips' join for the members just inserted, not for what autovacuum last saw
        conn.exec_driver_sql("ANALYZE payday_members")
    conn.execute(_INSERT_TIPS, params)
    counts = conn.execute(_COUNT_TIPS, params).one()
    return {"tips": int(counts[0]), "due": int(counts[1]), "projects": projects, "members": int(inserted)}


# The statements, built once (bound: payday_id, community_id): thousands of small paydays
# due together spent more time building them than running them.
_PAYDAY_ID = sa.bindparam("payday_id", type_=sa.Integer)
_COMMUNITY_ID = sa.bindparam("community_id", type_=sa.Integer)

_INSERT_MEMBERS = payday_members.insert().from_select(
    ["payday_id", "member_id", "receiving", "start_balance_minor", "balance_minor"],
    sa.select(_PAYDAY_ID, members.c.id, members.c.receiving, accounts.c.balance_minor, accounts.c.balance_minor)
    .join(accounts, accounts.c.id == members.c.id)
    .where(members.c.community_id == _COMMUNITY_ID),
).execution_options(preserve_rowcount=True)  # SQLAlchemy gives an INSERT ... SELECT's count only when asked


def _insert_tips() -> sa.Insert:
    current = current_tips_query().where(tips.c.community_id == _COMMUNITY_ID,
                                         tips.c.weekly_amount_minor > 0).subquery()
    due = payday_members.c.receiving
    running = sa.func.sum(current.c.weekly_amount_minor).over(
        partition_by=[current.c.tipper_id, due], order_by=[current.c.ctime, current.c.id], rows=(None, 0))
    return payday_tips.insert().from_select(
        ["payday_id", "tipper_id", "tippee_id", "tip_id", "amount_minor", "ctime", "due", "cum_minor",
         "anonymous"],
        sa.select(_PAYDAY_ID, current.c.tipper_id, current.c.tippee_id, current.c.id,
                  current.c.weekly_amount_minor, current.c.ctime, due, sa.case((due, running), else_=None),
                  current.c.anonymous)
        .join(payday_members, sa.and_(payday_members.c.payday_id == _PAYDAY_ID,
                                      payday_members.c.member_id == current.c.tippee_id)),
    )


_INSERT_TIPS = _insert_tips()
_COUNT_TIPS = (sa.select(sa.func.count(), sa.func.count().filter(payday_tips.c.due))
               .where(payday_tips.c.payday_id == _PAYDAY_ID))
