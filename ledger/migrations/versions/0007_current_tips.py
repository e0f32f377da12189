"""current tips flagged: one current version per pair, enforced by a partial unique index

Revision ID: 0007_current_tips
Revises: 0001_core
"""
from alembic import op
import sqlalchemy as sa

revision = "0007_current_tips"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tips") as batch:
        batch.add_column(sa.Column("is_current", sa.Boolean(), server_default=sa.true(), nullable=False))
    op.execute(
        "UPDATE tips SET is_current = false WHERE EXISTS (SELECT 1 FROM tips AS newer "
        "WHERE newer.tipper_id = tips.tipper_id AND newer.tippee_id = tips.tippee_id AND newer.id > tips.id)"
    )
    op.create_index("uq_tips_current_pair", "tips", ["tipper_id", "tippee_id"], unique=True,
                    postgresql_where=sa.text("is_current"), sqlite_where=sa.text("is_current"))


def downgrade() -> None:
    op.drop_index("uq_tips_current_pair", table_name="tips")
    with op.batch_alter_table("tips") as batch:
        batch.drop_column("is_current")
