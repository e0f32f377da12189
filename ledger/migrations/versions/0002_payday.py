"""payday: snapshot, rounds and stage log

Revision ID: 0002_payday
Revises: 0001_core
Written by hand; the tables are ledger/payday/tables.py.
"""
from alembic import op
import sqlalchemy as sa


revision = "0002_payday"
down_revision = "0001_core"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UtcTime = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "payday_tips",
        sa.Column("payday_id", sa.Integer(), nullable=False),
        sa.Column("tipper_id", BigId, nullable=False),
        sa.Column("tippee_id", BigId, nullable=False),
        sa.Column("tip_id", BigId, nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("ctime", UtcTime, nullable=False),
        sa.Column("due", sa.Boolean(), nullable=False),
        sa.Column("cum_minor", sa.BigInteger(), nullable=True),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_payday_tips_amount_positive")),
        sa.CheckConstraint("cum_minor IS NULL OR cum_minor >= amount_minor",
                           name=op.f("ck_payday_tips_cum_covers_amount")),
        sa.PrimaryKeyConstraint("payday_id", "tipper_id", "tippee_id", name="pk_payday_tips"),
    )
    op.create_table(
        "payday_members",
        sa.Column("payday_id", sa.Integer(), nullable=False),
        sa.Column("member_id", BigId, nullable=False),
        sa.Column("receiving", sa.Boolean(), nullable=False),
        sa.Column("start_balance_minor", sa.BigInteger(), nullable=False),
        sa.Column("balance_minor", sa.BigInteger(), nullable=False),
        sa.Column("spent_minor", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("received_minor", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("tips_paid", sa.Integer(), server_default="0", nullable=False),
        sa.Column("received_round", sa.Integer(), nullable=True),
        sa.CheckConstraint("balance_minor >= 0 AND start_balance_minor >= 0 AND spent_minor >= 0 "
                           "AND received_minor >= 0 AND tips_paid >= 0",
                           name=op.f("ck_payday_members_balances_nonnegative")),
        sa.PrimaryKeyConstraint("payday_id", "member_id", name="pk_payday_members"),
    )
    op.create_table(
        "payday_rounds",
        sa.Column("payday_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("tips_paid", sa.Integer(), nullable=False),
        sa.Column("paid_minor", sa.BigInteger(), nullable=False),
        sa.Column("recorded_at", UtcTime, server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
        sa.CheckConstraint("round >= 1 AND tips_paid >= 0 AND paid_minor >= 0",
                           name=op.f("ck_payday_rounds_round_counts")),
        sa.ForeignKeyConstraint(["payday_id"], ["paydays.id"], name=op.f("fk_payday_rounds_payday_id_paydays")),
        sa.PrimaryKeyConstraint("payday_id", "round", name="pk_payday_rounds"),
    )
    op.create_table(
        "payday_stages",
        sa.Column("id", BigId, nullable=False),
        sa.Column("payday_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=30), nullable=False),
        sa.Column("recorded_at", UtcTime, nullable=False),
        sa.ForeignKeyConstraint(["payday_id"], ["paydays.id"], name=op.f("fk_payday_stages_payday_id_paydays")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payday_stages")),
    )
    op.create_index(op.f("ix_payday_stages_payday_id"), "payday_stages", ["payday_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_payday_stages_payday_id"), table_name="payday_stages")
    op.drop_table("payday_stages")
    op.drop_table("payday_rounds")
    op.drop_table("payday_members")
    op.drop_table("payday_tips")
