"""lab states: what the observation tick last read of each lab on its Fuel master

lab_states: one row per lab (environment status, nodes by status and role, offline and
unassigned nodes) with when it was last read and why the last read failed, for the digest and
`labs`/`status` to answer from the database (issue #16).

Revision ID: 0009_lab_states
Revises: 0008_outbox_uploads
"""
from alembic import op
import sqlalchemy as sa

import store.types


revision = '0009_lab_states'
down_revision = '0008_outbox_uploads'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('lab_states',
    sa.Column('lab', sa.String(length=64), nullable=False),
    sa.Column('fuel', sa.String(length=255), nullable=False),
    sa.Column('observed_at', store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('tried_at', store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('lab', name=op.f('pk_lab_states'))
    )


def downgrade() -> None:
    op.drop_table('lab_states')
