"""What fuelbot owns and trusts on a lab's gear: the VMs it created (the only VMs destroy may delete)
and the Fuel masters' SSH host keys (recorded on first contact, checked on every later one)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import Base


class VMOwnership(Base):
    """A VM fuelbot created for a lab: planned (instance UUID chosen) before CreateVM_Task, then
    confirmed with its moref. Destroy deletes a VM only when moref, name and instance UUID match."""

    __tablename__ = "vm_ownership"
    __table_args__ = (
        UniqueConstraint("vcenter_uuid", "instance_uuid", name="uq_vm_ownership_vcenter_instance"),
        UniqueConstraint("vcenter_uuid", "lab", "name", name="uq_vm_ownership_vcenter_lab_name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lab: Mapped[str] = mapped_column(String(64), index=True)
    vcenter_uuid: Mapped[str] = mapped_column(String(64))     # about.instanceUuid of the vCenter
    name: Mapped[str] = mapped_column(String(80))
    instance_uuid: Mapped[str] = mapped_column(String(64))    # config.instanceUuid
    moid: Mapped[str | None] = mapped_column(String(64))      # NULL while only planned
    folder: Mapped[str] = mapped_column(String(255))
    macs: Mapped[list[str]] = mapped_column(default=list)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    planned_at: Mapped[datetime]
    created_at: Mapped[datetime | None]


class MasterHostKey(Base):
    """The SSH host key a Fuel master presented the first time fuelbot connected to it."""

    __tablename__ = "master_host_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(String(255), unique=True)   # host:port
    key_type: Mapped[str] = mapped_column(String(64))                # ssh-rsa, ssh-ed25519, …
    key_base64: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime]
