"""one-time codes: spaces joining a community, identities linking to one member

Revision ID: 0003_linking
Revises: 0001_core
"""
from alembic import op
import sqlalchemy as sa


revision = "0003_linking"
down_revision = "0001_core"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UtcTime = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "link_codes",
        sa.Column("id", BigId, nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("space_id", sa.Integer(), nullable=False),
        sa.Column("member_id", BigId, nullable=True),
        sa.Column("created_at", UtcTime, nullable=False),
        sa.Column("expires_at", UtcTime, nullable=False),
        sa.Column("used_at", UtcTime, nullable=True),
        sa.Column("used_space_id", sa.Integer(), nullable=True),
        sa.Column("used_platform_user_id", sa.String(length=100), nullable=True),
        sa.Column("replaced_id", sa.BigInteger(), nullable=True),
        sa.CheckConstraint("kind IN ('invite', 'identity')", name=op.f("ck_link_codes_kind")),
        sa.CheckConstraint(
            "(kind = 'identity' AND member_id IS NOT NULL) OR (kind = 'invite' AND member_id IS NULL)",
            name=op.f("ck_link_codes_member_for_identity")),
        sa.CheckConstraint("expires_at > created_at", name=op.f("ck_link_codes_expires_after_created")),
        sa.CheckConstraint(
            "(used_at IS NULL AND used_space_id IS NULL) OR (used_at IS NOT NULL AND used_space_id IS NOT NULL)",
            name=op.f("ck_link_codes_used_together")),
        sa.ForeignKeyConstraint(["community_id"], ["communities.id"],
                                name=op.f("fk_link_codes_community_id_communities")),
        sa.ForeignKeyConstraint(["space_id"], ["spaces.id"], name=op.f("fk_link_codes_space_id_spaces")),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_link_codes_member_id_members")),
        sa.ForeignKeyConstraint(["used_space_id"], ["spaces.id"], name=op.f("fk_link_codes_used_space_id_spaces")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link_codes")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_link_codes_code_hash")),
    )


def downgrade() -> None:
    op.drop_table("link_codes")
