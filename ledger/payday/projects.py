"""Projects at payday: snapshotted with the members, funded in the same rounds, then split.

Snapshot: each project joins `payday_members` like a member (its account is tipped like
a member's), receiving when at least one current maintainer receives; the takes of its
receiving maintainers are copied into `payday_shares`, numbered oldest maintainer first.
A maintainer who joins, leaves or changes a take while the payday runs counts from the
next payday, like every other input.

Split (after the tips are applied): each project's pool is its balance at the snapshot
plus the income funded to it in this payday (one-off tips that arrive while the payday
runs wait for the next one). The rule is ledger/split.py's, in SQL for every project at
once: window functions give each maintainer's floor, the fraction left over and its rank
(largest fraction, then oldest maintainer), on SQLite and PostgreSQL alike. Then one
INSERT ... SELECT writes the 'take' transfers (UNIQUE(payday, from, to) stands behind
them), one UPDATE moves the balances, and `payday_projects` records what each project
received, paid and carried. Products stay in 64-bit integers: takes are at most 10^8 and
a project has at most 50 maintainers (ledger/project_tables.py), and the proportional
branch only runs when the pool is below the sum of takes. Sums are cast back to BIGINT:
PostgreSQL's SUM(bigint) is NUMERIC, whose division is not integer division.
"""

from __future__ import annotations

import sqlalchemy as sa

from ledger.sql import sql

_SNAPSHOT_PROJECTS = sa.text("""
INSERT INTO payday_members (payday_id, member_id, receiving, start_balance_minor, balance_minor)
SELECT :payday_id, p.id, EXISTS (
    SELECT 1 FROM project_maintainers pm JOIN members m ON m.id = pm.member_id
    WHERE pm.project_id = p.id AND pm.left_at IS NULL AND m.receiving), a.balance_minor, a.balance_minor
FROM projects p JOIN accounts a ON a.id = p.id
WHERE p.community_id = :community_id
""")

_SNAPSHOT_TAKES = sa.text("""
INSERT INTO payday_shares (payday_id, project_id, member_id, take_minor, seniority)
SELECT :payday_id, pm.project_id, pm.member_id, COALESCE(pt.take_minor, 0),
       ROW_NUMBER() OVER (PARTITION BY pm.project_id ORDER BY pm.joined_at, pm.id)
FROM project_maintainers pm
JOIN projects p ON p.id = pm.project_id
JOIN members m ON m.id = pm.member_id
LEFT JOIN project_takes pt ON pt.project_id = pm.project_id AND pt.member_id = pm.member_id AND pt.is_current
WHERE p.community_id = :community_id AND pm.left_at IS NULL AND m.receiving
""")

_POOLS = """
SELECT s.project_id, pm.start_balance_minor + pm.received_minor AS pool,
       CAST(SUM(s.take_minor) AS BIGINT) AS takes, COUNT(*) AS n
FROM payday_shares s
JOIN payday_members pm ON pm.payday_id = s.payday_id AND pm.member_id = s.project_id
WHERE s.payday_id = :payday_id
GROUP BY s.project_id, pm.start_balance_minor, pm.received_minor
"""

_SPLIT = f"""
WITH pools AS ({_POOLS}),
weighted AS (
    SELECT s.project_id, s.member_id, s.seniority, s.take_minor, p.pool,
           CASE WHEN p.takes > 0 AND p.pool >= p.takes THEN 1 ELSE 0 END AS covered,
           p.pool * (CASE WHEN p.takes = 0 THEN 1 ELSE s.take_minor END) AS scaled,
           CASE WHEN p.takes = 0 THEN p.n ELSE p.takes END AS weight_total
    FROM payday_shares s JOIN pools p ON p.project_id = s.project_id
    WHERE s.payday_id = :payday_id
),
floored AS (
    SELECT project_id, member_id, seniority, take_minor, pool, covered,
           scaled / weight_total AS base, scaled % weight_total AS fraction
    FROM weighted
),
ranked AS (
    SELECT project_id, member_id, take_minor, covered, base,
           pool - SUM(base) OVER (PARTITION BY project_id) AS units_left,
           ROW_NUMBER() OVER (PARTITION BY project_id ORDER BY fraction DESC, seniority) AS position
    FROM floored
)
UPDATE payday_shares
SET share_minor = CASE WHEN ranked.covered = 1 THEN ranked.take_minor
                       WHEN ranked.position <= ranked.units_left THEN ranked.base + 1
                       ELSE ranked.base END
FROM ranked
WHERE payday_shares.payday_id = :payday_id AND payday_shares.project_id = ranked.project_id
  AND payday_shares.member_id = ranked.member_id
"""

_RECORD = """
INSERT INTO payday_projects (payday_id, project_id, income_minor, pool_minor, takes_minor, paid_minor, carried_minor)
SELECT :payday_id, pm.member_id, pm.received_minor, pm.start_balance_minor + pm.received_minor,
       COALESCE(s.takes, 0), COALESCE(s.paid, 0), pm.start_balance_minor + pm.received_minor - COALESCE(s.paid, 0)
FROM payday_members pm
JOIN projects p ON p.id = pm.member_id
LEFT JOIN (SELECT project_id, SUM(take_minor) AS takes, SUM(share_minor) AS paid
           FROM payday_shares WHERE payday_id = :payday_id GROUP BY project_id) s ON s.project_id = pm.member_id
WHERE pm.payday_id = :payday_id
"""

_INSERT_TAKES = """
INSERT INTO transfers (community_id, currency, from_account_id, to_account_id, amount_minor, kind, payday_id)
SELECT :community_id, :currency, s.project_id, s.member_id, s.share_minor, 'take', :payday_id
FROM payday_shares s WHERE s.payday_id = :payday_id AND s.share_minor > 0
"""

_MOVE_BALANCES = """
UPDATE accounts SET balance_minor = accounts.balance_minor + d.delta_minor
FROM (SELECT legs.account_id, SUM(legs.delta_minor) AS delta_minor FROM (
          SELECT project_id AS account_id, -share_minor AS delta_minor FROM payday_shares
          WHERE payday_id = :payday_id AND share_minor > 0
          UNION ALL
          SELECT member_id, share_minor FROM payday_shares WHERE payday_id = :payday_id AND share_minor > 0
      ) legs GROUP BY legs.account_id) d
WHERE accounts.id = d.account_id AND d.delta_minor <> 0
"""


def snapshot_projects(conn: sa.Connection, payday_id: int, community_id: int) -> int:
    """Add the community's projects to the payday's participants (before its tips are
    snapshotted, which join them) and snapshot the takes. Returns the number of projects."""
    params = {"payday_id": payday_id, "community_id": community_id}
    count = conn.execute(_SNAPSHOT_PROJECTS, params).rowcount
    conn.execute(_SNAPSHOT_TAKES, params)
    return int(count)


def split_projects(conn: sa.Connection, payday_id: int, community_id: int, currency: str) -> tuple[int, int]:
    """Share every project's pool among its maintainers; returns (transfers, amount paid)."""
    params = {"payday_id": payday_id, "community_id": community_id, "currency": currency}
    conn.execute(sql(_SPLIT), params)
    conn.execute(sql(_RECORD), params)
    conn.execute(sql(_INSERT_TAKES), params)
    conn.execute(sql(_MOVE_BALANCES), params)
    count, amount = conn.execute(sql(
        "SELECT COUNT(*), COALESCE(SUM(share_minor), 0) FROM payday_shares "
        "WHERE payday_id = :payday_id AND share_minor > 0"), params).one()
    return int(count), int(amount)


def project_stats(conn: sa.Connection, payday_id: int, top: int = 3) -> dict:
    """For the summary: what projects received and paid out, and the top projects by income."""
    totals = conn.execute(sql(
        "SELECT COUNT(*), COALESCE(SUM(income_minor), 0), COALESCE(SUM(paid_minor), 0), "
        "COALESCE(SUM(carried_minor), 0) FROM payday_projects WHERE payday_id = :payday_id AND "
        "(income_minor > 0 OR paid_minor > 0)"), {"payday_id": payday_id}).one()
    rows = conn.execute(sql(
        "SELECT p.name, pp.income_minor FROM payday_projects pp JOIN projects p ON p.id = pp.project_id "
        "WHERE pp.payday_id = :payday_id AND pp.income_minor > 0 ORDER BY pp.income_minor DESC, p.name "
        "LIMIT :top"), {"payday_id": payday_id, "top": top}).all()
    return {"projects_funded": int(totals[0]), "projects_income_minor": int(totals[1]),
            "projects_paid_minor": int(totals[2]), "projects_carried_minor": int(totals[3]),
            "top_projects": [[r.name, int(r.income_minor)] for r in rows]}
