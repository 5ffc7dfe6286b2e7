"""slack answers and outages: quick look-ups answer the person, Slack outages lose nothing

outbox.recipient: the person an answer (placement "answer") is for. outbox.retries: failures
Slack itself caused (5xx, timeouts), which wait and never end a message, apart from attempts.
outbox.uncertain: the last call may have reached Slack, so the next post looks for it first
(message metadata). jobs.step_title: the step as people read it ("Deployment", not
follow_deploy).

Revision ID: 0007_slack_answers_outages
Revises: 0006_shared_labs
"""
from alembic import op
import sqlalchemy as sa


revision = '0007_slack_answers_outages'
down_revision = '0006_shared_labs'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recipient', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('retries', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('uncertain', sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('step_title', sa.String(length=128), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_column('step_title')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('uncertain')
        batch_op.drop_column('retries')
        batch_op.drop_column('recipient')
