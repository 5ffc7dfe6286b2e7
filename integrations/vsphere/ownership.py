"""Which VMs a lab owns, in a way a text field cannot fake, and deleting only those.

The annotation ``fuelbot lab=<lab>`` is copied by a clone and typed by anyone, so it is a marker,
not a proof. Proof is a record in fuelbot's database: before creating a VM fuelbot plans its
``config.instanceUuid`` (vCenter keeps a client-given instance UUID unless it conflicts with
another VM's, vSphere API reference, VirtualMachineConfigSpec.instanceUuid), records the plan,
creates the VM in the lab's folder, then records the moref and the instance UUID read back.
A VM created before a crash is recognised by its planned instance UUID. Destroy deletes a VM only
when its moref, name, instance UUID and owner marker all match a record and it is inside the lab's
folder; a clone (new moref, new instance UUID) is never deleted.
"""
from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from dataclasses import dataclass
from typing import Any

from pyVmomi import vim

from integrations.vsphere.collector import retrieve
from integrations.vsphere.folders import find_folder
from integrations.vsphere.info import owner_annotation
from integrations.vsphere.inventory import Placement
from integrations.vsphere.session import Session
from integrations.vsphere.tasks import TaskWindow
from labspec.model import VMSpec

_PATHS = ["name", "config.instanceUuid", "config.annotation", "runtime.powerState"]


@dataclass(frozen=True)
class VMPlan:
    """A VM about to be created: what fuelbot records before calling CreateVM_Task."""

    name: str
    instance_uuid: str


def plan_vms(specs: Sequence[VMSpec]) -> list[VMPlan]:
    """A fresh instance UUID per VM, to be recorded before the VMs are created."""
    return [VMPlan(name=spec.name, instance_uuid=str(uuid.uuid4())) for spec in specs]


@dataclass(frozen=True)
class OwnedVM:
    """A VM fuelbot created for a lab, as recorded in the database."""

    lab: str
    name: str
    moid: str                      # the moref's value, e.g. vm-123 ("" for a plan never confirmed)
    instance_uuid: str             # config.instanceUuid, read back after creation
    vcenter_uuid: str              # about.instanceUuid of the vCenter it lives in
    folder: str                    # the lab's folder path, e.g. fuelbot/lab1
    macs: tuple[str, ...] = ()


@dataclass(frozen=True)
class DestroyOutcome:
    """What destroy did with one recorded VM: deleted, gone (already deleted) or refused (why)."""

    name: str
    moid: str
    action: str                    # deleted | gone | refused
    reason: str = ""


def refusal(record: OwnedVM, props: Mapping[str, Any], lab: str) -> str | None:
    """Why the VM read as ``props`` is not the one ``record`` describes (so destroy leaves it), or None."""
    if props.get("name") != record.name:
        return f"it is now called {props.get('name')!r}, not {record.name!r}"
    if (props.get("config.instanceUuid") or "").lower() != record.instance_uuid.lower():
        return f"its instance UUID is {props.get('config.instanceUuid')}, not the recorded {record.instance_uuid}"
    if owner_annotation(lab) not in (props.get("config.annotation") or "").splitlines():
        return f"its notes lost the owner marker '{owner_annotation(lab)}'"
    return None


def destroy_owned(session: Session, placement: Placement, records: Sequence[OwnedVM], *, lab: str,
                  folder_path: str, size: int = 12, timeout: float = 900.0) -> list[DestroyOutcome]:
    """Power off and delete each recorded VM that still matches its record inside the lab's folder."""
    folder = find_folder(session, placement, folder_path)
    rows = retrieve(session, {vim.VirtualMachine: _PATHS}, root=folder, recursive=False) if folder else []
    in_folder = {r.obj._moId: r for r in rows}
    by_uuid = {str(r.get("config.instanceUuid") or "").lower(): r for r in rows}
    outcomes: dict[str, DestroyOutcome] = {}
    doomed = []
    keys = []
    for record in records:
        if not record.moid:   # planned, never confirmed (a crash right after creation): found by its identity
            found = by_uuid.get(record.instance_uuid.lower())
            record = dataclasses.replace(record, moid=found.obj._moId if found is not None else f"planned:{record.name}")
        keys.append(record.moid)
        row = in_folder.get(record.moid)
        if row is None:
            outcomes[record.moid] = DestroyOutcome(record.name, record.moid, "gone",
                                                   f"no VM {record.moid} in folder {folder_path}")
        elif (reason := refusal(record, row.props, lab)) is not None:
            outcomes[record.moid] = DestroyOutcome(record.name, record.moid, "refused", reason)
        else:
            doomed.append((record, row))
    with TaskWindow(session, size=size, timeout=timeout) as window:
        _run(window, [(r, row.obj) for r, row in doomed if row.get("runtime.powerState") == "poweredOn"],
             lambda vm: vm.PowerOffVM_Task(), "powering off", outcomes, tolerate=vim.fault.InvalidPowerState)
        _run(window, [(r, row.obj) for r, row in doomed if r.moid not in outcomes],
             lambda vm: vm.Destroy_Task(), "deleting", outcomes)
    for record, _ in doomed:
        outcomes.setdefault(record.moid, DestroyOutcome(record.name, record.moid, "deleted"))
    return [outcomes[key] for key in keys]


def _run(window: TaskWindow, work: list[tuple[OwnedVM, Any]], start: Callable[[Any], Any], verb: str,
         outcomes: dict[str, DestroyOutcome], tolerate: type | None = None) -> None:
    """One task per VM through the window; a failure is that VM's outcome ("refused")."""
    by_key = {record.moid: record for record, _ in work}
    pending = list(work)
    while pending or len(window):
        while pending and window.room:
            record, vm = pending.pop(0)
            window.submit(record.moid, partial(start, vm), what=f"{verb} VM {record.name}")
        for outcome in window.wait():
            if outcome.ok or (tolerate is not None and isinstance(outcome.error, tolerate)):
                continue
            record = by_key[str(outcome.key)]
            outcomes[record.moid] = DestroyOutcome(record.name, record.moid, "refused",
                                                   f"{verb} failed: {outcome.error}")
