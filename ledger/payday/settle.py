"""Settlement: one round is a handful of set-based statements.

Funding rule (DESIGN.md §6): a tip is paid whole or not at all; each tipper's due
tips are funded oldest first (ctime, then tip id) while the balance covers the
next one whole, and the first that can't be covered waits (a smaller later tip
does not jump the queue). With positive amounts that is exactly "the running sum
of the tipper's unpaid due tips, in that order, is at most the balance", which is
one window function:

    SUM(amount) OVER (PARTITION BY tipper ORDER BY ctime, tip_id) <= balance

Paid tips always form a prefix of each tipper's queue, so the unpaid ones are the
rest of it. A round inserts the funded tips as transfers (the UNIQUE(payday, from,
to) constraint makes a double payment impossible), then applies the summed
deltas with one UPDATE of the working balances and one UPDATE of the accounts.
Every account's net delta is at least minus what it could spend, so
CHECK(balance >= 0) holds row by row.

Round 1 first adds to the working balances what a funding processor brought in
for this payday (its transfers carry the payday id). Only money received in a round can fund more in the next one, so round N+1 looks
only at tippers who received in round N. Rounds repeat until one funds nothing.
The balance a tipper can spend is the smaller of the working balance (snapshot
plus this payday's transfers) and the live account balance, so a one-off tip sent
while the payday runs can never push an account below zero.
"""

from __future__ import annotations

import sqlalchemy as sa

from ledger.payday.tables import payday_rounds

_CANDIDATES = """
SELECT pt.tipper_id, pt.tippee_id, pt.amount_minor,
       SUM(pt.amount_minor) OVER (
           PARTITION BY pt.tipper_id ORDER BY pt.ctime, pt.tip_id
           ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS running_minor
FROM payday_tips pt
WHERE pt.payday_id = :payday_id AND pt.due {later_round}
"""

_LATER_ROUND = """
  AND pt.tipper_id IN (SELECT r.to_account_id FROM transfers r
                       WHERE r.payday_id = :payday_id AND r.id BETWEEN :previous_first AND :previous_last)
  AND NOT EXISTS (SELECT 1 FROM transfers x
                  WHERE x.payday_id = :payday_id AND x.from_account_id = pt.tipper_id
                    AND x.to_account_id = pt.tippee_id)
"""

_SPENDABLE_LIVE = "CASE WHEN a.balance_minor < pm.balance_minor THEN a.balance_minor ELSE pm.balance_minor END"

_INSERT_FUNDED = """
INSERT INTO transfers (community_id, currency, from_account_id, to_account_id, amount_minor, kind, payday_id)
SELECT :community_id, :currency, c.tipper_id, c.tippee_id, c.amount_minor, 'tip', :payday_id
FROM ({candidates}) c
JOIN payday_members pm ON pm.payday_id = :payday_id AND pm.member_id = c.tipper_id
{join_accounts}
WHERE c.running_minor <= {spendable}
"""

_DELTAS = """
SELECT legs.account_id, SUM(legs.delta_minor) AS delta_minor FROM (
    SELECT t.to_account_id AS account_id, t.amount_minor AS delta_minor FROM transfers t
    WHERE t.payday_id = :payday_id AND {which}
    UNION ALL
    SELECT t.from_account_id, -t.amount_minor FROM transfers t
    WHERE t.payday_id = :payday_id AND {which}
) legs GROUP BY legs.account_id
"""
_THIS_ROUND = "t.id BETWEEN :first_id AND :last_id"
_BROUGHT_IN = "t.kind <> 'tip'"  # a processor's charges, recorded before settlement

_UPDATE_WORKING = """
UPDATE payday_members SET balance_minor = payday_members.balance_minor + d.delta_minor
FROM ({deltas}) d
WHERE payday_members.payday_id = :payday_id AND payday_members.member_id = d.account_id AND d.delta_minor <> 0
"""

_UPDATE_ACCOUNTS = f"""
UPDATE accounts SET balance_minor = accounts.balance_minor + d.delta_minor
FROM ({_DELTAS.format(which=_THIS_ROUND)}) d
WHERE accounts.id = d.account_id AND d.delta_minor <> 0
"""


def settle_round(conn: sa.Connection, payday_id: int, community_id: int, currency: str, number: int,
                 *, apply: bool = True) -> tuple[int, int]:
    """Fund round `number`; returns (tips paid, amount). `apply=False` (dry run)
    leaves the accounts alone and draws on the working balances only."""
    params: dict = {"payday_id": payday_id, "community_id": community_id, "currency": currency}
    later = ""
    if number > 1:
        previous = conn.execute(
            sa.select(payday_rounds.c.first_transfer_id, payday_rounds.c.last_transfer_id)
            .where(payday_rounds.c.payday_id == payday_id, payday_rounds.c.round == number - 1)
        ).one()
        if previous.first_transfer_id is None:  # the last round funded nothing: settled
            return 0, 0
        params.update(previous_first=previous.first_transfer_id, previous_last=previous.last_transfer_id)
        later = _LATER_ROUND
    else:  # money a processor brought in for this payday (already in the accounts) is spendable
        conn.execute(sa.text(_UPDATE_WORKING.format(deltas=_DELTAS.format(which=_BROUGHT_IN))), params)
    start_id = conn.execute(sa.text("SELECT COALESCE(MAX(id), 0) FROM transfers")).scalar_one()
    conn.execute(sa.text(_INSERT_FUNDED.format(
        candidates=_CANDIDATES.format(later_round=later),
        join_accounts="JOIN accounts a ON a.id = c.tipper_id" if apply else "",
        spendable=_SPENDABLE_LIVE if apply else "pm.balance_minor",
    )), params)
    count, amount, first_id, last_id = conn.execute(sa.text(
        "SELECT COUNT(*), COALESCE(SUM(amount_minor), 0), MIN(id), MAX(id) FROM transfers "
        "WHERE payday_id = :payday_id AND kind = 'tip' AND id > :start_id"
    ), {"payday_id": payday_id, "start_id": start_id}).one()
    if count:
        bounds = {"payday_id": payday_id, "first_id": first_id, "last_id": last_id}
        conn.execute(sa.text(_UPDATE_WORKING.format(deltas=_DELTAS.format(which=_THIS_ROUND))), bounds)
        if apply:
            conn.execute(sa.text(_UPDATE_ACCOUNTS), bounds)
    conn.execute(payday_rounds.insert().values(
        payday_id=payday_id, round=number, tips_paid=count, paid_minor=amount,
        first_transfer_id=first_id, last_transfer_id=last_id))
    return int(count), int(amount)
