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
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_payday_tips_amount_positive")),
        sa.ForeignKeyConstraint(["payday_id"], ["paydays.id"], name=op.f("fk_payday_tips_payday_id_paydays")),
        sa.PrimaryKeyConstraint("payday_id", "tipper_id", "tippee_id", name="pk_payday_tips"),
    )
    op.create_table(
        "payday_members",
        sa.Column("payday_id", sa.Integer(), nullable=False),
        sa.Column("member_id", BigId, nullable=False),
        sa.Column("receiving", sa.Boolean(), nullable=False),
        sa.Column("start_balance_minor", sa.BigInteger(), nullable=False),
        sa.Column("balance_minor", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("balance_minor >= 0 AND start_balance_minor >= 0",
                           name=op.f("ck_payday_members_balances_nonnegative")),
        sa.ForeignKeyConstraint(["payday_id"], ["paydays.id"], name=op.f("fk_payday_members_payday_id_paydays")),
        sa.PrimaryKeyConstraint("payday_id", "member_id", name="pk_payday_members"),
    )
    op.create_table(
        "payday_rounds",
        sa.Column("payday_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("tips_paid", sa.Integer(), nullable=False),
        sa.Column("paid_minor", sa.BigInteger(), nullable=False),
        sa.Column("first_transfer_id", BigId, nullable=True),
        sa.Column("last_transfer_id", BigId, nullable=True),
        sa.Column("recorded_at", UtcTime, server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
        sa.CheckConstraint("round >= 1 AND tips_paid >= 0 AND paid_minor >= 0",
                           name=op.f("ck_payday_rounds_round_counts")),
        sa.ForeignKeyConstraint(["payday_id"], ["paydays.id"], name=op.f("fk_payday_rounds_payday_id_paydays")),
        sa.PrimaryKeyConstraint("payday_id", "round", name="pk_payday_rounds"),
    )
    op.create_table(
        "payday_stages",
        sa.Column("payday_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=30), nullable=False),
        sa.Column("recorded_at", UtcTime, nullable=False),
        sa.ForeignKeyConstraint(["payday_id"], ["paydays.id"], name=op.f("fk_payday_stages_payday_id_paydays")),
        sa.PrimaryKeyConstraint("payday_id", "stage", name="pk_payday_stages"),
    )


def downgrade() -> None:
    op.drop_table("payday_stages")
    op.drop_table("payday_rounds")
    op.drop_table("payday_members")
    op.drop_table("payday_tips")
