"""master host keys: the Fuel masters' SSH host keys, recorded on first contact

Revision ID: 0002_master_host_keys
Revises: 0001
Create Date: 2026-11-30 09:00:00
"""
from alembic import op
import sqlalchemy as sa
import store.types


revision = '0002_master_host_keys'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('master_host_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('address', sa.String(length=255), nullable=False),
    sa.Column('key_type', sa.String(length=64), nullable=False),
    sa.Column('key_base64', sa.Text(), nullable=False),
    sa.Column('recorded_at', store.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_master_host_keys')),
    sa.UniqueConstraint('address', name=op.f('uq_master_host_keys_address'))
    )


def downgrade() -> None:
    op.drop_table('master_host_keys')
