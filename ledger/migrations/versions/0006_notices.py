"""member notices outbox

Revision ID: 0006_notices
Revises: 0001_core
"""
from alembic import op
import sqlalchemy as sa

revision = "0006_notices"
down_revision = "0001_core"
branch_labels = None
depends_on = None

_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "member_notices",
        sa.Column("id", _id, nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("member_id", _id, nullable=False),
        sa.Column("dedupe_key", sa.String(length=255), nullable=False),
        sa.Column("text", sa.String(length=1000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"),
                  nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["community_id"], ["communities.id"],
                                name=op.f("fk_member_notices_community_id_communities")),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_member_notices_member_id_members")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_notices")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_member_notices_dedupe_key")),
    )
    op.create_index("ix_member_notices_unsent", "member_notices", ["community_id", "sent_at"])


def downgrade() -> None:
    op.drop_index("ix_member_notices_unsent", table_name="member_notices")
    op.drop_table("member_notices")
