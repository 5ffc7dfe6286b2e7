"""slack edge: rate budgets shared by replicas, one-time confirmations

rate_budgets: Slack's rate allowances (chat.postMessage per channel, chat.update per workspace)
spent by every replica through the database (jobs.rate_budget). confirmations: the nonce of a
destructive button, used once (commands.confirmations).

Revision ID: 0004_slack_budgets_confirmations
Revises: 0003_vm_ownership
Create Date: 2026-11-30 08:27:12.180676
"""
from alembic import op
import sqlalchemy as sa
import store.types


revision = '0004_slack_budgets_confirmations'
down_revision = '0003_vm_ownership'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('rate_budgets',
    sa.Column('key', sa.String(length=128), nullable=False),
    sa.Column('next_free', sa.Float(), nullable=False),
    sa.Column('held_until', sa.Float(), nullable=True),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_rate_budgets'))
    )
    op.create_table('confirmations',
    sa.Column('nonce', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('lab', sa.String(length=64), nullable=False),
    sa.Column('requester', sa.String(length=64), nullable=False),
    sa.Column('created_at', store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('used_by', sa.String(length=64), nullable=True),
    sa.Column('used_delivery', sa.String(length=128), nullable=True),
    sa.Column('job_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_confirmations_job_id_jobs'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('nonce', name=op.f('pk_confirmations'))
    )


def downgrade() -> None:
    op.drop_table('confirmations')
    op.drop_table('rate_budgets')
