"""VM snapshots: take, list (with sizes), revert with the power state restored, remove.

What vCenter does, from the vSphere API reference (CreateSnapshot_Task, RevertToSnapshot_Task):

- ``memory=True`` dumps the running VM's memory into the snapshot; with ``memory=False`` "the
  power state of the snapshot is set to powered off". ``quiesce`` needs VMware Tools in the guest
  and is ignored without them; Fuel's nodes run none, so fuelbot never asks for it.
- A revert leaves the VM in the power state its snapshot holds: running for one taken running
  with memory (powered on "to reach the snapshot state"), off for one taken without memory or
  of a VM that was off, suspended for a suspended one (``suppressPowerOn`` would keep it off).

After the revert fuelbot brings the VM to the power state the caller recorded when the snapshot
was taken, where vCenter's revert did not (a running VM snapshotted without memory comes back
off: it is powered on, a cold boot), and says which power state the revert itself left it in.
Our vcsim reverts as vCenter does (sim/vcenter/strict_snapshot.go); plain vcsim 0.24 leaves
the power state as it was.

A VM without snapshots has no ``snapshot`` property; reading it as an attribute breaks the
connection on vcsim (reference/vcsim.md, TL;DR 1), so everything goes through ``retrieve``.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterator

from pyVmomi import vim

from core.errors import VSphereError
from integrations.vsphere import vms
from integrations.vsphere.collector import Row, retrieve, wait_for_task
from integrations.vsphere.info import VMInfo
from integrations.vsphere.inventory import Placement
from integrations.vsphere.session import Session

TASK_TIMEOUT = 1800.0        # a memory snapshot of a big VM, or a consolidation, takes minutes
_PATHS = ["name", "snapshot", "layoutEx"]
_DISK_FILES = ("diskDescriptor", "diskExtent")


@dataclass(frozen=True)
class SnapshotInfo:
    """One snapshot of a VM: its moref, name, when, the power state it holds, and the bytes it takes."""

    moref: str
    name: str
    description: str
    created: datetime
    power_state: str              # poweredOn (taken with memory) | poweredOff | suspended
    size_bytes: int
    current: bool                 # the VM runs on top of this one


@dataclass(frozen=True)
class Reverted:
    """A VM after a revert: as it is now, and the power state the revert itself left it in."""

    vm: VMInfo
    left_in: str

    @property
    def powered_after(self) -> bool:
        """The revert left the VM off and fuelbot powered it on (its snapshot held no memory: a cold boot)."""
        return self.left_in != "poweredOn" and self.vm.power_state == "poweredOn"


def _vm_row(session: Session, placement: Placement, name: str) -> Row:
    rows = [r for r in retrieve(session, {vim.VirtualMachine: _PATHS}, root=placement.datacenter)
            if r.get("name") == name]
    if not rows:
        raise VSphereError(f"VM {name!r} not found in datacenter {session.target.datacenter}", obj=name,
                           fix="check the lab's VMs with `/fuel nodes <lab>`")
    if len(rows) > 1:
        raise VSphereError(f"{len(rows)} VMs are named {name!r}", obj=name,
                           fix="rename or delete the extra VMs in vCenter; fuelbot needs unique names")
    return rows[0]


def _walk(trees: Any, parent: str | None = None) -> Iterator[tuple[Any, str | None]]:
    for tree in trees or ():
        yield tree, parent
        yield from _walk(tree.childSnapshotList, tree.snapshot._moId)


def _read(row: Row) -> list[tuple[SnapshotInfo, Any]]:
    info = row.get("snapshot")
    if info is None:
        return []
    current = info.currentSnapshot._moId if info.currentSnapshot is not None else None
    layout = row.get("layoutEx")
    found = []
    for tree, parent in _walk(info.rootSnapshotList):
        moref = tree.snapshot._moId
        size = snapshot_size(moref, parent, layout, is_current=moref == current) if layout is not None else 0
        found.append((SnapshotInfo(moref=moref, name=tree.name, description=tree.description or "",
                                   created=tree.createTime, power_state=str(tree.state), size_bytes=size,
                                   current=moref == current), tree.snapshot))
    return found


def snapshot_size(moref: str, parent: str | None, layout: Any, *, is_current: bool) -> int:
    """Bytes a snapshot takes: govmomi's ``object.SnapshotSize`` (govc snapshot.tree -s), plus its memory file.

    Its .vmsn state file, its memory file (a memory snapshot) and the delta disks that belong to it
    and not to its parent; for the current snapshot, also the deltas written on top of it since.
    """
    def disk_files(disks: Any) -> list[int]:
        return [key for disk in disks or () for unit in disk.chain or () for key in unit.fileKey or ()]

    files = {f.key: f for f in layout.file or ()}
    mine: list[int] = []
    parents: list[int] = []
    in_snapshots: list[int] = []
    for entry in layout.snapshot or ():
        chain = disk_files(entry.disk)
        in_snapshots += chain
        if entry.key._moId == moref:
            mine += [entry.dataKey, *chain] + ([entry.memoryKey] if entry.memoryKey is not None and entry.memoryKey >= 0 else [])
        elif parent is not None and entry.key._moId == parent:
            parents += chain
    mine = [key for key in mine if key not in parents]
    size = sum(files[key].size or 0 for key in mine
               if key in files and (parent is not None or files[key].type not in _DISK_FILES))
    if is_current:
        size += sum(files[key].size or 0 for key in disk_files(layout.disk) if key not in in_snapshots and key in files)
    return size


def list_snapshots(session: Session, placement: Placement, vm: str) -> list[SnapshotInfo]:
    """Every snapshot of VM ``vm``, oldest first along each branch."""
    return [info for info, _ in _read(_vm_row(session, placement, vm))]


def create(session: Session, placement: Placement, vm: str, *, name: str, description: str,
           memory: bool) -> SnapshotInfo:
    """Take a snapshot of ``vm`` (``memory``: of a running VM's memory too, so a revert resumes it)."""
    row = _vm_row(session, placement, vm)
    task = row.obj.CreateSnapshot_Task(name=name, description=description, memory=memory, quiesce=False)
    snapshot = wait_for_task(session, task, timeout=TASK_TIMEOUT, what=f"snapshotting VM {vm}")
    taken = next((info for info, _ in _read(_vm_row(session, placement, vm)) if info.moref == snapshot._moId), None)
    if taken is None:
        raise VSphereError(f"vCenter took snapshot {snapshot._moId} of VM {vm!r} but does not list it", obj=vm,
                           retryable=True)
    return taken


def _snapshot(session: Session, placement: Placement, vm: str, moref: str) -> Any:
    for info, obj in _read(_vm_row(session, placement, vm)):
        if info.moref == moref:
            return obj
    raise VSphereError(f"VM {vm!r} has no snapshot {moref} (it was removed in vCenter?)", obj=vm,
                       fix=f"list the VM's snapshots in vCenter; `/fuel snapshots <lab>` shows what fuelbot recorded")


def revert(session: Session, placement: Placement, vm: str, moref: str, *, power_state: str) -> Reverted:
    """Revert ``vm`` to snapshot ``moref``, then bring it to ``power_state`` (the state it was taken in)."""
    snapshot = _snapshot(session, placement, vm, moref)
    wait_for_task(session, snapshot.RevertToSnapshot_Task(suppressPowerOn=False), timeout=TASK_TIMEOUT,
                  what=f"reverting VM {vm} to snapshot {moref}")
    info = vms.find(session, placement, vm)
    if info is None:
        raise VSphereError(f"VM {vm!r} disappeared while it was reverted to snapshot {moref}", obj=vm)
    left_in = info.power_state
    if power_state != left_in and power_state in ("poweredOn", "poweredOff"):
        info = vms.set_power(session, placement, vm, on=power_state == "poweredOn")
    return Reverted(vm=info, left_in=left_in)


def remove(session: Session, placement: Placement, vm: str, moref: str) -> bool:
    """Delete snapshot ``moref`` of ``vm`` (its children stay; disks are consolidated); False when gone."""
    try:
        snapshot = _snapshot(session, placement, vm, moref)
    except VSphereError:
        return False
    wait_for_task(session, snapshot.RemoveSnapshot_Task(removeChildren=False, consolidate=True),
                  timeout=TASK_TIMEOUT, what=f"removing snapshot {moref} of VM {vm}")
    return True
