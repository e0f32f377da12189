"""money: joins 0008_reservations (main) to 0010_merge (root)

Revision ID: 0014_money
Revises: 0010_merge, 0008_reservations
"""

revision = "0014_money"
down_revision = ("0010_merge", "0008_reservations")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
