"""The records the simulated Nailgun keeps, and their 6.0 JSON shapes.

Only the fields Nailgun 6.0's serializers emit are rendered; bookkeeping the API never shows
(error_msg, timings, parents of subtasks) lives on the records but stays out of ``to_json``.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

NODE_STATUSES = ("discover", "provisioning", "provisioned", "deploying", "ready", "error")
CLUSTER_STATUSES = ("new", "deployment", "stopped", "operational", "error", "remove", "update",
                    "update_error")
OVS_BOND_MODES = ("active-backup", "balance-slb", "lacp-balance-tcp")


def is_id(value: Any) -> bool:
    """Ids are integers; JSON's ``true`` is an int to Python but not an id to Nailgun."""
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass
class Nic:
    """A physical interface of a node, with the network group ids assigned to it."""

    id: int
    name: str
    mac: str
    max_speed: int | None
    current_speed: int | None
    assigned: list[int] = field(default_factory=list)

    def to_json(self, network_names: dict[int, str]) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "type": "ether", "mac": self.mac, "state": "up",
                "current_speed": self.current_speed, "max_speed": self.max_speed,
                "assigned_networks": [{"id": n, "name": network_names.get(n, "")} for n in self.assigned]}


@dataclass
class Bond:
    """An OVS bond (6.0 supports only OVS bonds)."""

    name: str
    mode: str
    slaves: list[str]
    assigned: list[int] = field(default_factory=list)

    def to_json(self, network_names: dict[int, str]) -> dict[str, Any]:
        return {"name": self.name, "type": "bond", "mode": self.mode, "mac": None, "state": None,
                "slaves": [{"name": s} for s in self.slaves],
                "assigned_networks": [{"id": n, "name": network_names.get(n, "")} for n in self.assigned]}


@dataclass
class Node:
    """A machine Nailgun knows about (registered by its agent)."""

    id: int
    mac: str
    name: str
    ip: str | None
    meta: dict[str, Any]
    nics: list[Nic]
    status: str = "discover"
    online: bool = True
    progress: int = 0
    error_type: str | None = None
    error_msg: str | None = None
    cluster: int | None = None
    group_id: int | None = None
    roles: list[str] = field(default_factory=list)
    pending_roles: list[str] = field(default_factory=list)
    pending_addition: bool = False
    pending_deletion: bool = False
    fqdn: str | None = None
    manufacturer: str | None = None
    platform_name: str | None = None
    os_platform: str | None = "centos"
    kernel_params: str | None = None
    bonds: list[Bond] = field(default_factory=list)
    network_data: list[dict[str, Any]] = field(default_factory=list)
    agent_checksum: str | None = None
    disks: list[dict[str, Any]] | None = None   # user-edited volume layout, None = defaults

    @property
    def all_roles(self) -> list[str]:
        return self.roles + [r for r in self.pending_roles if r not in self.roles]

    @property
    def full_name(self) -> str:
        """Nailgun's ``Node.full_name``, used in pre-deployment check messages."""
        return f"{self.name} (id={self.id}, mac={self.mac})"

    @property
    def admin_nic(self) -> Nic | None:
        return next((n for n in self.nics if n.mac == self.mac), self.nics[0] if self.nics else None)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "name": self.name, "mac": self.mac, "ip": self.ip, "fqdn": self.fqdn,
            "status": self.status, "online": self.online, "progress": self.progress,
            "error_type": self.error_type, "cluster": self.cluster, "group_id": self.group_id,
            "roles": list(self.roles), "pending_roles": list(self.pending_roles),
            "pending_addition": self.pending_addition, "pending_deletion": self.pending_deletion,
            "manufacturer": self.manufacturer, "platform_name": self.platform_name,
            "os_platform": self.os_platform, "kernel_params": self.kernel_params,
            "meta": self.meta, "network_data": self.network_data,
        }


@dataclass
class NetworkGroup:
    """One network of a cluster (or the admin network, whose ``group_id`` is None)."""

    id: int
    name: str
    cidr: str | None
    gateway: str | None
    vlan_start: int | None
    ip_ranges: list[list[str]]
    meta: dict[str, Any]
    group_id: int | None
    release: int | None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "cidr": self.cidr, "gateway": self.gateway or "",
                "vlan_start": self.vlan_start, "ip_ranges": [list(r) for r in self.ip_ranges],
                "meta": self.meta, "group_id": self.group_id, "release": self.release}


@dataclass
class Cluster:
    """An OpenStack environment."""

    id: int
    name: str
    mode: str
    net_provider: str
    release_id: int
    status: str = "new"
    net_segment_type: str | None = None
    net_l23_provider: str = "ovs"
    pending_release_id: int | None = None
    grouping: str = "roles"
    is_customized: bool = False
    changes: list[dict[str, Any]] = field(default_factory=list)
    editable: dict[str, Any] = field(default_factory=dict)
    generated: dict[str, Any] = field(default_factory=dict)
    networks: list[NetworkGroup] = field(default_factory=list)
    networking_parameters: dict[str, Any] = field(default_factory=dict)
    vips: dict[str, str] = field(default_factory=dict)

    def add_change(self, name: str, node_id: int | None = None) -> None:
        change = {"name": name, "node_id": node_id}
        if change not in self.changes:
            self.changes.append(change)

    def to_json(self, fuel_version: str) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "mode": self.mode, "status": self.status,
                "net_provider": self.net_provider, "release_id": self.release_id,
                "pending_release_id": self.pending_release_id, "grouping": self.grouping,
                "is_customized": self.is_customized, "fuel_version": fuel_version,
                "changes": [dict(c) for c in self.changes]}


@dataclass
class Task:
    """A Nailgun task; subtasks are ordinary tasks with a (hidden) parent."""

    id: int
    name: str
    cluster: int | None
    status: str = "running"
    progress: int = 0
    message: str | None = None
    result: Any = field(default_factory=dict)
    parent: int | None = None
    weight: float = 1.0
    uuid: str = field(default_factory=lambda: str(uuid.uuid4()))

    def finish(self, status: str, message: str | None = None, result: Any = None) -> None:
        self.status, self.progress = status, 100
        if message is not None:
            self.message = message
        if result is not None:
            self.result = result

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "uuid": self.uuid, "name": self.name, "status": self.status,
                "progress": self.progress, "message": self.message, "cluster": self.cluster,
                "result": self.result}


@dataclass
class Notification:
    """An entry of the UI's notification bell."""

    id: int
    topic: str
    message: str
    when: datetime
    cluster: int | None = None
    node_id: int | None = None
    task_id: int | None = None
    status: str = "unread"

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "cluster": self.cluster, "topic": self.topic, "message": self.message,
                "status": self.status, "node_id": self.node_id, "task_id": self.task_id,
                "time": self.when.strftime("%H:%M:%S"), "date": self.when.strftime("%d-%m-%Y")}
