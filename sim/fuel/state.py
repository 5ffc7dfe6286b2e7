"""The simulator's database: every record, the id sequences, and the one lock guarding them.

Every read or write of state happens with ``State.lock`` held (the HTTP layer, the ticker
thread and the vSphere watcher all take it), so the records need no locking of their own.
"""
from __future__ import annotations

import itertools
import threading
from collections import Counter
from datetime import datetime
from typing import Any, Callable, Iterator

from sim.fuel.errors import not_found
from sim.fuel.logbook import LogBook
from sim.fuel.records import Cluster, Node, Notification, Task

ADMIN_NETWORK_ID = 1
START_NOTIFICATION = ("Master node installation has been completed successfully. Now you can boot new "
                      "nodes over PXE, they will be discovered and become available for installing "
                      "OpenStack on them")


class State:
    """All mutable simulator state; reset in place by :meth:`clear`."""

    def __init__(self, wall_clock: Callable[[], datetime] = datetime.now) -> None:
        self.lock = threading.RLock()
        self._wall_clock = wall_clock
        # When a simulated instant happened on the wall clock (the engine sets its clock's).
        self.wall_time: Callable[[float], datetime] = lambda sim_time: wall_clock()
        self.clear()

    def clear(self) -> None:
        """Forget everything but the releases (which are fixtures, not state)."""
        self.clusters: dict[int, Cluster] = {}
        self.nodes: dict[int, Node] = {}
        self.tasks: dict[int, Task] = {}
        self.notifications: dict[int, Notification] = {}
        self.release_networks: dict[int, dict[str, Any]] = {}
        self.master_settings: dict[str, Any] = {"settings": {"statistics": {
            "send_anonymous_statistic": {"value": True}, "send_user_info": {"value": False}}}}
        self.deploy_counts: Counter[int] = Counter()
        self.request_counts: Counter[str] = Counter()
        self.logbook = LogBook()
        self.dump_files: dict[str, bytes] = {}     # /dump/<name>: finished diagnostic snapshots
        self._seq: dict[str, Iterator[int]] = {}
        self.notify("discover", START_NOTIFICATION)

    def next_id(self, kind: str) -> int:
        """The next id of ``kind`` (the admin network owns network id 1)."""
        if kind not in self._seq:
            self._seq[kind] = itertools.count(ADMIN_NETWORK_ID + 1 if kind == "network" else 1)
        return next(self._seq[kind])

    # ----- lookups that 404 the way Nailgun does -------------------------------------------------
    def cluster(self, cluster_id: int) -> Cluster:
        try:
            return self.clusters[cluster_id]
        except KeyError:
            raise not_found("Cluster") from None

    def node(self, node_id: int) -> Node:
        try:
            return self.nodes[node_id]
        except KeyError:
            raise not_found("Node") from None

    def task(self, task_id: int) -> Task:
        try:
            return self.tasks[task_id]
        except KeyError:
            raise not_found("Task") from None

    def notification(self, notification_id: int) -> Notification:
        try:
            return self.notifications[notification_id]
        except KeyError:
            raise not_found("Notification") from None

    def node_by_mac(self, mac: str) -> Node | None:
        mac = mac.lower()
        return next((n for n in self.nodes.values() if n.mac == mac), None)

    def node_by_any_mac(self, mac: str) -> Node | None:
        mac = mac.lower()
        return next((n for n in self.nodes.values() if n.mac == mac or any(i.mac == mac for i in n.nics)),
                    None)

    def cluster_nodes(self, cluster_id: int) -> list[Node]:
        return sorted((n for n in self.nodes.values() if n.cluster == cluster_id), key=lambda n: n.id)

    def cluster_tasks(self, cluster_id: int, *names: str) -> list[Task]:
        return sorted((t for t in self.tasks.values()
                       if t.cluster == cluster_id and (not names or t.name in names)), key=lambda t: t.id)

    def network_names(self) -> dict[int, str]:
        names = {ADMIN_NETWORK_ID: "fuelweb_admin"}
        for cluster in self.clusters.values():
            names.update((n.id, n.name) for n in cluster.networks)
        return names

    # ----- writes ---------------------------------------------------------------------------------
    def add_task(self, name: str, cluster: int | None, *, parent: int | None = None,
                 weight: float = 1.0, status: str = "running") -> Task:
        task = Task(id=self.next_id("task"), name=name, cluster=cluster, parent=parent, weight=weight,
                    status=status)
        self.tasks[task.id] = task
        return task

    def delete_task(self, task: Task) -> None:
        """Delete a task and its subtasks."""
        for sub in [t for t in self.tasks.values() if t.parent == task.id]:
            self.delete_task(sub)
        self.tasks.pop(task.id, None)

    def subtasks(self, task: Task) -> list[Task]:
        return sorted((t for t in self.tasks.values() if t.parent == task.id), key=lambda t: t.id)

    def notify(self, topic: str, message: str, *, cluster: int | None = None, node_id: int | None = None,
               task_id: int | None = None) -> Notification:
        note = Notification(id=self.next_id("notification"), topic=topic, message=message,
                            when=self._wall_clock(), cluster=cluster, node_id=node_id, task_id=task_id)
        self.notifications[note.id] = note
        self.log("app", "INFO" if topic != "error" else "ERROR", f"Notification [{topic}]: {message}")
        return note

    def log(self, source: str, level: str, text: str, *, at: float | None = None) -> None:
        """Append a line to a master log source (``app``, ``astute`` …) shown by ``GET /api/logs``."""
        when = self._wall_clock() if at is None else self.wall_time(at)
        self.logbook.write_master(source, level, text, when)

    def node_log(self, node: Node, source: str, level: str, text: str, *, at: float | None = None) -> None:
        """Append a line to a node's log, in the directory Nailgun reads for it now."""
        when = self._wall_clock() if at is None else self.wall_time(at)
        self.logbook.write_node(node_log_dir(node), source, level, text, when)


def node_log_dir(node: Node) -> str:
    """Nailgun 6.0 reads a discovered node's logs under its IP, any other node's under its FQDN."""
    return str(node.ip if node.status == "discover" or not node.fqdn else node.fqdn)
