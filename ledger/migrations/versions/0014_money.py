"""money: refunds and disputes reach the recipients, a losses account, payout retries

Revision ID: 0014_money
Revises: 0010_merge

- accounts.kind may be 'losses' (an outside account: what could not be recovered);
- stripe_reversals: status, the parts (recovered, own, loss), a dispute's outcome, reinstated;
- stripe_line_reversals: one Stripe Transfer reversal per recipient's share;
- stripe_transfers: attempts, retry_at, told (a failed payout is retried with backoff).
"""
from alembic import op
import sqlalchemy as sa

revision = "0014_money"
down_revision = "0012_chat"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UtcTime = sa.DateTime(timezone=True)
OLD_KINDS = "kind IN ('member', 'project', 'manual', 'stripe', 'stripe_fees')"  # as 0011_projects left it
NEW_KINDS = "kind IN ('member', 'project', 'manual', 'stripe', 'stripe_fees', 'losses')"


def _account_kinds(old: str, new: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        # Widening a CHECK is the case SQLite documents for editing the stored schema
        # (sqlite.org/lang_altertable.html, "otherwise"): a copy of `accounts` would have to
        # drop a table other tables' foreign keys point at. Every row satisfies the new CHECK.
        sql = bind.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'accounts'").scalar_one()
        assert old in sql, "accounts.kind CHECK not as expected"
        version = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
        bind.exec_driver_sql("PRAGMA writable_schema = ON")
        bind.exec_driver_sql("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'accounts'",
                             (sql.replace(old, new),))
        bind.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
        bind.exec_driver_sql("PRAGMA writable_schema = OFF")
        return
    op.drop_constraint(op.f("ck_accounts_kind"), "accounts", type_="check")
    op.create_check_constraint(op.f("ck_accounts_kind"), "accounts", sa.text(new))


def upgrade() -> None:
    _account_kinds(OLD_KINDS, NEW_KINDS)
    with op.batch_alter_table("stripe_reversals") as batch:
        batch.add_column(sa.Column("status", sa.String(10), nullable=False, server_default="applied"))
        batch.add_column(sa.Column("recovered_minor", sa.BigInteger, nullable=False, server_default="0"))
        batch.add_column(sa.Column("own_minor", sa.BigInteger, nullable=False, server_default="0"))
        batch.add_column(sa.Column("loss_minor", sa.BigInteger, nullable=False, server_default="0"))
        batch.add_column(sa.Column("outcome", sa.String(10)))
        batch.add_column(sa.Column("reinstated", sa.Boolean, nullable=False, server_default=sa.false()))
        batch.create_check_constraint(op.f("ck_stripe_reversals_status"), sa.text("status IN ('pending', 'applied', 'void')"))
        batch.create_check_constraint(op.f("ck_stripe_reversals_outcome"),
                                      sa.text("outcome IS NULL OR outcome IN ('won', 'lost')"))
        batch.create_check_constraint(op.f("ck_stripe_reversals_parts"),
                                      sa.text("recovered_minor >= 0 AND own_minor >= 0 AND loss_minor >= 0"))
    with op.batch_alter_table("stripe_transfers") as batch:
        batch.add_column(sa.Column("attempts", sa.Integer, nullable=False, server_default="1"))
        batch.add_column(sa.Column("retry_at", UtcTime))
        batch.add_column(sa.Column("told", sa.Boolean, nullable=False, server_default=sa.false()))
    op.create_table(
        "stripe_line_reversals",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("reversal_id", BigId, sa.ForeignKey("stripe_reversals.id",
                                                      name="fk_stripe_line_reversals_reversal_id_stripe_reversals"),
                  nullable=False),
        sa.Column("line_id", BigId, sa.ForeignKey("stripe_transfers.id",
                                                  name="fk_stripe_line_reversals_line_id_stripe_transfers"),
                  nullable=False),
        sa.Column("recipient_id", BigId, sa.ForeignKey("members.id",
                                                       name="fk_stripe_line_reversals_recipient_id_members"),
                  nullable=False),
        sa.Column("amount_minor", sa.BigInteger, nullable=False),
        sa.Column("recovered_minor", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("status", sa.String(10), nullable=False, server_default="pending"),
        sa.Column("stripe_reversal_id", sa.String(255)),
        sa.Column("failure_message", sa.String(500)),
        sa.Column("reinstate_status", sa.String(10)),
        sa.Column("reinstate_transfer_id", sa.String(255)),
        sa.Column("created_at", UtcTime, nullable=False, server_default=sa.func.current_timestamp()),
        sa.Column("updated_at", UtcTime, nullable=False, server_default=sa.func.current_timestamp()),
        sa.CheckConstraint("amount_minor > 0 AND recovered_minor >= 0 AND recovered_minor <= amount_minor",
                           name=op.f("ck_stripe_line_reversals_amounts")),
        sa.CheckConstraint("status IN ('pending', 'succeeded', 'failed', 'local')",
                           name=op.f("ck_stripe_line_reversals_status")),
        sa.CheckConstraint("reinstate_status IS NULL OR reinstate_status IN ('pending', 'succeeded', 'failed')",
                           name=op.f("ck_stripe_line_reversals_reinstate_status")),
        sa.UniqueConstraint("reversal_id", "line_id", name="uq_stripe_line_reversals_reversal_line"),
        sa.UniqueConstraint("stripe_reversal_id", name="uq_stripe_line_reversals_stripe_reversal_id"),
        sa.UniqueConstraint("reinstate_transfer_id", name="uq_stripe_line_reversals_reinstate_transfer_id"),
    )


def downgrade() -> None:
    op.drop_table("stripe_line_reversals")
    with op.batch_alter_table("stripe_transfers") as batch:
        for column in ("told", "retry_at", "attempts"):
            batch.drop_column(column)
    with op.batch_alter_table("stripe_reversals") as batch:
        for name in ("parts", "outcome", "status"):
            batch.drop_constraint(op.f(f"ck_stripe_reversals_{name}"), type_="check")
        for column in ("reinstated", "outcome", "loss_minor", "own_minor", "recovered_minor", "status"):
            batch.drop_column(column)
    _account_kinds(NEW_KINDS, OLD_KINDS)
