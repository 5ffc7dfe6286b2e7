"""``VSphereClient``: the one facade fuelbot's workflows use to read and shape a lab in vSphere.

It owns its session (log in once, re-login transparently, log out on close), counts SOAP calls
(``calls``) and raises nothing but :class:`core.errors.VSphereError`.
"""
from __future__ import annotations

import threading
from types import TracebackType

from pyVmomi import vim

from core.errors import VSphereError
from integrations.vsphere import inventory, portgroups, preflight, snapshots, vms
from integrations.vsphere.faults import guarded
from integrations.vsphere.info import (Change, DatastoreInfo, DistributedPortGroupInfo, HostInfo,
                                       StandardPortGroupInfo, VMInfo)
from integrations.vsphere.inventory import Placement
from integrations.vsphere.preflight import Finding
from integrations.vsphere.session import Session
from integrations.vsphere.snapshots import SnapshotInfo
from labspec.model import DistributedPortGroup, Lab, StandardPortGroup, VCenterTarget, VMSpec

_SIMULATOR_OPTION = "vcsim.server.url"   # vcsim adds this setting to its OptionManager; vCenter has none


class VSphereClient:
    """A logged-in vCenter client for one ``VCenterTarget`` (datacenter, cluster, datastore)."""

    def __init__(self, target: VCenterTarget, *, timeout: float = 60.0) -> None:
        self.target = target
        self.url = target.url
        self.user = target.user
        self._session = Session(target, timeout=timeout)
        self._lock = threading.Lock()
        self._state = "new"              # new → open → closed
        self._placement: tuple[int, Placement] | None = None
        self._simulator: bool | None = None

    @classmethod
    def connect(cls, target: VCenterTarget, *, timeout: float = 60.0) -> "VSphereClient":
        """Log in to ``target`` now (instead of on first use)."""
        client = cls(target, timeout=timeout)
        client.login()
        return client

    @guarded("logging in")
    def login(self) -> None:
        """Log in; called for you on first use."""
        with self._lock:
            if self._state == "closed":
                raise VSphereError(f"this client of {self.url} is closed", obj=self.url,
                                   fix="open a new VSphereClient")
            if self._state == "new":
                self._session.login()
                self._state = "open"

    def close(self) -> None:
        """Log out and drop connections; safe to call twice, never raises."""
        with self._lock:
            if self._state == "open":
                self._session.close()
            self._state = "closed"

    def __enter__(self) -> "VSphereClient":
        self.login()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"VSphereClient(url={self.url!r}, user={self.user!r}, state={self._state}, calls={self.calls})"

    @property
    def calls(self) -> int:
        """SOAP requests sent so far (logins and re-logins included)."""
        return self._session.calls

    def _ready(self) -> Placement:
        if self._state != "open":
            self.login()
        cached = self._placement
        if cached is not None and cached[0] == self._session.generation:
            return cached[1]
        placement = inventory.resolve_placement(self._session)
        self._placement = (self._session.generation, placement)
        return placement

    @property
    @guarded("checking for vcsim")
    def is_simulator(self) -> bool:
        """True when the server is govmomi's vcsim (which has a few known limits)."""
        if self._simulator is None:
            self._ready()
            try:
                self._simulator = bool(self._session.content.setting.QueryOptions(_SIMULATOR_OPTION))
            except (vim.fault.InvalidName, vim.fault.NoPermission):  # vCenter: no such setting, or not ours to read
                self._simulator = False
        return self._simulator

    # Inventory -------------------------------------------------------------------------------------
    @guarded("reading datastores")
    def datastores(self) -> list[DatastoreInfo]:
        """Every datastore of the target datacenter."""
        return inventory.datastores(self._session, self._ready())

    @guarded("reading hosts")
    def hosts(self) -> list[HostInfo]:
        """The target cluster's hosts, with vSwitches, uplinks, port groups and firewall."""
        return inventory.hosts(self._session, self._ready())

    @guarded("reading distributed port groups")
    def distributed_portgroups(self) -> list[DistributedPortGroupInfo]:
        """Every distributed port group of the target datacenter."""
        return inventory.distributed_portgroups(self._session, self._ready())

    @guarded("reading standard port groups")
    def standard_portgroups(self) -> list[StandardPortGroupInfo]:
        """Every port group on the standard vSwitches of the cluster's hosts."""
        return [pg for host in inventory.hosts(self._session, self._ready()) for pg in host.portgroups]

    @guarded("reading VMs")
    def vms(self) -> list[VMInfo]:
        """Every VM of the target datacenter."""
        return vms.all_vms(self._session, self._ready())

    @guarded("reading a VM")
    def vm(self, name: str) -> VMInfo | None:
        """The VM called ``name``, or None."""
        return vms.find(self._session, self._ready(), name)

    @guarded("reading a VM's MACs")
    def vm_macs(self, name: str) -> tuple[str, ...]:
        """The MACs of the VM's NICs in NIC order."""
        info = vms.find(self._session, self._ready(), name)
        if info is None:
            raise VSphereError(f"VM {name!r} not found in datacenter {self.target.datacenter}", obj=name)
        return info.macs

    # Changes ---------------------------------------------------------------------------------------
    @guarded("ensuring a distributed port group")
    def ensure_distributed_portgroup(self, spec: DistributedPortGroup) -> Change:
        """Create or reconfigure a distributed port group to match ``spec``."""
        return portgroups.ensure_distributed(self._session, self._ready(), spec)

    @guarded("ensuring a standard port group")
    def ensure_standard_portgroup(self, spec: StandardPortGroup) -> Change:
        """Add or fix a port group on the standard vSwitch of every host of the cluster."""
        placement = self._ready()
        return portgroups.ensure_standard(self._session, placement, spec, simulator=self.is_simulator)

    @guarded("ensuring a VM")
    def ensure_vm(self, spec: VMSpec, *, lab: str) -> VMInfo:
        """Create the VM unless ``lab`` already owns one by that name; pool and datastore come from the target."""
        return vms.ensure(self._session, self._ready(), spec, lab=lab)

    @guarded("ensuring VMs")
    def ensure_vms(self, specs: list[VMSpec], *, lab: str) -> list[VMInfo]:
        """``ensure_vm`` for several VMs with one inventory read (a 100-node lab is 100 VMs)."""
        return vms.ensure_many(self._session, self._ready(), list(specs), lab=lab)

    @guarded("powering a VM on")
    def power_on(self, name: str) -> VMInfo:
        """Power the VM on (already on is fine)."""
        return vms.set_power(self._session, self._ready(), name, on=True)

    @guarded("powering a VM off")
    def power_off(self, name: str) -> VMInfo:
        """Power the VM off (already off is fine)."""
        return vms.set_power(self._session, self._ready(), name, on=False)

    @guarded("deleting a VM")
    def destroy_vm(self, name: str) -> bool:
        """Power off and delete a VM fuelbot created; False when it did not exist."""
        return vms.destroy(self._session, self._ready(), name)

    # Snapshots -------------------------------------------------------------------------------------
    @guarded("reading a VM's snapshots")
    def snapshots(self, vm: str) -> list[SnapshotInfo]:
        """Every snapshot of the VM, with the bytes each takes."""
        return snapshots.list_snapshots(self._session, self._ready(), vm)

    @guarded("taking a snapshot")
    def create_snapshot(self, vm: str, *, name: str, description: str, memory: bool) -> SnapshotInfo:
        """Snapshot the VM (``memory``: a running VM's memory too, so a revert resumes it running)."""
        return snapshots.create(self._session, self._ready(), vm, name=name, description=description, memory=memory)

    @guarded("reverting to a snapshot")
    def revert_snapshot(self, vm: str, snapshot: str, *, power_state: str) -> VMInfo:
        """Revert the VM to snapshot ``snapshot`` (a moref) and bring it to ``power_state``."""
        return snapshots.revert(self._session, self._ready(), vm, snapshot, power_state=power_state)

    @guarded("removing a snapshot")
    def remove_snapshot(self, vm: str, snapshot: str) -> bool:
        """Delete snapshot ``snapshot`` (a moref) of the VM, consolidating its disks; False when already gone."""
        return snapshots.remove(self._session, self._ready(), vm, snapshot)

    # Preflight -------------------------------------------------------------------------------------
    @guarded("running preflight")
    def preflight(self, lab: Lab) -> list[Finding]:
        """Check every pitfall of the article for ``lab``; see :mod:`integrations.vsphere.preflight`."""
        try:
            placement = self._ready()
        except VSphereError as err:
            if err.retryable:
                raise
            return [preflight.target_finding(lab, err)]
        return preflight.preflight(self._session, placement, lab, simulator=self.is_simulator)

    @guarded("fixing port groups")
    def fix_portgroups(self, lab: Lab) -> list[Change]:
        """Create or repair every port group the lab declares."""
        changes = [self.ensure_distributed_portgroup(spec) for spec in lab.networks.distributed]
        return changes + [self.ensure_standard_portgroup(spec) for spec in lab.networks.standard]
