"""payday_tips.anonymous: the snapshot keeps whether each tip is anonymous

Revision ID: 0019_payday_tips_anonymous
Revises: 0018_transfers_by_time

Settlement writes a transfer per funded tip with the tip's `anonymous` flag; copied at the
snapshot, the settlement INSERT no longer joins the million rows of `tips` for it
(bench/README.md, "Payday with projects"). A payday snapshotted before this revision and
not yet settled gets its tips' flags copied here, so it settles as it would have.
"""
from alembic import op
import sqlalchemy as sa

revision = "0019_payday_tips_anonymous"
down_revision = "0018_transfers_by_time"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("payday_tips", sa.Column("anonymous", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.execute("UPDATE payday_tips SET anonymous = true"
               " WHERE tip_id IN (SELECT id FROM tips WHERE anonymous)"
               " AND payday_id IN (SELECT id FROM paydays"
               " WHERE stage NOT IN ('settled', 'split', 'paid_out', 'done'))")


def downgrade() -> None:
    with op.batch_alter_table("payday_tips") as batch:
        batch.drop_column("anonymous")
