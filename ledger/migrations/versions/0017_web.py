"""web: a community's pages are public only when an admin says so

Revision ID: 0017_web
Revises: 0016_spotlight

- communities.web_public (false: its pages and badges answer 404, `/tip admin web public|private`);
- ix_tips_current_tippee: the current tips to a tippee (badges and pages read only those);
- ix_members_community_name: a member found by name (the pages' URLs name them).
"""
from alembic import op
import sqlalchemy as sa

revision = "0017_web"
down_revision = "0016_spotlight"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (no batch copy): other tables reference communities by foreign key.
    op.add_column("communities", sa.Column("web_public", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_index("ix_tips_current_tippee", "tips", ["tippee_id", "tipper_id"],
                    postgresql_where=sa.text("is_current"), sqlite_where=sa.text("is_current"))
    op.create_index("ix_members_community_name", "members", ["community_id", "display_name"])


def downgrade() -> None:
    op.drop_index("ix_members_community_name", table_name="members")
    op.drop_index("ix_tips_current_tippee", table_name="tips")
    with op.batch_alter_table("communities") as batch:
        batch.drop_column("web_public")
