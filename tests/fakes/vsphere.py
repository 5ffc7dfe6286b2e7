"""``FakeVSphere``: a ``VSpherePort`` in memory, shaped like vcsim's default inventory.

One datacenter ``DC0``, a cluster ``DC0_C0`` of three hosts with ``vSwitch0`` on ``vmnic0``, the
datastore ``LocalDS_0`` and the distributed switch ``DVS0``. Preflight runs the same checks as
``VSphereClient`` (``integrations.vsphere.preflight``) on this inventory; MACs come from the same
``assign_macs``. Unlike vcsim (and like vCenter), a host port group is added to every host.
A VM with an ISO (the Fuel master) boots its CD-ROM first, connected at power-on, as
``vmspec.planned_boot_order`` makes it; what is typed at a console is kept in ``typed``.
"""
from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone

from core.errors import VSphereError
from integrations.vsphere import cluster_checks
from integrations.vsphere import preflight as checks
from integrations.vsphere.info import (BootDevice, Change, DatastoreInfo, DistributedPortGroupInfo, FirewallRuleset,
                                       HostInfo, NicInfo, StandardPortGroupInfo, VMInfo, VSwitchInfo, owner_annotation)
from integrations.vsphere.macs import assign_macs
from integrations.vsphere.master_vm import MasterBoot
from integrations.vsphere.placement import DrsState
from integrations.vsphere.portgroups import distributed_differences, standard_differences
from integrations.vsphere.preflight import Finding
from integrations.vsphere.snapshots import SnapshotInfo
from labspec.model import DistributedPortGroup, Lab, StandardPortGroup, VMSpec

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

    def info(self) -> HostInfo:
        return HostInfo(name=self.name, moid=f"host-{self.name}", connection_state="connected",
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
                 target: tuple[str, str, str] | None = None) -> None:
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
        self.machines: dict[str, VMInfo] = {}
        self.vm_snapshots: dict[str, list[SnapshotInfo]] = {}
        self._morefs = itertools.count(1)   # vCenter never hands out a moref twice, even for a VM re-created
        self.iso_connected: dict[str, bool] = {}      # VM → its ISO connected (now and at power-on)
        self.typed: dict[str, list[str]] = {}
        self.typing = True                           # vCenter 6.5+ (PutUsbScanCodes)
        self.calls: Counter[str] = Counter()
        self.closed = False
        self.vcenter_uuid = "00000000-fake-4000-8000-00000000vc00"

    # -- arranging state as another vCenter user would -----------------------------------------
    def add_vm(self, name: str, *, annotation: str = "", memory_mb: int = 1024, power_state: str = "poweredOff",
               macs: tuple[str, ...] = ()) -> VMInfo:
        vm = VMInfo(name=name, moid=f"vm-{next(self._morefs)}", power_state=power_state, memory_mb=memory_mb,
                    cpus=1, annotation=annotation,
                    nics=tuple(NicInfo(key=4000 + i, mac=m, network_name=None) for i, m in enumerate(macs)),
                    boot_order=(), iso=None)
        self.machines[name] = vm
        return vm

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
        existing = list(self.machines.values())
        names = set(self.machines)
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
        return list(self.machines.values())

    def vm(self, name: str) -> VMInfo | None:
        self._use("vm")
        return self.machines.get(name)

    def _create(self, spec: VMSpec, lab: str) -> VMInfo:
        known = set(self.distributed) | {pg for h in self.hosts for pg in h.portgroups}
        for index, nic in enumerate(spec.nics):
            if nic.portgroup not in known:
                raise VSphereError(f"port group {nic.portgroup!r} for NIC {index + 1} of VM {spec.name} does not "
                                   "exist", obj=nic.portgroup, fix=f"`/fuel preflight {lab} --fix` creates the lab's "
                                   "port groups")
        taken = {m for vm in self.machines.values() for m in vm.macs}
        macs = assign_macs(lab, spec.name, len(spec.nics), taken=taken, vcenter=self.vcenter_uuid)
        nics = tuple(NicInfo(key=4000 + i, mac=mac, network_name=nic.portgroup)
                     for i, (mac, nic) in enumerate(zip(macs, spec.nics)))
        # as integrations.vsphere.vmspec.planned_boot_order: the ISO first, else the pxe NIC; the disk next
        first = BootDevice("cdrom") if spec.iso else (BootDevice("network", nics[spec.boot_nic()].key) if nics else None)
        boot = ((first,) if first else ()) + (BootDevice("disk", 2000),)
        if spec.iso:
            self.iso_connected[spec.name] = True
        vm = VMInfo(name=spec.name, moid=f"vm-{next(self._morefs)}", power_state="poweredOff",
                    memory_mb=spec.memory_mb, cpus=spec.cpus, annotation=owner_annotation(lab), nics=nics,
                    boot_order=boot, iso=spec.iso)
        self.machines[spec.name] = vm
        return vm

    def ensure_vm(self, spec: VMSpec, *, lab: str) -> VMInfo:
        return self.ensure_vms([spec], lab=lab)[0]

    def ensure_vms(self, specs: list[VMSpec], *, lab: str) -> list[VMInfo]:
        self._use("ensure_vms")
        infos = []
        for spec in specs:
            existing = self.machines.get(spec.name)
            if existing is not None and not existing.owned_by(lab):
                raise VSphereError(f"a VM named {spec.name!r} already exists and fuelbot did not create it for "
                                   f"lab {lab}", obj=spec.name,
                                   fix="rename or remove that VM in vCenter, or rename the VM in the lab spec")
            infos.append(existing or self._create(spec, lab))
        return infos

    def power_on(self, name: str) -> VMInfo:
        self._use("power_on")
        if name not in self.machines:
            raise VSphereError(f"VM {name!r} not found in datacenter {self.datacenter}", obj=name)
        self.machines[name] = replace(self.machines[name], power_state="poweredOn")
        return self.machines[name]

    def power_off(self, name: str) -> VMInfo:
        self._use("power_off")
        return self._set_power(name, "poweredOff")

    def _vm(self, name: str) -> VMInfo:
        if name not in self.machines:
            raise VSphereError(f"VM {name!r} not found in datacenter {self.datacenter}", obj=name)
        return self.machines[name]

    def _set_power(self, name: str, state: str) -> VMInfo:
        self.machines[name] = replace(self._vm(name), power_state=state)
        return self.machines[name]

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
        taken = SnapshotInfo(moref=f"snapshot-{next(self._morefs)}", name=name,
                             description=description, created=datetime.now(timezone.utc), power_state=state,
                             size_bytes=0, current=True)
        self.vm_snapshots[vm] = [replace(s, current=False) for s in self.vm_snapshots.get(vm, [])] + [taken]
        return taken

    def revert_snapshot(self, vm: str, snapshot: str, *, power_state: str) -> VMInfo:
        self._use("revert_snapshot")
        held = self.vm_snapshots.get(vm, [])
        if snapshot not in {s.moref for s in held} or vm not in self.machines:
            raise VSphereError(f"VM {vm!r} has no snapshot {snapshot} (it was removed in vCenter?)", obj=vm)
        self.vm_snapshots[vm] = [replace(s, current=s.moref == snapshot) for s in held]
        return self._set_power(vm, power_state)

    def remove_snapshot(self, vm: str, snapshot: str) -> bool:
        self._use("remove_snapshot")
        held = self.vm_snapshots.get(vm, [])
        if snapshot not in {s.moref for s in held}:
            return False
        self.vm_snapshots[vm] = [s for s in held if s.moref != snapshot]
        return True

    def destroy_vm(self, name: str) -> bool:
        self._use("destroy_vm")
        vm = self.machines.get(name)
        if vm is None:
            return False
        if not any(line.startswith("fuelbot lab=") for line in vm.annotation.splitlines()):
            raise VSphereError(f"VM {name!r} was not created by fuelbot; refusing to delete it", obj=name,
                               fix="delete it in vCenter yourself if it really belongs to the lab")
        del self.machines[name]
        self.vm_snapshots.pop(name, None)
        return True

    def _master(self, name: str) -> VMInfo:
        if name not in self.machines:
            raise VSphereError(f"no VM(s) named {name!r} in datacenter {self.datacenter}", obj=name,
                               fix="create the Fuel master with `/fuel deploy <lab>`")
        return self.machines[name]

    def master_boot(self, name: str) -> MasterBoot:
        self._use("master_boot")
        vm = self._master(name)
        connected = self.iso_connected.get(name, False)
        order = tuple(b.kind for b in vm.boot_order)
        return MasterBoot(name=name, power_state=vm.power_state, iso=vm.iso, iso_connected=connected,
                          iso_at_power_on=connected, order=order, explicit_order=bool(order))

    def detach_master_iso(self, name: str) -> bool:
        self._use("detach_master_iso")
        vm = self._master(name)
        if not self.iso_connected.get(name) and vm.boot_order[:1] and vm.boot_order[0].kind == "disk":
            return False
        self.iso_connected[name] = False
        self.machines[name] = replace(vm, boot_order=(BootDevice("disk", 2000), BootDevice("cdrom")))
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
