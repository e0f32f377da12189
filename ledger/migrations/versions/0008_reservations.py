"""payday reservations: what an unsettled payday's plan spends is held on the account row

Revision ID: 0008_reservations
Revises: 0002_payday (payday_members gets the per-payday share of the reservation)

`accounts.reserved_minor` is what running paydays' plans will take from the
balance; everything else spends only `balance_minor - reserved_minor`, and the
CHECK makes that a guarantee of the schema, not of the code.
"""
from alembic import op
import sqlalchemy as sa

revision = "0008_reservations"
# Was down_revision 0001_core with depends_on 0002_payday: the same order, and the same
# version rows once applied (a dependency leaves the heads), but as a plain parent the
# merge revision 0010_merge can join it.
down_revision = "0002_payday"
branch_labels = None
depends_on = None


ACCOUNTS_CHECK = "reserved_minor >= 0 AND (reserved_minor = 0 OR balance_minor >= reserved_minor)"
MEMBERS_CHECK = "reserved_minor >= 0"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # ADD COLUMN with its CHECK in place: a batch copy of `accounts` would have to drop a
        # table other tables' foreign keys point at.
        op.execute("ALTER TABLE accounts ADD COLUMN reserved_minor BIGINT DEFAULT '0' NOT NULL "
                   f"CONSTRAINT ck_accounts_reserved_within_balance CHECK ({ACCOUNTS_CHECK})")
        op.execute("ALTER TABLE payday_members ADD COLUMN reserved_minor BIGINT DEFAULT '0' NOT NULL "
                   f"CONSTRAINT ck_payday_members_reserved_nonnegative CHECK ({MEMBERS_CHECK})")
        return
    op.add_column("accounts", sa.Column("reserved_minor", sa.BigInteger(), server_default="0", nullable=False))
    op.create_check_constraint(op.f("ck_accounts_reserved_within_balance"), "accounts", ACCOUNTS_CHECK)
    op.add_column("payday_members",
                  sa.Column("reserved_minor", sa.BigInteger(), server_default="0", nullable=False))
    op.create_check_constraint(op.f("ck_payday_members_reserved_nonnegative"), "payday_members", MEMBERS_CHECK)


def downgrade() -> None:
    with op.batch_alter_table("payday_members") as batch:
        batch.drop_constraint("ck_payday_members_reserved_nonnegative", type_="check")
        batch.drop_column("reserved_minor")
    with op.batch_alter_table("accounts") as batch:
        batch.drop_constraint("ck_accounts_reserved_within_balance", type_="check")
        batch.drop_column("reserved_minor")
