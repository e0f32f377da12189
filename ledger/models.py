"""The book's tables (SQLAlchemy Core).

Guarantees live in the schema, not only in code: member balances can't go below
zero, a payday's reservation never exceeds the balance it is on, transfers are positive, between two different accounts of one community and
one currency, and a payday pays each (tipper, tippee) pair at most once.
Alembic migrations in ledger/migrations create exactly these tables.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# SQLite only aliases ROWID for INTEGER PRIMARY KEY; PostgreSQL gets BIGINT.
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Minor = sa.BigInteger  # money: integer minor units


class UtcTime(sa.types.TypeDecorator):
    """Timestamps in UTC, timezone-aware on both databases (SQLite stores them naive)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect) -> dt.datetime | None:
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc)
            if dialect.name == "sqlite":
                value = value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: dt.datetime | None, dialect) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return value


FUNDING_MODES = ("manual", "stripe")
# `losses`: what a funding adapter could not recover (a refund of money a recipient
# already took out of Stripe): negative, per community; shown by `tipbot stripe reconcile`.
OUTSIDE_ACCOUNT_KINDS = ("manual", "stripe", "stripe_fees", "losses")
PARTICIPANT_ACCOUNT_KINDS = ("member", "project")  # balances that never go below zero
ACCOUNT_KINDS = PARTICIPANT_ACCOUNT_KINDS + OUTSIDE_ACCOUNT_KINDS
TRANSFER_KINDS = (
    "credit", "debit", "once", "tip", "charge", "fee", "payout", "refund", "dispute", "reversal",
    "take",  # a project's payday payout to one of its maintainers
)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


OUTSIDE_WHERE = "kind NOT IN ('member', 'project')"  # one account per outside kind and community


communities = sa.Table(
    "communities", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(100), nullable=False, unique=True),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("funding_mode", sa.String(10), nullable=False, server_default="manual"),
    sa.Column("payday_cron", sa.String(100), nullable=False, server_default="0 12 * * 4"),
    sa.Column("max_weekly_minor", Minor, nullable=False, server_default="10000"),
    sa.Column("max_once_minor", Minor, nullable=False, server_default="10000"),
    sa.Column("min_charge_minor", Minor, nullable=False, server_default="1000"),
    sa.Column("leaderboard_shows", sa.String(10), nullable=False, server_default="amounts"),  # or "counts"
    sa.Column("reaction_daily_cap_minor", Minor, nullable=False, server_default="500"),
    # Its web pages and badges are served only when True (`/tip admin web public`, 0017_web).
    sa.Column("web_public", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("created_at", UtcTime(), nullable=False, server_default=sa.func.current_timestamp()),
    sa.CheckConstraint(_in("funding_mode", FUNDING_MODES), name="funding_mode"),
    sa.CheckConstraint("max_weekly_minor > 0 AND max_once_minor > 0", name="limits_positive"),
    sa.CheckConstraint("min_charge_minor >= 0", name="min_charge"),
    sa.CheckConstraint("leaderboard_shows IN ('amounts', 'counts')", name="leaderboard_shows"),
    sa.CheckConstraint("reaction_daily_cap_minor >= 0", name="reaction_cap"),
)

spaces = sa.Table(
    "spaces", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("community_id", sa.Integer, sa.ForeignKey("communities.id"), nullable=False, index=True),
    sa.Column("platform", sa.String(20), nullable=False),
    sa.Column("external_id", sa.String(100), nullable=False),
    sa.Column("name", sa.String(200)),
    sa.Column("summary_channel_id", sa.String(100)),
    sa.Column("summary_channel_name", sa.String(200)),
    sa.Column("created_at", UtcTime(), nullable=False, server_default=sa.func.current_timestamp()),
    sa.UniqueConstraint("platform", "external_id", name="uq_spaces_platform_external_id"),
)

accounts = sa.Table(
    "accounts", metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("community_id", sa.Integer, sa.ForeignKey("communities.id"), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("balance_minor", Minor, nullable=False, server_default="0"),
    sa.CheckConstraint(_in("kind", ACCOUNT_KINDS), name="kind"),
    # The guarantee that matters most: no member balance below zero, ever.
    sa.CheckConstraint("kind <> 'member' OR balance_minor >= 0", name="member_balance_nonnegative"),
    # A project's account (its income not yet paid out, the leftover carried) neither.
    sa.CheckConstraint("kind <> 'project' OR balance_minor >= 0", name="project_balance_nonnegative"),
    # What unsettled paydays' plans will take from this balance (ledger/payday/settle.py):
    # every other payment spends only balance_minor - reserved_minor, and this CHECK holds
    # them to it, so a plan once reserved always settles.
    sa.Column("reserved_minor", Minor, nullable=False, server_default="0"),
    sa.CheckConstraint("reserved_minor >= 0 AND (reserved_minor = 0 OR balance_minor >= reserved_minor)",
                       name="reserved_within_balance"),
    sa.UniqueConstraint("id", "community_id", "currency", name="uq_accounts_id_community_currency"),
    sa.Index(
        "uq_accounts_outside_kind", "community_id", "currency", "kind", unique=True,
        sqlite_where=sa.text(OUTSIDE_WHERE), postgresql_where=sa.text(OUTSIDE_WHERE),
    ),
)

# A member's id is their account's id: one lookup less on every money path.
members = sa.Table(
    "members", metadata,
    sa.Column("id", BigId, sa.ForeignKey("accounts.id"), primary_key=True),
    sa.Column("community_id", sa.Integer, sa.ForeignKey("communities.id"), nullable=False, index=True),
    sa.Column("display_name", sa.String(200), nullable=False),
    sa.Column("receiving", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("wants_receipts", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("pledge_notified_at", UtcTime()),
    # Named on leaderboards and pages only when True (`/tip profile public`).
    sa.Column("profile_public", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("created_at", UtcTime(), nullable=False, server_default=sa.func.current_timestamp()),
    sa.Index("ix_members_community_name", "community_id", "display_name"),  # the web pages' URLs (0017_web)
)

identities = sa.Table(
    "identities", metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("member_id", BigId, sa.ForeignKey("members.id"), nullable=False, index=True),
    sa.Column("space_id", sa.Integer, sa.ForeignKey("spaces.id"), nullable=False),
    sa.Column("platform_user_id", sa.String(100), nullable=False),
    sa.Column("display_name", sa.String(200)),
    sa.Column("created_at", UtcTime(), nullable=False, server_default=sa.func.current_timestamp()),
    sa.UniqueConstraint("space_id", "platform_user_id", name="uq_identities_space_user"),
)

paydays = sa.Table(
    "paydays", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("community_id", sa.Integer, sa.ForeignKey("communities.id"), nullable=False),
    sa.Column("week_start", sa.Date, nullable=False),
    sa.Column("stage", sa.String(30), nullable=False, server_default="started"),
    sa.Column("snapshot_at", UtcTime(), nullable=False),
    sa.Column("started_at", UtcTime(), nullable=False, server_default=sa.func.current_timestamp()),
    sa.Column("finished_at", UtcTime()),
    sa.Column("stats", sa.JSON),
    sa.UniqueConstraint("community_id", "week_start", name="uq_paydays_community_week"),
)

operations = sa.Table(
    "operations", metadata,  # idempotency records: one row per repeatable request
    sa.Column("id", BigId, primary_key=True),
    sa.Column("key", sa.String(255), nullable=False, unique=True),
    sa.Column("outcome", sa.JSON, nullable=False),
    # Pruned after the retention window (ledger.retention); indexed for that (0009_hardening).
    sa.Column("created_at", UtcTime(), nullable=False, server_default=sa.func.current_timestamp(), index=True),
)

transfers = sa.Table(
    "transfers", metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("community_id", sa.Integer, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("from_account_id", BigId, nullable=False, index=True),
    sa.Column("to_account_id", BigId, nullable=False, index=True),
    sa.Column("amount_minor", Minor, nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("payday_id", sa.Integer, sa.ForeignKey("paydays.id")),
    sa.Column("note", sa.String(500)),
    # The payee is never told who paid (an anonymous one-off tip, or a payday paying an anonymous tip).
    sa.Column("anonymous", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("created_at", UtcTime(), nullable=False, server_default=sa.func.current_timestamp()),
    sa.CheckConstraint("amount_minor > 0", name="amount_positive"),
    sa.CheckConstraint("from_account_id <> to_account_id", name="distinct_accounts"),
    sa.CheckConstraint(_in("kind", TRANSFER_KINDS), name="kind"),
    # Both ends belong to the transfer's community and currency.
    sa.ForeignKeyConstraint(
        ["from_account_id", "community_id", "currency"],
        ["accounts.id", "accounts.community_id", "accounts.currency"],
        name="fk_transfers_from_account",
    ),
    sa.ForeignKeyConstraint(
        ["to_account_id", "community_id", "currency"],
        ["accounts.id", "accounts.community_id", "accounts.currency"],
        name="fk_transfers_to_account",
    ),
    # No crash or rerun can pay a pair twice in one payday (NULL payday_id: not a payday).
    sa.UniqueConstraint("payday_id", "from_account_id", "to_account_id", name="uq_transfers_payday_pair"),
    # A community's transfers of a period (leaderboards, the summary's top receivers): without it
    # each summary scanned every community's transfers (0018_transfers_by_time).
    sa.Index("ix_transfers_community_created", "community_id", "created_at"),
)

tips = sa.Table(
    "tips", metadata,  # versions, never deleted; the current tip is the newest per pair
    sa.Column("id", BigId, primary_key=True),
    sa.Column("community_id", sa.Integer, sa.ForeignKey("communities.id"), nullable=False),
    sa.Column("tipper_id", BigId, sa.ForeignKey("members.id"), nullable=False),
    # A member's or a project's account (both ids are their account's id).
    sa.Column("tippee_id", BigId, sa.ForeignKey("accounts.id"), nullable=False),
    sa.Column("weekly_amount_minor", Minor, nullable=False),
    sa.Column("ctime", UtcTime(), nullable=False),  # when this tipper began tipping this tippee
    sa.Column("mtime", UtcTime(), nullable=False),  # when this version was set
    sa.Column("note", sa.String(500)),
    # True on the newest version of its pair only: reading current tips costs the current
    # tips, not their history. The partial unique index below allows one per pair.
    sa.Column("is_current", sa.Boolean, nullable=False, server_default=sa.true()),
    # The tippee is never told who tips them; later versions keep it unless the tipper says otherwise.
    sa.Column("anonymous", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.CheckConstraint("weekly_amount_minor >= 0", name="amount_nonnegative"),
    sa.CheckConstraint("tipper_id <> tippee_id", name="no_self_tip"),
    sa.Index("ix_tips_pair_newest", "tipper_id", "tippee_id", "id"),
    sa.Index("ix_tips_tippee", "tippee_id"),
    sa.Index("ix_tips_current_tippee", "tippee_id", "tipper_id",  # pages and badges (0017_web)
             postgresql_where=sa.text("is_current"), sqlite_where=sa.text("is_current")),
    sa.Index("uq_tips_current_pair", "tipper_id", "tippee_id", unique=True,
             postgresql_where=sa.text("is_current"), sqlite_where=sa.text("is_current")),
)
