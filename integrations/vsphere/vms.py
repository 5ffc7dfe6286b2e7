"""Lab VMs: create idempotently by name, power on/off, destroy, read back.

vcsim does not refuse a second VM with an existing name (vCenter raises DuplicateName), so
every create looks first. A VM fuelbot did not create (no ``fuelbot lab=<lab>`` annotation) is
never adopted, changed or destroyed.
"""
from __future__ import annotations

from typing import Any

from pyVmomi import vim

from core.errors import VSphereError
from integrations.vsphere.collector import Row, retrieve, wait_for, wait_for_task
from integrations.vsphere.info import OWNER_PREFIX, NicInfo, VMInfo, owner_annotation
from integrations.vsphere.inventory import VM_PATHS, Placement
from integrations.vsphere.macs import assign_macs
from integrations.vsphere.session import Session
from integrations.vsphere.vmspec import (NetworkTarget, boot_options, config_spec, planned_boot_order,
                                         read_boot_order)
from labspec.model import VMSpec

TASK_TIMEOUT = 300.0
POWER_TIMEOUT = 120.0
DVPG = vim.dvs.DistributedVirtualPortgroup
Dev = vim.vm.device


def _inventory(session: Session, placement: Placement, vm_paths: tuple[str, ...] = ("name",)) -> list[Row]:
    """VMs, switches and networks of the datacenter in one round trip."""
    return retrieve(session, {vim.VirtualMachine: list(vm_paths), vim.DistributedVirtualSwitch: ["name", "uuid"],
                              vim.Network: ["name"], DVPG: ["name", "key", "config.distributedVirtualSwitch"]},
                    root=placement.datacenter)


def _dvpg_names(rows: list[Row]) -> dict[str, str]:
    return {r.get("key"): r.get("name") for r in rows if isinstance(r.obj, DVPG)}


def _vm_named(rows: list[Row], name: str) -> Row | None:
    matches = [r for r in rows if isinstance(r.obj, vim.VirtualMachine) and r.get("name") == name]
    if len(matches) > 1:
        raise VSphereError(f"{len(matches)} VMs are named {name!r} ({', '.join(r.obj._moId for r in matches)})",
                           obj=name, fix="rename or delete the extra VMs in vCenter; fuelbot needs unique names")
    return matches[0] if matches else None


def to_info(row: Row, dvpg_names: dict[str, str]) -> VMInfo:
    """Build a VMInfo from a row read with ``inventory.VM_PATHS``."""
    devices = row.get("config.hardware.device") or ()
    nics = []
    for nic in sorted((d for d in devices if isinstance(d, Dev.VirtualEthernetCard)), key=lambda d: d.key):
        backing = nic.backing
        if isinstance(backing, Dev.VirtualEthernetCard.DistributedVirtualPortBackingInfo):
            key = backing.port.portgroupKey
            network = dvpg_names.get(key) if key else None
        else:
            network = getattr(backing, "deviceName", None)
        nics.append(NicInfo(key=int(nic.key), mac=(nic.macAddress or "").lower(), network_name=network))
    iso = next((d.backing.fileName for d in devices if isinstance(d, Dev.VirtualCdrom)
                and isinstance(d.backing, Dev.VirtualCdrom.IsoBackingInfo)), None)
    return VMInfo(name=row.get("name"), moid=row.obj._moId, power_state=str(row.get("runtime.powerState", "unknown")),
                  memory_mb=int(row.get("config.hardware.memoryMB") or 0),
                  cpus=int(row.get("config.hardware.numCPU") or 0),
                  annotation=row.get("config.annotation") or "", nics=tuple(nics),
                  boot_order=read_boot_order(row.get("config.bootOptions.bootOrder")), iso=iso)


def read(session: Session, vm: Any, dvpg_names: dict[str, str]) -> VMInfo:
    """Read one VM in one round trip."""
    rows = retrieve(session, {vim.VirtualMachine: list(VM_PATHS)}, objects=[vm])
    return to_info(rows[0], dvpg_names)


def all_vms(session: Session, placement: Placement, paths: tuple[str, ...] = VM_PATHS) -> list[VMInfo]:
    """Every VM of the datacenter; fields outside ``paths`` stay empty."""
    rows = _inventory(session, placement, paths)
    names = _dvpg_names(rows)
    return [to_info(r, names) for r in rows if isinstance(r.obj, vim.VirtualMachine)]


def find(session: Session, placement: Placement, name: str) -> VMInfo | None:
    """The VM called ``name``, or None."""
    rows = _inventory(session, placement)
    row = _vm_named(rows, name)
    return read(session, row.obj, _dvpg_names(rows)) if row else None


def _require(session: Session, placement: Placement, name: str) -> tuple[Any, dict[str, str]]:
    rows = _inventory(session, placement)
    row = _vm_named(rows, name)
    if row is None:
        raise VSphereError(f"VM {name!r} not found in datacenter {session.target.datacenter}", obj=name,
                           fix="check the VM name, or create the lab's VMs with `/fuel deploy <lab>`")
    return row.obj, _dvpg_names(rows)


def _network_targets(spec: VMSpec, rows: list[Row], lab: str) -> list[NetworkTarget]:
    # Checked here because vcsim answers a NIC on a missing standard port group with a server panic
    # and leaves a ghost VM behind; vCenter would raise a fault.
    uuids = {r.obj._moId: r.get("uuid") for r in rows if isinstance(r.obj, vim.DistributedVirtualSwitch)}
    dvpgs = {r.get("name"): r for r in rows if isinstance(r.obj, DVPG)}
    plain = {r.get("name") for r in rows if isinstance(r.obj, vim.Network) and not isinstance(r.obj, DVPG)}
    targets = []
    for index, nic in enumerate(spec.nics):
        row = dvpgs.get(nic.portgroup)
        if row is not None:
            switch = row.get("config.distributedVirtualSwitch")
            targets.append(NetworkTarget(nic.portgroup, portgroup_key=row.get("key"),
                                         switch_uuid=uuids.get(switch._moId) if switch is not None else None))
        elif nic.portgroup in plain:
            targets.append(NetworkTarget(nic.portgroup))
        else:
            raise VSphereError(f"port group {nic.portgroup!r} for NIC {index + 1} of VM {spec.name} does not exist",
                               obj=nic.portgroup, fix=f"`/fuel preflight {lab} --fix` creates the lab's port groups")
    return targets


def _pick_host(session: Session, placement: Placement) -> Any:
    # CreateVM needs an explicit host in a cluster without DRS; take the one with most free memory.
    paths = ["name", "runtime.connectionState", "runtime.inMaintenanceMode", "summary.hardware.memorySize",
             "summary.quickStats.overallMemoryUsage"]
    rows = retrieve(session, {vim.HostSystem: paths}, objects=placement.hosts)
    usable = [r for r in rows if r.get("runtime.connectionState") == "connected"
              and not r.get("runtime.inMaintenanceMode")]
    if not usable:
        raise VSphereError(f"no connected host in cluster {session.target.cluster}", obj=session.target.cluster,
                           fix="reconnect a host or take one out of maintenance mode")
    return max(usable, key=_free_memory_mb).obj


def _free_memory_mb(row: Row) -> int:
    total_mb = int(row.get("summary.hardware.memorySize") or 0) // 2**20
    return total_mb - int(row.get("summary.quickStats.overallMemoryUsage") or 0)


def ensure(session: Session, placement: Placement, spec: VMSpec, *, lab: str) -> VMInfo:
    """Create the VM of ``spec`` unless a VM of that name, owned by ``lab``, already exists."""
    return ensure_many(session, placement, [spec], lab=lab)[0]


def ensure_many(session: Session, placement: Placement, specs: list[VMSpec], *, lab: str) -> list[VMInfo]:
    """``ensure`` for several VMs, reading the datacenter's inventory and MACs once, not per VM."""
    rows = _inventory(session, placement, ("name", "config.annotation"))
    names = _dvpg_names(rows)
    taken: set[str] | None = None
    infos = []
    for spec in specs:
        existing = _vm_named(rows, spec.name)
        if existing is not None:
            if owner_annotation(lab) not in (existing.get("config.annotation") or "").splitlines():
                raise VSphereError(f"a VM named {spec.name!r} already exists and fuelbot did not create it for "
                                   f"lab {lab}", obj=spec.name,
                                   fix="rename or remove that VM in vCenter, or rename the VM in the lab spec")
            vm = existing.obj
        else:
            if taken is None:
                device_rows = retrieve(session, {vim.VirtualMachine: ["config.hardware.device"]},
                                       root=placement.datacenter)
                taken = {d.macAddress for r in device_rows for d in r.get("config.hardware.device") or ()
                         if isinstance(d, Dev.VirtualEthernetCard) and d.macAddress}
            vm = _create(session, placement, spec, lab=lab, rows=rows, taken=taken)
        infos.append(_with_boot_order(session, vm, spec, names))
    return infos


def _create(session: Session, placement: Placement, spec: VMSpec, *, lab: str, rows: list[Row],
            taken: set[str]) -> Any:
    targets = _network_targets(spec, rows, lab)
    macs = assign_macs(lab, spec.name, len(spec.nics), taken=taken)
    taken.update(macs)
    config = config_spec(spec, lab=lab, datastore=placement.datastore_name, networks=targets, macs=macs)
    task = placement.vm_folder.CreateVM_Task(config=config, pool=placement.resource_pool,
                                             host=_pick_host(session, placement))
    return wait_for_task(session, task, timeout=TASK_TIMEOUT, what=f"creating VM {spec.name}")


def _with_boot_order(session: Session, vm: Any, spec: VMSpec, names: dict[str, str]) -> VMInfo:
    info = read(session, vm, names)
    devices = retrieve(session, {vim.VirtualMachine: ["config.hardware.device"]}, objects=[vm])[0].get(
        "config.hardware.device") or ()
    planned = planned_boot_order(devices, iso=bool(spec.iso))
    if info.boot_order != planned:
        # Set after creation: vcsim stores the negative placeholder keys of a create-time boot order as given.
        task = vm.ReconfigVM_Task(vim.vm.ConfigSpec(bootOptions=boot_options(planned)))
        wait_for_task(session, task, timeout=TASK_TIMEOUT, what=f"setting the boot order of {spec.name}")
        info = read(session, vm, names)
    return info


def set_power(session: Session, placement: Placement, name: str, *, on: bool) -> VMInfo:
    """Power the VM on or off; already there is fine."""
    vm, names = _require(session, placement, name)
    wanted = "poweredOn" if on else "poweredOff"
    state = retrieve(session, {vim.VirtualMachine: ["runtime.powerState"]}, objects=[vm])[0].get("runtime.powerState")
    if state != wanted:
        try:
            task = vm.PowerOnVM_Task() if on else vm.PowerOffVM_Task()
            wait_for_task(session, task, timeout=TASK_TIMEOUT, what=f"powering {'on' if on else 'off'} {name}")
        except vim.fault.InvalidPowerState:
            pass  # someone else got there first: the state we want
        wait_for(session, vm, vim.VirtualMachine, ["runtime.powerState"],
                 lambda v: v.get("runtime.powerState") == wanted, timeout=POWER_TIMEOUT,
                 what=f"{name} to be {wanted}")
    return read(session, vm, names)


def destroy(session: Session, placement: Placement, name: str) -> bool:
    """Power off and delete a VM fuelbot created; False when there was none."""
    rows = _inventory(session, placement, ("name", "config.annotation"))
    row = _vm_named(rows, name)
    if row is None:
        return False
    if not any(line.startswith(OWNER_PREFIX) for line in (row.get("config.annotation") or "").splitlines()):
        raise VSphereError(f"VM {name!r} was not created by fuelbot; refusing to delete it", obj=name,
                           fix="delete it in vCenter yourself if it really belongs to the lab")
    set_power(session, placement, name, on=False)
    wait_for_task(session, row.obj.Destroy_Task(), timeout=TASK_TIMEOUT, what=f"deleting VM {name}")
    return True
