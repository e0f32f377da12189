"""The payday's own tables: its snapshot, its rounds and its stage log.

Defined on `ledger.models.metadata`; migration 0002_payday creates them.

- `payday_tips`: every tip current when the payday started (amount > 0), with the
  tip's ctime (funding order), whether its tippee was receiving then (`due`;
  not due = a pledge, never paid) and the running sum of the tipper's due tips in
  funding order (`cum_minor`). One row per (payday, tipper, tippee).
- `payday_members`: every member at the start: receiving flag, balance at the
  snapshot, and the working balance settlement draws on (snapshot balance plus
  this payday's own transfers, lowered to what they really have if they spent
  meanwhile; money that arrives otherwise counts next week) and
  what the plan has funded so far from and to them (`spent_minor`, `received_minor`),
  and what the payday holds reserved on their account for it (`reserved_minor`).
- `payday_rounds`: one row per planning round (tips and amount it funded).
- `payday_stages`: when each stage was recorded (the paydays row holds the current one).

Because tips are funded oldest first, a tip is funded exactly when
`cum_minor <= spent_minor` of its tipper; its transfer (UNIQUE(payday_id,
from_account_id, to_account_id)) is written once, when the plan is applied.
"""

from __future__ import annotations

import sqlalchemy as sa

from ledger.models import BigId, Minor, UtcTime, metadata

# The two bulk tables carry no foreign key to paydays: on PostgreSQL a foreign key
# is a trigger per inserted row, a third of the snapshot's time at a million tips.
# Only the engine writes them, always with the id of the paydays row it holds.
payday_tips = sa.Table(
    "payday_tips", metadata,
    sa.Column("payday_id", sa.Integer, nullable=False),
    sa.Column("tipper_id", BigId, nullable=False),
    sa.Column("tippee_id", BigId, nullable=False),
    sa.Column("tip_id", BigId, nullable=False),  # the tip version snapshotted
    sa.Column("amount_minor", Minor, nullable=False),
    sa.Column("ctime", UtcTime, nullable=False),
    sa.Column("due", sa.Boolean, nullable=False),  # tippee receiving at the snapshot; else a pledge
    # Running sum of the tipper's due tips in funding order (ctime, tip_id), this one
    # included; NULL for pledges. A tip is paid once the tipper's paid sum reaches it.
    sa.Column("cum_minor", Minor),
    # The tip's own flag, copied so settlement's transfers need no join to `tips` (0019).
    sa.Column("anonymous", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.PrimaryKeyConstraint("payday_id", "tipper_id", "tippee_id", name="pk_payday_tips"),
    sa.CheckConstraint("amount_minor > 0", name="amount_positive"),
    sa.CheckConstraint("cum_minor IS NULL OR cum_minor >= amount_minor", name="cum_covers_amount"),
)

payday_members = sa.Table(
    "payday_members", metadata,
    sa.Column("payday_id", sa.Integer, nullable=False),
    sa.Column("member_id", BigId, nullable=False),
    sa.Column("receiving", sa.Boolean, nullable=False),
    sa.Column("start_balance_minor", Minor, nullable=False),
    sa.Column("balance_minor", Minor, nullable=False),  # working balance during settlement
    sa.Column("spent_minor", Minor, nullable=False, server_default="0"),  # their tips funded so far
    sa.Column("received_minor", Minor, nullable=False, server_default="0"),  # tips to them funded so far
    sa.Column("tips_paid", sa.Integer, nullable=False, server_default="0"),  # how many of their tips
    sa.Column("received_round", sa.Integer),  # the last round that funded a tip to them
    # What this payday holds reserved on their account (accounts.reserved_minor): the plan's
    # net spending from their balance, GREATEST(spent - received, 0), until settlement.
    sa.Column("reserved_minor", Minor, nullable=False, server_default="0"),
    sa.PrimaryKeyConstraint("payday_id", "member_id", name="pk_payday_members"),
    sa.CheckConstraint("balance_minor >= 0 AND start_balance_minor >= 0 AND spent_minor >= 0 "
                       "AND received_minor >= 0 AND tips_paid >= 0", name="balances_nonnegative"),
    sa.CheckConstraint("reserved_minor >= 0", name="reserved_nonnegative"),
)

payday_rounds = sa.Table(
    "payday_rounds", metadata,
    sa.Column("payday_id", sa.Integer, sa.ForeignKey("paydays.id"), nullable=False),
    sa.Column("round", sa.Integer, nullable=False),
    sa.Column("tips_paid", sa.Integer, nullable=False),
    sa.Column("paid_minor", Minor, nullable=False),
    sa.Column("recorded_at", UtcTime, nullable=False, server_default=sa.func.current_timestamp()),
    sa.PrimaryKeyConstraint("payday_id", "round", name="pk_payday_rounds"),
    sa.CheckConstraint("round >= 1 AND tips_paid >= 0 AND paid_minor >= 0", name="round_counts"),
)

payday_stages = sa.Table(
    "payday_stages", metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("payday_id", sa.Integer, sa.ForeignKey("paydays.id"), nullable=False, index=True),
    sa.Column("stage", sa.String(30), nullable=False),
    sa.Column("recorded_at", UtcTime, nullable=False),
)

# What announcing a payday has delivered, so a process taking over a dead one's announcement
# never posts or sends it twice (ledger/payday/deliveries.py): a summary or a spotlight per
# space (target_id: spaces.id), an unfunded-tips notice or a receipt per member (members.id).

payday_deliveries = sa.Table(
    "payday_deliveries", metadata,
    sa.Column("payday_id", sa.Integer, sa.ForeignKey("paydays.id"), nullable=False),
    sa.Column("kind", sa.String(10), nullable=False),
    sa.Column("target_id", BigId, nullable=False),
    sa.Column("delivered_at", UtcTime, nullable=False),
    sa.PrimaryKeyConstraint("payday_id", "kind", "target_id", name="pk_payday_deliveries"),
    sa.CheckConstraint("kind IN ('summary', 'spotlight', 'unfunded', 'receipt')", name="delivery_kind"),
)
