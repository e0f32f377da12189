"""Projects ("Back the Stack"): tables on `ledger.models.metadata`.

Migration 0011_projects creates them. A project is a participant like a member:
its id is its account's id (kind 'project', CHECK balance >= 0), so tips point at
it the way they point at a member, and its balance is the income not yet paid out
to its maintainers: the leftover carried from week to week.

- `projects`: one per (community, name).
- `project_maintainers`: who maintains a project, since when (`joined_at` orders
  "oldest maintainer first"); leaving sets `left_at`, so history stays.
- `project_takes`: versions of a maintainer's weekly take, never rewritten (like tips);
  the current take is the one row per (project, member) with `is_current`.
- `project_packages`: packages a project publishes (`pypi:pillow`), unique per community.
- `project_settings`: per community, the new-take allowance and the spotlight switch.
- `payday_shares`: the takes snapshotted at a payday's start (receiving maintainers
  only) and, once split, each maintainer's share. One row per (payday, project, member).
- `payday_projects`: per payday and project, what it received, the pool split (income
  plus leftover), what it paid out and what it carried over: the split, visible.
"""

from __future__ import annotations

import sqlalchemy as sa

from ledger.models import BigId, Minor, UtcTime, metadata

NAME_MAX = 40
# Bounds that keep the split's products (pool x take, pool < sum of takes) inside 64-bit
# integers on both databases: 50 x 10^8 x 10^8 = 5 x 10^17 < 2^63.
TAKE_MAX_MINOR = 10**8
MAX_MAINTAINERS = 50

projects = sa.Table(
    "projects", metadata,
    sa.Column("id", BigId, sa.ForeignKey("accounts.id"), primary_key=True),
    sa.Column("community_id", sa.Integer, sa.ForeignKey("communities.id"), nullable=False),
    sa.Column("name", sa.String(NAME_MAX), nullable=False),
    sa.Column("created_by", BigId, sa.ForeignKey("members.id")),
    sa.Column("created_at", UtcTime(), nullable=False),
    sa.UniqueConstraint("community_id", "name", name="uq_projects_community_name"),
    sa.CheckConstraint(f"length(name) BETWEEN 1 AND {NAME_MAX}", name="name_length"),
)

project_maintainers = sa.Table(
    "project_maintainers", metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("project_id", BigId, sa.ForeignKey("projects.id"), nullable=False),
    sa.Column("member_id", BigId, sa.ForeignKey("members.id"), nullable=False, index=True),
    sa.Column("joined_at", UtcTime(), nullable=False),
    sa.Column("added_by", BigId, sa.ForeignKey("members.id")),
    sa.Column("left_at", UtcTime()),
    sa.Column("removed_by", BigId, sa.ForeignKey("members.id")),  # NULL when they left themselves
    sa.Index("uq_project_maintainers_current", "project_id", "member_id", unique=True,
             sqlite_where=sa.text("left_at IS NULL"), postgresql_where=sa.text("left_at IS NULL")),
)

project_takes = sa.Table(
    "project_takes", metadata,  # versions, never deleted; the current take is the newest per pair
    sa.Column("id", BigId, primary_key=True),
    sa.Column("project_id", BigId, sa.ForeignKey("projects.id"), nullable=False),
    sa.Column("member_id", BigId, sa.ForeignKey("members.id"), nullable=False),
    sa.Column("take_minor", Minor, nullable=False),
    sa.Column("asked_minor", Minor, nullable=False),  # what was asked; more than take_minor when capped
    sa.Column("ctime", UtcTime(), nullable=False),
    sa.Column("mtime", UtcTime(), nullable=False),
    sa.Column("is_current", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.CheckConstraint(f"take_minor >= 0 AND asked_minor >= take_minor AND asked_minor <= {TAKE_MAX_MINOR}",
                       name="take_bounds"),
    sa.Index("ix_project_takes_pair", "project_id", "member_id", "id"),
    sa.Index("uq_project_takes_current", "project_id", "member_id", unique=True,
             sqlite_where=sa.text("is_current"), postgresql_where=sa.text("is_current")),
)

project_packages = sa.Table(
    "project_packages", metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("community_id", sa.Integer, sa.ForeignKey("communities.id"), nullable=False),
    sa.Column("project_id", BigId, sa.ForeignKey("projects.id"), nullable=False, index=True),
    sa.Column("ecosystem", sa.String(20), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.UniqueConstraint("community_id", "ecosystem", "name", name="uq_project_packages_community_package"),
)

project_settings = sa.Table(
    "project_settings", metadata,
    sa.Column("community_id", sa.Integer, sa.ForeignKey("communities.id"), primary_key=True),
    sa.Column("new_take_allowance_minor", Minor),  # NULL: one unit of the currency (1.00)
    sa.Column("spotlight", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.CheckConstraint("new_take_allowance_minor IS NULL OR new_take_allowance_minor >= 0",
                       name="allowance_nonnegative"),
)

# Like payday_tips: no foreign keys (only the payday engine writes them, in bulk).
payday_shares = sa.Table(
    "payday_shares", metadata,
    sa.Column("payday_id", sa.Integer, nullable=False),
    sa.Column("project_id", BigId, nullable=False),
    sa.Column("member_id", BigId, nullable=False),
    sa.Column("take_minor", Minor, nullable=False),
    sa.Column("seniority", sa.Integer, nullable=False),  # 1 = the project's oldest maintainer
    sa.Column("share_minor", Minor),  # NULL until the split
    sa.PrimaryKeyConstraint("payday_id", "project_id", "member_id", name="pk_payday_shares"),
    sa.CheckConstraint("take_minor >= 0 AND (share_minor IS NULL OR share_minor >= 0)", name="shares_nonnegative"),
)

payday_projects = sa.Table(
    "payday_projects", metadata,
    sa.Column("payday_id", sa.Integer, nullable=False),
    sa.Column("project_id", BigId, nullable=False),
    sa.Column("income_minor", Minor, nullable=False),  # tips funded to it in this payday
    sa.Column("pool_minor", Minor, nullable=False),  # its balance when split: leftover + income
    sa.Column("takes_minor", Minor, nullable=False),  # sum of the snapshotted takes
    sa.Column("paid_minor", Minor, nullable=False),  # paid out to maintainers
    sa.Column("carried_minor", Minor, nullable=False),  # left on the project for next week
    sa.PrimaryKeyConstraint("payday_id", "project_id", name="pk_payday_projects"),
    sa.CheckConstraint("paid_minor >= 0 AND carried_minor >= 0 AND paid_minor + carried_minor = pool_minor",
                       name="pool_accounted"),
)
