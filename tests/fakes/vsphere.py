"""``FakeVSphere``: a ``VSpherePort`` in memory, shaped like vcsim's default inventory.

One datacenter ``DC0``, a cluster ``DC0_C0`` of three hosts with ``vSwitch0`` on ``vmnic0``, the
datastore ``LocalDS_0`` and the distributed switch ``DVS0``. Preflight runs the same checks as
``VSphereClient`` (``integrations.vsphere.preflight``) on this inventory; MACs come from the same
``assign_macs``. Unlike vcsim (and like vCenter), a host port group is added to every host. The
VMs, their folders and what creates, deletes and adopts them are in ``tests/fakes/vsphere_vms.py``.
A VM with an ISO (the Fuel master) boots its CD-ROM first, connected at power-on, as
``vmspec.planned_boot_order`` makes it; what is typed at a console is kept in ``typed``.
"""
from __future__ import annotations

import itertools
import uuid
from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone

from core.errors import VSphereError
from integrations.vsphere import cluster_checks
from integrations.vsphere import preflight as checks
from integrations.vsphere.adoption import Adoption
from integrations.vsphere.info import (BootDevice, Change, DatastoreInfo, DistributedPortGroupInfo, FirewallRuleset,
                                       HostInfo, NicInfo, StandardPortGroupInfo, VMInfo, VSwitchInfo)
from integrations.vsphere.master_vm import MasterBoot
from integrations.vsphere.ownership import DestroyOutcome, OwnedVM, VMPlan, plan_vms
from integrations.vsphere.placement import DrsState, VMNeeds
from integrations.vsphere.portgroups import distributed_differences, standard_differences
from integrations.vsphere.preflight import Finding
from integrations.vsphere.provision import ProvisionReport
from integrations.vsphere.snapshots import Reverted, SnapshotInfo
from labspec.model import DistributedPortGroup, Lab, StandardPortGroup, VMSpec
from labspec.vcenter import DEFAULT_FOLDER
from tests.fakes import vsphere_vms
from tests.fakes.vsphere_vms import FakeVMs

GB = 1024 ** 3


@dataclass
class FakeHost:
    name: str
    memory_mb: int = 4095
    memory_used_mb: int = 1404
    vswitches: dict[str, tuple[str, ...]] = field(default_factory=lambda: {"vSwitch0": ("vmnic0",)})
    portgroups: dict[str, StandardPortGroupInfo] = field(default_factory=dict)
    firewall: tuple[FirewallRuleset, ...] = ()
    datastores: tuple[str, ...] = ()
    switches: tuple[str, ...] = ()
    connection_state: str = "connected"     # or "disconnected", as vcsim's -disconnected-host

    def info(self) -> HostInfo:
        return HostInfo(name=self.name, moid=f"host-{self.name}", connection_state=self.connection_state,
                        memory_mb=self.memory_mb, memory_used_mb=self.memory_used_mb,
                        vswitches=tuple(VSwitchInfo(name, uplinks, tuple(pg.name for pg in self.portgroups.values()
                                                                         if pg.vswitch == name))
                                        for name, uplinks in self.vswitches.items()),
                        portgroups=tuple(self.portgroups.values()), firewall=self.firewall,
                        datastores=self.datastores, networks=tuple(sorted(self.portgroups)),
                        switches=self.switches)


class FakeVSphere:
    """A vCenter in memory; ``calls`` counts every call by method name."""

    def __init__(self, *, datacenter: str = "DC0", cluster: str = "DC0_C0", datastore: str = "LocalDS_0",
                 switches: tuple[str, ...] = ("DVS0",), hosts: int = 3, free_gb: int = 227,
                 target: tuple[str, str, str] | None = None, folder: str | None = None) -> None:
        self.datacenter, self.cluster, self.datastore = datacenter, cluster, datastore
        self.target = target or (datacenter, cluster, datastore)   # what the client was pointed at
        self.switches = set(switches)
        self.hosts = [FakeHost(f"{cluster}_H{i}", datastores=(datastore,), switches=tuple(sorted(switches)))
                      for i in range(hosts)]
        for host in self.hosts:
            for name in ("VM Network", "Management Network"):
                host.portgroups[name] = StandardPortGroupInfo(host.name, name, "vSwitch0", 0, None)
        self.free = free_gb * GB
        self.drs = DrsState(enabled=True, behavior="fullyAutomated")   # vcsim's cluster, like the article's
        self.isos = {f"[{datastore}] iso/MirantisOpenStack-6.0.iso"}    # files on the datastore
        self.distributed: dict[str, DistributedPortGroupInfo] = {}
        self.folder = folder                                            # the spec's vcenter.folder
        self.vm_store = FakeVMs()
        self.vm_snapshots: dict[str, list[SnapshotInfo]] = {}
        self._snapshot_ids = itertools.count(1)      # vCenter never hands out a moref twice
        self.iso_connected: dict[str, bool] = {}      # VM → its ISO connected (now and at power-on), once changed
        self.typed: dict[str, list[str]] = {}
        self.typing = True                           # vCenter 6.5+ (PutUsbScanCodes)
        self.calls: Counter[str] = Counter()
        self.closed = False
        self.vcenter_uuid = "00000000-fake-4000-8000-00000000vc00"

    # -- arranging state as another vCenter user would -----------------------------------------
    @property
    def machines(self) -> dict[str, VMInfo]:
        """The VMs by name (of two VMs of one name in different folders, the later one)."""
        return {vm.info.name: vm.info for vm in self.vm_store.by_moid.values()}

    def add_vm(self, name: str, *, annotation: str = "", memory_mb: int = 1024, power_state: str = "poweredOff",
               macs: tuple[str, ...] = (), folder: str = "") -> VMInfo:
        """A VM made by someone else (by default in the datacenter's VM folder)."""
        return self.vm_store.add(VMInfo(name=name, moid="", power_state=power_state, memory_mb=memory_mb, cpus=1,
                                        annotation=annotation, boot_order=(), iso=None,
                                        nics=tuple(NicInfo(key=4000 + i, mac=m, network_name=None)
                                                   for i, m in enumerate(macs))), folder)

    def clone_vm(self, name: str, clone: str, *, folder: str | None = None) -> VMInfo:
        """A user's clone of VM ``name``: its notes (and owner marker) copied, a new moref and instance UUID."""
        (source,) = [v for v in self.vm_store.by_moid.values() if v.info.name == name]
        return self.vm_store.add(replace(source.info, name=clone, instance_uuid=str(uuid.uuid4()), nics=(),
                                         power_state="poweredOff"), source.folder if folder is None else folder)

    def delete_vm(self, name: str) -> None:
        """Someone deletes a VM (and so its snapshots) in the vSphere client."""
        vm = self.vm_store.one(name)
        assert vm is not None, name
        del self.vm_store.by_moid[vm.info.moid]
        self.vm_snapshots.pop(name, None)

    def set_notes(self, name: str, notes: str) -> None:
        """Someone edits a VM's notes (annotation) in the vSphere client."""
        vm = self.vm_store.one(name)
        assert vm is not None, name
        self.vm_store.update(replace(vm.info, annotation=notes))

    def set_promiscuous(self, name: str, value: bool) -> None:
        self.distributed[name] = replace(self.distributed[name], promiscuous=value)

    # -- the port ------------------------------------------------------------------------------
    def _use(self, method: str) -> None:
        if self.closed:
            raise VSphereError("this client is closed", obj=method, fix="open a new VSphereClient")
        self.calls[method] += 1

    def _placement_error(self) -> VSphereError | None:
        for kind, wanted, have in zip(("datacenter", "cluster", "datastore"), self.target,
                                      (self.datacenter, self.cluster, self.datastore)):
            if wanted != have:
                return VSphereError(f"{kind} {wanted!r} not found", obj=wanted,
                                    fix=f"set vcenter.{kind} to an existing {kind} in the lab spec")
        return None

    def preflight(self, lab: Lab) -> list[Finding]:
        self._use("preflight")
        error = self._placement_error()
        if error is not None:
            return [checks.target_finding(lab, error)]
        hosts = [h.info() for h in self.hosts]
        existing = [vm.info for vm in self.vm_store.by_moid.values()]
        names = {vm.name for vm in existing}
        master = lab.fuel.vm
        iso_found = (master.iso in self.isos) if master is not None and master.iso and master.name not in names \
            else None
        pxe_switch = next((p.switch for p in lab.networks.distributed if p.name == lab.networks.pxe), None)
        store = DatastoreInfo(name=self.datastore, moid=f"datastore-{self.datastore}", capacity=self.free,
                              free=self.free)
        # the same checks, in the same order, as integrations.vsphere.preflight.preflight
        return [*checks.check_distributed(lab, list(self.distributed.values()), self.switches),
                *checks.check_standard(lab, hosts, set(self.distributed)),
                *checks.check_vms(lab, existing),
                *cluster_checks.check_iso(lab, iso_found, names),
                *cluster_checks.check_drs(lab, self.drs),
                *cluster_checks.check_hosts(lab, hosts, pxe_switch),
                *cluster_checks.check_capacity(lab, existing, store, hosts),
                *cluster_checks.check_vsan(lab, [store]),
                *cluster_checks.check_vnc(hosts)]

    def distributed_portgroups(self) -> list[DistributedPortGroupInfo]:
        self._use("distributed_portgroups")
        return list(self.distributed.values())

    def standard_portgroups(self) -> list[StandardPortGroupInfo]:
        self._use("standard_portgroups")
        return [pg for host in self.hosts for pg in host.portgroups.values()]

    def _ensure_distributed(self, spec: DistributedPortGroup) -> Change:
        if spec.switch not in self.switches:
            raise VSphereError(f"distributed switch {spec.switch!r} not found in datacenter {self.datacenter}",
                               obj=spec.switch, fix="create the switch in vCenter")
        wanted = DistributedPortGroupInfo(name=spec.name, moid=f"dvportgroup-{spec.name}", key=spec.name,
                                          switch=spec.switch, vlan=spec.vlan, trunk=(), promiscuous=spec.promiscuous)
        current = self.distributed.get(spec.name)
        self.distributed[spec.name] = wanted
        if current is None:
            return Change(obj=spec.name, kind="distributed-portgroup", action="created",
                          details=(f"vlan {spec.vlan}", f"promiscuous {'on' if spec.promiscuous else 'off'}"))
        diffs = distributed_differences(spec, current)
        return Change(obj=spec.name, kind="distributed-portgroup", action="updated" if diffs else "unchanged",
                      details=diffs)

    def _ensure_standard(self, spec: StandardPortGroup) -> Change:
        created, updated = [], []
        for host in self.hosts:
            if spec.vswitch not in host.vswitches:
                raise VSphereError(f"vSwitch {spec.vswitch!r} not found on host(s) {host.name}", obj=spec.vswitch)
            current = host.portgroups.get(spec.name)
            host.portgroups[spec.name] = StandardPortGroupInfo(host.name, spec.name, spec.vswitch, spec.vlan, None)
            if current is None:
                created.append(host.name)
            elif standard_differences(spec, current):
                updated.append(f"{host.name}: {', '.join(standard_differences(spec, current))}")
        if created:
            return Change(obj=spec.name, kind="standard-portgroup", action="created",
                          details=(f"on {', '.join(created)}", f"vswitch {spec.vswitch}", f"vlan {spec.vlan}")
                          + tuple(updated))
        return Change(obj=spec.name, kind="standard-portgroup", action="updated" if updated else "unchanged",
                      details=tuple(updated))

    def fix_portgroups(self, lab: Lab) -> list[Change]:
        self._use("fix_portgroups")
        return ([self._ensure_distributed(s) for s in lab.networks.distributed]
                + [self._ensure_standard(s) for s in lab.networks.standard])

    def vms(self) -> list[VMInfo]:
        self._use("vms")
        return [vm.info for vm in self.vm_store.by_moid.values()]

    def vm(self, name: str) -> VMInfo | None:
        self._use("vm")
        found = self.vm_store.one(name)
        return found.info if found is not None else None

    def lab_folder(self, lab: str) -> str:
        return self.folder or DEFAULT_FOLDER.format(lab=lab)

    def lab_vms(self, lab: str) -> list[VMInfo]:
        self._use("lab_vms")
        return self.vm_store.in_folder(self.lab_folder(lab))

    # -- what provisioning asks of the inventory (tests/fakes/vsphere_vms.py) ---------------------
    def check_networks(self, spec: VMSpec, lab: str) -> None:
        known = set(self.distributed) | {pg for h in self.hosts for pg in h.portgroups}
        for index, nic in enumerate(spec.nics):
            if nic.portgroup not in known:
                raise VSphereError(f"port group {nic.portgroup!r} for NIC {index + 1} of VM {spec.name} does not "
                                   "exist", obj=nic.portgroup, fix=f"`/fuel preflight {lab} --fix` creates the lab's "
                                   "port groups")

    def needs(self, spec: VMSpec) -> VMNeeds:
        iso_store = spec.iso[1:spec.iso.index("]")] if spec.iso and spec.iso.startswith("[") else None
        switches = {self.distributed[n.portgroup].switch for n in spec.nics if n.portgroup in self.distributed}
        return VMNeeds(datastores=tuple(dict.fromkeys(d for d in (self.datastore, iso_store) if d)),
                       switches=tuple(sorted(s for s in switches if s)),
                       standard=tuple(sorted({n.portgroup for n in spec.nics if n.portgroup not in self.distributed})))

    # -- VMs -----------------------------------------------------------------------------------------
    def ensure_vm(self, spec: VMSpec, *, lab: str) -> VMInfo:
        """The older by-name path (``vms.ensure``): in the lab's folder, left powered off."""
        self._use("ensure_vm")
        report = vsphere_vms.provision(self, lab, [spec], folder=self.lab_folder(lab), plans=None, power_on=False)
        report.raise_for_failures()
        return report.vms[0]

    @staticmethod
    def plan_vms(specs: Sequence[VMSpec]) -> list[VMPlan]:
        return plan_vms(specs)

    def provision(self, lab: Lab, plans: Mapping[str, VMPlan], *,
                  on_created: Callable[[OwnedVM], None] | None = None,
                  checkpoint: Callable[[], None] | None = None) -> ProvisionReport:
        self._use("provision")
        return vsphere_vms.provision(self, lab.name, [node.vm for node in lab.nodes], folder=self.lab_folder(lab.name),
                                     plans=plans, power_on=True, on_created=on_created, checkpoint=checkpoint)

    def destroy_owned(self, lab: str, records: Sequence[OwnedVM]) -> list[DestroyOutcome]:
        self._use("destroy_owned")
        return vsphere_vms.destroy_owned(self.vm_store, lab, records, folder=self.lab_folder(lab))

    def adopt_vms(self, lab: str, names: Sequence[str], *, recorded: Collection[str]) -> list[Adoption]:
        self._use("adopt_vms")
        return vsphere_vms.adopt(self.vm_store, lab, names, recorded=recorded, folder=self.lab_folder(lab),
                                 vcenter=self.vcenter_uuid)

    def power_on(self, name: str) -> VMInfo:
        self._use("power_on")
        vm = self.vm_store.one(name)
        if vm is None:
            raise VSphereError(f"VM {name!r} not found in datacenter {self.datacenter}", obj=name)
        return self.vm_store.update(replace(vm.info, power_state="poweredOn"))

    def power_off(self, name: str) -> VMInfo:
        self._use("power_off")
        return self._set_power(name, "poweredOff")

    def _vm(self, name: str) -> VMInfo:
        found = self.vm_store.one(name)
        if found is None:
            raise VSphereError(f"VM {name!r} not found in datacenter {self.datacenter}", obj=name)
        return found.info

    def _set_power(self, name: str, state: str) -> VMInfo:
        return self.vm_store.update(replace(self._vm(name), power_state=state))

    # Snapshots: sizes are 0, as vcsim reports them (it writes empty .vmsn files and no deltas).
    def snapshots(self, vm: str) -> list[SnapshotInfo]:
        self._use("snapshots")
        self._vm(vm)
        return list(self.vm_snapshots.get(vm, []))

    def create_snapshot(self, vm: str, *, name: str, description: str, memory: bool) -> SnapshotInfo:
        self._use("create_snapshot")
        running = self._vm(vm).power_state
        # vCenter: "When [memory is] FALSE, the power state of the snapshot is set to powered off".
        state = running if memory or running != "poweredOn" else "poweredOff"
        taken = SnapshotInfo(moref=f"snapshot-{next(self._snapshot_ids)}", name=name,
                             description=description, created=datetime.now(timezone.utc), power_state=state,
                             size_bytes=0, current=True)
        self.vm_snapshots[vm] = [replace(s, current=False) for s in self.vm_snapshots.get(vm, [])] + [taken]
        return taken

    def revert_snapshot(self, vm: str, snapshot: str, *, power_state: str) -> Reverted:
        self._use("revert_snapshot")
        held = self.vm_snapshots.get(vm, [])
        if snapshot not in {s.moref for s in held} or vm not in self.machines:
            raise VSphereError(f"VM {vm!r} has no snapshot {snapshot} (it was removed in vCenter?)", obj=vm)
        self.vm_snapshots[vm] = [replace(s, current=s.moref == snapshot) for s in held]
        # vCenter: the VM takes the snapshot's power state (off for one taken without memory).
        [taken] = [s for s in held if s.moref == snapshot]
        left_in = self._set_power(vm, taken.power_state).power_state
        return Reverted(vm=self._set_power(vm, power_state) if power_state != left_in else self._vm(vm),
                        left_in=left_in)

    def remove_snapshot(self, vm: str, snapshot: str) -> bool:
        self._use("remove_snapshot")
        held = self.vm_snapshots.get(vm, [])
        if snapshot not in {s.moref for s in held}:
            return False
        self.vm_snapshots[vm] = [s for s in held if s.moref != snapshot]
        return True

    def _master(self, name: str) -> VMInfo:
        found = self.vm_store.one(name)
        if found is None:
            raise VSphereError(f"no VM(s) named {name!r} in datacenter {self.datacenter}", obj=name,
                               fix="create the Fuel master with `/fuel deploy <lab>`")
        return found.info

    def master_boot(self, name: str) -> MasterBoot:
        self._use("master_boot")
        vm = self._master(name)
        connected = self.iso_connected.get(name, vm.iso is not None)   # a new VM's ISO connects at power-on
        order = tuple(b.kind for b in vm.boot_order)
        return MasterBoot(name=name, power_state=vm.power_state, iso=vm.iso, iso_connected=connected,
                          iso_at_power_on=connected, order=order, explicit_order=bool(order))

    def detach_master_iso(self, name: str) -> bool:
        self._use("detach_master_iso")
        vm = self._master(name)
        if not self.iso_connected.get(name, vm.iso is not None) and vm.boot_order[:1] \
                and vm.boot_order[0].kind == "disk":
            return False
        self.iso_connected[name] = False
        self.vm_store.update(replace(vm, boot_order=(BootDevice("disk", 2000), BootDevice("cdrom"))))
        return True

    def console_typing_supported(self) -> bool:
        self._use("console_typing_supported")
        return self.typing

    def type_at_console(self, name: str, text: str) -> int:
        self._use("type_at_console")
        if self._master(name).power_state != "poweredOn":
            raise VSphereError(f"cannot type at the console of {name}: it is not powered on", obj=name,
                               fix="power the VM on first")
        self.typed.setdefault(name, []).append(text)
        return len(text)

    def close(self) -> None:
        self.closed = True
