"""vm ownership: the VMs fuelbot created, the only ones destroy deletes

Revision ID: 0003_vm_ownership
Revises: 0002_master_host_keys
"""
from alembic import op
import sqlalchemy as sa
import store.types


revision = '0003_vm_ownership'
down_revision = '0002_master_host_keys'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('vm_ownership',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lab', sa.String(length=64), nullable=False),
    sa.Column('vcenter_uuid', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('instance_uuid', sa.String(length=64), nullable=False),
    sa.Column('moid', sa.String(length=64), nullable=True),
    sa.Column('folder', sa.String(length=255), nullable=False),
    sa.Column('macs', sa.JSON(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=True),
    sa.Column('planned_at', store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_at', store.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_vm_ownership_job_id_jobs'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vm_ownership')),
    sa.UniqueConstraint('vcenter_uuid', 'instance_uuid', name='uq_vm_ownership_vcenter_instance'),
    sa.UniqueConstraint('vcenter_uuid', 'lab', 'name', name='uq_vm_ownership_vcenter_lab_name')
    )
    with op.batch_alter_table('vm_ownership', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vm_ownership_lab'), ['lab'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('vm_ownership', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vm_ownership_lab'))

    op.drop_table('vm_ownership')
