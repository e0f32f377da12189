"""Payday receipts (docs/architecture.md, "Payday"): what each member who asked for receipts gave and received.

One set-based query over the payday's tip transfers (unique per payday, tipper and
tippee, so each line is one counterparty): every tip appears once as given by its
tipper and once as received by its tippee (a tip to a project, and a maintainer's share
of a project, name the project: "project pillow"; a tipper who tips anonymously is not
named to its tippee), kept only for members with
`wants_receipts`; window sums give each member's totals, and each receipt lists
its largest `max_lines` counterparties per side (the rest are counted, not named)
so a member who tips hundreds of people still gets a message of sensible size.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby

import sqlalchemy as sa

from ledger.sql import sql

MAX_LINES = 25  # counterparties named per side of one receipt
MAX_RECEIPTS = 1000  # receipts per payday; the announcer logs the rest

_RECEIPT_LINES = """
WITH lines AS (
  SELECT t.from_account_id AS member_id, 'gave' AS direction, t.to_account_id AS other_id, t.amount_minor,
         t.anonymous AS hidden
  FROM transfers t JOIN members m ON m.id = t.from_account_id
  WHERE t.payday_id = :payday_id AND t.kind = 'tip' AND m.wants_receipts
  UNION ALL
  SELECT t.to_account_id, 'received', t.from_account_id, t.amount_minor, t.anonymous
  FROM transfers t JOIN members m ON m.id = t.to_account_id
  WHERE t.payday_id = :payday_id AND t.kind IN ('tip', 'take') AND m.wants_receipts
), ranked AS (
  SELECT member_id, direction, other_id, amount_minor, hidden,
    SUM(CASE WHEN direction = 'gave' THEN amount_minor ELSE 0 END) OVER (PARTITION BY member_id) AS given_minor,
    SUM(CASE WHEN direction = 'received' THEN amount_minor ELSE 0 END) OVER (PARTITION BY member_id)
      AS received_minor,
    COUNT(*) OVER (PARTITION BY member_id, direction) AS side_lines,
    ROW_NUMBER() OVER (PARTITION BY member_id, direction ORDER BY amount_minor DESC, other_id) AS position,
    DENSE_RANK() OVER (ORDER BY member_id) AS receipt_number
  FROM lines
)
SELECT r.member_id, me.display_name AS member_name, r.direction,
       CASE WHEN r.hidden AND r.direction = 'received' THEN NULL
            ELSE COALESCE(other.display_name, 'project ' || p.name) END AS other_name,
       r.amount_minor, r.given_minor, r.received_minor, r.side_lines, a.balance_minor,
       p.id IS NOT NULL AS is_project
FROM ranked r
JOIN members me ON me.id = r.member_id
LEFT JOIN members other ON other.id = r.other_id
LEFT JOIN projects p ON p.id = r.other_id
JOIN accounts a ON a.id = r.member_id
WHERE r.position <= :max_lines AND r.receipt_number <= :max_receipts
ORDER BY r.member_id, r.direction, r.position
"""

_RECEIPTS_WANTED = """
SELECT COUNT(*) FROM members m WHERE m.wants_receipts AND EXISTS (
  SELECT 1 FROM transfers t WHERE t.payday_id = :payday_id AND t.kind IN ('tip', 'take')
    AND (t.from_account_id = m.id OR t.to_account_id = m.id))
"""


@dataclass(frozen=True)
class ReceiptLine:
    other_name: str | None  # None: a tipper who tips anonymously
    amount_minor: int
    project: bool = False  # the other side is a project: a tip to it, or (received) a maintainer's share


@dataclass(frozen=True)
class Receipt:
    """One member's part of one payday, in minor units of the payday's currency."""

    member_id: int
    member_name: str
    given_minor: int
    received_minor: int
    gave: tuple[ReceiptLine, ...]  # per recipient, largest first
    received: tuple[ReceiptLine, ...]  # per tipper, largest first
    gave_unlisted: int  # recipients beyond MAX_LINES, counted in given_minor
    received_unlisted: int
    balance_minor: int  # the member's balance when the receipt was read


def payday_receipts(conn: sa.Connection, payday_id: int, *, max_lines: int = MAX_LINES,
                    max_receipts: int = MAX_RECEIPTS) -> list[Receipt]:
    """A receipt for each member who wants receipts and gave or received a tip in this payday."""
    rows = conn.execute(sql(_RECEIPT_LINES),
                        {"payday_id": payday_id, "max_lines": max_lines, "max_receipts": max_receipts}).all()
    return [_receipt(list(group)) for _, group in groupby(rows, key=lambda row: row.member_id)]


def receipts_wanted(conn: sa.Connection, payday_id: int) -> int:
    """How many members want a receipt for this payday (to log those beyond the cap)."""
    return int(conn.execute(sql(_RECEIPTS_WANTED), {"payday_id": payday_id}).scalar_one())


def _receipt(rows) -> Receipt:
    first = rows[0]
    sides: dict[str, list[ReceiptLine]] = {"gave": [], "received": []}
    counts = {"gave": 0, "received": 0}
    for row in rows:
        sides[row.direction].append(ReceiptLine(row.other_name, int(row.amount_minor), bool(row.is_project)))
        counts[row.direction] = int(row.side_lines)
    return Receipt(
        member_id=first.member_id, member_name=first.member_name, given_minor=int(first.given_minor),
        received_minor=int(first.received_minor), gave=tuple(sides["gave"]), received=tuple(sides["received"]),
        gave_unlisted=counts["gave"] - len(sides["gave"]),
        received_unlisted=counts["received"] - len(sides["received"]),
        balance_minor=int(first.balance_minor),
    )
