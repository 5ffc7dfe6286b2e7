"""The master's disk across snapshots of its VM: what a revert brings back.

A real Fuel master keeps Nailgun's and OSTF's database, Keystone, its logs, the files under
``/etc`` and ``/var/backup`` on the disk of its VM; a snapshot of that VM freezes them, and a
revert puts them back, whatever happened since. The simulator holds all of that in memory, so it
keeps one deep copy per snapshot of the master VM, keyed by the snapshot's moref, and a revert
makes the copy the live state again (clusters, nodes, tasks, settings, notifications, test runs,
in-flight deployments, the master's files and passwords).

What stays live: the clock (time goes on), the machines behind the nodes (those are other VMs,
reverted or not on their own), the injected faults (the test's, not the master's), and the
master's own power and install state (:mod:`sim.fuel.master`, driven by its VM's properties).
Callers hold the state lock.
"""
from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.fuel.engine import Engine

# Never part of a copy: the master's SSH host key is regenerated lazily and is not copyable.
_UNCOPYABLE = frozenset({"_host_key"})


class MasterDisk:
    """Deep copies of the master's state, one per snapshot of its VM."""

    def __init__(self, engine: "Engine") -> None:
        self._engine = engine
        self._copies: dict[str, dict[str, dict[str, Any]]] = {}

    def _parts(self) -> dict[str, Any]:
        e = self._engine
        return {"state": e.state, "deployer": e.deployer, "operations": e.operations, "verifier": e.verifier,
                "ostf": e.ostf, "dumps": e.dumps, "host": e.host, "tokens": e.tokens}

    def _shared(self) -> dict[int, Any]:
        """Objects a copy refers to but never duplicates: the parts themselves and the live collaborators."""
        e = self._engine
        live = [e.config, e.clock, e.faults, e.machines, e.master, e.state.lock, *self._parts().values()]
        return {id(obj): obj for obj in live}

    def _copy(self, held: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        return copy.deepcopy(held, self._shared())

    def taken(self, snapshot: str) -> None:
        """The master VM was snapshotted: keep its disk as it is now under ``snapshot``."""
        held = {name: {k: v for k, v in vars(part).items() if k not in _UNCOPYABLE}
                for name, part in self._parts().items()}
        self._copies[snapshot] = self._copy(held)

    def reverted(self, snapshot: str) -> bool:
        """The master VM was reverted to ``snapshot``: its disk becomes that copy (False: none kept)."""
        held = self._copies.get(snapshot)
        if held is None:
            return False
        restored = self._copy(held)     # the same snapshot can be reverted to again later
        for name, part in self._parts().items():
            for key in [k for k in vars(part) if k not in _UNCOPYABLE and k not in restored[name]]:
                delattr(part, key)
            vars(part).update(restored[name])
        return True

    def removed(self, snapshots: set[str]) -> None:
        """Drop the copies of snapshots that no longer exist."""
        for snapshot in snapshots:
            self._copies.pop(snapshot, None)

    def held(self) -> list[str]:
        """The snapshot morefs a copy is kept for."""
        return sorted(self._copies)
