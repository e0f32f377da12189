"""Payday statistics and the read side the summaries use.

Figures come from the snapshot and the plan (funded = `cum_minor <= spent_minor`),
which the applied transfers match one for one, so a dry run reports the same way.

All figures are integers (counts and minor units); the stats JSON stored on the
paydays row never holds a float.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from ledger.models import members, paydays
from ledger.payday.projects import project_stats
from ledger.project_tables import projects

# Paid tips are a prefix of each tipper's queue: unpaid = running sum beyond what was paid.
_PAID = "pt.due AND pt.cum_minor <= pm.spent_minor"
_UNFUNDED = "pt.due AND pt.cum_minor > pm.spent_minor"
_UNPAID = f"""
FROM payday_tips pt
JOIN payday_members pm ON pm.payday_id = pt.payday_id AND pm.member_id = pt.tipper_id
WHERE pt.payday_id = :payday_id AND {_UNFUNDED}
"""

# Paid, unfunded and pledged tips in one pass over the payday's tips.
_TIP_TOTALS = sa.text(f"""
SELECT COUNT(*) FILTER (WHERE {_PAID}), COALESCE(SUM(pt.amount_minor) FILTER (WHERE {_PAID}), 0),
       COUNT(DISTINCT pt.tipper_id) FILTER (WHERE {_PAID}), COUNT(DISTINCT pt.tippee_id) FILTER (WHERE {_PAID}),
       COUNT(*) FILTER (WHERE {_UNFUNDED}), COALESCE(SUM(pt.amount_minor) FILTER (WHERE {_UNFUNDED}), 0),
       COUNT(DISTINCT pt.tipper_id) FILTER (WHERE {_UNFUNDED}),
       COUNT(*) FILTER (WHERE NOT pt.due), COALESCE(SUM(pt.amount_minor) FILTER (WHERE NOT pt.due), 0)
FROM payday_tips pt
LEFT JOIN payday_members pm ON pm.payday_id = pt.payday_id AND pm.member_id = pt.tipper_id
WHERE pt.payday_id = :payday_id
""")

_COMPARED = sa.text("""
SELECT
  (SELECT COUNT(*) FROM payday_tips c WHERE c.payday_id = :payday_id AND NOT EXISTS (
      SELECT 1 FROM payday_tips p WHERE p.payday_id = :previous_id
        AND p.tipper_id = c.tipper_id AND p.tippee_id = c.tippee_id)),
  (SELECT COUNT(*) FROM payday_tips p WHERE p.payday_id = :previous_id AND NOT EXISTS (
      SELECT 1 FROM payday_tips c WHERE c.payday_id = :payday_id
        AND c.tipper_id = p.tipper_id AND c.tippee_id = p.tippee_id)),
  (SELECT COUNT(*) FROM payday_tips c JOIN payday_tips p ON p.payday_id = :previous_id
      AND p.tipper_id = c.tipper_id AND p.tippee_id = c.tippee_id
   WHERE c.payday_id = :payday_id AND c.amount_minor <> p.amount_minor)
""")


def previous_payday(conn: sa.Connection, community_id: int, week_start: dt.date):
    """The community's last finished payday before `week_start` (id, stats), or None."""
    return conn.execute(
        sa.select(paydays.c.id, paydays.c.stats)
        .where(paydays.c.community_id == community_id, paydays.c.week_start < week_start,
               paydays.c.stage == "done")
        .order_by(paydays.c.week_start.desc()).limit(1)
    ).first()


def compute_stats(conn: sa.Connection, payday_id: int, community_id: int, week_start: dt.date,
                  currency: str, rounds: int) -> dict[str, Any]:
    p = {"payday_id": payday_id}
    (paid, paid_minor, tippers, recipients, unfunded, unfunded_minor, unfunded_tippers,
     pledges, pledged_minor) = conn.execute(_TIP_TOTALS, p).one()
    previous = previous_payday(conn, community_id, week_start)
    previous_id = previous.id if previous is not None else -1
    new_tips, ended_tips, changed_tips = conn.execute(
        _COMPARED, {"payday_id": payday_id, "previous_id": previous_id}).one()
    previous_paid = None
    if previous is not None and previous.stats:
        previous_paid = int(previous.stats.get("paid_minor", 0))
    return {
        "currency": currency,
        "week_start": week_start.isoformat(),
        "rounds": rounds,
        "tippers": int(tippers),
        "recipients": int(recipients),
        "tips_paid": int(paid),
        "paid_minor": int(paid_minor),
        "unfunded_tips": int(unfunded),
        "unfunded_minor": int(unfunded_minor),
        "unfunded_tippers": int(unfunded_tippers),
        "pledges": int(pledges),
        "pledged_minor": int(pledged_minor),
        "new_tips": int(new_tips),
        "ended_tips": int(ended_tips),
        "changed_tips": int(changed_tips),
        "previous_paid_minor": previous_paid,
        "change_minor": None if previous_paid is None else int(paid_minor) - previous_paid,
        **project_stats(conn, payday_id),
    }


@dataclass(frozen=True)
class UnfundedNotice:
    """One tipper whose due tips stayed unpaid, and why (their balance fell short)."""

    tipper_id: int
    tipper_name: str
    tips: int
    unfunded_minor: int
    balance_minor: int  # working balance left after settlement
    first_waiting_tippee: str
    first_waiting_minor: int


_UNFUNDED_BY_TIPPER = f"""
SELECT pt.tipper_id, pt.tippee_id, pt.amount_minor, pm.balance_minor,
       ROW_NUMBER() OVER (PARTITION BY pt.tipper_id ORDER BY pt.cum_minor) AS position,
       COUNT(*) OVER (PARTITION BY pt.tipper_id) AS tips,
       SUM(pt.amount_minor) OVER (PARTITION BY pt.tipper_id) AS unfunded_minor
{_UNPAID}
"""


def unfunded_notices(conn: sa.Connection, payday_id: int, limit: int | None = None) -> list[UnfundedNotice]:
    """Per tipper with unfunded tips: how many, how much, and the first one waiting."""
    params = {"payday_id": payday_id} if limit is None else {"payday_id": payday_id, "limit": limit}
    return [
        UnfundedNotice(r.tipper_id, r.tipper_name, int(r.tips), int(r.unfunded_minor), int(r.balance_minor),
                       r.tippee_name, int(r.amount_minor))
        for r in conn.execute(_unfunded_notices_query(limited=limit is not None), params)
    ]


@functools.cache
def _unfunded_notices_query(*, limited: bool) -> sa.Select:
    """Built once per shape (bound: payday_id, and limit when `limited`): every announcement runs it."""
    ranked = sa.text(_UNFUNDED_BY_TIPPER).columns(
        sa.column("tipper_id"), sa.column("tippee_id"), sa.column("amount_minor"), sa.column("balance_minor"),
        sa.column("position"), sa.column("tips"), sa.column("unfunded_minor"),
    ).subquery("ranked")
    tipper, tippee = members.alias("tipper"), members.alias("tippee")
    query = (
        sa.select(ranked, tipper.c.display_name.label("tipper_name"),
                  sa.func.coalesce(tippee.c.display_name, projects.c.name).label("tippee_name"))
        .join(tipper, tipper.c.id == ranked.c.tipper_id).outerjoin(tippee, tippee.c.id == ranked.c.tippee_id)
        .outerjoin(projects, projects.c.id == ranked.c.tippee_id)  # a tip to a project waits too
        .where(ranked.c.position == 1).order_by(ranked.c.tipper_id)
    )
    return query.limit(sa.bindparam("limit", type_=sa.Integer)) if limited else query


def recent_paydays(conn: sa.Connection, community_id: int, weeks: int = 12) -> list[tuple[dt.date, dict]]:
    """The community's last `weeks` finished paydays, oldest first: (week_start, stats)."""
    rows = conn.execute(
        sa.select(paydays.c.week_start, paydays.c.stats)
        .where(paydays.c.community_id == community_id, paydays.c.stage == "done")
        .order_by(paydays.c.week_start.desc()).limit(weeks)
    ).all()
    return [(r.week_start, r.stats or {}) for r in reversed(rows)]
