"""on-call: alert state and snooze of schedules, skipped fires, health runs in start order

Revision ID: 0005_oncall_alerts
Revises: 0004_slack_budgets_confirmations
Create Date: 2026-11-30 09:00:00
"""
from alembic import op
import sqlalchemy as sa
import store.types


revision = '0005_oncall_alerts'
down_revision = '0004_slack_budgets_confirmations'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('schedules', schema=None) as batch_op:
        batch_op.add_column(sa.Column('alert', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('snoozed_until', store.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('snoozed_by', sa.String(length=64), nullable=True))
    with op.batch_alter_table('schedule_fires', schema=None) as batch_op:
        batch_op.add_column(sa.Column('skipped', sa.String(length=300), nullable=True))
    with op.batch_alter_table('health_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('started_at', store.types.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('health_runs', schema=None) as batch_op:
        batch_op.drop_column('started_at')
    with op.batch_alter_table('schedule_fires', schema=None) as batch_op:
        batch_op.drop_column('skipped')
    with op.batch_alter_table('schedules', schema=None) as batch_op:
        batch_op.drop_column('snoozed_by')
        batch_op.drop_column('snoozed_until')
        batch_op.drop_column('alert')
