"""deliveries: what announcing a payday has posted or sent, once each

Revision ID: 0015_deliveries
Revises: 0014_money

A process that takes over a dead process's announcement skips what that one delivered
(ledger/payday/deliveries.py).
"""
from alembic import op
import sqlalchemy as sa

revision = "0015_deliveries"
down_revision = "0014_money"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "payday_deliveries",
        sa.Column("payday_id", sa.Integer(), sa.ForeignKey("paydays.id", name="fk_payday_deliveries_payday_id_paydays"),
                  nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("target_id", BigId, nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("payday_id", "kind", "target_id", name="pk_payday_deliveries"),
        sa.CheckConstraint("kind IN ('summary', 'spotlight', 'unfunded', 'receipt')", name="ck_payday_deliveries_delivery_kind"),
    )


def downgrade() -> None:
    op.drop_table("payday_deliveries")
