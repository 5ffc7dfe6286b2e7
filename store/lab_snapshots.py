"""Whole-lab snapshot sets as recorded: find, list, create, and each VM's snapshot in a set.

A set's (lab, name) is unique, so two requests for one name cannot both create it. Every
function takes the caller's session and never commits.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from store.enums import SnapshotState
from store.models import LabSnapshot, LabSnapshotVm


@dataclass(frozen=True)
class SnapshotMember:
    """A VM to snapshot: its name, moref, role in the lab, and power state right now."""

    vm_name: str
    vm_moid: str
    role: str                  # node | master
    power_state: str


def find(session: Session, lab: str, name: str) -> LabSnapshot | None:
    return session.scalar(select(LabSnapshot).where(LabSnapshot.lab == lab, LabSnapshot.name == name))


def of_lab(session: Session, lab: str) -> list[LabSnapshot]:
    """The lab's sets, newest first."""
    return list(session.scalars(select(LabSnapshot).where(LabSnapshot.lab == lab)
                                .order_by(LabSnapshot.created_at.desc(), LabSnapshot.id.desc())))


def create(session: Session, *, lab: str, name: str, created_by: str, job_id: int | None, automatic: bool,
           trigger: str | None, members: list[SnapshotMember], fuel: dict[str, Any], now: datetime) -> LabSnapshot | None:
    """Record a new set being taken (None when the lab already has a set of that name)."""
    snapshot = LabSnapshot(lab=lab, name=name, state=SnapshotState.CREATING, automatic=automatic, trigger=trigger,
                           job_id=job_id, created_by=created_by, created_at=now, fuel=fuel,
                           vms=[LabSnapshotVm(vm_name=m.vm_name, vm_moid=m.vm_moid, role=m.role,
                                              power_state=m.power_state, memory=m.power_state == "poweredOn")
                                for m in members])
    try:
        with session.begin_nested():
            session.add(snapshot)
            session.flush()
    except IntegrityError:
        if find(session, lab, name) is not None:
            return None         # a concurrent request took the name
        raise
    return snapshot


def size_of(snapshot: LabSnapshot) -> int | None:
    """Bytes the set takes on the datastores; None while any member's size is unknown."""
    sizes = [vm.size_bytes for vm in snapshot.vms]
    return None if any(size is None for size in sizes) else sum(s for s in sizes if s is not None)
