"""chat: public profiles, anonymous tips, leaderboard setting, reaction tips

Revision ID: 0012_chat
Revises: 0010_merge
"""
from alembic import op
import sqlalchemy as sa

revision = "0012_chat"
down_revision = "0011_projects"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # Plain ADD COLUMN (no batch copy): other tables reference these by foreign key, and
    # SQLite would refuse to rebuild them with rows in place. SQLite cannot add a CHECK to
    # an existing table, so the two checks exist on PostgreSQL only; the code validates too.
    op.add_column("members", sa.Column("profile_public", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column("tips", sa.Column("anonymous", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column("transfers", sa.Column("anonymous", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column("communities", sa.Column("leaderboard_shows", sa.String(10), server_default="amounts",
                                           nullable=False))
    op.add_column("communities", sa.Column("reaction_daily_cap_minor", sa.BigInteger(), server_default="500",
                                           nullable=False))
    if op.get_bind().dialect.name != "sqlite":
        op.create_check_constraint("ck_communities_leaderboard_shows", "communities",
                                   "leaderboard_shows IN ('amounts', 'counts')")
        op.create_check_constraint("ck_communities_reaction_cap", "communities", "reaction_daily_cap_minor >= 0")
    op.create_table(
        "reaction_emojis",
        sa.Column("community_id", sa.Integer(), sa.ForeignKey("communities.id", name="fk_reaction_emojis_community_id_communities"), nullable=False),
        sa.Column("emoji", sa.String(100), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("community_id", "emoji", name="pk_reaction_emojis"),
        sa.CheckConstraint("amount_minor > 0", name="ck_reaction_emojis_amount_positive"),
    )
    op.create_table(
        "reaction_tips",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("community_id", sa.Integer(), sa.ForeignKey("communities.id", name="fk_reaction_tips_community_id_communities"), nullable=False),
        sa.Column("dedupe_key", sa.String(255), nullable=False),
        sa.Column("reactor_id", BigId, sa.ForeignKey("members.id", name="fk_reaction_tips_reactor_id_members"), nullable=False),
        sa.Column("author_id", BigId, sa.ForeignKey("members.id", name="fk_reaction_tips_author_id_members"), nullable=False),
        sa.Column("emoji", sa.String(100), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("transfer_id", BigId, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("author_told_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("dedupe_key", name="uq_reaction_tips_dedupe_key"),
        sa.CheckConstraint("amount_minor > 0", name="ck_reaction_tips_amount_positive"),
    )
    op.create_index("ix_reaction_tips_reactor_day", "reaction_tips", ["reactor_id", "created_at"])
    op.create_index("ix_reaction_tips_untold", "reaction_tips", ["author_id"],
                    postgresql_where=sa.text("author_told_at IS NULL"), sqlite_where=sa.text("author_told_at IS NULL"))


def downgrade() -> None:
    op.drop_index("ix_reaction_tips_untold", table_name="reaction_tips")
    op.drop_index("ix_reaction_tips_reactor_day", table_name="reaction_tips")
    op.drop_table("reaction_tips")
    op.drop_table("reaction_emojis")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint("ck_communities_reaction_cap", "communities", type_="check")
        op.drop_constraint("ck_communities_leaderboard_shows", "communities", type_="check")
    op.drop_column("communities", "reaction_daily_cap_minor")
    op.drop_column("communities", "leaderboard_shows")
    op.drop_column("transfers", "anonymous")
    op.drop_column("tips", "anonymous")
    op.drop_column("members", "profile_public")
