"""transfers by time: a community's transfers of a period, found by index

Revision ID: 0018_transfers_by_time
Revises: 0017_web

Leaderboards (`/tip top`) and the payday summary's top receivers read one community's
transfers of a week, month or year; without this index each read scanned the transfers of
every community (bench/tenants.py: 10,000 communities slowed to a crawl).
"""
from alembic import op

revision = "0018_transfers_by_time"
down_revision = "0017_web"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_transfers_community_created", "transfers", ["community_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_transfers_community_created", table_name="transfers")
