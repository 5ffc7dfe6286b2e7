"""``/fuel rollback <lab> <name>``: every VM of the lab and its Fuel master back to a snapshot set.

Check (nothing is touched unless the lab's VMs are the set's, each with its snapshot) → revert
the Fuel master, then the nodes, each to the power state it was taken in → wait for Fuel and
compare what it sees with what it saw when the set was taken → a health check where the
environment was operational. Each reverted VM is recorded as it goes, so a restart reverts only
the rest, and a failure says which VMs are reverted and which are not.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from core.errors import FuelbotError, FuelError
from jobs.states import JobKind
from jobs.steps import Step
from jobs.voice import Ending
from store.enums import SnapshotState
from store.models import LabSnapshot
from workflows.health import DEFAULT_TESTSETS, run_tests
from workflows.records import RollbackRecord
from workflows.run import Run, RunWorkflow
from workflows.snapshot_sets import fuel_view, lab_members
from workflows.voices.snapshots import (FuelAsBefore, FuelNotCompared, HealthNotRun, RollbackChecked, RollbackFact,
                                        RollbackOutcome, RollbackVoice, RolledBackHealth, VmReverted,
                                        fuel_not_as_before, lab_changed, set_gone)

RollbackRun = Run[RollbackRecord, RollbackFact]
# How long Fuel may take to show the environment as it was once its master answers: a master
# reverted with its memory is as it was at once, one reverted cold boots and its services and
# the nodes' agents (Nailgun's cron, every minute) report again within a few minutes.
FUEL_SETTLE_SECONDS = 300.0


@dataclass(frozen=True)
class Held:
    """One VM of the set: where it was, its snapshot, the power state it was taken in."""

    name: str
    moid: str
    moref: str
    power_state: str
    role: str


@dataclass(frozen=True)
class SetSeen:
    name: str
    vms: tuple[Held, ...]          # the master first, then the nodes, as they were taken
    fuel: Mapping[str, Any]


def read_set(run: RollbackRun) -> SetSeen:
    with run.deps.session_factory() as session:
        snapshot = session.get(LabSnapshot, int(run.params["snapshot_id"]))
        if snapshot is None or snapshot.lab != run.lab_name or snapshot.state is not SnapshotState.READY:
            raise set_gone(str(run.lab_name), str(run.params.get("snapshot")))
        vms = tuple(Held(vm.vm_name, vm.vm_moid, vm.snapshot_moref or "", vm.power_state, vm.role)
                    for vm in sorted(snapshot.vms, key=lambda vm: (vm.role != "master", vm.id)))
        return SetSeen(name=snapshot.name, vms=vms, fuel=dict(snapshot.fuel))


def step_check(run: RollbackRun) -> None:
    """Nothing is reverted unless the lab's VMs are the set's (none added, gone or re-created) with their snapshots."""
    held = read_set(run)
    vsphere = run.vsphere()
    now = {m.vm_name: m for m in lab_members(vsphere, run.lab)}
    names = {vm.name for vm in held.vms}
    problems = []
    if added := sorted(set(now) - names):
        problems.append(f"added since: {', '.join(added)}")
    if gone := sorted(names - set(now)):
        problems.append(f"gone since: {', '.join(gone)}")
    if recreated := [vm.name for vm in held.vms if vm.name in now and now[vm.name].vm_moid != vm.moid]:
        problems.append(f"deleted and created again since: {', '.join(recreated)}")
    lost = [vm.name for vm in held.vms if vm.name in now and vm.name not in recreated
            and vm.moref not in {s.moref for s in vsphere.snapshots(vm.name)}]
    if lost:
        problems.append(f"their snapshot was deleted in vCenter: {', '.join(lost)}")
    if problems:
        raise lab_changed(run.lab.name, held.name, problems)
    run.tell(RollbackChecked(lab=run.lab.name, name=held.name, vms=tuple(vm.name for vm in held.vms),
                             master=next((vm.name for vm in held.vms if vm.role == "master"), None), fuel=held.fuel))


def step_revert(run: RollbackRun) -> None:
    """Revert the master, then the nodes; no safe point in between, so a cancel never leaves it half done."""
    held = read_set(run)
    vsphere = run.vsphere()
    for vm in held.vms:
        if vm.name in run.data.reverted:
            continue
        reverted = vsphere.revert_snapshot(vm.name, vm.moref, power_state=vm.power_state)
        run.data.reverted.append(vm.name)
        run.save()
        run.tell(VmReverted(vm=vm.name, power_state=reverted.vm.power_state, cold_booted=reverted.powered_after,
                            done=len(run.data.reverted), total=len(held.vms)))


def differences(before: Mapping[str, Any], now: Mapping[str, Any]) -> list[str]:
    """How what Fuel sees now differs from what it saw when the set was taken (status, nodes, roles)."""
    found = []
    if before.get("status") != now.get("status"):
        found.append(f"environment `{now.get('environment')}` {now.get('status') or 'missing'} "
                     f"(was {before.get('status') or 'missing'})")
    then = {n["id"]: n for n in before.get("nodes") or []}
    seen = {n["id"]: n for n in now.get("nodes") or []}
    for node_id in sorted(set(then) - set(seen)):
        found.append(f"node-{node_id} ({then[node_id]['mac']}) is no longer in the environment")
    for node_id in sorted(set(seen) - set(then)):
        found.append(f"node-{node_id} ({seen[node_id]['mac']}) was not in it")
    for node_id in sorted(set(then) & set(seen)):
        was, is_ = then[node_id], seen[node_id]
        if (was["status"], was["roles"]) != (is_["status"], is_["roles"]):
            found.append(f"node-{node_id} {'+'.join(is_['roles']) or 'unassigned'} {is_['status']} "
                         f"(was {'+'.join(was['roles']) or 'unassigned'} {was['status']})")
    return found


def step_fuel(run: RollbackRun) -> None:
    """Wait for the reverted master to answer and for Fuel to show what it saw (or say what differs)."""
    held = read_set(run)
    before = held.fuel
    if before.get("unreachable"):
        run.tell(FuelNotCompared(reason=f"Fuel was unreachable when the set was taken ({before['unreachable']})"))
        return
    lab, fuel = run.lab, run.fuel()
    run.follow(lambda: fuel.find_cluster(lab.environment.name), done=lambda _: True, state=lambda _: "up",
               describe=lambda _: f"the Fuel master at {fuel.url} to answer after its revert", error=FuelError,
               timeout=run.deps.timeouts.fuel_reachable)

    def not_as_before(view: Mapping[str, Any] | None, _: Exception | None) -> Exception:
        run.data.fuel_as_before = False
        run.save()
        return fuel_not_as_before(lab.name, differences(before, view or {}))

    now = run.follow(lambda: fuel_view(fuel, lab), done=lambda view: not differences(before, view),
                     state=lambda view: tuple(differences(before, view)),
                     describe=lambda _: "Fuel to see the environment as it was", error=FuelError,
                     # Without the master in the set Fuel's state was not reverted: one look says so.
                     timeout=min(FUEL_SETTLE_SECONDS, run.deps.timeouts.fuel_reachable)
                     if any(vm.role == "master" for vm in held.vms) else 0.0,
                     give_up=not_as_before)
    run.data.fuel_as_before = True
    run.save()
    run.tell(FuelAsBefore(fuel=now))


def step_health(run: RollbackRun) -> None:
    """OSTF sanity and smoke, where the environment was operational when the set was taken."""
    status = read_set(run).fuel.get("status")
    if status != "operational" or not run.data.fuel_as_before:
        run.tell(HealthNotRun(status=status))
        return
    outcome = run_tests(run, run.lab, list(DEFAULT_TESTSETS))
    run.data.health = outcome.counts
    run.tell(RolledBackHealth(outcome=outcome))


class RollbackWorkflow(RunWorkflow[RollbackRecord, RollbackFact]):
    """Check → revert → Fuel as it was → health check."""

    kind = JobKind.ROLLBACK
    record = RollbackRecord
    voice = RollbackVoice()

    def steps(self) -> Sequence[Step[RollbackRun]]:
        return [Step("check", "Check the lab against the set", step_check, deadline_seconds=600),
                Step("revert", "Revert the VMs", step_revert, deadline_seconds=3600),
                Step("fuel", "Fuel as it was", step_fuel, deadline_seconds=1800),
                Step("health", "Health check", step_health, deadline_seconds=3600)]

    def on_finish(self, run: RollbackRun, ending: Ending) -> None:
        try:
            names = [vm.name for vm in read_set(run).vms]
        except FuelbotError:   # the set itself may be what failed; the outcome still goes out
            names = list(run.data.reverted)
        outcome = RollbackOutcome(name=str(run.params.get("snapshot")), reverted=tuple(run.data.reverted),
                                  left=tuple(n for n in names if n not in run.data.reverted), health=run.data.health)
        run.post(self.voice.ended(run.ctx.job, ending, outcome))
