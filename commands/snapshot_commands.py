"""``snapshot``, ``snapshots`` and ``rollback``: whole-lab snapshot sets, listed and rolled back to.

Taking a set and rolling back are jobs (``workflows.snapshots``, ``workflows.rollback``); here
the names are checked against the sets recorded, and a rollback is opened as a request its
requester confirms with a button (and, on a shared lab, a second person approves).
"""
from __future__ import annotations

from commands import snapshot_replies, time_phrases
from commands.api import Reply
from commands.approval_requests import open_request
from commands.catalog_shared import ListSnapshots, RollbackLab, SnapshotLab
from commands.dispatch import handles
from commands.job_commands import busy_text, find_lab, submit_job
from commands.lease_guard import check_lease
from commands.request import Request
from commands.roles import Role
from core.errors import CommandError, LabBusy
from jobs.queue import active_mutating_job
from jobs.states import JobKind
from labspec.model import Lab
from store import lab_snapshots
from store.enums import SnapshotState
from store.models import Job, LabSnapshot


def default_name(request: Request) -> str:
    return f"{request.now:%Y%m%d-%H%M%S}"


@handles(SnapshotLab)
def snapshot_lab(command: SnapshotLab, request: Request) -> Reply:
    lab = find_lab(request, command.lab).name
    name = command.snapshot or default_name(request)
    existing = lab_snapshots.find(request.session, lab, name)
    if existing is not None:
        raise CommandError(snapshot_replies.snapshot_exists(lab=lab, name=name, by=existing.created_by,
                                                            ago=time_phrases.ago(existing.created_at, request.now)))
    return submit_job(request, kind=JobKind.SNAPSHOT, lab=lab, params={"name": name}, activity=command.activity)


@handles(ListSnapshots)
def list_snapshots(command: ListSnapshots, request: Request) -> Reply:
    lab = find_lab(request, command.lab).name
    lines = [snapshot_replies.snapshot_line(
        name=s.name, state=s.state, ago=time_phrases.ago(s.created_at, request.now), by=s.created_by, vms=len(s.vms),
        master=any(vm.role == "master" for vm in s.vms), size_bytes=lab_snapshots.size_of(s),
        trigger=s.trigger if s.automatic else None, job_id=s.job_id, job_ended=_job_ended(request, s))
        for s in lab_snapshots.of_lab(request.session, lab)]
    return Reply(snapshot_replies.snapshots_overview(lab, lines))


def _job_ended(request: Request, snapshot: LabSnapshot) -> bool:
    job = request.session.get(Job, snapshot.job_id) if snapshot.job_id is not None else None
    return job is None or job.state.is_final


def vm_names(lab: Lab) -> set[str]:
    """The VMs a set of ``lab`` holds: its nodes, and its Fuel master if the spec has one."""
    return {node.name for node in lab.nodes} | ({lab.fuel.vm.name} if lab.fuel.vm else set())


def changed_since(lab: Lab, snapshot: LabSnapshot) -> tuple[list[str], list[str]]:
    """(VMs added to the spec since, VMs gone from it since)."""
    held = {vm.vm_name for vm in snapshot.vms}
    return sorted(vm_names(lab) - held), sorted(held - vm_names(lab))


@handles(RollbackLab)
def rollback_lab(command: RollbackLab, request: Request) -> Reply:
    """Check the set and the lab, then ask the requester to confirm with a button."""
    lab = find_lab(request, command.lab)
    session = request.session
    snapshot = lab_snapshots.find(session, lab.name, command.snapshot)
    if snapshot is None:
        names = [s.name for s in lab_snapshots.of_lab(session, lab.name) if s.state is SnapshotState.READY]
        raise CommandError(snapshot_replies.no_such_snapshot(lab=lab.name, name=command.snapshot, names=names))
    if snapshot.state is not SnapshotState.READY:
        raise CommandError(snapshot_replies.snapshot_not_ready(lab=lab.name, name=snapshot.name, state=snapshot.state,
                                                               job_id=snapshot.job_id,
                                                               job_ended=_job_ended(request, snapshot)))
    added, removed = changed_since(lab, snapshot)
    if added or removed:
        raise CommandError(snapshot_replies.vms_changed(lab=lab.name, name=snapshot.name, added=added,
                                                        removed=removed))
    holder = active_mutating_job(session, lab.name)
    if holder is not None:               # say so now rather than after the click
        raise LabBusy(busy_text(request, LabBusy("", job_id=holder.id)), job_id=holder.id)
    check_lease(request, lab=lab.name, activity=command.activity)
    approval = open_request(request, lab=lab.name, action=JobKind.ROLLBACK, required_role=Role.OPERATOR,
                            params={"snapshot": snapshot.name, "snapshot_id": snapshot.id},
                            second_person=lab.shared)
    master = next((vm.vm_name for vm in snapshot.vms if vm.role == "master"), None)
    nodes = sum(1 for vm in snapshot.vms if vm.role == "node")
    taken = time_phrases.ago(snapshot.created_at, request.now)
    return Reply(snapshot_replies.rollback_prompt(approval=approval, ago=taken,
                                                  by=snapshot.created_by, nodes=nodes, master=master),
                 buttons=(snapshot_replies.rollback_button(approval),))
