"""A lab's VMs as fuelbot's records know them (``store/vm_records.py``), for the steps that create,
delete and adopt them.

Each write is its own short transaction, never held across a vCenter call: the plans are
committed before the first CreateVM_Task, each confirmation as soon as vCenter made the VM, so a
crash at any moment leaves either a plan (the next pass recognises the VM by its planned instance
UUID) or a confirmed record. A VM named as a lab node that carries the lab's owner marker but has
no record is a *stray*: an older fuelbot made it (before folders and records), or someone copied
the marker. fuelbot never takes one over by itself; ``/fuel adopt`` does, when an admin asks.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from integrations.vsphere.finding import Finding
from integrations.vsphere.info import VMInfo
from integrations.vsphere.ownership import OwnedVM, VMPlan
from labspec.model import Lab
from store import vm_records
from workflows.ports import VSpherePort


@dataclass(frozen=True)
class VmLedger:
    """The records of one lab's VMs on one vCenter."""

    sessions: Callable[[], Session]
    lab: str
    vcenter: str          # the vCenter's instance UUID
    folder: str           # the lab's folder path, as the records name it

    @classmethod
    def of(cls, sessions: Callable[[], Session], lab: Lab, client: VSpherePort) -> "VmLedger":
        return cls(sessions, lab.name, client.vcenter_uuid, client.lab_folder(lab.name))

    def plan(self, plans: Sequence[VMPlan], *, job_id: int | None) -> dict[str, VMPlan]:
        """Record fresh plans for VMs without a record; name → the plan as recorded (a re-run keeps its own)."""
        with self.sessions() as session, session.begin():
            recorded = vm_records.record_plans(session, lab=self.lab, vcenter_uuid=self.vcenter, folder=self.folder,
                                               plans=[(p.name, p.instance_uuid) for p in plans], job_id=job_id)
        return {name: VMPlan(name, instance_uuid) for name, instance_uuid in recorded.items()}

    def confirm(self, vm: OwnedVM) -> None:
        """Record a VM vCenter just made: its moref, the instance UUID it kept, its MACs."""
        with self.sessions() as session, session.begin():
            self.record(session, vm)

    def confirm_all(self, vms: Iterable[OwnedVM]) -> list[str]:
        """Record the VMs whose record does not say what vCenter says (made just before a crash, or
        adopted); the names written."""
        written = []
        with self.sessions() as session, session.begin():
            known = {r.name: r for r in vm_records.records(session, self.lab, vcenter_uuid=self.vcenter)}
            for vm in vms:
                record = known.get(vm.name)
                if record is None or (record.moid, record.instance_uuid, record.macs, record.folder) != (
                        vm.moid, vm.instance_uuid, vm.macs, vm.folder):
                    self.record(session, vm)
                    written.append(vm.name)
        return written

    def record(self, session: Session, vm: OwnedVM) -> None:
        """Write ``vm``'s record in the caller's transaction."""
        vm_records.record_created(session, lab=self.lab, vcenter_uuid=self.vcenter, name=vm.name,
                                  instance_uuid=vm.instance_uuid, moid=vm.moid, macs=vm.macs, folder=vm.folder)

    def owned(self) -> list[OwnedVM]:
        """Every record as destroy takes it (moid "" for a plan never confirmed)."""
        with self.sessions() as session:
            return [OwnedVM(lab=r.lab, name=r.name, moid=r.moid or "", instance_uuid=r.instance_uuid,
                            vcenter_uuid=r.vcenter_uuid, folder=r.folder, macs=r.macs)
                    for r in vm_records.records(session, self.lab, vcenter_uuid=self.vcenter)]

    def forget(self, names: Iterable[str]) -> int:
        """Drop the records of VMs that are deleted or gone."""
        with self.sessions() as session, session.begin():
            return vm_records.forget(session, lab=self.lab, vcenter_uuid=self.vcenter, names=list(names))


def strays(lab: Lab, vms: Iterable[VMInfo], records: Sequence[OwnedVM]) -> list[VMInfo]:
    """VMs named as ``lab``'s nodes, carrying its owner marker, that no record describes."""
    names = {node.name for node in lab.nodes}
    moids = {r.moid for r in records if r.moid}
    planned = {r.instance_uuid.lower() for r in records}
    return [vm for vm in vms if vm.name in names and vm.owned_by(lab.name) and vm.moid not in moids
            and vm.instance_uuid.lower() not in planned]


def stray_findings(lab: Lab, found: Sequence[VMInfo], folder: str) -> list[Finding]:
    """One failing finding per stray, with the way out."""
    return [Finding("fail", "vm-ownership", vm.name,
                    f"VM `{vm.name}` ({vm.moid}) carries {lab.name}'s owner marker but fuelbot has no record of it: "
                    "an older fuelbot made it, or its notes were copied",
                    f"if it is the lab's, `/fuel adopt {lab.name}` (admin) moves it into `{folder}` and records it; "
                    "if not, rename or delete it in vCenter")
            for vm in found]


def preflight(sessions: Callable[[], Session], lab: Lab, client: VSpherePort) -> list[Finding]:
    """vCenter's preflight for ``lab``, then a failing finding for each stray (unless the target is missing)."""
    findings = client.preflight(lab)
    if any(f.check == "target" and f.level == "fail" for f in findings):
        return findings
    ledger = VmLedger.of(sessions, lab, client)
    return findings + stray_findings(lab, strays(lab, client.vms(), ledger.owned()), ledger.folder)
