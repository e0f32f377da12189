"""The payday's own tables: its snapshot, its rounds and its stage log.

Defined on `ledger.models.metadata`; migration 0002_payday creates them.

- `payday_tips`: every tip current when the payday started (amount > 0), with the
  tip's ctime (funding order) and whether its tippee was receiving then (`due`;
  not due = a pledge, never paid). One row per (payday, tipper, tippee).
- `payday_members`: every member at the start: receiving flag, balance at the
  snapshot, and the working balance settlement draws on (snapshot balance plus
  this payday's own transfers; money that arrives otherwise counts next week).
- `payday_rounds`: one row per settlement round, with the range of transfer ids it
  wrote, so a round is applied exactly once and the next round knows who just
  received money.
- `payday_stages`: when each stage was recorded (the paydays row holds the current one).

Whether a tip was paid is the existence of its transfer
(transfers UNIQUE(payday_id, from_account_id, to_account_id)), never a flag that
could disagree with the book.
"""

from __future__ import annotations

import sqlalchemy as sa

from ledger.models import BigId, Minor, UtcTime, metadata

payday_tips = sa.Table(
    "payday_tips", metadata,
    sa.Column("payday_id", sa.Integer, sa.ForeignKey("paydays.id"), nullable=False),
    sa.Column("tipper_id", BigId, nullable=False),
    sa.Column("tippee_id", BigId, nullable=False),
    sa.Column("tip_id", BigId, nullable=False),  # the tip version snapshotted
    sa.Column("amount_minor", Minor, nullable=False),
    sa.Column("ctime", UtcTime, nullable=False),
    sa.Column("due", sa.Boolean, nullable=False),  # tippee receiving at the snapshot; else a pledge
    sa.PrimaryKeyConstraint("payday_id", "tipper_id", "tippee_id", name="pk_payday_tips"),
    sa.CheckConstraint("amount_minor > 0", name="amount_positive"),
)

payday_members = sa.Table(
    "payday_members", metadata,
    sa.Column("payday_id", sa.Integer, sa.ForeignKey("paydays.id"), nullable=False),
    sa.Column("member_id", BigId, nullable=False),
    sa.Column("receiving", sa.Boolean, nullable=False),
    sa.Column("start_balance_minor", Minor, nullable=False),
    sa.Column("balance_minor", Minor, nullable=False),  # working balance during settlement
    sa.PrimaryKeyConstraint("payday_id", "member_id", name="pk_payday_members"),
    sa.CheckConstraint("balance_minor >= 0 AND start_balance_minor >= 0", name="balances_nonnegative"),
)

payday_rounds = sa.Table(
    "payday_rounds", metadata,
    sa.Column("payday_id", sa.Integer, sa.ForeignKey("paydays.id"), nullable=False),
    sa.Column("round", sa.Integer, nullable=False),
    sa.Column("tips_paid", sa.Integer, nullable=False),
    sa.Column("paid_minor", Minor, nullable=False),
    sa.Column("first_transfer_id", BigId),  # NULL when the round funded nothing (the last one)
    sa.Column("last_transfer_id", BigId),
    sa.Column("recorded_at", UtcTime, nullable=False, server_default=sa.func.current_timestamp()),
    sa.PrimaryKeyConstraint("payday_id", "round", name="pk_payday_rounds"),
    sa.CheckConstraint("round >= 1 AND tips_paid >= 0 AND paid_minor >= 0", name="round_counts"),
)

payday_stages = sa.Table(
    "payday_stages", metadata,
    sa.Column("payday_id", sa.Integer, sa.ForeignKey("paydays.id"), nullable=False),
    sa.Column("stage", sa.String(30), nullable=False),
    sa.Column("recorded_at", UtcTime, nullable=False),
    sa.PrimaryKeyConstraint("payday_id", "stage", name="pk_payday_stages"),
)
