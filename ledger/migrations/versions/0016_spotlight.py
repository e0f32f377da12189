"""spotlight: what each payday's "Back the Stack" post features

Revision ID: 0016_spotlight
Revises: 0015_deliveries

- spotlights: one row per payday (UNIQUE payday_id), the project or member it features,
  so a retried announcement features the same one and the rotation can skip recent ones.
"""
from alembic import op
import sqlalchemy as sa

revision = "0016_spotlight"
down_revision = "0015_deliveries"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UtcTime = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "spotlights",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("payday_id", sa.Integer(), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("featured_id", BigId, nullable=False),
        sa.Column("created_at", UtcTime, nullable=False),
        sa.CheckConstraint("kind IN ('project', 'member')", name=op.f("ck_spotlights_spotlight_kind")),
        sa.ForeignKeyConstraint(["community_id"], ["communities.id"],
                                name=op.f("fk_spotlights_community_id_communities")),
        sa.ForeignKeyConstraint(["payday_id"], ["paydays.id"], name=op.f("fk_spotlights_payday_id_paydays")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spotlights")),
        sa.UniqueConstraint("payday_id", name="uq_spotlights_payday"),
    )
    op.create_index("ix_spotlights_community_week", "spotlights", ["community_id", "week_start"])


def downgrade() -> None:
    op.drop_index("ix_spotlights_community_week", table_name="spotlights")
    op.drop_table("spotlights")
