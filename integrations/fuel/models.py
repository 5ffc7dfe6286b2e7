"""Frozen values parsed from Nailgun and OSTF JSON.

Every ``from_json`` reads only the fields fuelbot uses and ignores the rest, so that the
extra fields of later Fuel releases (and the ones 6.0 sends that we do not care about) never
break parsing. Status strings become enums here (see ``enums``). Network configuration and
settings stay dicts: fuelbot edits and sends them back whole, and modelling every key would
only lose the ones we did not model.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from integrations.fuel.enums import (ClusterStatus, Mode, NetProvider, NodeErrorType, NodeStatus,
                                     TaskName, TaskStatus)
from integrations.fuel.testruns import Test, TestRun, TestSet  # noqa: F401  (one place to import from)

ADMIN_NETWORK = "fuelweb_admin"


def _strs(values: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in values or ())


@dataclass(frozen=True)
class FuelVersion:
    """``GET /api/version``: the master's release and whether it wants a Keystone token."""

    release: str
    api: str
    auth_required: bool
    feature_groups: tuple[str, ...] = ()
    build_number: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "FuelVersion":
        return cls(release=str(data["release"]), api=str(data.get("api", "1.0")),
                   # 5.0 has no auth and no such key; absent means "no token needed"
                   auth_required=bool(data.get("auth_required", False)),
                   feature_groups=_strs(data.get("feature_groups")),
                   build_number=None if data.get("build_number") is None else str(data["build_number"]))


@dataclass(frozen=True)
class Release:
    """An OpenStack release the master can deploy (e.g. "Juno on CentOS 6.5", "2014.2-6.0")."""

    id: int
    name: str
    version: str
    operating_system: str = ""
    state: str = "available"  # 6.0: not_available|downloading|error|available; 6.1+ differs
    roles: tuple[str, ...] = ()
    modes: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Release":
        return cls(id=int(data["id"]), name=str(data["name"]), version=str(data.get("version", "")),
                   operating_system=str(data.get("operating_system") or ""),
                   state=str(data.get("state") or "available"), roles=_strs(data.get("roles")),
                   modes=tuple(sorted(data.get("modes_metadata") or ())))


@dataclass(frozen=True)
class PendingChange:
    """One entry of a cluster's ``changes``: what "Deploy changes" would push."""

    name: str                # attributes | networks | disks | interfaces
    node_id: int | None = None


@dataclass(frozen=True)
class Cluster:
    """An OpenStack environment."""

    id: int
    name: str
    status: ClusterStatus
    mode: Mode
    net_provider: NetProvider
    release_id: int | None = None
    pending_release_id: int | None = None
    is_customized: bool = False
    fuel_version: str | None = None
    changes: tuple[PendingChange, ...] = ()

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Cluster":
        changes = tuple(PendingChange(name=str(c.get("name")), node_id=c.get("node_id"))
                        for c in data.get("changes") or () if isinstance(c, Mapping))
        release = data.get("release_id", data.get("release"))
        return cls(id=int(data["id"]), name=str(data["name"]),
                   status=ClusterStatus.parse(data.get("status")) or ClusterStatus.UNKNOWN,
                   mode=Mode.parse(data.get("mode")) or Mode.UNKNOWN,
                   net_provider=NetProvider.parse(data.get("net_provider")) or NetProvider.UNKNOWN,
                   release_id=None if release is None else int(release),
                   pending_release_id=data.get("pending_release_id"),
                   is_customized=bool(data.get("is_customized", False)),
                   fuel_version=data.get("fuel_version"), changes=changes)


@dataclass(frozen=True)
class NicInfo:
    """A NIC as the node agent reported it (``meta.interfaces``)."""

    name: str
    mac: str
    ip: str | None = None
    netmask: str | None = None
    state: str | None = None
    max_speed: int | None = None
    current_speed: int | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "NicInfo":
        return cls(name=str(data.get("name", "")), mac=str(data.get("mac", "")).lower(),
                   ip=data.get("ip"), netmask=data.get("netmask"), state=data.get("state"),
                   max_speed=data.get("max_speed"), current_speed=data.get("current_speed"))


@dataclass(frozen=True)
class Node:
    """A machine Fuel knows: discovered, in an environment, or deployed."""

    id: int
    name: str
    mac: str
    status: NodeStatus
    online: bool
    progress: int = 0
    error_type: NodeErrorType | None = None
    cluster: int | None = None
    ip: str | None = None
    fqdn: str | None = None
    roles: tuple[str, ...] = ()
    pending_roles: tuple[str, ...] = ()
    pending_addition: bool = False
    pending_deletion: bool = False
    interfaces: tuple[NicInfo, ...] = ()
    manufacturer: str | None = None
    platform_name: str | None = None
    os_platform: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Node":
        meta = data.get("meta") or {}
        return cls(id=int(data["id"]), name=str(data.get("name") or ""),
                   mac=str(data.get("mac") or "").lower(),
                   status=NodeStatus.parse(data.get("status")) or NodeStatus.UNKNOWN,
                   online=bool(data.get("online", False)), progress=int(data.get("progress") or 0),
                   error_type=NodeErrorType.parse(data.get("error_type")),
                   cluster=data.get("cluster", data.get("cluster_id")), ip=data.get("ip"),
                   fqdn=data.get("fqdn"), roles=_strs(data.get("roles")),
                   pending_roles=_strs(data.get("pending_roles")),
                   pending_addition=bool(data.get("pending_addition", False)),
                   pending_deletion=bool(data.get("pending_deletion", False)),
                   interfaces=tuple(NicInfo.from_json(i) for i in meta.get("interfaces") or ()
                                    if isinstance(i, Mapping)),
                   manufacturer=data.get("manufacturer"), platform_name=data.get("platform_name"),
                   os_platform=data.get("os_platform"))

    @property
    def all_roles(self) -> tuple[str, ...]:
        """Deployed and pending roles, as the UI shows them."""
        return self.roles + tuple(r for r in self.pending_roles if r not in self.roles)


@dataclass(frozen=True)
class Task:
    """A Nailgun task (deploy, provision, verify_networks …); ``result`` is kept as sent."""

    id: int
    name: TaskName
    status: TaskStatus
    progress: int = 0
    message: str | None = None
    cluster: int | None = None
    uuid: str | None = None
    result: Any = field(default=None, compare=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Task":
        return cls(id=int(data["id"]), name=TaskName.parse(data.get("name")) or TaskName.UNKNOWN,
                   status=TaskStatus.parse(data.get("status")) or TaskStatus.UNKNOWN,
                   progress=int(data.get("progress") or 0), message=data.get("message"),
                   cluster=data.get("cluster", data.get("cluster_id")), uuid=data.get("uuid"),
                   result=data.get("result"))

    @property
    def done(self) -> bool:
        """Whether the task reached ``ready`` or ``error``."""
        return self.status.final


@dataclass(frozen=True)
class NetworkGroup:
    """One network of an environment (``public``, ``management`` …) with the id NICs refer to."""

    id: int
    name: str
    cidr: str | None = None
    gateway: str | None = None
    vlan_start: int | None = None
    ip_ranges: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "NetworkGroup":
        return cls(id=int(data["id"]), name=str(data["name"]), cidr=data.get("cidr"),
                   gateway=data.get("gateway") or None, vlan_start=data.get("vlan_start"),
                   ip_ranges=tuple((str(r[0]), str(r[1])) for r in data.get("ip_ranges") or ()))


@dataclass(frozen=True)
class NetworkConfiguration:
    """A typed view of ``network_configuration``; ``raw`` is what Fuel sent, to edit and PUT back."""

    networks: tuple[NetworkGroup, ...]
    parameters: Mapping[str, Any] = field(default_factory=dict, compare=False)
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "NetworkConfiguration":
        return cls(networks=tuple(NetworkGroup.from_json(n) for n in data.get("networks") or ()),
                   parameters=dict(data.get("networking_parameters") or {}), raw=data)

    def network(self, name: str) -> NetworkGroup | None:
        return next((n for n in self.networks if n.name == name), None)


@dataclass(frozen=True)
class AssignedNetwork:
    """A network carried by an interface."""

    id: int
    name: str


@dataclass(frozen=True)
class Interface:
    """A node's NIC or bond and the networks it carries (``/api/nodes/<id>/interfaces``)."""

    name: str
    type: str = "ether"
    id: int | None = None
    mac: str | None = None
    state: str | None = None
    current_speed: int | None = None
    max_speed: int | None = None
    assigned_networks: tuple[AssignedNetwork, ...] = ()
    mode: str | None = None                    # bonds only
    slaves: tuple[str, ...] = ()               # bonds only

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Interface":
        return cls(name=str(data["name"]), type=str(data.get("type") or "ether"), id=data.get("id"),
                   mac=None if data.get("mac") is None else str(data["mac"]).lower(),
                   state=data.get("state"), current_speed=data.get("current_speed"),
                   max_speed=data.get("max_speed"),
                   assigned_networks=tuple(AssignedNetwork(id=int(n["id"]), name=str(n.get("name", "")))
                                           for n in data.get("assigned_networks") or ()),
                   mode=data.get("mode"),
                   slaves=tuple(str(s["name"] if isinstance(s, Mapping) else s)
                                for s in data.get("slaves") or ()))

    def to_json(self) -> dict[str, Any]:
        """The shape ``PUT /api/nodes/<id>/interfaces`` takes back."""
        out: dict[str, Any] = {"name": self.name, "type": self.type,
                               "assigned_networks": [{"id": n.id, "name": n.name}
                                                     for n in self.assigned_networks]}
        for key in ("id", "mac", "state", "current_speed", "max_speed", "mode"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.type == "bond":
            out["slaves"] = [{"name": s} for s in self.slaves]
        return out

    @property
    def network_names(self) -> tuple[str, ...]:
        return tuple(n.name for n in self.assigned_networks)


@dataclass(frozen=True)
class Notification:
    """A line of the UI's notification list."""

    id: int
    topic: str               # discover | done | error | warning | release
    message: str
    status: str = "unread"   # unread | read
    cluster: int | None = None
    node_id: int | None = None
    task_id: int | None = None
    time: str | None = None
    date: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Notification":
        return cls(id=int(data["id"]), topic=str(data.get("topic", "")),
                   message=str(data.get("message", "")), status=str(data.get("status", "unread")),
                   cluster=data.get("cluster"), node_id=data.get("node_id"),
                   task_id=data.get("task_id"), time=data.get("time"), date=data.get("date"))
