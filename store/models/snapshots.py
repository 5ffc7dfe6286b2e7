"""Whole-lab snapshot sets and each VM's snapshot in them (``lab_snapshots``, ``lab_snapshot_vms``)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from store.enums import SnapshotState
from store.models.base import Base
from store.types import string_enum


class LabSnapshot(Base):
    """A named set of snapshots, one per VM of a lab (its nodes and its Fuel master), taken together."""

    __tablename__ = "lab_snapshots"
    __table_args__ = (UniqueConstraint("lab", "name", name="uq_lab_snapshots_lab_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lab: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(64))
    state: Mapped[SnapshotState] = mapped_column(string_enum(SnapshotState, length=16))
    automatic: Mapped[bool] = mapped_column(Boolean, default=False)  # taken before a reset or scale-out
    trigger: Mapped[str | None] = mapped_column(String(32))          # what it was taken before, if automatic
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    fuel: Mapped[dict[str, Any]] = mapped_column(default=dict)       # the environment and nodes as Fuel saw them

    vms: Mapped[list["LabSnapshotVm"]] = relationship(back_populates="snapshot", order_by="LabSnapshotVm.id",
                                                      cascade="all, delete-orphan")


class LabSnapshotVm(Base):
    """One VM's snapshot in a set: the snapshot's moref, the power state and memory it was taken with."""

    __tablename__ = "lab_snapshot_vms"
    __table_args__ = (UniqueConstraint("snapshot_id", "vm_name", name="uq_lab_snapshot_vms_snapshot_vm"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("lab_snapshots.id", ondelete="CASCADE"), index=True)
    vm_name: Mapped[str] = mapped_column(String(80))
    vm_moid: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))                    # node | master
    power_state: Mapped[str] = mapped_column(String(16))             # as it was when taken
    memory: Mapped[bool] = mapped_column(Boolean, default=False)
    snapshot_moref: Mapped[str | None] = mapped_column(String(64))   # None until vCenter answered
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    taken_at: Mapped[datetime | None]

    snapshot: Mapped[LabSnapshot] = relationship(back_populates="vms")
