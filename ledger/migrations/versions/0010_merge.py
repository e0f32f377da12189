"""merge: one head from here on (new revisions chain after 0010_merge, never after 0001_core)

Revision ID: 0010_merge
Revises: 0003_linking, 0004_stripe, 0005_slack, 0006_notices, 0007_current_tips,
    0008_reservations, 0009_hardening
"""

revision = "0010_merge"
# Every head there was: revisions 0002 to 0009 each branched from 0001_core (0002_payday
# is reached through 0008_reservations, which depends on it, so it is no head of its own).
down_revision = ("0003_linking", "0004_stripe", "0005_slack", "0006_notices", "0007_current_tips",
                 "0008_reservations", "0009_hardening")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
