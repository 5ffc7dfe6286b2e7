"""vCenter's tasks on the master's VM that touch its disk: snapshots taken, reverts, removals.

The simulator reads vCenter's ``TaskManager.recentTask`` (the list vCenter's own task pane shows)
before it answers each request to the master, and its vSphere watcher reads it after each wait
for updates (at least once a second). A task that succeeded on the master's VM, or on one of its
snapshots, moves the master's disk (:mod:`sim.fuel.master_disk`):

- ``VirtualMachine.createSnapshot`` on the master VM: its result is the new snapshot; keep a copy.
- a revert (the snapshot's ``RevertToSnapshot_Task``, filed under the VM or, by plain vcsim, under
  the snapshot, or the VM's ``RevertToCurrentSnapshot_Task``; the identifiers vary, all are
  accepted): the VM's ``snapshot.currentSnapshot`` is now the one reverted to; restore its copy.
- a removal: the copies of snapshots no longer in the VM's tree are dropped.

Tasks, not the ``snapshot`` property: a revert to the current snapshot (the usual "snapshot, break
it, roll back") changes no property of the VM; only a task says it happened. Read before each
request, not followed through the watcher's updates: vcsim sends those a quarter of a second
apart, and a disk must be kept as it was when the snapshot was taken, not a moment later (the
client only goes on once the snapshot task ended, so its next request finds the task). Tasks that
had ended before the watcher (re)connected are history, not news: they are skipped.
"""
from __future__ import annotations

import threading
from typing import Any, Callable

from pyVmomi import vim, vmodl

from sim.fuel.engine import Engine

PC = vmodl.query.PropertyCollector
TASK_PATHS = ["info.state", "info.descriptionId", "info.entity", "info.result"]
_FINAL = ("success", "error")
_CREATE = ("VirtualMachine.createSnapshot",)
_REVERT = ("vm.Snapshot.revert", "VirtualMachineSnapshot.revert", "VirtualMachineSnapshot.revertToSnapshot",
           "VirtualMachine.revertToCurrentSnapshot", "VirtualMachine.revertSnapshot")
_REMOVE = ("vm.Snapshot.remove", "VirtualMachineSnapshot.remove", "VirtualMachineSnapshot.removeSnapshot",
           "VirtualMachine.removeAllSnapshots", "VirtualMachine.RemoveAllSnapshots")


def read_snapshots(collector: Any, vm: Any) -> tuple[str | None, set[str]]:
    """VM ``vm``'s current snapshot and every snapshot it has, read now (a VM without any has no property)."""
    spec = PC.FilterSpec(objectSet=[PC.ObjectSpec(obj=vm)],
                         propSet=[PC.PropertySpec(type=vim.VirtualMachine, pathSet=["snapshot"])])
    try:
        result = collector.RetrievePropertiesEx([spec], PC.RetrieveOptions())
    except vmodl.fault.ManagedObjectNotFound:
        return None, set()
    info = next((p.val for obj in (result.objects if result else []) for p in obj.propSet), None)
    if info is None:
        return None, set()
    found: set[str] = set()
    trees = list(info.rootSnapshotList or [])
    while trees:
        tree = trees.pop()
        found.add(tree.snapshot._moId)
        trees.extend(tree.childSnapshotList or [])
    return (info.currentSnapshot._moId if info.currentSnapshot is not None else None), found


def _moid(ref: Any) -> str | None:
    return getattr(ref, "_moId", None)


def recent_tasks(collector: Any, task_manager: Any, skip: set[str]) -> tuple[list[str], dict[str, dict[str, Any]]]:
    """The moids in ``recentTask`` (oldest first), and :data:`TASK_PATHS` of those not in ``skip``, read now."""
    spec = PC.FilterSpec(objectSet=[PC.ObjectSpec(obj=task_manager)],
                         propSet=[PC.PropertySpec(type=vim.TaskManager, pathSet=["recentTask"])])
    result = collector.RetrievePropertiesEx([spec], PC.RetrieveOptions())
    refs = [t for obj in (result.objects if result else []) for p in obj.propSet for t in p.val or []]
    fresh = [t for t in refs if t._moId not in skip]
    if not fresh:
        return [t._moId for t in refs], {}
    spec = PC.FilterSpec(objectSet=[PC.ObjectSpec(obj=t) for t in fresh],
                         propSet=[PC.PropertySpec(type=vim.Task, pathSet=TASK_PATHS)])
    try:
        result = collector.RetrievePropertiesEx([spec], PC.RetrieveOptions())
    except vmodl.fault.ManagedObjectNotFound:
        return [t._moId for t in refs], {}
    read = {obj.obj._moId: {p.name: p.val for p in obj.propSet} for obj in (result.objects if result else [])}
    return [t._moId for t in refs], read


class MasterSnapshotTasks:
    """Turns finished snapshot tasks on the master's VM into the engine's disk events (one reader at a time)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.lock = threading.Lock()
        self._ended: set[str] = set()                  # tasks in recentTask that ended and were seen
        self._snapshots: set[str] = set()              # the master's snapshots a copy is kept for

    def read_now(self, collector: Any, task_manager: Any, stub: Any, master: str | None, *,
                 history: bool = False) -> None:
        """Read the tasks vCenter listed since and act on those that ended on ``master``'s VM.

        ``history``: the first read of a connection; what ended is only noted. Without ``master``
        (not seen yet) nothing is read: the tasks wait for a read that knows it.
        """
        if master is None and not history:
            return
        with self.lock:
            listed, read = recent_tasks(collector, task_manager, self._ended)
            self._ended &= set(listed)
            for moid in listed:
                props = read.get(moid)
                if props is None or props.get("info.state") not in _FINAL:
                    continue                           # already seen, or still running: read again next time
                self._ended.add(moid)
                if not history and master is not None and props["info.state"] == "success":
                    self._act(props, master, lambda vm: read_snapshots(collector, vim.VirtualMachine(vm, stub)))

    def _act(self, props: dict[str, Any], master: str,
             read_snapshots: Callable[[str], tuple[str | None, set[str]]]) -> None:
        kind, entity = props.get("info.descriptionId"), _moid(props.get("info.entity"))
        on_master = entity == master or entity in self._snapshots
        if kind in _CREATE and entity == master and (taken := _moid(props.get("info.result"))):
            self._snapshots.add(taken)
            self.engine.master_snapshot_taken(taken)
        elif kind in _REVERT and on_master:
            current, _ = read_snapshots(master)
            if current is not None:
                self.engine.master_reverted(current)
        elif kind in _REMOVE and on_master:
            _, left = read_snapshots(master)
            self.engine.master_snapshots_removed(self._snapshots - left)
            self._snapshots &= left
