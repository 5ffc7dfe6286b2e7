"""The VMs fuelbot created, per lab: the proof of ownership that destroy relies on.

Two steps around each CreateVM_Task, each in the caller's transaction: ``record_plans`` before
(name and the instance UUID fuelbot will give the VM), ``record_created`` after (moref, the
instance UUID read back, MACs). A plan without a moref is a VM that may exist (a crash right
after creation): the next pass recognises it by its instance UUID. ``forget`` drops the records
of VMs destroy deleted (or found gone).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from store.models import VMOwnership
from store.types import utcnow


@dataclass(frozen=True)
class VMRecord:
    """One recorded VM (the same fields as integrations.vsphere.OwnedVM, plus the record's times)."""

    lab: str
    name: str
    moid: str | None
    instance_uuid: str
    vcenter_uuid: str
    folder: str
    macs: tuple[str, ...]
    planned_at: datetime
    created_at: datetime | None

    @property
    def confirmed(self) -> bool:
        """True once the VM's moref is recorded (it was seen created)."""
        return self.moid is not None


def _record(row: VMOwnership) -> VMRecord:
    return VMRecord(lab=row.lab, name=row.name, moid=row.moid, instance_uuid=row.instance_uuid,
                    vcenter_uuid=row.vcenter_uuid, folder=row.folder, macs=tuple(row.macs or ()),
                    planned_at=row.planned_at, created_at=row.created_at)


def records(session: Session, lab: str, *, vcenter_uuid: str | None = None) -> list[VMRecord]:
    """The lab's records (of one vCenter when given), by name."""
    query = select(VMOwnership).where(VMOwnership.lab == lab)
    if vcenter_uuid is not None:
        query = query.where(VMOwnership.vcenter_uuid == vcenter_uuid)
    return [_record(row) for row in session.scalars(query.order_by(VMOwnership.name))]


def record_plans(session: Session, *, lab: str, vcenter_uuid: str, folder: str,
                 plans: Iterable[tuple[str, str]], job_id: int | None = None) -> dict[str, str]:
    """Record (name, instance UUID) plans for VMs without a record; return name → instance UUID of
    every VM of ``plans`` as recorded (an existing record wins, so a re-run keeps its plan)."""
    existing = {r.name: r for r in session.scalars(select(VMOwnership).where(
        VMOwnership.lab == lab, VMOwnership.vcenter_uuid == vcenter_uuid))}
    result = {}
    for name, instance_uuid in plans:
        row = existing.get(name)
        if row is None:
            row = VMOwnership(lab=lab, vcenter_uuid=vcenter_uuid, name=name, instance_uuid=instance_uuid,
                              folder=folder, macs=[], job_id=job_id, planned_at=utcnow())
            session.add(row)
            existing[name] = row
        result[name] = row.instance_uuid
    session.flush()
    return result


def record_created(session: Session, *, lab: str, vcenter_uuid: str, name: str, instance_uuid: str, moid: str,
                   macs: Iterable[str], folder: str) -> None:
    """Confirm a VM: its moref, the instance UUID vCenter kept (or replaced), its MACs."""
    row = session.scalars(select(VMOwnership).where(
        VMOwnership.lab == lab, VMOwnership.vcenter_uuid == vcenter_uuid, VMOwnership.name == name)).first()
    if row is None:
        row = VMOwnership(lab=lab, vcenter_uuid=vcenter_uuid, name=name, folder=folder, planned_at=utcnow())
        session.add(row)
    row.instance_uuid, row.moid, row.macs, row.folder = instance_uuid, moid, list(macs), folder
    row.created_at = utcnow()
    session.flush()


def forget(session: Session, *, lab: str, vcenter_uuid: str, names: Iterable[str]) -> int:
    """Drop the records of these VMs (deleted, or found gone); how many were dropped."""
    result = session.execute(delete(VMOwnership).where(
        VMOwnership.lab == lab, VMOwnership.vcenter_uuid == vcenter_uuid, VMOwnership.name.in_(list(names))))
    return int(getattr(result, "rowcount", 0) or 0)
