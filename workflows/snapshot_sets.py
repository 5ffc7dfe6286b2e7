"""Taking a whole-lab snapshot set (a snapshot job, or a reset or scale-out first), and dropping old ones.

A set is every VM of the lab fuelbot created (its nodes) and its Fuel master, when the spec has
one, snapshotted one after the other under one name, with what Fuel saw at that moment. The set
row and each VM's snapshot moref are written as they are taken, so a restart goes on with the
VMs not yet snapshotted, and first looks in vCenter for a snapshot by the set's name (taken, but
not recorded, before a crash) instead of taking a second one.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from core.errors import FuelbotError, IntegrationError, StepFailed, VSphereError
from labspec.model import Lab
from store import lab_snapshots
from store.enums import SnapshotState
from store.lab_snapshots import SnapshotMember
from store.models import LabSnapshot, LabSnapshotVm
from store.types import utcnow
from workflows.ports import FuelPort, VSpherePort
from workflows.run import Run
from workflows.voices.snapshots import (CleanupFailed, NothingToSnapshot, PruneFailed, SetAbandoned, SetReady,
                                        SetsPruned, SetStarted, VmSnapshotted, name_taken, nothing_to_snapshot,
                                        set_lines)


def vcenter_name(lab: str, name: str) -> str:
    """The name each VM's snapshot of a set carries in vCenter."""
    return f"fuelbot {lab} {name}"


def lab_members(vsphere: VSpherePort, lab: Lab) -> list[SnapshotMember]:
    """The lab's VMs as vCenter has them now: the Fuel master first (if the spec has one), then its nodes.

    Only node VMs fuelbot created for this lab count; the master is the spec's, by name.
    """
    found = {vm.name: vm for vm in vsphere.vms()}
    members = []
    if lab.fuel.vm is not None and lab.fuel.vm.name in found:
        master = found[lab.fuel.vm.name]
        members.append(SnapshotMember(master.name, master.moid, "master", master.power_state))
    for node in lab.nodes:
        vm = found.get(node.name)
        if vm is not None and vm.owned_by(lab.name):
            members.append(SnapshotMember(vm.name, vm.moid, "node", vm.power_state))
    return members


def fuel_view(fuel: FuelPort, lab: Lab) -> dict[str, Any]:
    """What Fuel sees of the lab's environment: its status and nodes (or why it could not say)."""
    environment = lab.environment.name
    try:
        cluster = fuel.find_cluster(environment)
        nodes = fuel.nodes(cluster.id) if cluster is not None else []
    except FuelbotError as exc:
        return {"environment": environment, "unreachable": str(exc)[:300]}
    return {"environment": environment, "status": cluster.status.value if cluster is not None else None,
            "nodes": [{"id": n.id, "mac": n.mac.lower(), "roles": sorted(n.roles), "status": n.status.value}
                      for n in sorted(nodes, key=lambda n: n.id)]}


def _open(run: Run[Any, Any], lab: Lab, *, name: str, trigger: str | None) -> int:
    """The set's row: found (this job started it before a restart) or created now."""
    with run.deps.session_factory() as session, session.begin():
        existing = lab_snapshots.find(session, lab.name, name)
        if existing is not None and existing.job_id == run.job_id:
            return existing.id
        if existing is not None:
            raise name_taken(lab.name, name)
        members = lab_members(run.vsphere(lab), lab)
        if not members:
            raise nothing_to_snapshot(lab.name)
        view = fuel_view(run.fuel(lab), lab)
        created = lab_snapshots.create(session, lab=lab.name, name=name, created_by=run.ctx.requester,
                                       job_id=run.job_id, automatic=trigger is not None, trigger=trigger,
                                       members=members, fuel=view, now=utcnow())
        if created is None:
            raise name_taken(lab.name, name)
    # Told once the row is committed: the thread's words are written by a unit of work of their own.
    master = next((m.vm_name for m in members if m.role == "master"), None)
    run.post(set_lines(SetStarted(lab=lab.name, name=name, vms=tuple(m.vm_name for m in members),
                                  master=master, fuel=view, trigger=trigger)))
    return created.id


def take_set(run: Run[Any, Any], lab: Lab, *, name: str, trigger: str | None = None) -> tuple[int, SetReady]:
    """Take (or finish taking) the set ``name`` of ``lab``: its id, and what it holds, once every VM's is recorded."""
    set_id = _open(run, lab, name=name, trigger=trigger)
    vsphere = run.vsphere(lab)
    with run.deps.session_factory() as session:
        todo = [(vm.id, vm.vm_name, vm.memory) for vm in session.scalars(
            select(LabSnapshotVm).where(LabSnapshotVm.snapshot_id == set_id).order_by(LabSnapshotVm.id))
            if vm.snapshot_moref is None]
        total = session.query(LabSnapshotVm).filter(LabSnapshotVm.snapshot_id == set_id).count()
    label = vcenter_name(lab.name, name)
    for member_id, vm, memory in todo:
        run.checkpoint()
        taken = next((s for s in vsphere.snapshots(vm) if s.name == label), None) or vsphere.create_snapshot(
            vm, name=label, description=f"fuelbot snapshot set #{set_id} of lab {lab.name}, job #{run.job_id}",
            memory=memory)
        with run.deps.session_factory() as session, session.begin():
            member = session.get(LabSnapshotVm, member_id)
            assert member is not None
            member.snapshot_moref, member.size_bytes, member.taken_at = taken.moref, taken.size_bytes, utcnow()
            done = total - session.query(LabSnapshotVm).filter(LabSnapshotVm.snapshot_id == set_id,
                                                               LabSnapshotVm.snapshot_moref.is_(None)).count()
        run.post(set_lines(VmSnapshotted(vm=vm, memory=memory, done=done, total=total)))
    with run.deps.session_factory() as session, session.begin():
        snapshot = session.get(LabSnapshot, set_id)
        assert snapshot is not None
        snapshot.state = SnapshotState.READY
        ready = SetReady(lab=lab.name, name=name, vms=len(snapshot.vms),
                         size_bytes=lab_snapshots.size_of(snapshot) or 0)
    run.post(set_lines(ready))
    return set_id, ready


def abandon_set(run: Run[Any, Any], lab: Lab, name: str) -> None:
    """This job's set ``name`` could not be finished: remove the VM snapshots it took, mark it failed, say so."""
    with run.deps.session_factory() as session:
        snapshot = lab_snapshots.find(session, lab.name, name)
        if snapshot is None or snapshot.job_id != run.job_id or snapshot.state is not SnapshotState.CREATING:
            return
        set_id = snapshot.id
        taken = [(vm.id, vm.vm_name, vm.snapshot_moref) for vm in snapshot.vms if vm.snapshot_moref]
    removed, left = [], []
    for member_id, vm, moref in taken:
        try:
            run.vsphere(lab).remove_snapshot(vm, moref)
            removed.append((member_id, vm))
        except VSphereError:
            left.append(vm)
    with run.deps.session_factory() as session, session.begin():
        snapshot = session.get(LabSnapshot, set_id)
        assert snapshot is not None
        snapshot.state = SnapshotState.FAILED
        for member in snapshot.vms:
            if member.id in {m for m, _ in removed}:
                member.snapshot_moref = None
    run.post(set_lines(SetAbandoned(name=name, removed=tuple(v for _, v in removed), left=tuple(left))))


def abandon_quietly(run: Run[Any, Any], name: str) -> None:
    """``abandon_set`` of the job's lab when the job already failed: a failing cleanup is told, the job's own
    error stays its error."""
    try:
        abandon_set(run, run.lab, name)
    except FuelbotError as exc:
        run.post(set_lines(CleanupFailed(name=name, error=str(exc))))


def prune_automatic(run: Run[Any, Any], lab: Lab) -> None:
    """Keep the newest ``snapshots.keep`` automatic sets of the lab; remove the older ones from vCenter too."""
    with run.deps.session_factory() as session:
        automatic = [s for s in lab_snapshots.of_lab(session, lab.name)
                     if s.automatic and s.state is SnapshotState.READY]
        old = [(s.id, s.name, [(vm.vm_name, vm.snapshot_moref) for vm in s.vms if vm.snapshot_moref])
               for s in automatic[lab.snapshots.keep:]]
    removed = []
    for set_id, name, members in old:
        try:
            for vm, moref in members:
                run.vsphere(lab).remove_snapshot(vm, moref)
        except VSphereError as exc:
            run.post(set_lines(PruneFailed(name=name, error=str(exc))))
            continue
        with run.deps.session_factory() as session, session.begin():
            snapshot = session.get(LabSnapshot, set_id)
            if snapshot is not None:
                session.delete(snapshot)
        removed.append(name)
    if removed:
        run.post(set_lines(SetsPruned(removed=tuple(removed), keep=lab.snapshots.keep)))


def snapshot_before(run: Run[Any, Any], lab: Lab, trigger: str) -> int | None:
    """The automatic set the spec asks for before ``trigger`` (``snapshots.before``), then the older ones
    pruned to ``snapshots.keep``; its id, or None when the spec does not ask or the lab has no VMs yet.

    A set that fails for good is removed again; a retryable failure is left for the step's retry,
    which goes on where it was.
    """
    if trigger not in lab.snapshots.before:
        return None
    if not lab_members(run.vsphere(lab), lab):
        run.post(set_lines(NothingToSnapshot(lab=lab.name, trigger=trigger)))
        return None
    name = f"before-{trigger.replace('_', '-')}-{run.job_id}"
    try:
        set_id, _ = take_set(run, lab, name=name, trigger=trigger)
    except IntegrationError as exc:
        if not exc.retryable:
            abandon_quietly(run, name)
        raise
    except StepFailed:
        abandon_quietly(run, name)
        raise
    prune_automatic(run, lab)
    return set_id
