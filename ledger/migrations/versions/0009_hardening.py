"""hardening: idempotency records pruned by age (index on operations.created_at)

`operations.created_at` exists since 0001_core (NOT NULL, set by the database on
insert), so every row already has its creation time and nothing is backfilled; the
index lets the scheduler find and delete expired rows in small batches
(ledger.retention).

Revision ID: 0009_hardening
Revises: 0001_core
"""
from alembic import op

revision = "0009_hardening"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_operations_created_at", "operations", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_operations_created_at", table_name="operations")
