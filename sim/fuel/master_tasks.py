"""vCenter's tasks on the master's VM that touch its disk: snapshots taken, reverts, removals.

The discovery watcher follows vCenter's ``TaskManager.recentTask`` (the list vCenter's own task
pane shows) through its property collector, and hands every task it sees here. A task that
succeeded on the master's VM, or on one of its snapshots, moves the master's disk
(:mod:`sim.fuel.master_disk`):

- ``VirtualMachine.createSnapshot`` on the master VM: its result is the new snapshot; keep a copy.
- a revert (the snapshot's ``RevertToSnapshot_Task``, filed under the VM or, by plain vcsim, under
  the snapshot, or the VM's ``RevertToCurrentSnapshot_Task``; the identifiers vary, all are
  accepted): the VM's ``snapshot.currentSnapshot`` is now the one reverted to; restore its copy.
- a removal: that snapshot's copy is dropped once the snapshot is gone.

Watching tasks, not the ``snapshot`` property: a revert to the current snapshot (the usual
"snapshot, break it, roll back") changes no property of the VM, only a task says it happened.
Tasks that had ended before the watcher (re)connected are history, not news: they are skipped.
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


def recent_tasks_spec(task_manager: Any) -> Any:
    """Every task in ``recentTask``, with the fields that say what it did to what."""
    return PC.FilterSpec(
        objectSet=[PC.ObjectSpec(obj=task_manager, skip=True,
                                 selectSet=[PC.TraversalSpec(type=vim.TaskManager, path="recentTask")])],
        propSet=[PC.PropertySpec(type=vim.Task, pathSet=TASK_PATHS)])


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


def new_tasks(collector: Any, task_manager: Any, known: set[str]) -> dict[str, dict[str, Any]]:
    """The tasks in ``recentTask`` not in ``known``, with :data:`TASK_PATHS`, read now."""
    spec = PC.FilterSpec(objectSet=[PC.ObjectSpec(obj=task_manager)],
                         propSet=[PC.PropertySpec(type=vim.TaskManager, pathSet=["recentTask"])])
    result = collector.RetrievePropertiesEx([spec], PC.RetrieveOptions())
    refs = [t for obj in (result.objects if result else []) for p in obj.propSet for t in p.val or []]
    fresh = [t for t in refs if t._moId not in known]
    if not fresh:
        return {}
    spec = PC.FilterSpec(objectSet=[PC.ObjectSpec(obj=t) for t in fresh],
                         propSet=[PC.PropertySpec(type=vim.Task, pathSet=TASK_PATHS)])
    try:
        result = collector.RetrievePropertiesEx([spec], PC.RetrieveOptions())
    except vmodl.fault.ManagedObjectNotFound:
        return {}
    return {obj.obj._moId: {p.name: p.val for p in obj.propSet} for obj in (result.objects if result else [])}


class MasterSnapshotTasks:
    """Turns finished snapshot tasks on the master's VM into the engine's disk events.

    Fed by the watcher's updates and, before each request to the master, by a direct read
    (:func:`new_tasks`): vcsim sends updates in batches a quarter of a second apart, and a disk
    must be kept as it was when the snapshot was taken, not as it is a moment later.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.lock = threading.RLock()
        self._tasks: dict[str, dict[str, Any]] = {}     # task moid -> props, while it is in recentTask
        self._handled: set[str] = set()
        self._snapshots: set[str] = set()               # the master's snapshots we kept a copy for

    def known(self) -> set[str]:
        with self.lock:
            return {m for m in self._tasks if m in self._handled}

    def connected(self) -> None:
        """A new connection: what it reports first is history."""
        with self.lock:
            self._tasks.clear()

    def changed(self, moid: str, changes: list[tuple[str, Any]], *, history: bool) -> None:
        with self.lock:
            props = self._tasks.setdefault(moid, {})
            props.update(changes)
            if history and props.get("info.state") in _FINAL:
                self._handled.add(moid)

    def gone(self, moid: str) -> None:
        with self.lock:
            self._tasks.pop(moid, None)
            self._handled.discard(moid)

    def read_now(self, collector: Any, task_manager: Any, stub: Any, master: str) -> None:
        """Read the tasks vCenter started since, and act on those that ended (before a request to the master)."""
        for moid, props in new_tasks(collector, task_manager, self.known()).items():
            self.changed(moid, list(props.items()), history=False)
        self.settle(master, lambda vm: read_snapshots(collector, vim.VirtualMachine(vm, stub)))

    def settle(self, master: str | None, read_snapshots: Callable[[str], tuple[str | None, set[str]]]) -> None:
        """Act on every task that ended since; ``read_snapshots(vm)``: the VM's current snapshot and all of them, now."""
        with self.lock:
            for moid, props in list(self._tasks.items()):
                if moid in self._handled or props.get("info.state") not in _FINAL:
                    continue
                self._handled.add(moid)
                if props["info.state"] == "success" and master is not None:
                    self._act(props, master, read_snapshots)

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
