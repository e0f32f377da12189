"""Stripe's tables: the local rows written before every Stripe call.

Each row's id is the Stripe idempotency key of the call it stands for, so a crash
between the call and the local write is healed by calling again: Stripe replays
the first answer and the row completes. Migration 0004_stripe creates exactly these.
"""

from __future__ import annotations

import sqlalchemy as sa

from ledger.models import BigId, Minor, UtcTime, metadata

CHARGE_STATUSES = ("pending", "succeeded", "failed")
TRANSFER_STATUSES = ("pending", "succeeded", "failed", "cancelled")
FEES_PAID_BY = ("tipper", "recipients")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _now() -> sa.sql.functions.Function:
    return sa.func.current_timestamp()


# One row: this database's namespace for idempotency keys (adapters.stripe.keys).
stripe_installation = sa.Table(
    "stripe_installation", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("key_namespace", sa.String(40), nullable=False),
    sa.CheckConstraint("id = 1", name="one_row"),
)

# One per community in Stripe mode: who pays card fees.
stripe_settings = sa.Table(
    "stripe_settings", metadata,
    sa.Column("community_id", sa.Integer, sa.ForeignKey("communities.id"), primary_key=True),
    sa.Column("fees_paid_by", sa.String(12), nullable=False, server_default="tipper"),
    sa.CheckConstraint(_in("fees_paid_by", FEES_PAID_BY), name="fees_paid_by"),
)

# A tipper's Stripe Customer and saved card. `customer_id` is NULL until Stripe answers.
stripe_customers = sa.Table(
    "stripe_customers", metadata,
    sa.Column("member_id", BigId, sa.ForeignKey("members.id"), primary_key=True),
    sa.Column("customer_id", sa.String(255), unique=True),
    sa.Column("payment_method_id", sa.String(255)),
    sa.Column("card_label", sa.String(100)),  # "visa 4242": shown to the member, no secret
    sa.Column("declines", sa.Integer, nullable=False, server_default="0"),  # in a row
    sa.Column("payment_method_at", sa.BigInteger),  # Stripe `created` of the event that set it
    sa.Column("updated_at", UtcTime, nullable=False, server_default=_now()),
    sa.CheckConstraint("declines >= 0", name="declines_nonnegative"),
)

# A recipient's Express connected account; `payable` once Stripe says it can be paid.
stripe_accounts = sa.Table(
    "stripe_accounts", metadata,
    sa.Column("member_id", BigId, sa.ForeignKey("members.id"), primary_key=True),
    sa.Column("account_id", sa.String(255), unique=True),
    sa.Column("payable", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("status_at", sa.BigInteger),  # Stripe `created` of the event that set `payable`
    sa.Column("updated_at", UtcTime, nullable=False, server_default=_now()),
)

# `/tip fund` requests: one Checkout Session each (a repeated request reuses its row).
stripe_checkouts = sa.Table(
    "stripe_checkouts", metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("request_key", sa.String(255), nullable=False, unique=True),
    sa.Column("member_id", BigId, sa.ForeignKey("members.id"), nullable=False),
    sa.Column("session_id", sa.String(255), unique=True),
    sa.Column("url", sa.String(2000)),
    sa.Column("created_at", UtcTime, nullable=False, server_default=_now()),
)

# What each tipper owes each recipient in Stripe mode, accrued at each payday and
# paid whole when the tipper's card is charged.
stripe_dues = sa.Table(
    "stripe_dues", metadata,
    sa.Column("tipper_id", BigId, sa.ForeignKey("members.id"), primary_key=True),
    sa.Column("tippee_id", BigId, sa.ForeignKey("members.id"), primary_key=True),
    sa.Column("community_id", sa.Integer, sa.ForeignKey("communities.id"), nullable=False),
    sa.Column("due_minor", Minor, nullable=False),
    sa.CheckConstraint("due_minor >= 0", name="due_nonnegative"),
    sa.CheckConstraint("tipper_id <> tippee_id", name="distinct_members"),
)

# Which paydays already accrued dues: accrual happens once per payday.
stripe_accruals = sa.Table(
    "stripe_accruals", metadata,
    sa.Column("payday_id", sa.Integer, sa.ForeignKey("paydays.id"), primary_key=True),
    sa.Column("tippers", sa.Integer, nullable=False),
    sa.Column("created_at", UtcTime, nullable=False, server_default=_now()),
)

# One off-session charge per tipper per payday.
stripe_charges = sa.Table(
    "stripe_charges", metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("community_id", sa.Integer, sa.ForeignKey("communities.id"), nullable=False),
    sa.Column("payday_id", sa.Integer, sa.ForeignKey("paydays.id")),
    sa.Column("member_id", BigId, sa.ForeignKey("members.id"), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("dues_minor", Minor, nullable=False),  # what the tips need
    sa.Column("fee_minor", Minor, nullable=False),  # card fee expected
    sa.Column("amount_minor", Minor, nullable=False),  # what the card is charged
    sa.Column("customer_id", sa.String(255), nullable=False),
    sa.Column("payment_method_id", sa.String(255), nullable=False),
    sa.Column("status", sa.String(12), nullable=False, server_default="pending"),
    sa.Column("payment_intent_id", sa.String(255), unique=True),
    sa.Column("charge_id", sa.String(255), unique=True),
    sa.Column("failure_code", sa.String(100)),
    sa.Column("failure_message", sa.String(500)),
    sa.Column("reversed_minor", Minor, nullable=False, server_default="0"),  # refunded or disputed
    sa.Column("created_at", UtcTime, nullable=False, server_default=_now()),
    sa.Column("updated_at", UtcTime, nullable=False, server_default=_now()),
    sa.CheckConstraint(_in("status", CHARGE_STATUSES), name="status"),
    sa.CheckConstraint("dues_minor > 0 AND fee_minor >= 0 AND amount_minor > 0", name="amounts"),
    sa.CheckConstraint("reversed_minor >= 0 AND reversed_minor <= amount_minor", name="reversed"),
    sa.UniqueConstraint("payday_id", "member_id", name="uq_stripe_charges_payday_member"),
)

# One Stripe Transfer per (charge, recipient): the recipient's share of that charge.
# Written with the charge (status pending), so the dues it pays are fixed before any
# Stripe call; `cancelled` when the charge is declined (the dues go back).
stripe_transfers = sa.Table(
    "stripe_transfers", metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("community_id", sa.Integer, sa.ForeignKey("communities.id"), nullable=False),
    sa.Column("payday_id", sa.Integer, sa.ForeignKey("paydays.id")),
    sa.Column("charge_row_id", BigId, sa.ForeignKey("stripe_charges.id"), nullable=False),
    sa.Column("recipient_id", BigId, sa.ForeignKey("members.id"), nullable=False),
    sa.Column("destination", sa.String(255), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("due_minor", Minor, nullable=False),  # the dues this line settles
    sa.Column("amount_minor", Minor, nullable=False),  # what the recipient gets (after fees they bear)
    sa.Column("status", sa.String(12), nullable=False, server_default="pending"),
    sa.Column("transfer_id", sa.String(255), unique=True),
    sa.Column("failure_message", sa.String(500)),
    sa.Column("ledger_transfer_id", BigId, sa.ForeignKey("transfers.id")),
    sa.Column("created_at", UtcTime, nullable=False, server_default=_now()),
    sa.Column("updated_at", UtcTime, nullable=False, server_default=_now()),
    # A payout Stripe refused is retried at later paydays (adapters/stripe/payouts.py):
    # `attempts` so far, not before `retry_at`; `told` once the recipient was told what to fix.
    sa.Column("attempts", sa.Integer, nullable=False, server_default="1"),
    sa.Column("retry_at", UtcTime),
    sa.Column("told", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.CheckConstraint(_in("status", TRANSFER_STATUSES), name="status"),
    sa.CheckConstraint("amount_minor > 0 AND due_minor >= amount_minor", name="amounts"),
    sa.UniqueConstraint("charge_row_id", "recipient_id", name="uq_stripe_transfers_charge_recipient"),
)

# Webhook events processed: the primary key makes each event count once.
stripe_events = sa.Table(
    "stripe_events", metadata,
    sa.Column("event_id", sa.String(255), primary_key=True),
    sa.Column("type", sa.String(100), nullable=False),
    sa.Column("object_id", sa.String(255)),
    sa.Column("outcome", sa.String(200), nullable=False),
    sa.Column("received_at", UtcTime, nullable=False, server_default=_now()),
)

REVERSAL_STATUSES = ("pending", "applied", "void")  # void: a dispute won before it was applied
DISPUTE_OUTCOMES = ("won", "lost")
LINE_REVERSAL_STATUSES = ("pending", "succeeded", "failed", "local")
REINSTATE_STATUSES = ("pending", "succeeded", "failed")

# Refunds and disputes turned into reversing transfers: each once. Written (pending) by the
# event; `applied` once every recipient's share has Stripe's answer and the ledger moved
# (adapters/stripe/reversals.py). A dispute's `outcome` is set when it closes; `reinstated`
# once a won dispute's money went back to the recipients.
stripe_reversals = sa.Table(
    "stripe_reversals", metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("charge_row_id", BigId, sa.ForeignKey("stripe_charges.id"), nullable=False),
    sa.Column("source_id", sa.String(255), nullable=False, unique=True),  # re_... or dp_...
    sa.Column("kind", sa.String(10), nullable=False),
    sa.Column("amount_minor", Minor, nullable=False),
    sa.Column("created_at", UtcTime, nullable=False, server_default=_now()),
    sa.Column("status", sa.String(10), nullable=False, server_default="applied"),
    sa.Column("recovered_minor", Minor, nullable=False, server_default="0"),  # from recipients
    sa.Column("own_minor", Minor, nullable=False, server_default="0"),  # from the tipper's balance
    sa.Column("loss_minor", Minor, nullable=False, server_default="0"),  # on the losses account
    sa.Column("outcome", sa.String(10)),  # disputes: won | lost
    sa.Column("reinstated", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.CheckConstraint("kind IN ('refund', 'dispute')", name="kind"),
    sa.CheckConstraint("amount_minor > 0", name="amount_positive"),
    sa.CheckConstraint(_in("status", REVERSAL_STATUSES), name="status"),
    sa.CheckConstraint(f"outcome IS NULL OR {_in('outcome', DISPUTE_OUTCOMES)}", name="outcome"),
    sa.CheckConstraint("recovered_minor >= 0 AND own_minor >= 0 AND loss_minor >= 0", name="parts"),
)

# Each recipient's share of a refund or dispute: one Stripe Transfer reversal per paid
# line (`pending` until Stripe answers; its id is the idempotency key), or `local` when
# the line never reached Stripe (taken from the recipient's balance, as far as it goes).
# A won dispute sends `recovered_minor` back with a new Transfer (`reinstate_*`).
stripe_line_reversals = sa.Table(
    "stripe_line_reversals", metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("reversal_id", BigId, sa.ForeignKey("stripe_reversals.id"), nullable=False),
    sa.Column("line_id", BigId, sa.ForeignKey("stripe_transfers.id"), nullable=False),
    sa.Column("recipient_id", BigId, sa.ForeignKey("members.id"), nullable=False),
    sa.Column("amount_minor", Minor, nullable=False),  # the share asked for
    sa.Column("recovered_minor", Minor, nullable=False, server_default="0"),  # what came back
    sa.Column("status", sa.String(10), nullable=False, server_default="pending"),
    sa.Column("stripe_reversal_id", sa.String(255), unique=True),  # trr_...
    sa.Column("failure_message", sa.String(500)),
    sa.Column("reinstate_status", sa.String(10)),
    sa.Column("reinstate_transfer_id", sa.String(255), unique=True),
    sa.Column("created_at", UtcTime, nullable=False, server_default=_now()),
    sa.Column("updated_at", UtcTime, nullable=False, server_default=_now()),
    sa.CheckConstraint("amount_minor > 0 AND recovered_minor >= 0 AND recovered_minor <= amount_minor",
                       name="amounts"),
    sa.CheckConstraint(_in("status", LINE_REVERSAL_STATUSES), name="status"),
    sa.CheckConstraint(f"reinstate_status IS NULL OR {_in('reinstate_status', REINSTATE_STATUSES)}",
                       name="reinstate_status"),
    sa.UniqueConstraint("reversal_id", "line_id", name="uq_stripe_line_reversals_reversal_line"),
)
