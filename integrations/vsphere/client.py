"""``VSphereClient``: the one facade fuelbot's workflows use to read and shape a lab in vSphere.

It owns its session (log in once, re-login transparently, log out on close), or borrows one
kept open by :class:`~integrations.vsphere.pool.VSphereSessions`; counts SOAP calls (``calls``)
and raises nothing but :class:`core.errors.VSphereError`.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Mapping, Sequence
from types import TracebackType

from pyVmomi import vim

from core.errors import VSphereError
from integrations.vsphere import adoption, inventory, master_vm, ownership, portgroups, preflight, snapshots, vms
from integrations.vsphere.adoption import Adoption
from integrations.vsphere.collector import retrieve
from integrations.vsphere.faults import guarded
from integrations.vsphere.folders import find_folder, lab_folder_path
from integrations.vsphere.info import (Change, DatastoreInfo, DistributedPortGroupInfo, HostInfo,
                                       StandardPortGroupInfo, VMInfo)
from integrations.vsphere.inventory import VM_PATHS, Placement
from integrations.vsphere.master_vm import MasterBoot
from integrations.vsphere.ownership import DestroyOutcome, OwnedVM, VMPlan
from integrations.vsphere.preflight import Finding
from integrations.vsphere.provision import MAX_IN_FLIGHT, ProvisionReport, provision
from integrations.vsphere.session import Session
from integrations.vsphere.snapshots import Reverted, SnapshotInfo
from labspec.model import DistributedPortGroup, Lab, StandardPortGroup, VCenterTarget, VMSpec

_SIMULATOR_OPTION = "vcsim.server.url"   # vcsim adds this setting to its OptionManager; vCenter has none


class VSphereClient:
    """A logged-in vCenter client for one ``VCenterTarget`` (datacenter, cluster, datastore)."""

    def __init__(self, target: VCenterTarget, *, timeout: float = 60.0, session: Session | None = None) -> None:
        self.target = target
        self.url = target.url
        self.user = target.user
        self._owns_session = session is None
        self._session = session if session is not None else Session(target, timeout=timeout)
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
                if self._owns_session or not self._session.logged_in:
                    self._session.login()
                self._state = "open"

    def close(self) -> None:
        """Log out and drop connections; safe to call twice, never raises. A client on a kept session
        (``VSphereSessions``) stays open: its pool closes it."""
        with self._lock:
            if not self._owns_session:
                return
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
        placement = inventory.resolve_placement(self._session, self.target)
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

    @property
    @guarded("reading the vCenter's identity")
    def vcenter_uuid(self) -> str:
        """The vCenter's instance UUID (part of every MAC seed and ownership record)."""
        self._ready()
        return self._session.vcenter_uuid

    def lab_folder(self, lab: str) -> str:
        """The lab's VM folder path (the spec's ``vcenter.folder``, else ``fuelbot/<lab>``)."""
        return lab_folder_path(self.target, lab)

    @guarded("reading the lab's VMs")
    def lab_vms(self, lab: str) -> list[VMInfo]:
        """The VMs inside the lab's folder only (empty when the folder does not exist yet)."""
        placement = self._ready()
        folder = find_folder(self._session, placement, self.lab_folder(lab))
        if folder is None:
            return []
        rows = retrieve(self._session, {vim.VirtualMachine: list(VM_PATHS)}, root=folder)
        names = {p.key: p.name for p in inventory.distributed_portgroups(self._session, placement)}
        return [inventory.to_info(r, names) for r in rows]

    # Changes ---------------------------------------------------------------------------------------
    @guarded("ensuring a distributed port group")
    def ensure_distributed_portgroup(self, spec: DistributedPortGroup) -> Change:
        """Create or reconfigure a distributed port group to match ``spec``."""
        return portgroups.ensure_distributed(self._session, self._ready(), spec)

    @guarded("ensuring a standard port group")
    def ensure_standard_portgroup(self, spec: StandardPortGroup) -> Change:
        """Add or fix a port group on the standard vSwitch of every host of the cluster."""
        return portgroups.ensure_standard(self._session, self._ready(), spec)

    @guarded("ensuring a VM")
    def ensure_vm(self, spec: VMSpec, *, lab: str) -> VMInfo:
        """Create the VM unless ``lab`` already owns one by that name; pool and datastore come from the target."""
        return vms.ensure(self._session, self._ready(), self.target, spec, lab=lab)

    @staticmethod
    def plan_vms(specs: Sequence[VMSpec]) -> list[VMPlan]:
        """Fresh instance UUIDs for VMs about to be created: record them, then call :meth:`provision`."""
        return ownership.plan_vms(specs)

    @guarded("creating and powering on the lab's VMs")
    def provision(self, lab: Lab, plans: Mapping[str, VMPlan], *, specs: Sequence[VMSpec] | None = None,
                  power_on: bool = True, max_in_flight: int = MAX_IN_FLIGHT,
                  on_created: Callable[[OwnedVM], None] | None = None,
                  checkpoint: Callable[[], None] | None = None) -> ProvisionReport:
        """Create (in the lab's folder), boot-order and power on ``specs`` (default: the lab's nodes)
        with up to ``max_in_flight`` tasks at once; ``on_created`` hears of each VM as soon as it exists."""
        chosen = list(specs) if specs is not None else [node.vm for node in lab.nodes]
        return provision(self._session, self._ready(), self.target, chosen, lab=lab.name, declared=lab.networks,
                         plans=plans, power_on=power_on, size=max_in_flight, on_created=on_created,
                         checkpoint=checkpoint)

    @guarded("deleting the lab's VMs")
    def destroy_owned(self, lab: str, records: Sequence[OwnedVM], *,
                      max_in_flight: int = MAX_IN_FLIGHT) -> list[DestroyOutcome]:
        """Delete the recorded VMs that still match their records inside the lab's folder; never others."""
        return ownership.destroy_owned(self._session, self._ready(), list(records), lab=lab,
                                       folder_path=self.lab_folder(lab), size=max_in_flight)

    @guarded("adopting the lab's VMs")
    def adopt_vms(self, lab: str, names: Sequence[str], *, recorded: Collection[str]) -> list[Adoption]:
        """Move into the lab's folder the one unrecorded VM per name that carries the lab's owner marker
        (an older fuelbot's); never a VM whose moref is in ``recorded``. See :mod:`~integrations.vsphere.adoption`."""
        return adoption.adopt(self._session, self._ready(), lab=lab, names=list(names), recorded=set(recorded),
                              folder_path=self.lab_folder(lab))

    @guarded("powering a VM on")
    def power_on(self, name: str) -> VMInfo:
        """Power the VM on (already on is fine)."""
        return vms.set_power(self._session, self._ready(), name, on=True)

    @guarded("powering a VM off")
    def power_off(self, name: str) -> VMInfo:
        """Power the VM off (already off is fine)."""
        return vms.set_power(self._session, self._ready(), name, on=False)

    # The Fuel master's VM (see integrations.vsphere.master_vm) ----------------------------------
    @guarded("reading the Fuel master VM's boot devices")
    def master_boot(self, name: str) -> MasterBoot:
        """The master VM's ISO and boot order; ``problems()`` says what a power-on would do wrong."""
        placement = self._ready()
        return master_vm.read(self._session, master_vm.lookup(self._session, placement, name), name)

    @guarded("detaching the Fuel master's ISO")
    def detach_master_iso(self, name: str) -> bool:
        """Disconnect the ISO (now and at power-on), disk first; False when it already was."""
        placement = self._ready()
        return master_vm.detach_iso(self._session, master_vm.lookup(self._session, placement, name), name)

    @guarded("checking whether the vCenter can type at a console")
    def console_typing_supported(self) -> bool:
        """True on vCenter API 6.5 or later (``PutUsbScanCodes``)."""
        self._ready()
        return master_vm.typing_supported(self._session)

    @guarded("typing at a VM console")
    def type_at_console(self, name: str, text: str) -> int:
        """Type ``text`` (``\\t`` Tab, ``\\n`` Enter) at the VM's console; the keys vCenter took."""
        placement = self._ready()
        return master_vm.type_text(self._session, master_vm.lookup(self._session, placement, name), name, text)

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
    def revert_snapshot(self, vm: str, snapshot: str, *, power_state: str) -> Reverted:
        """Revert the VM to snapshot ``snapshot`` (a moref) and bring it to ``power_state`` where the revert did not."""
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
        return preflight.preflight(self._session, placement, lab)

    @guarded("fixing port groups")
    def fix_portgroups(self, lab: Lab) -> list[Change]:
        """Create or repair every port group the lab declares."""
        changes = [self.ensure_distributed_portgroup(spec) for spec in lab.networks.distributed]
        return changes + [self.ensure_standard_portgroup(spec) for spec in lab.networks.standard]
