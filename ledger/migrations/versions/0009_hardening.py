"""hardening: operations pruned by age (index on created_at); Stripe events about unknown charges

`operations.created_at` exists since 0001_core (NOT NULL, set by the database on
insert), so every row already has its creation time and nothing is backfilled; the
index lets the scheduler delete expired rows in small batches. `stripe_events.charge_ref`
names the charge an event was about when Tipbot had no row for it.

Revision ID: 0009_hardening
Revises: 0001_core
"""
from alembic import op
import sqlalchemy as sa

revision = "0009_hardening"
down_revision = "0001_core"
branch_labels = None
depends_on = "0004_stripe"  # stripe_events


def upgrade() -> None:
    op.create_index("ix_operations_created_at", "operations", ["created_at"])
    with op.batch_alter_table("stripe_events") as batch:
        batch.add_column(sa.Column("charge_ref", sa.String(255)))


def downgrade() -> None:
    with op.batch_alter_table("stripe_events") as batch:
        batch.drop_column("charge_ref")
    op.drop_index("ix_operations_created_at", table_name="operations")
