"""Settlement: plan in set-based rounds over the snapshot, then apply the plan at once.

Funding rule (docs/architecture.md, "Payday"): a tip is paid whole or not at all; each tipper's due
tips are funded oldest first (ctime, then tip id) while the balance covers the
next one whole, and the first that can't be covered waits (a smaller later tip
does not jump the queue). With positive amounts that is "the running sum of the
tipper's due tips in that order is at most what they can spend". The snapshot
stores that running sum per tip (`cum_minor`, the payday's one window function)
and the plan keeps each member's funded totals (`spent_minor`, `received_minor`),
so the funded tips are always a prefix, `cum_minor <= spent_minor`, and one round
funds, for every tipper at once,

    spent_minor < cum_minor <= spent_minor + working balance

which is a range condition and one UPDATE of the working balances. Round 1 first
adds what a funding processor brought in for this payday (its transfers carry the
payday id). Only money received in round N can fund more in round N+1, so later
rounds look only at members who just received. Rounds repeat until one funds
nothing. Each round commits with its stage, so a crash resumes at the next one.

Applying the plan is one transaction, shaped like the raw lower bound: one
INSERT ... SELECT of every funded tip into transfers (UNIQUE(payday, from, to)
makes a double payment impossible) and one UPDATE of the accounts by each
member's net (received - spent). The net is never below minus the balance the
plan spent, so CHECK(balance >= 0) holds row by row, unless the member spent
money elsewhere while the payday ran: then the CHECK refuses the UPDATE, the
transaction rolls back, and the plan is rebuilt from what those members really
have (`replan`).
"""

from __future__ import annotations

import sqlalchemy as sa

from ledger.payday.tables import payday_members, payday_rounds

_BROUGHT_IN = """
SELECT legs.account_id, SUM(legs.delta_minor) AS delta_minor FROM (
    SELECT t.to_account_id AS account_id, t.amount_minor AS delta_minor FROM transfers t
    WHERE t.payday_id = :payday_id AND t.kind <> 'tip'
    UNION ALL
    SELECT t.from_account_id, -t.amount_minor FROM transfers t
    WHERE t.payday_id = :payday_id AND t.kind <> 'tip'
) legs GROUP BY legs.account_id
"""

_ADD_BROUGHT_IN = f"""
UPDATE payday_members SET balance_minor = payday_members.balance_minor + d.delta_minor
FROM ({_BROUGHT_IN}) d
WHERE payday_members.payday_id = :payday_id AND payday_members.member_id = d.account_id AND d.delta_minor <> 0
"""

_PLAN_ROUND = """
WITH funded AS (
    SELECT pt.tipper_id, pt.tippee_id, pt.amount_minor
    FROM payday_tips pt
    JOIN payday_members pm ON pm.payday_id = pt.payday_id AND pm.member_id = pt.tipper_id
    WHERE pt.payday_id = :payday_id AND pt.due
      AND pt.cum_minor > pm.spent_minor AND pt.cum_minor <= pm.spent_minor + pm.balance_minor
      {later_round}
),
moves AS (
    SELECT member_id, SUM(sent_minor) AS sent_minor, SUM(received_minor) AS received_minor,
           SUM(sent_tips) AS sent_tips
    FROM (SELECT tipper_id AS member_id, amount_minor AS sent_minor, 0 AS received_minor, 1 AS sent_tips
          FROM funded
          UNION ALL
          SELECT tippee_id, 0, amount_minor, 0 FROM funded) legs
    GROUP BY member_id
)
UPDATE payday_members
SET balance_minor = payday_members.balance_minor - moves.sent_minor + moves.received_minor,
    spent_minor = payday_members.spent_minor + moves.sent_minor,
    received_minor = payday_members.received_minor + moves.received_minor,
    tips_paid = payday_members.tips_paid + moves.sent_tips,
    received_round = CASE WHEN moves.received_minor > 0 THEN :round ELSE payday_members.received_round END
FROM moves
WHERE payday_members.payday_id = :payday_id AND payday_members.member_id = moves.member_id
"""
_LATER_ROUND = "AND pm.received_round = :previous_round"

_TOTALS = sa.select(
    sa.func.coalesce(sa.func.sum(payday_members.c.tips_paid), 0),
    sa.func.coalesce(sa.func.sum(payday_members.c.spent_minor), 0),
)

_INSERT_TRANSFERS = """
INSERT INTO transfers (community_id, currency, from_account_id, to_account_id, amount_minor, kind, payday_id,
                       anonymous)
SELECT :community_id, :currency, pt.tipper_id, pt.tippee_id, pt.amount_minor, 'tip', :payday_id, tv.anonymous
FROM payday_tips pt
JOIN payday_members pm ON pm.payday_id = pt.payday_id AND pm.member_id = pt.tipper_id
JOIN tips tv ON tv.id = pt.tip_id
WHERE pt.payday_id = :payday_id AND pt.due AND pt.cum_minor <= pm.spent_minor
"""

_UPDATE_ACCOUNTS = """
UPDATE accounts SET balance_minor = accounts.balance_minor + pm.received_minor - pm.spent_minor
FROM payday_members pm
WHERE pm.payday_id = :payday_id AND accounts.id = pm.member_id AND pm.received_minor <> pm.spent_minor
"""

_LEFT = "(a.balance_minor - COALESCE(d.delta_minor, 0))"  # what they have, less what a processor brought
_REPLAN = f"""
UPDATE payday_members
SET start_balance_minor = CASE WHEN {_LEFT} < 0 THEN 0
                               WHEN {_LEFT} < payday_members.start_balance_minor THEN {_LEFT}
                               ELSE payday_members.start_balance_minor END
FROM accounts a LEFT JOIN ({_BROUGHT_IN}) d ON d.account_id = a.id
WHERE payday_members.payday_id = :payday_id AND a.id = payday_members.member_id
"""


def plan_round(conn: sa.Connection, payday_id: int, number: int) -> tuple[int, int]:
    """Fund round `number` in the working tables; returns (tips funded, amount)."""
    params = {"payday_id": payday_id, "round": number, "previous_round": number - 1}
    if number == 1:
        conn.execute(sa.text(_ADD_BROUGHT_IN), params)
    mine = payday_members.c.payday_id == payday_id
    before_tips, before_minor = conn.execute(_TOTALS.where(mine)).one()
    conn.execute(sa.text(_PLAN_ROUND.format(later_round=_LATER_ROUND if number > 1 else "")), params)
    after_tips, after_minor = conn.execute(_TOTALS.where(mine)).one()
    count, amount = int(after_tips - before_tips), int(after_minor - before_minor)
    conn.execute(payday_rounds.insert().values(payday_id=payday_id, round=number, tips_paid=count, paid_minor=amount))
    return count, amount


def apply_plan(conn: sa.Connection, payday_id: int, community_id: int, currency: str) -> tuple[int, int]:
    """Write the plan's transfers and move the balances; returns (transfers, amount).

    Raises IntegrityError (CHECK) when a member spent elsewhere meanwhile; the
    caller rolls back and calls `replan`.
    """
    params = {"payday_id": payday_id, "community_id": community_id, "currency": currency}
    conn.execute(sa.text(_INSERT_TRANSFERS), params)
    conn.execute(sa.text(_UPDATE_ACCOUNTS), params)
    count, amount = conn.execute(
        sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(sa.column("amount_minor")), 0))
        .select_from(sa.table("transfers", sa.column("payday_id"), sa.column("kind"), sa.column("amount_minor")))
        .where(sa.column("payday_id") == payday_id, sa.column("kind") == "tip")
    ).one()
    return int(count), int(amount)


def replan(conn: sa.Connection, payday_id: int) -> None:
    """Start planning over, from the smaller of each member's snapshot balance and
    what they have now (minus what a processor brought in this payday)."""
    params = {"payday_id": payday_id}
    conn.execute(sa.text(_REPLAN), params)
    conn.execute(payday_members.update().where(payday_members.c.payday_id == payday_id).values(
        balance_minor=payday_members.c.start_balance_minor, spent_minor=0, received_minor=0, tips_paid=0,
        received_round=None))
    conn.execute(payday_rounds.delete().where(payday_rounds.c.payday_id == payday_id))
