"""The snapshot: the payday's inputs, frozen at its start in two INSERT ... SELECTs.

Members (receiving flag, balance) and the tips current at that moment (amount > 0,
with the ctime that orders funding) are copied into payday_members / payday_tips.
Settlement reads only these, so a tip set or a member opting in while the payday
runs counts from the next payday. On PostgreSQL the transaction is REPEATABLE READ
so both statements see the same instant.
"""

from __future__ import annotations

import sqlalchemy as sa

from ledger.models import accounts, members, tips
from ledger.payday.tables import payday_members, payday_tips
from ledger.tips import current_tips_query


def take_snapshot(conn: sa.Connection, payday_id: int, community_id: int) -> dict[str, int]:
    conn.execute(payday_members.insert().from_select(
        ["payday_id", "member_id", "receiving", "start_balance_minor", "balance_minor"],
        sa.select(sa.literal(payday_id), members.c.id, members.c.receiving, accounts.c.balance_minor,
                  accounts.c.balance_minor)
        .join(accounts, accounts.c.id == members.c.id)
        .where(members.c.community_id == community_id),
    ))
    current = current_tips_query(community_id).where(tips.c.weekly_amount_minor > 0).subquery()
    conn.execute(payday_tips.insert().from_select(
        ["payday_id", "tipper_id", "tippee_id", "tip_id", "amount_minor", "ctime", "due"],
        sa.select(sa.literal(payday_id), current.c.tipper_id, current.c.tippee_id, current.c.id,
                  current.c.weekly_amount_minor, current.c.ctime, payday_members.c.receiving)
        .join(payday_members, sa.and_(payday_members.c.payday_id == payday_id,
                                      payday_members.c.member_id == current.c.tippee_id)),
    ))
    counts = conn.execute(
        sa.select(sa.func.count(), sa.func.count().filter(payday_tips.c.due))
        .where(payday_tips.c.payday_id == payday_id)
    ).one()
    return {"tips": int(counts[0]), "due": int(counts[1])}
