"""The VMs of ``FakeVSphere``: where each one lives, and creating, deleting and adopting them as the
strict vcsim does (``integrations/vsphere/provision.py``, ``ownership.py``, ``adoption.py``).

Each VM has a moref never reused, an instance UUID, and a folder path under the datacenter's VM
folder ("" for that folder itself); names are unique per folder (DuplicateName), not per
datacenter. Placement (``integrations.vsphere.placement.choose``), MACs (``assign_macs``), the
duplicate-MAC check and destroy's refusals (``ownership.refusal``) are the real code.
``tests/integration/test_ports_contract.py`` holds each behaviour to vcsim's.
"""
from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from core.errors import VSphereError
from integrations.vsphere.adoption import ROOT_FOLDER, Adoption
from integrations.vsphere.info import BootDevice, NicInfo, VMInfo, owner_annotation
from integrations.vsphere.macs import assign_macs
from integrations.vsphere.macs_in_use import duplicate_problem
from integrations.vsphere.ownership import DestroyOutcome, OwnedVM, VMPlan, refusal
from integrations.vsphere.placement import choose
from integrations.vsphere.provision import ProvisionReport, VMFailure
from labspec.model import VMSpec

if TYPE_CHECKING:
    from tests.fakes.vsphere import FakeVSphere

DISK_KEY, NIC_KEY = 2000, 4000


@dataclass
class FakeVM:
    info: VMInfo
    folder: str


class FakeVMs:
    """The datacenter's VMs by moref."""

    def __init__(self) -> None:
        self.by_moid: dict[str, FakeVM] = {}
        self._ids = itertools.count(1)

    def add(self, info: VMInfo, folder: str) -> VMInfo:
        if any(v.info.name == info.name and v.folder == folder for v in self.by_moid.values()):
            raise VSphereError(f"vCenter at fake refused creating VM {info.name}: DuplicateName", obj=info.name)
        vm = replace(info, moid=f"vm-{next(self._ids)}", instance_uuid=info.instance_uuid or str(uuid.uuid4()))
        self.by_moid[vm.moid] = FakeVM(vm, folder)
        return vm

    def named(self, name: str) -> list[FakeVM]:
        return [v for v in self.by_moid.values() if v.info.name == name]

    def one(self, name: str) -> FakeVM | None:
        """The VM called ``name`` in the datacenter, as ``vms.find`` reads it (two are an error)."""
        found = self.named(name)
        if len(found) > 1:
            raise VSphereError(f"{len(found)} VMs are named {name!r} ({', '.join(v.info.moid for v in found)})",
                               obj=name, fix="rename or delete the extra VMs in vCenter; fuelbot needs unique names")
        return found[0] if found else None

    def in_folder(self, folder: str) -> list[VMInfo]:
        return [v.info for v in self.by_moid.values() if v.folder == folder]

    def update(self, info: VMInfo) -> VMInfo:
        self.by_moid[info.moid].info = info
        return info

    def mac_owners(self) -> dict[str, list[str]]:
        owners: dict[str, list[str]] = {}
        for vm in self.by_moid.values():
            for mac in vm.info.macs:
                owners.setdefault(mac.lower(), []).append(vm.info.name)
        return owners


def _create(fake: FakeVSphere, spec: VMSpec, *, lab: str, folder: str, instance_uuid: str,
            taken: set[str]) -> VMInfo:
    macs = assign_macs(lab, spec.name, len(spec.nics), taken=taken, vcenter=fake.vcenter_uuid)
    taken.update(macs)
    nics = tuple(NicInfo(key=NIC_KEY + i, mac=mac, network_name=nic.portgroup)
                 for i, (mac, nic) in enumerate(zip(macs, spec.nics)))
    # integrations.vsphere.vmspec.planned_boot_order: the ISO first for the master, else the pxe NIC
    first = (BootDevice("cdrom"),) if spec.iso else (BootDevice("network", nics[spec.boot_nic()].key),) if nics else ()
    return fake.vm_store.add(VMInfo(name=spec.name, moid="", power_state="poweredOff", memory_mb=spec.memory_mb,
                                    cpus=spec.cpus, annotation=owner_annotation(lab), nics=nics,
                                    boot_order=first + (BootDevice("disk", DISK_KEY),), iso=spec.iso,
                                    instance_uuid=instance_uuid), folder)


def _existing(store: FakeVMs, name: str, folder: str | None, lab: str) -> FakeVM | None:
    """``provision._existing``: in the lab's folder with plans, else anywhere in the datacenter."""
    if folder is None:
        return store.one(name)
    inside = [v for v in store.named(name) if v.folder == folder]
    if not inside:
        older = [v for v in store.named(name) if v.info.owned_by(lab)]
        if older:
            raise VSphereError(f"VM {name!r} of lab {lab} lives outside the lab's folder ({older[0].info.moid}); "
                               f"fuelbot has no record of it", obj=name,
                               fix=f"if it is the lab's, `/fuel adopt {lab}` takes it over into the lab's folder; "
                                   "otherwise delete it in vCenter and deploy again")
    return inside[0] if inside else None


def _not_ours(vm: VMInfo, lab: str, plan: VMPlan | None) -> str | None:
    if plan is not None:
        if vm.instance_uuid.lower() != plan.instance_uuid.lower():
            return (f"already exists in the lab's folder with instance UUID {vm.instance_uuid or 'none'}, not the one "
                    f"fuelbot recorded ({plan.instance_uuid}): fuelbot did not create it")
        return None
    return None if vm.owned_by(lab) else f"already exists and fuelbot did not create it for lab {lab}"


def provision(fake: FakeVSphere, lab: str, specs: Sequence[VMSpec], *, folder: str,
              plans: Mapping[str, VMPlan] | None, power_on: bool,
              on_created: Callable[[OwnedVM], None] | None = None,
              checkpoint: Callable[[], None] | None = None) -> ProvisionReport:
    """``integrations.vsphere.provision.provision`` on the fake's VMs."""
    store = fake.vm_store
    found: list[VMInfo | None] = []
    for spec in specs:
        plan = plans.get(spec.name) if plans is not None else None
        if plans is not None and plan is None:
            raise ValueError(f"no plan for VM {spec.name}: plan every VM before provisioning")
        existing = _existing(store, spec.name, folder if plans is not None else None, lab)
        if existing is not None and (problem := _not_ours(existing.info, lab, plan)):
            raise VSphereError(f"VM {spec.name!r} {problem}", obj=spec.name,
                               fix="rename or remove that VM in vCenter, or rename the VM in the lab spec")
        found.append(existing.info if existing is not None else None)
    todo = [spec for spec, vm in zip(specs, found) if vm is None]
    skipped: set[str] = set()
    taken = set(store.mac_owners())
    created: list[str] = []
    vms: dict[str, VMInfo] = {spec.name: vm for spec, vm in zip(specs, found) if vm is not None}
    for spec in todo:
        fake.check_networks(spec, lab)      # the networks are resolved first, then a host is chosen
        choice = choose([h.info() for h in fake.hosts], {f"host-{h.name}": h.name for h in fake.hosts},
                        fake.needs(spec), fake.drs, cluster=fake.cluster, vm=spec.name)
        skipped.update(choice.skipped)
        plan = plans.get(spec.name) if plans is not None else None
        vm = _create(fake, spec, lab=lab, folder=folder, taken=taken,
                     instance_uuid=plan.instance_uuid if plan else str(uuid.uuid4()))
        vms[spec.name] = vm
        created.append(spec.name)
        if on_created is not None:
            on_created(_owned(vm, lab, fake.vcenter_uuid, folder))
        if checkpoint is not None:
            checkpoint()
    failures = []
    if todo:   # after creation, every MAC of the batch unique across the vCenter
        owners = store.mac_owners()
        failures = [VMFailure(name, problem) for name, vm in vms.items()
                    if (problem := duplicate_problem(name, [m.lower() for m in vm.macs], owners))]
    failed = {f.name for f in failures}
    if power_on:
        for name, vm in vms.items():
            if name not in failed and vm.power_state != "poweredOn":
                vms[name] = store.update(replace(vm, power_state="poweredOn"))
    alive = [vms[s.name] for s in specs if s.name in vms]
    return ProvisionReport(vms=tuple(alive), owned=tuple(_owned(v, lab, fake.vcenter_uuid, folder) for v in alive),
                           created=tuple(created), skipped_hosts=tuple(sorted(skipped)), failures=tuple(failures))


def _owned(vm: VMInfo, lab: str, vcenter: str, folder: str) -> OwnedVM:
    return OwnedVM(lab=lab, name=vm.name, moid=vm.moid, instance_uuid=vm.instance_uuid, vcenter_uuid=vcenter,
                   folder=folder, macs=tuple(m.lower() for m in vm.macs))


def destroy_owned(store: FakeVMs, lab: str, records: Sequence[OwnedVM], *, folder: str) -> list[DestroyOutcome]:
    """``integrations.vsphere.ownership.destroy_owned`` on the fake's VMs."""
    inside = {vm.moid: vm for vm in store.in_folder(folder)}
    by_uuid = {vm.instance_uuid.lower(): vm.moid for vm in inside.values()}
    outcomes = []
    for record in records:
        moid = record.moid or by_uuid.get(record.instance_uuid.lower()) or f"planned:{record.name}"
        vm = inside.get(moid)
        if vm is None:
            outcomes.append(DestroyOutcome(record.name, moid, "gone", f"no VM {moid} in folder {folder}"))
            continue
        props = {"name": vm.name, "config.instanceUuid": vm.instance_uuid, "config.annotation": vm.annotation}
        reason = refusal(replace(record, moid=moid), props, lab)
        if reason is not None:
            outcomes.append(DestroyOutcome(record.name, moid, "refused", reason))
        else:
            del store.by_moid[moid]
            outcomes.append(DestroyOutcome(record.name, moid, "deleted"))
    return outcomes


def adopt(store: FakeVMs, lab: str, names: Sequence[str], *, recorded: Collection[str], folder: str,
          vcenter: str) -> list[Adoption]:
    """``integrations.vsphere.adoption.adopt`` on the fake's VMs."""
    def where(vm: FakeVM) -> str:
        return vm.folder or ROOT_FOLDER

    outcomes = []
    for name in names:
        marked = [v for v in store.named(name) if v.info.moid not in recorded and v.info.owned_by(lab)]
        if not marked:
            continue
        if len(marked) > 1:
            outcomes.append(Adoption.ambiguous(name, owner_annotation(lab), [f"{v.info.moid} in {where(v)}"
                                                                             for v in marked]))
            continue
        (vm,) = marked
        moved_from = ""
        if vm.folder != folder:
            other = next((v for v in store.named(name) if v.folder == folder), None)
            if other is not None:
                outcomes.append(Adoption.name_taken(name, folder=folder, holder=other.info.moid, moid=vm.info.moid,
                                                    stays_in=where(vm)))
                continue
            moved_from, vm.folder = where(vm), folder
        outcomes.append(Adoption(name, "adopted", owned=_owned(vm.info, lab, vcenter, folder), moved_from=moved_from))
    return outcomes
