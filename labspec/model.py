"""The validated shape of a lab spec (``labs/<name>.yaml``).

Every other package reads labs through these frozen dataclasses only; the loader
(``labspec.loader``) is the one place that turns YAML into them. Secrets have already been
resolved from the environment and are ``repr=False``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, TypeVar
from urllib.parse import urlsplit

ROLES = ("controller", "compute", "cinder", "ceph-osd", "mongo", "zabbix-server")
RELEASES = {  # (name, version) as Fuel 6.0 lists them
    "Juno on CentOS 6.5": "2014.2-6.0",
    "Juno on Ubuntu 12.04.4": "2014.2-6.0",
}
FUEL_NETWORKS = ("fuelweb_admin", "public", "management", "storage", "fixed")
NIC_TYPES = ("vmxnet3", "e1000")   # vmxnet3: the CentOS 6 installer has its driver; e1000 for older images
ADMIN_DEFAULT = "admin"            # a fresh 6.0 master's UI/API password (fuelmenu settings.yaml FUEL_ACCESS)
ROOT_DEFAULT = "r00tme"            # a fresh 6.0 master's root password (fuel-main iso/ks.template)
T = TypeVar("T")


def draft(kind: Callable[..., T], /, **fields: object) -> T:
    """``kind(**fields)`` where a field that could not be read is None, whatever ``kind`` declares.

    The loader builds a lab this way so that the rules can look at every field that did read
    (None: unreadable, already reported); a draft with any problem never leaves ``labspec.loader``,
    so every ``Lab`` the rest of fuelbot sees is whole. The one place the types are loosened.
    """
    return kind(**fields)


@dataclass(frozen=True)
class VCenterTarget:
    """Where the lab lives in vSphere and how to log in."""

    url: str                       # e.g. https://vc.example.com/sdk or http://127.0.0.1:8989/sdk
    user: str
    password: str = field(repr=False)
    datacenter: str
    cluster: str
    datastore: str
    insecure: bool = False         # skip TLS verification (explicit switch)
    ca_file: str | None = None     # CA bundle to verify the vCenter certificate with
    folder: str | None = None      # the lab's VM folder under the datacenter's; None: fuelbot/<lab>
    resource_pool: str | None = None   # a pool under the cluster's root pool (e.g. labs/lab1); None: the root
    thumbprint: str | None = None  # pin vCenter's certificate by its SHA-256 (or SHA-1) fingerprint
    allow_http: bool = False       # plain http:// to a vCenter that is not on this machine, explicitly


@dataclass(frozen=True)
class DistributedPortGroup:
    """A port group on a distributed switch (the article's ``pxe``)."""

    name: str
    switch: str
    vlan: int = 0
    promiscuous: bool = False


@dataclass(frozen=True)
class StandardPortGroup:
    """A port group on a host's standard vSwitch (the article's ``br100``)."""

    name: str
    vswitch: str = "vSwitch0"
    uplink: str = "vmnic0"
    vlan: int = 0


@dataclass(frozen=True)
class VSphereNetworks:
    """The port groups the lab needs; ``pxe`` names the one nodes PXE-boot from."""

    pxe: str
    distributed: tuple[DistributedPortGroup, ...]
    standard: tuple[StandardPortGroup, ...]

    def names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.distributed) + tuple(p.name for p in self.standard)


@dataclass(frozen=True)
class Nic:
    """One virtual NIC, in spec order, and the Fuel networks it must carry."""

    portgroup: str
    fuel_networks: tuple[str, ...] = ()


@dataclass(frozen=True)
class VMSpec:
    """A virtual machine fuelbot creates (a node or the Fuel master)."""

    name: str
    cpus: int
    memory_mb: int
    disk_gb: int
    guest_id: str
    nics: tuple[Nic, ...]
    iso: str | None = None         # datastore path of an ISO to attach as CD-ROM (Fuel master)
    nic_type: str = "vmxnet3"      # one of NIC_TYPES, for every NIC of the VM
    pxe_portgroup: str | None = None   # the lab's PXE port group: the NIC on it is the boot NIC

    def boot_nic(self) -> int:
        """Index of the NIC the VM network-boots from: the one on the PXE port group (else the first)."""
        return next((i for i, nic in enumerate(self.nics) if nic.portgroup == self.pxe_portgroup), 0)


@dataclass(frozen=True)
class NodeSpec:
    """A lab node: its VM and the Fuel roles it gets."""

    vm: VMSpec
    roles: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.vm.name


@dataclass(frozen=True)
class MasterSetup:
    """How fuelbot installs and sets up the Fuel master it owns (``fuel.master_vm``).

    The defaults are Fuel 6.0's own (fuel-main ``iso/isolinux/isolinux.cfg``, fuelmenu's
    ``settings.yaml``). ``fuel.password`` is the ``admin`` password fuelbot sets on a fresh
    master (6.0 starts with ``admin``) and logs in with; ``root_password`` likewise for root
    (6.0 starts with ``r00tme``).
    """

    ip: str = "10.20.0.2"
    netmask: str = "255.255.255.0"
    gateway: str = "10.20.0.1"
    dns: tuple[str, ...] = ("10.20.0.1",)
    ntp: tuple[str, ...] = ("0.pool.ntp.org", "1.pool.ntp.org", "2.pool.ntp.org")
    hostname: str = "fuel.domain.tld"
    root_password: str = field(default=ROOT_DEFAULT, repr=False)
    feature_groups: tuple[str, ...] = ("mirantis",)
    ssh_port: int = 22


@dataclass(frozen=True)
class FuelMaster:
    """The Fuel master: its API endpoint, credentials and VM."""

    url: str                       # e.g. http://10.20.0.2:8000
    user: str
    password: str = field(repr=False)
    tenant: str = "admin"
    vm: VMSpec | None = None
    setup: MasterSetup | None = None   # with ``vm``: how fuelbot installs and secures the master
    allow_http: bool = False       # plain http:// to a master that is not on a lab (private) network, explicitly

    @property
    def host(self) -> str:
        """The master's address as ``url`` names it (its sshd listens there too)."""
        return urlsplit(self.url).hostname or ""


@dataclass(frozen=True)
class Network:
    """One Fuel network of the environment."""

    name: str                      # public | management | storage | fixed
    cidr: str
    vlan: int | None = None        # None = untagged
    gateway: str | None = None
    ip_range: tuple[str, str] | None = None


@dataclass(frozen=True)
class Settings:
    """The environment's Settings tab."""

    openstack_password: str = field(repr=False)
    public_key: str | None = None
    syslog_host: str | None = None
    syslog_port: int = 514
    syslog_transport: str = "tcp"
    glance_vcenter_datastore: str | None = None
    zabbix_password: str | None = field(default=None, repr=False)
    provisioning: str = "image"    # image | cobbler


@dataclass(frozen=True)
class Environment:
    """The OpenStack environment Fuel deploys."""

    name: str
    release: str                   # e.g. "Juno on CentOS 6.5"
    release_version: str           # e.g. "2014.2-6.0"
    mode: str                      # multinode | ha_compact
    compute: str                   # vcenter | kvm | qemu
    network_provider: str          # nova_network
    network_manager: str           # FlatDHCPManager | VlanManager
    volumes: str                   # cinder backend: lvm | vmdk | ceph | none
    images: str                    # glance backend: vcenter | ceph | file
    services: tuple[str, ...]      # enabled of: sahara, murano, ceilometer, heat
    settings: Settings
    networks: tuple[Network, ...]
    dns_servers: tuple[str, ...] = ("8.8.4.4", "8.8.8.8")
    floating_range: tuple[str, str] | None = None


LEASE_ON_EXPIRY = ("release", "power_off")
SNAPSHOT_BEFORE = ("scale_out", "reset")


@dataclass(frozen=True)
class LeasePolicy:
    """What happens to the lab when a lease of it runs out (``lease:`` in the spec)."""

    on_expiry: str = "release"     # release: the lab is free | power_off: its node VMs are powered off too


@dataclass(frozen=True)
class SnapshotPolicy:
    """Automatic whole-lab snapshots (``snapshots:`` in the spec)."""

    before: tuple[str, ...] = ()   # scale_out and/or reset: a snapshot set is taken first
    keep: int = 3                  # automatic sets kept per lab; older ones are removed


@dataclass(frozen=True)
class Lab:
    """A whole lab: vSphere target and networks, Fuel master, environment and nodes."""

    name: str
    source: str                    # the file it was read from
    vcenter: VCenterTarget
    networks: VSphereNetworks
    fuel: FuelMaster
    environment: Environment
    nodes: tuple[NodeSpec, ...]
    channel: str | None = None     # Slack channel id or name for scheduled posts
    oncall: str | None = None      # Slack mention for health alerts, e.g. <!subteam^S123>
    shared: bool = False           # destroy and rollback need a second person's approval
    lease: LeasePolicy = LeasePolicy()
    snapshots: SnapshotPolicy = SnapshotPolicy()

    def node(self, name: str) -> NodeSpec | None:
        return next((n for n in self.nodes if n.name == name), None)

    def secrets(self) -> tuple[str, ...]:
        values = [self.vcenter.password, self.fuel.password, self.environment.settings.openstack_password,
                  self.environment.settings.zabbix_password,
                  # 6.0's r00tme is public (fuel-main ks.template); only a chosen password is a secret
                  self.fuel.setup.root_password if self.fuel.setup and self.fuel.setup.root_password != ROOT_DEFAULT
                  else None]
        return tuple(v for v in values if v)
