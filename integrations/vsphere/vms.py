"""Lab VMs one by one: look up by name, power on/off, read back.

Creation goes through :mod:`integrations.vsphere.provision` (one pass for any number of VMs);
``ensure`` keeps the older by-name contract on top of it. A VM fuelbot did not create (no
``fuelbot lab=<lab>`` annotation) is never adopted or changed; deleting is
:func:`integrations.vsphere.ownership.destroy_owned`'s, by record.
"""
from __future__ import annotations

from typing import Any

from pyVmomi import vim

from core.errors import VSphereError
from integrations.vsphere.collector import Row, retrieve, wait_for, wait_for_task
from integrations.vsphere.info import VMInfo
from integrations.vsphere.inventory import VM_PATHS, Placement, to_info
from integrations.vsphere.provision import provision
from integrations.vsphere.session import Session
from labspec.model import VCenterTarget, VMSpec, VSphereNetworks

__all__ = ["all_vms", "ensure", "find", "read", "set_power", "to_info"]

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
        raise VSphereError(f"VM {name!r} not found in datacenter {placement.datacenter_name}", obj=name,
                           fix="check the VM name, or create the lab's VMs with `/fuel deploy <lab>`")
    return row.obj, _dvpg_names(rows)


def ensure(session: Session, placement: Placement, target: VCenterTarget, spec: VMSpec, *, lab: str,
           declared: VSphereNetworks | None = None) -> VMInfo:
    """Create the VM of ``spec`` unless a VM of that name, owned by ``lab``, already exists (in the lab's
    folder, boot order set, left powered off)."""
    report = provision(session, placement, target, [spec], lab=lab, declared=declared, power_on=False)
    report.raise_for_failures()
    return report.vms[0]


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
