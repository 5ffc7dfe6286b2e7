"""Frozen records of what fuelbot reads from vSphere, and of what it changed.

They carry names and plain values only (no pyvmomi objects), so they are safe to store in job
records, render in Slack and compare in tests.
"""
from __future__ import annotations

from dataclasses import dataclass

OWNER_PREFIX = "fuelbot lab="


def owner_annotation(lab: str) -> str:
    """The annotation that marks a VM as created by fuelbot for ``lab``."""
    return f"{OWNER_PREFIX}{lab}"


@dataclass(frozen=True)
class NicInfo:
    """One virtual NIC, in device-key order."""

    key: int
    mac: str
    network_name: str | None      # port group name; None when the backing points nowhere we know


@dataclass(frozen=True)
class BootDevice:
    """One entry of a VM's boot order."""

    kind: str                     # network | cdrom | disk | floppy
    device_key: int | None = None

    def __str__(self) -> str:
        return self.kind if self.device_key is None else f"{self.kind}:{self.device_key}"


@dataclass(frozen=True)
class VMInfo:
    """A virtual machine as fuelbot sees it."""

    name: str
    moid: str
    power_state: str              # poweredOn | poweredOff | suspended
    memory_mb: int
    cpus: int
    annotation: str
    nics: tuple[NicInfo, ...]
    boot_order: tuple[BootDevice, ...]
    iso: str | None               # datastore path of the ISO in the CD-ROM
    instance_uuid: str = ""       # config.instanceUuid: vCenter's identity of this VM

    @property
    def macs(self) -> tuple[str, ...]:
        return tuple(n.mac for n in self.nics)

    def owned_by(self, lab: str) -> bool:
        """True when fuelbot created this VM for ``lab``."""
        return owner_annotation(lab) in self.annotation.splitlines()


@dataclass(frozen=True)
class DistributedPortGroupInfo:
    """A port group of a distributed switch."""

    name: str
    moid: str
    key: str
    switch: str | None            # None when its switch is gone (an orphan)
    vlan: int | None              # None for a trunk or an unset VLAN policy
    trunk: tuple[tuple[int, int], ...]
    promiscuous: bool


@dataclass(frozen=True)
class StandardPortGroupInfo:
    """A port group on one host's standard vSwitch."""

    host: str
    name: str
    vswitch: str
    vlan: int
    promiscuous: bool | None      # None: inherited from the vSwitch


@dataclass(frozen=True)
class VSwitchInfo:
    """A host's standard vSwitch and its physical uplinks (``vmnic0``...)."""

    name: str
    uplinks: tuple[str, ...]
    portgroups: tuple[str, ...]


@dataclass(frozen=True)
class FirewallRule:
    """One port range of an ESXi firewall ruleset."""

    port: int
    end_port: int
    direction: str                # inbound | outbound
    protocol: str                 # tcp | udp


@dataclass(frozen=True)
class FirewallRuleset:
    """An ESXi firewall ruleset (``gdbserver``, ``sshServer``...)."""

    key: str
    label: str
    enabled: bool
    rules: tuple[FirewallRule, ...]


@dataclass(frozen=True)
class HostInfo:
    """An ESXi host of the lab's cluster."""

    name: str
    moid: str
    connection_state: str
    memory_mb: int
    memory_used_mb: int
    vswitches: tuple[VSwitchInfo, ...]
    portgroups: tuple[StandardPortGroupInfo, ...]
    firewall: tuple[FirewallRuleset, ...] | None   # None when the API does not expose it
    power_state: str = "poweredOn"
    maintenance: bool = False
    datastores: tuple[str, ...] = ()     # names of the datastores it mounts
    networks: tuple[str, ...] = ()       # names of the standard networks (host port groups) it has
    switches: tuple[str, ...] = ()       # names of the distributed switches it is a member of
    version: str = ""                    # ESXi version, e.g. 6.5.0

    @property
    def usable(self) -> bool:
        """Connected, powered on and not in maintenance mode: it can run the lab's VMs."""
        return self.connection_state == "connected" and self.power_state == "poweredOn" and not self.maintenance

    def state_text(self) -> str:
        """Why the host cannot run VMs ("disconnected", "in maintenance mode"), or "usable"."""
        if self.connection_state != "connected":
            return self.connection_state
        if self.power_state != "poweredOn":
            return self.power_state
        return "in maintenance mode" if self.maintenance else "usable"

    def vswitch(self, name: str) -> VSwitchInfo | None:
        return next((v for v in self.vswitches if v.name == name), None)

    def portgroup(self, name: str) -> StandardPortGroupInfo | None:
        return next((p for p in self.portgroups if p.name == name), None)


@dataclass(frozen=True)
class DatastoreInfo:
    """A datastore; sizes in bytes."""

    name: str
    moid: str
    capacity: int
    free: int
    accessible: bool = True
    kind: str = ""                # summary.type: VMFS, NFS, vsan, OTHER...


@dataclass(frozen=True)
class TeamingInfo:
    """A distributed port group's active uplinks, as its switch resolves them, and the switch's LAGs."""

    portgroup: str
    switch: str
    active: tuple[str, ...]
    lags: tuple[str, ...]


@dataclass(frozen=True)
class Change:
    """What an ``ensure_*`` call did: ``str()`` gives "created", "updated: vlan 0→3" or "unchanged"."""

    obj: str                      # the object's name, e.g. "pxe"
    kind: str                     # distributed-portgroup | standard-portgroup
    action: str                   # created | updated | unchanged
    details: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()   # limits met on the way (e.g. hosts vcsim refused), not changes

    @property
    def changed(self) -> bool:
        return self.action != "unchanged"

    def __str__(self) -> str:
        return f"{self.action}: {', '.join(self.details)}" if self.details else self.action

    def describe(self) -> str:
        """One line for a person: object, outcome and any notes."""
        text = f"{self.kind} `{self.obj}`: {self}"
        return f"{text} ({'; '.join(self.notes)})" if self.notes else text
