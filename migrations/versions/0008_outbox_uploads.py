"""outbox uploads: a job's thread can hold a file (a long log, a diagnostic snapshot)

outbox_files: the file one outbox message shares, through Slack's external upload
(files.getUploadURLExternal + files.completeUploadExternal): its name, title and size, and
either its bytes (a log, scrubbed) or the path of a file under fuelbot's data dir (a snapshot).

Revision ID: 0008_outbox_uploads
Revises: 0007_slack_answers_outages
"""
from alembic import op
import sqlalchemy as sa


revision = '0008_outbox_uploads'
down_revision = '0007_slack_answers_outages'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'outbox_files',
        sa.Column('outbox_id', sa.Integer(), nullable=False),
        sa.Column('filename', sa.String(length=255), nullable=False),
        sa.Column('title', sa.String(length=255), nullable=False),
        sa.Column('size', sa.BigInteger(), nullable=False),
        sa.Column('content', sa.LargeBinary(), nullable=True),
        sa.Column('path', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['outbox_id'], ['outbox.id'], name=op.f('fk_outbox_files_outbox_id_outbox'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('outbox_id', name=op.f('pk_outbox_files')),
    )


def downgrade() -> None:
    op.drop_table('outbox_files')
