"""stripe: key namespace, customers, connected accounts, checkouts, dues, charges, transfers, events

Revision ID: 0004_stripe
Revises: 0001_core
"""
from alembic import op
import sqlalchemy as sa


revision = "0004_stripe"
down_revision = "0001_core"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Minor = sa.BigInteger()
UtcTime = sa.DateTime(timezone=True)


def _now():
    return sa.text("(CURRENT_TIMESTAMP)")


def upgrade() -> None:
    op.create_table(
        "stripe_installation",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("key_namespace", sa.String(40), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_stripe_installation_one_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stripe_installation")),
    )
    op.create_table(
        "stripe_settings",
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("fees_paid_by", sa.String(12), server_default="tipper", nullable=False),
        sa.CheckConstraint("fees_paid_by IN ('tipper', 'recipients')", name=op.f("ck_stripe_settings_fees_paid_by")),
        sa.ForeignKeyConstraint(["community_id"], ["communities.id"],
                                name=op.f("fk_stripe_settings_community_id_communities")),
        sa.PrimaryKeyConstraint("community_id", name=op.f("pk_stripe_settings")),
    )
    op.create_table(
        "stripe_customers",
        sa.Column("member_id", BigId, nullable=False),
        sa.Column("customer_id", sa.String(255)),
        sa.Column("payment_method_id", sa.String(255)),
        sa.Column("card_label", sa.String(100)),
        sa.Column("declines", sa.Integer(), server_default="0", nullable=False),
        sa.Column("payment_method_at", sa.BigInteger()),
        sa.Column("updated_at", UtcTime, server_default=_now(), nullable=False),
        sa.CheckConstraint("declines >= 0", name=op.f("ck_stripe_customers_declines_nonnegative")),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_stripe_customers_member_id_members")),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_stripe_customers")),
        sa.UniqueConstraint("customer_id", name=op.f("uq_stripe_customers_customer_id")),
    )
    op.create_table(
        "stripe_accounts",
        sa.Column("member_id", BigId, nullable=False),
        sa.Column("account_id", sa.String(255)),
        sa.Column("payable", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("status_at", sa.BigInteger()),
        sa.Column("updated_at", UtcTime, server_default=_now(), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_stripe_accounts_member_id_members")),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_stripe_accounts")),
        sa.UniqueConstraint("account_id", name=op.f("uq_stripe_accounts_account_id")),
    )
    op.create_table(
        "stripe_checkouts",
        sa.Column("id", BigId, nullable=False),
        sa.Column("request_key", sa.String(255), nullable=False),
        sa.Column("member_id", BigId, nullable=False),
        sa.Column("session_id", sa.String(255)),
        sa.Column("url", sa.String(2000)),
        sa.Column("created_at", UtcTime, server_default=_now(), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_stripe_checkouts_member_id_members")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stripe_checkouts")),
        sa.UniqueConstraint("request_key", name=op.f("uq_stripe_checkouts_request_key")),
        sa.UniqueConstraint("session_id", name=op.f("uq_stripe_checkouts_session_id")),
    )
    op.create_table(
        "stripe_dues",
        sa.Column("tipper_id", BigId, nullable=False),
        sa.Column("tippee_id", BigId, nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("due_minor", Minor, nullable=False),
        sa.CheckConstraint("due_minor >= 0", name=op.f("ck_stripe_dues_due_nonnegative")),
        sa.CheckConstraint("tipper_id <> tippee_id", name=op.f("ck_stripe_dues_distinct_members")),
        sa.ForeignKeyConstraint(["tipper_id"], ["members.id"], name=op.f("fk_stripe_dues_tipper_id_members")),
        sa.ForeignKeyConstraint(["tippee_id"], ["members.id"], name=op.f("fk_stripe_dues_tippee_id_members")),
        sa.ForeignKeyConstraint(["community_id"], ["communities.id"],
                                name=op.f("fk_stripe_dues_community_id_communities")),
        sa.PrimaryKeyConstraint("tipper_id", "tippee_id", name=op.f("pk_stripe_dues")),
    )
    op.create_table(
        "stripe_accruals",
        sa.Column("payday_id", sa.Integer(), nullable=False),
        sa.Column("tippers", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcTime, server_default=_now(), nullable=False),
        sa.ForeignKeyConstraint(["payday_id"], ["paydays.id"], name=op.f("fk_stripe_accruals_payday_id_paydays")),
        sa.PrimaryKeyConstraint("payday_id", name=op.f("pk_stripe_accruals")),
    )
    op.create_table(
        "stripe_charges",
        sa.Column("id", BigId, nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("payday_id", sa.Integer()),
        sa.Column("member_id", BigId, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("dues_minor", Minor, nullable=False),
        sa.Column("fee_minor", Minor, nullable=False),
        sa.Column("amount_minor", Minor, nullable=False),
        sa.Column("customer_id", sa.String(255), nullable=False),
        sa.Column("payment_method_id", sa.String(255), nullable=False),
        sa.Column("status", sa.String(12), server_default="pending", nullable=False),
        sa.Column("payment_intent_id", sa.String(255)),
        sa.Column("charge_id", sa.String(255)),
        sa.Column("failure_code", sa.String(100)),
        sa.Column("failure_message", sa.String(500)),
        sa.Column("reversed_minor", Minor, server_default="0", nullable=False),
        sa.Column("created_at", UtcTime, server_default=_now(), nullable=False),
        sa.Column("updated_at", UtcTime, server_default=_now(), nullable=False),
        sa.CheckConstraint("status IN ('pending', 'succeeded', 'failed')", name=op.f("ck_stripe_charges_status")),
        sa.CheckConstraint("dues_minor > 0 AND fee_minor >= 0 AND amount_minor > 0",
                           name=op.f("ck_stripe_charges_amounts")),
        sa.CheckConstraint("reversed_minor >= 0 AND reversed_minor <= amount_minor",
                           name=op.f("ck_stripe_charges_reversed")),
        sa.ForeignKeyConstraint(["community_id"], ["communities.id"],
                                name=op.f("fk_stripe_charges_community_id_communities")),
        sa.ForeignKeyConstraint(["payday_id"], ["paydays.id"], name=op.f("fk_stripe_charges_payday_id_paydays")),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_stripe_charges_member_id_members")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stripe_charges")),
        sa.UniqueConstraint("payment_intent_id", name=op.f("uq_stripe_charges_payment_intent_id")),
        sa.UniqueConstraint("charge_id", name=op.f("uq_stripe_charges_charge_id")),
        sa.UniqueConstraint("payday_id", "member_id", name="uq_stripe_charges_payday_member"),
    )
    op.create_table(
        "stripe_transfers",
        sa.Column("id", BigId, nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("payday_id", sa.Integer()),
        sa.Column("charge_row_id", BigId, nullable=False),
        sa.Column("recipient_id", BigId, nullable=False),
        sa.Column("destination", sa.String(255), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("due_minor", Minor, nullable=False),
        sa.Column("amount_minor", Minor, nullable=False),
        sa.Column("status", sa.String(12), server_default="pending", nullable=False),
        sa.Column("transfer_id", sa.String(255)),
        sa.Column("failure_message", sa.String(500)),
        sa.Column("ledger_transfer_id", BigId),
        sa.Column("created_at", UtcTime, server_default=_now(), nullable=False),
        sa.Column("updated_at", UtcTime, server_default=_now(), nullable=False),
        sa.CheckConstraint("status IN ('pending', 'succeeded', 'failed', 'cancelled')",
                           name=op.f("ck_stripe_transfers_status")),
        sa.CheckConstraint("amount_minor > 0 AND due_minor >= amount_minor", name=op.f("ck_stripe_transfers_amounts")),
        sa.ForeignKeyConstraint(["community_id"], ["communities.id"],
                                name=op.f("fk_stripe_transfers_community_id_communities")),
        sa.ForeignKeyConstraint(["payday_id"], ["paydays.id"], name=op.f("fk_stripe_transfers_payday_id_paydays")),
        sa.ForeignKeyConstraint(["charge_row_id"], ["stripe_charges.id"],
                                name=op.f("fk_stripe_transfers_charge_row_id_stripe_charges")),
        sa.ForeignKeyConstraint(["recipient_id"], ["members.id"],
                                name=op.f("fk_stripe_transfers_recipient_id_members")),
        sa.ForeignKeyConstraint(["ledger_transfer_id"], ["transfers.id"],
                                name=op.f("fk_stripe_transfers_ledger_transfer_id_transfers")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stripe_transfers")),
        sa.UniqueConstraint("transfer_id", name=op.f("uq_stripe_transfers_transfer_id")),
        sa.UniqueConstraint("charge_row_id", "recipient_id", name="uq_stripe_transfers_charge_recipient"),
    )
    op.create_table(
        "stripe_events",
        sa.Column("event_id", sa.String(255), nullable=False),
        sa.Column("type", sa.String(100), nullable=False),
        sa.Column("object_id", sa.String(255)),
        sa.Column("outcome", sa.String(200), nullable=False),
        sa.Column("received_at", UtcTime, server_default=_now(), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_stripe_events")),
    )
    op.create_table(
        "stripe_reversals",
        sa.Column("id", BigId, nullable=False),
        sa.Column("charge_row_id", BigId, nullable=False),
        sa.Column("source_id", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("amount_minor", Minor, nullable=False),
        sa.Column("created_at", UtcTime, server_default=_now(), nullable=False),
        sa.CheckConstraint("kind IN ('refund', 'dispute')", name=op.f("ck_stripe_reversals_kind")),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_stripe_reversals_amount_positive")),
        sa.ForeignKeyConstraint(["charge_row_id"], ["stripe_charges.id"],
                                name=op.f("fk_stripe_reversals_charge_row_id_stripe_charges")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stripe_reversals")),
        sa.UniqueConstraint("source_id", name=op.f("uq_stripe_reversals_source_id")),
    )


def downgrade() -> None:
    for name in ("stripe_reversals", "stripe_events", "stripe_transfers", "stripe_charges", "stripe_accruals",
                 "stripe_dues", "stripe_checkouts", "stripe_accounts", "stripe_customers", "stripe_settings",
                 "stripe_installation"):
        op.drop_table(name)
