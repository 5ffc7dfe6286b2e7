"""shared labs: leases and their queue, approvals, whole-lab snapshots

lab_leases (one active lease per lab: unique ``held``), lease_waiters, approvals (a destroy or
rollback waiting for its confirmation or a second person), lab_snapshots and lab_snapshot_vms.

Revision ID: 0006_shared_labs
Revises: 0005_oncall_alerts
Create Date: 2026-11-30 08:47:17.521522
"""
from alembic import op
import sqlalchemy as sa
import store.types


revision = '0006_shared_labs'
down_revision = '0005_oncall_alerts'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('lab_leases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lab', sa.String(length=64), nullable=False),
    sa.Column('held', sa.String(length=64), nullable=True),
    sa.Column('holder', sa.String(length=64), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('channel', sa.String(length=64), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('granted_at', store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('length_seconds', sa.Integer(), nullable=False),
    sa.Column('reminders_sent', sa.Integer(), nullable=False),
    sa.Column('ended_at', store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ended_by', sa.String(length=128), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lab_leases')),
    sa.UniqueConstraint('held', name=op.f('uq_lab_leases_held'))
    )
    with op.batch_alter_table('lab_leases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lab_leases_lab'), ['lab'], unique=False)
        batch_op.create_index(batch_op.f('ix_lab_leases_state'), ['state'], unique=False)

    op.create_table('lease_waiters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lab', sa.String(length=64), nullable=False),
    sa.Column('user', sa.String(length=64), nullable=False),
    sa.Column('length_seconds', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('channel', sa.String(length=64), nullable=True),
    sa.Column('created_at', store.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lease_waiters')),
    sa.UniqueConstraint('lab', 'user', name='uq_lease_waiters_lab_user')
    )
    op.create_table('approvals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lab', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('requester', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=64), nullable=False),
    sa.Column('required_role', sa.String(length=16), nullable=False),
    sa.Column('second_person', sa.Boolean(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('created_at', store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('confirmed_at', store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decided_by', sa.String(length=64), nullable=True),
    sa.Column('decided_at', store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('job_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_approvals_job_id_jobs'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_approvals'))
    )
    with op.batch_alter_table('approvals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_approvals_lab'), ['lab'], unique=False)
        batch_op.create_index(batch_op.f('ix_approvals_state'), ['state'], unique=False)

    op.create_table('lab_snapshots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lab', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('automatic', sa.Boolean(), nullable=False),
    sa.Column('trigger', sa.String(length=32), nullable=True),
    sa.Column('job_id', sa.Integer(), nullable=True),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('fuel', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_lab_snapshots_job_id_jobs'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lab_snapshots')),
    sa.UniqueConstraint('lab', 'name', name='uq_lab_snapshots_lab_name')
    )
    op.create_table('lab_snapshot_vms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('snapshot_id', sa.Integer(), nullable=False),
    sa.Column('vm_name', sa.String(length=80), nullable=False),
    sa.Column('vm_moid', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('power_state', sa.String(length=16), nullable=False),
    sa.Column('memory', sa.Boolean(), nullable=False),
    sa.Column('snapshot_moref', sa.String(length=64), nullable=True),
    sa.Column('size_bytes', sa.BigInteger(), nullable=True),
    sa.Column('taken_at', store.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['snapshot_id'], ['lab_snapshots.id'], name=op.f('fk_lab_snapshot_vms_snapshot_id_lab_snapshots'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lab_snapshot_vms')),
    sa.UniqueConstraint('snapshot_id', 'vm_name', name='uq_lab_snapshot_vms_snapshot_vm')
    )
    with op.batch_alter_table('lab_snapshot_vms', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lab_snapshot_vms_snapshot_id'), ['snapshot_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('lab_snapshot_vms', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lab_snapshot_vms_snapshot_id'))

    op.drop_table('lab_snapshot_vms')
    op.drop_table('lab_snapshots')
    with op.batch_alter_table('approvals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_approvals_state'))
        batch_op.drop_index(batch_op.f('ix_approvals_lab'))

    op.drop_table('approvals')
    op.drop_table('lease_waiters')
    with op.batch_alter_table('lab_leases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lab_leases_state'))
        batch_op.drop_index(batch_op.f('ix_lab_leases_lab'))

    op.drop_table('lab_leases')
