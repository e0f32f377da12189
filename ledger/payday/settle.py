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
nothing. All the rounds run in one transaction (`plan_rounds`), each recorded with its
stage, committed with `planned`: a crash while planning rolls back to the snapshot, and
the next run plans again from there.

Reservations (two-phase): what the plan will take from a member's balance is held
on their account row while the payday runs, from the commit of the plan to the
settlement: `accounts.reserved_minor` grows by the member's net planned
spending, GREATEST(spent - received, 0) (kept per payday in
`payday_members.reserved_minor`), and every other payment spends only
`balance - reserved` (ledger/transfers.py); the schema's
CHECK (balance >= reserved) makes that a guarantee. So the plan counts only money
that is really there: before the first round, each working balance (snapshot
balance plus what earlier rounds credited) is lowered, if need be, to

    (balance - reserved now) + this payday's reservation + received - spent

so what a member spent since the snapshot is not planned again, and what arrived
from outside still counts from the next payday. On PostgreSQL planning first locks,
in id order like every transfer, the accounts whose reservation it may change, and
holds them until it commits, so the balance it reads is the balance it reserves on.
Members' spending during the payday then can never make a planned tip unpayable.

Applying the plan is one transaction, shaped like the raw lower bound: one
INSERT ... SELECT of every funded tip into transfers (UNIQUE(payday, from, to)
makes a double payment impossible) and one UPDATE of the accounts by each
member's net (received - spent) that releases the reservation with it, so the
CHECKs hold row by row by construction.

A plan without its reservations (left at `planned` or mid-rounds by a version
before reservations existed) can't be trusted to settle: `plan_is_reserved`
finds it and `restart_planning` starts over from the snapshot.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

from ledger.clock import clock_of
from ledger.models import UtcTime
from ledger.payday.tables import payday_members, payday_rounds
from ledger.sql import sql

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
# What the plan has funded so far (tips, minor units): read before and after a round, the
# difference is what the round funded, without evaluating its tips a second time.
# With it, how many members received in round :round (the next round's candidate tippers).
_PLANNED_SO_FAR = """
SELECT COALESCE(SUM(tips_paid), 0), COALESCE(SUM(spent_minor), 0), COUNT(*) FILTER (WHERE received_round = :round)
FROM payday_members WHERE payday_id = :payday_id
"""
# PostgreSQL's statistics predate this transaction's rounds, so it takes the members who just
# received for a handful and looks up each one's tips by index; past this many, a hash join
# over the snapshot is several times faster (bench/README.md, "Payday with projects").
HASH_JOIN_MIN_CANDIDATES = 20_000

# PostgreSQL: every account the plan may reserve on or release, locked in id order like every
# transfer: members with money to plan, members who may be paid (and then spend it) and
# members holding a reservation (from an earlier, interrupted plan).
_LOCK_PLAN = """
SELECT COUNT(*) FROM (
    SELECT a.id FROM accounts a
    JOIN payday_members pm ON pm.payday_id = :payday_id AND pm.member_id = a.id
    WHERE pm.balance_minor > 0 OR pm.receiving OR pm.reserved_minor > 0
    ORDER BY a.id FOR UPDATE OF a
) locked
"""

# What a member can still spend in this payday, now: what no payday has reserved, plus what
# this payday holds for them, plus what it credited them, less what it spends of theirs.
_LIVE = ("accounts.balance_minor - accounts.reserved_minor + payday_members.reserved_minor "
         "+ payday_members.received_minor - payday_members.spent_minor")
_CAP_TO_LIVE = f"""
UPDATE payday_members SET balance_minor = {_LIVE}
FROM accounts
WHERE payday_members.payday_id = :payday_id AND accounts.id = payday_members.member_id
  AND {_LIVE} < payday_members.balance_minor
"""

_NET = ("CASE WHEN payday_members.spent_minor > payday_members.received_minor "
        "THEN payday_members.spent_minor - payday_members.received_minor ELSE 0 END")
_RESERVE = f"""
UPDATE accounts SET reserved_minor = accounts.reserved_minor + {_NET} - payday_members.reserved_minor
FROM payday_members
WHERE payday_members.payday_id = :payday_id AND accounts.id = payday_members.member_id
  AND payday_members.reserved_minor <> {_NET}
"""
_RECORD_RESERVED = f"""
UPDATE payday_members SET reserved_minor = {_NET}
WHERE payday_members.payday_id = :payday_id AND payday_members.reserved_minor <> {_NET}
"""
_UNRESERVED = f"""
SELECT 1 FROM payday_members WHERE payday_members.payday_id = :payday_id AND payday_members.reserved_minor <> {_NET}
"""


_INSERT_TRANSFERS = """
INSERT INTO transfers (community_id, currency, from_account_id, to_account_id, amount_minor, kind, payday_id,
                       anonymous, created_at)
SELECT :community_id, :currency, pt.tipper_id, pt.tippee_id, pt.amount_minor, 'tip', :payday_id, pt.anonymous, :now
FROM payday_tips pt
JOIN payday_members pm ON pm.payday_id = pt.payday_id AND pm.member_id = pt.tipper_id
WHERE pt.payday_id = :payday_id AND pt.due AND pt.cum_minor <= pm.spent_minor
"""

_INSERT_TRANSFERS_AT = sa.text(_INSERT_TRANSFERS).bindparams(sa.bindparam("now", type_=UtcTime))

_SETTLED = "pm.payday_id = :payday_id AND (pm.received_minor <> pm.spent_minor OR pm.reserved_minor <> 0)"
_LOCK_SETTLEMENT = f"""
SELECT COUNT(*) FROM (
    SELECT a.id FROM accounts a JOIN payday_members pm ON pm.member_id = a.id
    WHERE {_SETTLED} ORDER BY a.id FOR UPDATE OF a
) locked
"""
_UPDATE_ACCOUNTS = f"""
UPDATE accounts SET balance_minor = accounts.balance_minor + pm.received_minor - pm.spent_minor,
                    reserved_minor = accounts.reserved_minor - pm.reserved_minor
FROM payday_members pm
WHERE accounts.id = pm.member_id AND {_SETTLED}
"""


def _enough_memory(conn: sa.Connection) -> None:
    """PostgreSQL: hash the members (joins, GROUP BY) in memory, not in batches spilled to disk."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL work_mem = '64MB'")


def _hash_joins(conn: sa.Connection, wanted: bool, now: bool) -> bool:
    """PostgreSQL: hash joins only (`wanted`) or the planner's choice again; returns what is
    set. Changed only when it differs from `now`, so a small payday sends nothing more."""
    if wanted != now and conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL enable_nestloop = " + ("off" if wanted else "DEFAULT"))
    return wanted


def plan_rounds(conn: sa.Connection, payday_id: int, after_round: int = 0, *, reserve: bool = True,
                on_round: Callable[[int, int, int], None] | None = None,
                max_rounds: int | None = None) -> list[tuple[int, int]]:
    """Plan round after round, from round `after_round + 1` until one funds nothing (or
    `max_rounds` rounds), in this transaction; returns (tips funded, amount) per round,
    the last funding nothing unless cut short. `on_round(number, count, amount)` hears
    each round as it is recorded.

    With `reserve`, the accounts the plan may reserve on or release are locked first (in
    id order, PostgreSQL) and held until the commit, so each working balance is capped to
    what its member really has once, before the first round, and the whole plan's net
    spending is reserved once, after the last. `reserve=False` (a small payday's one
    transaction, dry runs) plans the same without locking or reserving anything."""
    params = {"payday_id": payday_id}
    if reserve:  # without reserving, planning shares the snapshot's transaction and its work_mem
        _enough_memory(conn)
    if after_round == 0:
        conn.execute(sql(_ADD_BROUGHT_IN), params)
    if reserve and conn.dialect.name == "postgresql":
        conn.execute(sql(_LOCK_PLAN), params)
    conn.execute(sql(_CAP_TO_LIVE), params)
    planned = conn.execute(sql(_PLANNED_SO_FAR), {**params, "round": after_round}).one()
    results: list[tuple[int, int]] = []
    number, hash_joins = after_round, False
    while max_rounds is None or len(results) < max_rounds:
        number += 1
        later = ""
        if number > 1:  # candidates: the members who received in the round before
            later = _LATER_ROUND
            hash_joins = _hash_joins(conn, planned[2] >= HASH_JOIN_MIN_CANDIDATES, hash_joins)
        conn.execute(sql(_PLAN_ROUND.format(later_round=later)), {**params, "round": number,
                                                                   "previous_round": number - 1})
        so_far = conn.execute(sql(_PLANNED_SO_FAR), {**params, "round": number}).one()
        count, amount = int(so_far[0] - planned[0]), int(so_far[1] - planned[1])
        planned = so_far
        conn.execute(payday_rounds.insert().values(payday_id=payday_id, round=number, tips_paid=count,
                                                   paid_minor=amount, recorded_at=clock_of(conn).now()))
        results.append((count, amount))
        if on_round is not None:
            on_round(number, count, amount)
        if not count:
            break
    _hash_joins(conn, False, hash_joins)
    if reserve and any(count for count, _amount in results):
        conn.execute(sql(_RESERVE), params)
        conn.execute(sql(_RECORD_RESERVED), params)
    return results


def plan_is_reserved(conn: sa.Connection, payday_id: int) -> bool:
    """Whether this payday holds exactly what its plan spends (false: a plan from before reservations)."""
    return conn.execute(sql(_UNRESERVED), {"payday_id": payday_id}).first() is None


def restart_planning(conn: sa.Connection, payday_id: int) -> None:
    """Drop the plan and what it holds reserved: planning starts over from the snapshot."""
    params = {"payday_id": payday_id}
    conn.execute(sql("""
UPDATE accounts SET reserved_minor = accounts.reserved_minor - pm.reserved_minor
FROM payday_members pm
WHERE pm.payday_id = :payday_id AND accounts.id = pm.member_id AND pm.reserved_minor <> 0
"""), params)
    conn.execute(payday_members.update().where(payday_members.c.payday_id == payday_id).values(
        balance_minor=payday_members.c.start_balance_minor, spent_minor=0, received_minor=0, tips_paid=0,
        received_round=None, reserved_minor=0))
    conn.execute(payday_rounds.delete().where(payday_rounds.c.payday_id == payday_id))


def apply_plan(conn: sa.Connection, payday_id: int, community_id: int, currency: str, *,
               after_snapshot: bool = False) -> tuple[int, int]:
    """Write the plan's transfers, move the balances and release the reservations;
    returns (transfers, amount). Every tip it pays was reserved, so it can't fail on a
    balance, whatever members spent meanwhile. `after_snapshot`: the snapshot ran in this
    same transaction (a small payday), whose work_mem still holds."""
    params = {"payday_id": payday_id, "community_id": community_id, "currency": currency}
    if not after_snapshot:
        _enough_memory(conn)
    if conn.dialect.name == "postgresql":
        conn.execute(sql(_LOCK_SETTLEMENT), params)
    conn.execute(_INSERT_TRANSFERS_AT,
                 {**params, "now": clock_of(conn).now()})
    conn.execute(sql(_UPDATE_ACCOUNTS), params)  # payday_members.reserved_minor: history from here on
    count, amount = conn.execute(
        sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(sa.column("amount_minor")), 0))
        .select_from(sa.table("transfers", sa.column("payday_id"), sa.column("kind"), sa.column("amount_minor")))
        .where(sa.column("payday_id") == payday_id, sa.column("kind") == "tip")
    ).one()
    return int(count), int(amount)
