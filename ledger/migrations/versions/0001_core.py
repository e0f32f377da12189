"""core ledger

Revision ID: 0001_core
Revises: 
Create Date: 2026-11-25 12:18:23.743677
"""
from alembic import op
import sqlalchemy as sa


revision = '0001_core'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    
    op.create_table('communities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('funding_mode', sa.String(length=10), server_default='manual', nullable=False),
    sa.Column('payday_cron', sa.String(length=100), server_default='0 12 * * 4', nullable=False),
    sa.Column('max_weekly_minor', sa.BigInteger(), server_default='10000', nullable=False),
    sa.Column('max_once_minor', sa.BigInteger(), server_default='10000', nullable=False),
    sa.Column('min_charge_minor', sa.BigInteger(), server_default='1000', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.CheckConstraint("funding_mode IN ('manual', 'stripe')", name=op.f('ck_communities_funding_mode')),
    sa.CheckConstraint('max_weekly_minor > 0 AND max_once_minor > 0', name=op.f('ck_communities_limits_positive')),
    sa.CheckConstraint('min_charge_minor >= 0', name=op.f('ck_communities_min_charge')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_communities')),
    sa.UniqueConstraint('name', name=op.f('uq_communities_name'))
    )
    op.create_table('operations',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('outcome', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_operations')),
    sa.UniqueConstraint('key', name=op.f('uq_operations_key'))
    )
    op.create_table('accounts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('balance_minor', sa.BigInteger(), server_default='0', nullable=False),
    sa.CheckConstraint("kind <> 'member' OR balance_minor >= 0", name=op.f('ck_accounts_member_balance_nonnegative')),
    sa.CheckConstraint("kind IN ('member', 'manual', 'stripe', 'stripe_fees')", name=op.f('ck_accounts_kind')),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_accounts_community_id_communities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_accounts')),
    sa.UniqueConstraint('id', 'community_id', 'currency', name='uq_accounts_id_community_currency')
    )
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.create_index('uq_accounts_outside_kind', ['community_id', 'currency', 'kind'], unique=True, sqlite_where=sa.text("kind <> 'member'"), postgresql_where=sa.text("kind <> 'member'"))

    op.create_table('paydays',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('week_start', sa.Date(), nullable=False),
    sa.Column('stage', sa.String(length=30), server_default='started', nullable=False),
    sa.Column('snapshot_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('stats', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_paydays_community_id_communities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_paydays')),
    sa.UniqueConstraint('community_id', 'week_start', name='uq_paydays_community_week')
    )
    op.create_table('spaces',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.String(length=20), nullable=False),
    sa.Column('external_id', sa.String(length=100), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=True),
    sa.Column('summary_channel_id', sa.String(length=100), nullable=True),
    sa.Column('summary_channel_name', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_spaces_community_id_communities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_spaces')),
    sa.UniqueConstraint('platform', 'external_id', name='uq_spaces_platform_external_id')
    )
    with op.batch_alter_table('spaces', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_spaces_community_id'), ['community_id'], unique=False)

    op.create_table('members',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('receiving', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('wants_receipts', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('pledge_notified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_members_community_id_communities')),
    sa.ForeignKeyConstraint(['id'], ['accounts.id'], name=op.f('fk_members_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_members'))
    )
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_members_community_id'), ['community_id'], unique=False)

    op.create_table('transfers',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('from_account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('to_account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('payday_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.CheckConstraint("kind IN ('credit', 'debit', 'once', 'tip', 'charge', 'fee', 'payout', 'refund', 'dispute', 'reversal')", name=op.f('ck_transfers_kind')),
    sa.CheckConstraint('amount_minor > 0', name=op.f('ck_transfers_amount_positive')),
    sa.CheckConstraint('from_account_id <> to_account_id', name=op.f('ck_transfers_distinct_accounts')),
    sa.ForeignKeyConstraint(['from_account_id', 'community_id', 'currency'], ['accounts.id', 'accounts.community_id', 'accounts.currency'], name='fk_transfers_from_account'),
    sa.ForeignKeyConstraint(['payday_id'], ['paydays.id'], name=op.f('fk_transfers_payday_id_paydays')),
    sa.ForeignKeyConstraint(['to_account_id', 'community_id', 'currency'], ['accounts.id', 'accounts.community_id', 'accounts.currency'], name='fk_transfers_to_account'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transfers')),
    sa.UniqueConstraint('payday_id', 'from_account_id', 'to_account_id', name='uq_transfers_payday_pair')
    )
    with op.batch_alter_table('transfers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transfers_from_account_id'), ['from_account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_transfers_to_account_id'), ['to_account_id'], unique=False)

    op.create_table('identities',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('member_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('space_id', sa.Integer(), nullable=False),
    sa.Column('platform_user_id', sa.String(length=100), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_identities_member_id_members')),
    sa.ForeignKeyConstraint(['space_id'], ['spaces.id'], name=op.f('fk_identities_space_id_spaces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_identities')),
    sa.UniqueConstraint('space_id', 'platform_user_id', name='uq_identities_space_user')
    )
    with op.batch_alter_table('identities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_identities_member_id'), ['member_id'], unique=False)

    op.create_table('tips',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('tipper_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tippee_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('weekly_amount_minor', sa.BigInteger(), nullable=False),
    sa.Column('ctime', sa.DateTime(timezone=True), nullable=False),
    sa.Column('mtime', sa.DateTime(timezone=True), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.CheckConstraint('tipper_id <> tippee_id', name=op.f('ck_tips_no_self_tip')),
    sa.CheckConstraint('weekly_amount_minor >= 0', name=op.f('ck_tips_amount_nonnegative')),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_tips_community_id_communities')),
    sa.ForeignKeyConstraint(['tippee_id'], ['members.id'], name=op.f('fk_tips_tippee_id_members')),
    sa.ForeignKeyConstraint(['tipper_id'], ['members.id'], name=op.f('fk_tips_tipper_id_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tips'))
    )
    with op.batch_alter_table('tips', schema=None) as batch_op:
        batch_op.create_index('ix_tips_pair_newest', ['tipper_id', 'tippee_id', 'id'], unique=False)
        batch_op.create_index('ix_tips_tippee', ['tippee_id'], unique=False)




def downgrade() -> None:
    
    with op.batch_alter_table('tips', schema=None) as batch_op:
        batch_op.drop_index('ix_tips_tippee')
        batch_op.drop_index('ix_tips_pair_newest')

    op.drop_table('tips')
    with op.batch_alter_table('identities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_identities_member_id'))

    op.drop_table('identities')
    with op.batch_alter_table('transfers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_transfers_to_account_id'))
        batch_op.drop_index(batch_op.f('ix_transfers_from_account_id'))

    op.drop_table('transfers')
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_members_community_id'))

    op.drop_table('members')
    with op.batch_alter_table('spaces', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_spaces_community_id'))

    op.drop_table('spaces')
    op.drop_table('paydays')
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_index('uq_accounts_outside_kind', sqlite_where=sa.text("kind <> 'member'"), postgresql_where=sa.text("kind <> 'member'"))

    op.drop_table('accounts')
    op.drop_table('operations')
    op.drop_table('communities')

