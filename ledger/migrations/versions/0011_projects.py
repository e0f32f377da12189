"""projects: accounts of kind 'project', maintainers, takes, packages, payday shares

Revision ID: 0011_projects
Revises: 0010_merge (chains after the merge: one head)
Written by hand; the tables are ledger/project_tables.py, the changed constraints
ledger/models.py. On SQLite, changing a CHECK or a foreign key means rebuilding the
table (Alembic's batch mode); ledger.db.upgrade turns foreign keys off around it,
as SQLite's documented procedure asks, and checks them before committing.
"""
from alembic import op
import sqlalchemy as sa


revision = "0011_projects"
down_revision = "0010_merge"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UtcTime = sa.DateTime(timezone=True)

OLD_ACCOUNT_KINDS = "kind IN ('member', 'manual', 'stripe', 'stripe_fees')"
NEW_ACCOUNT_KINDS = "kind IN ('member', 'project', 'manual', 'stripe', 'stripe_fees')"
OLD_OUTSIDE = "kind <> 'member'"
NEW_OUTSIDE = "kind NOT IN ('member', 'project')"
PROJECT_BALANCE = "kind <> 'project' OR balance_minor >= 0"
OLD_TRANSFER_KINDS = ("kind IN ('credit', 'debit', 'once', 'tip', 'charge', 'fee', 'payout', 'refund', "
                      "'dispute', 'reversal')")
NEW_TRANSFER_KINDS = ("kind IN ('credit', 'debit', 'once', 'tip', 'charge', 'fee', 'payout', 'refund', "
                      "'dispute', 'reversal', 'take')")


def _constraints(accounts_kinds: str, outside: str, transfer_kinds: str, tippee_table: str,
                 project_balance: bool) -> None:
    op.drop_index("uq_accounts_outside_kind", table_name="accounts")
    sqlite = op.get_context().dialect.name == "sqlite"
    batch = {"recreate": "always"} if sqlite else {}
    with op.batch_alter_table("accounts", **batch) as b:
        b.drop_constraint(op.f("ck_accounts_kind"), type_="check")
        b.create_check_constraint(op.f("ck_accounts_kind"), accounts_kinds)
        if project_balance:
            b.create_check_constraint(op.f("ck_accounts_project_balance_nonnegative"), PROJECT_BALANCE)
        else:
            b.drop_constraint(op.f("ck_accounts_project_balance_nonnegative"), type_="check")
    op.create_index("uq_accounts_outside_kind", "accounts", ["community_id", "currency", "kind"], unique=True,
                    sqlite_where=sa.text(outside), postgresql_where=sa.text(outside))
    with op.batch_alter_table("transfers", **batch) as b:
        b.drop_constraint(op.f("ck_transfers_kind"), type_="check")
        b.create_check_constraint(op.f("ck_transfers_kind"), transfer_kinds)
    with op.batch_alter_table("tips", **batch) as b:
        old = "accounts" if tippee_table == "members" else "members"
        b.drop_constraint(op.f(f"fk_tips_tippee_id_{old}"), type_="foreignkey")
        b.create_foreign_key(op.f(f"fk_tips_tippee_id_{tippee_table}"), tippee_table, ["tippee_id"], ["id"])


def upgrade() -> None:
    _constraints(NEW_ACCOUNT_KINDS, NEW_OUTSIDE, NEW_TRANSFER_KINDS, "accounts", project_balance=True)
    op.create_table(
        "projects",
        sa.Column("id", BigId, nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("created_by", BigId, nullable=True),
        sa.Column("created_at", UtcTime, nullable=False),
        sa.CheckConstraint("length(name) BETWEEN 1 AND 40", name=op.f("ck_projects_name_length")),
        sa.ForeignKeyConstraint(["id"], ["accounts.id"], name=op.f("fk_projects_id_accounts")),
        sa.ForeignKeyConstraint(["community_id"], ["communities.id"], name=op.f("fk_projects_community_id_communities")),
        sa.ForeignKeyConstraint(["created_by"], ["members.id"], name=op.f("fk_projects_created_by_members")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_projects")),
        sa.UniqueConstraint("community_id", "name", name="uq_projects_community_name"),
    )
    op.create_table(
        "project_maintainers",
        sa.Column("id", BigId, nullable=False),
        sa.Column("project_id", BigId, nullable=False),
        sa.Column("member_id", BigId, nullable=False),
        sa.Column("joined_at", UtcTime, nullable=False),
        sa.Column("added_by", BigId, nullable=True),
        sa.Column("left_at", UtcTime, nullable=True),
        sa.Column("removed_by", BigId, nullable=True),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], name=op.f("fk_project_maintainers_project_id_projects")),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_project_maintainers_member_id_members")),
        sa.ForeignKeyConstraint(["added_by"], ["members.id"], name=op.f("fk_project_maintainers_added_by_members")),
        sa.ForeignKeyConstraint(["removed_by"], ["members.id"],
                                name=op.f("fk_project_maintainers_removed_by_members")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_maintainers")),
    )
    op.create_index(op.f("ix_project_maintainers_member_id"), "project_maintainers", ["member_id"])
    op.create_index("uq_project_maintainers_current", "project_maintainers", ["project_id", "member_id"],
                    unique=True, sqlite_where=sa.text("left_at IS NULL"), postgresql_where=sa.text("left_at IS NULL"))
    op.create_table(
        "project_takes",
        sa.Column("id", BigId, nullable=False),
        sa.Column("project_id", BigId, nullable=False),
        sa.Column("member_id", BigId, nullable=False),
        sa.Column("take_minor", sa.BigInteger(), nullable=False),
        sa.Column("asked_minor", sa.BigInteger(), nullable=False),
        sa.Column("ctime", UtcTime, nullable=False),
        sa.Column("mtime", UtcTime, nullable=False),
        sa.Column("is_current", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.CheckConstraint("take_minor >= 0 AND asked_minor >= take_minor AND asked_minor <= 100000000",
                           name=op.f("ck_project_takes_take_bounds")),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], name=op.f("fk_project_takes_project_id_projects")),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_project_takes_member_id_members")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_takes")),
    )
    op.create_index("ix_project_takes_pair", "project_takes", ["project_id", "member_id", "id"])
    op.create_index("uq_project_takes_current", "project_takes", ["project_id", "member_id"], unique=True,
                    sqlite_where=sa.text("is_current"), postgresql_where=sa.text("is_current"))
    op.create_table(
        "project_packages",
        sa.Column("id", BigId, nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("project_id", BigId, nullable=False),
        sa.Column("ecosystem", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["community_id"], ["communities.id"],
                                name=op.f("fk_project_packages_community_id_communities")),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], name=op.f("fk_project_packages_project_id_projects")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_packages")),
        sa.UniqueConstraint("community_id", "ecosystem", "name", name="uq_project_packages_community_package"),
    )
    op.create_index(op.f("ix_project_packages_project_id"), "project_packages", ["project_id"])
    op.create_table(
        "project_settings",
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("new_take_allowance_minor", sa.BigInteger(), nullable=True),
        sa.Column("spotlight", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.CheckConstraint("new_take_allowance_minor IS NULL OR new_take_allowance_minor >= 0",
                           name=op.f("ck_project_settings_allowance_nonnegative")),
        sa.ForeignKeyConstraint(["community_id"], ["communities.id"],
                                name=op.f("fk_project_settings_community_id_communities")),
        sa.PrimaryKeyConstraint("community_id", name=op.f("pk_project_settings")),
    )
    op.create_table(
        "payday_shares",
        sa.Column("payday_id", sa.Integer(), nullable=False),
        sa.Column("project_id", BigId, nullable=False),
        sa.Column("member_id", BigId, nullable=False),
        sa.Column("take_minor", sa.BigInteger(), nullable=False),
        sa.Column("seniority", sa.Integer(), nullable=False),
        sa.Column("share_minor", sa.BigInteger(), nullable=True),
        sa.CheckConstraint("take_minor >= 0 AND (share_minor IS NULL OR share_minor >= 0)",
                           name=op.f("ck_payday_shares_shares_nonnegative")),
        sa.PrimaryKeyConstraint("payday_id", "project_id", "member_id", name="pk_payday_shares"),
    )
    op.create_table(
        "payday_projects",
        sa.Column("payday_id", sa.Integer(), nullable=False),
        sa.Column("project_id", BigId, nullable=False),
        sa.Column("income_minor", sa.BigInteger(), nullable=False),
        sa.Column("pool_minor", sa.BigInteger(), nullable=False),
        sa.Column("takes_minor", sa.BigInteger(), nullable=False),
        sa.Column("paid_minor", sa.BigInteger(), nullable=False),
        sa.Column("carried_minor", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("paid_minor >= 0 AND carried_minor >= 0 AND paid_minor + carried_minor = pool_minor",
                           name=op.f("ck_payday_projects_pool_accounted")),
        sa.PrimaryKeyConstraint("payday_id", "project_id", name="pk_payday_projects"),
    )


def downgrade() -> None:
    for table in ("payday_projects", "payday_shares", "project_settings", "project_packages", "project_takes",
                  "project_maintainers", "projects"):
        op.drop_table(table)
    op.execute("DELETE FROM accounts WHERE kind = 'project'")  # only possible once nothing points at them
    _constraints(OLD_ACCOUNT_KINDS, OLD_OUTSIDE, OLD_TRANSFER_KINDS, "members", project_balance=False)
