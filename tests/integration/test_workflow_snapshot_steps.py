"""The branches of taking a snapshot set and rolling back, on the in-memory fakes and a real database.

The fakes keep to the contract in ``test_ports_contract.py``; what is asserted here is what the
jobs post and record when a VM was re-created, a snapshot was deleted in vCenter, a revert
fails half-way, or a set cannot be finished.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from core.errors import StepFailed, VSphereError
from integrations.fuel.enums import ClusterStatus
from jobs.queue import submit
from jobs.states import JobKind, JobState
from jobs.steps import StepContext
from jobs.voice import Ending, JobHeader
from store import lab_snapshots
from store.enums import SnapshotState
from store.models import Job
from tests.fakes.harness import Harness
from workflows import rollback
from workflows.records import RollbackRecord, SnapshotRecord
from workflows.rollback import RollbackWorkflow, differences
from workflows.run import Run
from workflows.snapshot_sets import abandon_set, take_set, vcenter_name
from workflows.voices.snapshots import RollbackVoice, SnapshotVoice, VmReverted

NODE = "lab1-controller-1"


def _run(h: Harness, sessions: sessionmaker[Session], record: Any, voice: Any, *, kind: str = "snapshot",
         params: dict[str, Any] | None = None) -> Run[Any, Any]:
    """A run of a job recorded in the database (a set names the job that took it)."""
    with sessions() as session, session.begin():
        job_id = submit(session, kind=JobKind(kind), requester="U0ALICE1", lab=h.lab.name,
                        params=dict(params or {})).job.id
        session.execute(update(Job).where(Job.id == job_id).values(lab_lock=None))   # several runs of one lab
    ctx = StepContext(job=JobHeader(id=job_id, kind=kind, lab=h.lab.name, requester="U0ALICE1"),
                      params=dict(params or {}), data=record, attempt=1, resumed=False, report=h.thread,
                      _should_stop=lambda: h.stop, _save=h.saved.append, _set_progress=h.progress.append,
                      _note=lambda kind, message, data: h.notes.append((kind, message, data)))
    return Run(ctx, data=record, voice=voice, deps=replace(h.deps(), session_factory=sessions))


def _lab_vms(h: Harness) -> None:
    """The master (running) and lab1's controller (created by fuelbot, running)."""
    h.vsphere.fix_portgroups(h.lab)
    h.vsphere.add_vm("fuel-master", power_state="poweredOn", memory_mb=2048)
    for node in h.lab.nodes:
        h.vsphere.ensure_vm(node.vm, lab=h.lab.name)
    h.vsphere.power_on(NODE)


def _snapshot(h: Harness, sessions: sessionmaker[Session], name: str = "before-upgrade",
              run: Run[Any, Any] | None = None) -> int:
    set_id, _ = take_set(run or _run(h, sessions, SnapshotRecord(), SnapshotVoice()), h.lab, name=name)
    return set_id


def test_a_set_holds_the_master_and_the_labs_vms_and_taking_it_again_takes_nothing_twice(sessions) -> None:
    h = Harness()
    _lab_vms(h)
    h.vsphere.add_vm("someone-elses-vm", power_state="poweredOn")             # not the lab's: never in a set
    run = _run(h, sessions, SnapshotRecord(), SnapshotVoice())
    set_id = _snapshot(h, sessions, run=run)
    assert _snapshot(h, sessions, run=run) == set_id                          # a restart of the same job
    assert h.vsphere.calls["create_snapshot"] == 2
    with sessions() as session:
        snapshot = lab_snapshots.find(session, "lab1", "before-upgrade")
        assert snapshot is not None and snapshot.state is SnapshotState.READY
        assert [(vm.vm_name, vm.role, vm.memory) for vm in snapshot.vms] == \
            [("fuel-master", "master", True), (NODE, "node", True)]
        assert all(vm.snapshot_moref for vm in snapshot.vms)
    assert [s.name for s in h.vsphere.snapshots(NODE)] == [vcenter_name("lab1", "before-upgrade")]
    with pytest.raises(StepFailed, match="already has a snapshot set `before-upgrade`"):
        take_set(_run(h, sessions, SnapshotRecord(), SnapshotVoice()), h.lab, name="before-upgrade")


def test_a_snapshot_vcenter_took_before_a_crash_is_adopted_not_taken_twice(sessions) -> None:
    h = Harness()
    _lab_vms(h)
    h.vsphere.create_snapshot(NODE, name=vcenter_name("lab1", "x"), description="", memory=True)
    _snapshot(h, sessions, "x")
    assert h.vsphere.calls["create_snapshot"] == 2                            # the one above, and the master's
    assert len(h.vsphere.snapshots(NODE)) == 1


def test_a_lab_without_vms_has_nothing_to_snapshot(sessions) -> None:
    with pytest.raises(StepFailed, match="no VMs in vCenter to snapshot; `/fuel deploy lab1` creates them"):
        _snapshot(Harness(), sessions)


def test_a_set_that_cannot_be_finished_is_removed_again_and_marked_failed(sessions, monkeypatch) -> None:
    h = Harness()
    _lab_vms(h)
    take = h.vsphere.create_snapshot

    def full_datastore(vm: str, **kwargs: Any) -> Any:
        if vm == NODE:
            raise VSphereError("vCenter refused taking a snapshot: vim.fault.FileFault", obj=vm)
        return take(vm, **kwargs)
    monkeypatch.setattr(h.vsphere, "create_snapshot", full_datastore)
    run = _run(h, sessions, SnapshotRecord(), SnapshotVoice(), params={"name": "x"})
    with pytest.raises(VSphereError):
        take_set(run, h.lab, name="x")
    assert len(h.vsphere.snapshots("fuel-master")) == 1
    abandon_set(run, h.lab, "x")
    assert h.vsphere.snapshots("fuel-master") == []
    with sessions() as session:
        snapshot = lab_snapshots.find(session, "lab1", "x")
        assert snapshot is not None and snapshot.state is SnapshotState.FAILED
    assert h.thread.said()[-1] == ("🧹 Snapshot set `x` is incomplete and cannot be rolled back to. The VM snapshots it "
                                   "had taken were removed: `fuel-master`.")


def _rollback_run(h: Harness, sessions: sessionmaker[Session], set_id: int) -> Run[Any, Any]:
    return _run(h, sessions, RollbackRecord(), RollbackVoice(), kind="rollback",
                params={"snapshot": "before-upgrade", "snapshot_id": set_id})


@pytest.mark.parametrize(("change", "problem"), [
    ("recreate", "deleted and created again since: lab1-controller-1"),
    ("delete_snapshot", "their snapshot was deleted in vCenter: lab1-controller-1"),
    ("destroy", "gone since: lab1-controller-1"),
    ("add", "added since: lab1-cinder-1"),
])
def test_a_lab_changed_since_its_set_is_refused_and_nothing_is_reverted(sessions, change: str, problem: str) -> None:
    h = Harness()
    _lab_vms(h)
    set_id = _snapshot(h, sessions)
    if change == "recreate":
        h.vsphere.delete_vm(NODE)
        for node in h.lab.nodes:
            h.vsphere.ensure_vm(node.vm, lab="lab1")
    elif change == "delete_snapshot":
        [taken] = h.vsphere.snapshots(NODE)
        h.vsphere.remove_snapshot(NODE, taken.moref)
    elif change == "destroy":
        h.vsphere.delete_vm(NODE)
    else:
        cinder = replace(h.lab.nodes[0], vm=replace(h.lab.nodes[0].vm, name="lab1-cinder-1"), roles=("cinder",))
        h.lab = replace(h.lab, nodes=h.lab.nodes + (cinder,))
        h.vsphere.ensure_vm(cinder.vm, lab="lab1")
    with pytest.raises(StepFailed) as refused:
        rollback.step_check(_rollback_run(h, sessions, set_id))
    assert problem in str(refused.value) and "nothing was reverted" in str(refused.value)
    assert h.vsphere.calls["revert_snapshot"] == 0


def test_a_revert_failing_half_way_says_which_vms_are_back_and_how_to_finish(sessions, monkeypatch) -> None:
    h = Harness()
    _lab_vms(h)
    set_id = _snapshot(h, sessions)
    h.vsphere.power_off(NODE)
    revert = h.vsphere.revert_snapshot

    def host_down(vm: str, snapshot: str, **kwargs: Any) -> Any:
        if vm == NODE:
            raise VSphereError("vCenter refused reverting to a snapshot: vim.fault.HostNotConnected", obj=vm)
        return revert(vm, snapshot, **kwargs)
    monkeypatch.setattr(h.vsphere, "revert_snapshot", host_down)
    run = _rollback_run(h, sessions, set_id)
    rollback.step_check(run)
    with pytest.raises(VSphereError) as failed:
        rollback.step_revert(run)
    assert run.data.reverted == ["fuel-master"]
    RollbackWorkflow(run.deps).on_finish(run, Ending(state=JobState.FAILED, error=failed.value, elapsed=12,
                                                     step_title="Revert the VMs"))
    assert h.thread.lines[-3][1].startswith("❌ Rollback of *lab1* to `before-upgrade` failed at *Revert the VMs*")
    assert h.thread.said()[-1] == ("⚠️ *lab1* is half rolled back: reverted `fuel-master`; not yet "
                                   "`lab1-controller-1`. Run `/fuel rollback lab1 before-upgrade` again to finish "
                                   "(it reverts every VM).")
    monkeypatch.setattr(h.vsphere, "revert_snapshot", revert)
    rollback.step_revert(run)                                                 # the retry reverts only the rest
    assert run.data.reverted == ["fuel-master", NODE]
    assert h.vsphere.machines[NODE].power_state == "poweredOn"


BEFORE = {"environment": "lab1", "status": "operational",
          "nodes": [{"id": 1, "mac": "00:50:56:00:00:01", "roles": ["controller"], "status": "ready"},
                    {"id": 2, "mac": "00:50:56:00:00:02", "roles": ["cinder"], "status": "ready"}]}


def test_fuel_is_compared_by_environment_status_and_each_node() -> None:
    assert differences(BEFORE, BEFORE) == []
    now = {"environment": "lab1", "status": "new",
           "nodes": [{"id": 1, "mac": "00:50:56:00:00:01", "roles": [], "status": "discover"},
                     {"id": 3, "mac": "00:50:56:00:00:03", "roles": ["compute"], "status": "ready"}]}
    assert differences(BEFORE, now) == [
        "environment `lab1` new (was operational)",
        "node-2 (00:50:56:00:00:02) is no longer in the environment",
        "node-3 (00:50:56:00:00:03) was not in it",
        "node-1 unassigned discover (was controller ready)"]
    assert differences(BEFORE, {"environment": "lab1", "status": None, "nodes": []})[0] == \
        "environment `lab1` missing (was operational)"


def _fuel_changes_after_the_set(h: Harness, sessions: sessionmaker[Session]) -> int:
    """A set of the lab taken while Fuel sees its environment new; then Fuel sees it in error."""
    cluster = h.fuel.create_cluster(name=h.lab.environment.name, release_id=h.fuel.releases()[0].id,
                                    mode="multinode")
    set_id = _snapshot(h, sessions)
    h.fuel.clusters[cluster.id] = replace(cluster, status=ClusterStatus.ERROR)
    return set_id


def test_fuel_not_coming_back_as_it_was_is_waited_for_then_named(sessions) -> None:
    h = Harness()
    _lab_vms(h)
    set_id = _fuel_changes_after_the_set(h, sessions)
    run = _rollback_run(h, sessions, set_id)
    rollback.step_check(run)
    rollback.step_revert(run)
    began = h.clock()
    with pytest.raises(StepFailed) as failed:
        rollback.step_fuel(run)
    assert h.clock() - began >= rollback.FUEL_SETTLE_SECONDS           # the reverted master had its minutes
    assert str(failed.value) == ("The VMs of lab1 are back, but Fuel does not see the environment as it was: "
                                 "environment `lab1` error (was new). Look at the Fuel master (`/fuel status lab1`).")
    assert run.data.fuel_as_before is False


def test_a_set_without_the_master_compares_fuel_once(sessions) -> None:
    h = Harness()
    h.lab = replace(h.lab, fuel=replace(h.lab.fuel, vm=None))          # a lab on a master it does not declare
    _lab_vms(h)
    set_id = _fuel_changes_after_the_set(h, sessions)
    run = _rollback_run(h, sessions, set_id)
    rollback.step_check(run)
    rollback.step_revert(run)
    assert run.data.reverted == [NODE]
    began = h.clock()
    with pytest.raises(StepFailed, match="environment `lab1` error \\(was new\\)"):
        rollback.step_fuel(run)
    assert h.clock() - began < rollback.FUEL_SETTLE_SECONDS            # nothing could bring Fuel back: no wait


def test_a_vm_whose_snapshot_holds_no_memory_is_said_to_be_cold_booted() -> None:
    [line] = RollbackVoice().lines(VmReverted(vm=NODE, power_state="poweredOn", cold_booted=True, done=2, total=2))
    assert line.text == ("⏪ 2/2 reverted · `lab1-controller-1` poweredOn (its snapshot holds no memory: powered on "
                         "again, a cold boot)")
    [line] = RollbackVoice().lines(VmReverted(vm=NODE, power_state="poweredOn", cold_booted=False, done=1, total=2))
    assert line.text == "⏪ 1/2 reverted · `lab1-controller-1` poweredOn"
