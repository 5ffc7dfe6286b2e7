"""The voices of whole-lab snapshots (``/fuel snapshot``, automatic sets) and rollbacks: facts and words.

``SetFact`` lines are posted by whichever job takes a set (a snapshot job, or a reset or
scale-out taking one first), through ``Run.post``; the rollback's own facts through its voice.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from core.errors import StepFailed
from core.sizes import say_size
from jobs.states import JobState
from jobs.voice import Ending, JobHeader, Message
from workflows.voices.base import KindVoice, Line
from workflows.voices.health import HealthFinished, HealthOutcome, HealthRunning, progress_line
from workflows.voices.oneshot import OneShotVoice
from workflows.voices.words import duration

FuelView = Mapping[str, Any]     # what Fuel saw, as a set records it (``workflows.snapshot_sets.fuel_view``)



def fuel_summary(view: FuelView) -> str:
    """``environment `lab1` operational, 1 node (node-1 controller ready)``."""
    if view.get("unreachable"):
        return f"unreachable ({view['unreachable']})"
    if view.get("status") is None:
        return f"no environment `{view.get('environment')}`"
    nodes = view.get("nodes") or []
    listed = ", ".join(f"node-{n['id']} {'+'.join(n['roles']) or 'unassigned'} {n['status']}" for n in nodes[:6])
    more = f" and {len(nodes) - 6} more" if len(nodes) > 6 else ""
    return (f"environment `{view.get('environment')}` {view['status']}, {len(nodes)} node{'s' if len(nodes) != 1 else ''}"
            + (f" ({listed}{more})" if nodes else ""))


# --- taking a set --------------------------------------------------------------------------------

@dataclass(frozen=True)
class SetStarted:
    lab: str
    name: str
    vms: tuple[str, ...]
    master: str | None
    fuel: FuelView
    trigger: str | None = None     # taken automatically before this operation


@dataclass(frozen=True)
class VmSnapshotted:
    vm: str
    memory: bool
    done: int
    total: int


@dataclass(frozen=True)
class SetReady:
    lab: str
    name: str
    vms: int
    size_bytes: int


@dataclass(frozen=True)
class SetsPruned:
    removed: tuple[str, ...]
    keep: int


@dataclass(frozen=True)
class PruneFailed:
    name: str
    error: str


@dataclass(frozen=True)
class SetAbandoned:
    """A set that could not be finished: the VM snapshots already taken were removed, or are left listed."""

    name: str
    removed: tuple[str, ...]
    left: tuple[str, ...]


@dataclass(frozen=True)
class NothingToSnapshot:
    lab: str
    trigger: str


@dataclass(frozen=True)
class CleanupFailed:
    name: str
    error: str


SetFact = (SetStarted | VmSnapshotted | SetReady | SetsPruned | PruneFailed | SetAbandoned | CleanupFailed
           | NothingToSnapshot)


def set_lines(fact: SetFact) -> list[Line]:
    match fact:
        case SetStarted(lab=lab, name=name, vms=vms, master=master, fuel=fuel, trigger=trigger):
            why = f" before the {trigger.replace('_', '-')} (the spec's `snapshots.before`)" if trigger else ""
            with_master = f" and the Fuel master `{master}`" if master else " (the spec has no Fuel master VM)"
            names = ", ".join(f"`{v}`" for v in vms if v != master) or "no node VMs"
            return [Line(f"📸 Taking snapshot set `{name}` of *{lab}*{why}: {names}{with_master}. "
                         f"Fuel sees {fuel_summary(fuel)}.")]
        case VmSnapshotted(vm=vm, memory=memory, done=done, total=total):
            how = "running, with its memory" if memory else "powered off"
            return [Line(f"📸 {done}/{total} snapshotted · `{vm}` {how}", phase="snapshots", force=done == total)]
        case SetReady(lab=lab, name=name, vms=vms, size_bytes=taken):
            return [Line(f"✅ Snapshot set `{name}` ready: {vms} VMs, {say_size(taken)}. "
                         f"`/fuel rollback {lab} {name}` goes back to it.")]
        case SetsPruned(removed=removed, keep=keep):
            return [Line(f"🧹 Older automatic snapshot sets removed: {', '.join(f'`{n}`' for n in removed)} "
                         f"(the spec keeps {keep}).")]
        case PruneFailed(name=name, error=error):
            return [Line(f"⚠️ The older automatic set `{name}` could not be removed: {error}")]
        case SetAbandoned(name=name, removed=removed, left=left):
            text = f"🧹 Snapshot set `{name}` is incomplete and cannot be rolled back to."
            if removed:
                text += f" The VM snapshots it had taken were removed: {', '.join(f'`{v}`' for v in removed)}."
            if left:
                text += (f" ⚠️ Still there (remove them in vCenter): {', '.join(f'`{v}`' for v in left)}; "
                         "`/fuel snapshots` lists the set as failed.")
            return [Line(text)]
        case NothingToSnapshot(lab=lab, trigger=trigger):
            return [Line(f"📸 No snapshot before the {trigger.replace('_', '-')}: *{lab}* has no VMs in vCenter yet.")]
        case CleanupFailed(name=name, error=error):
            return [Line(f"⚠️ Removing the incomplete set `{name}` failed too: {error} "
                         "`/fuel snapshots` lists it as being taken; remove its VM snapshots in vCenter.")]


def name_taken(lab: str, name: str) -> StepFailed:
    return StepFailed(f"{lab} already has a snapshot set `{name}`; pick another name (`/fuel snapshots {lab}`).")


def nothing_to_snapshot(lab: str) -> StepFailed:
    return StepFailed(f"{lab} has no VMs in vCenter to snapshot; `/fuel deploy {lab}` creates them.")


class SnapshotVoice(OneShotVoice[SetFact]):
    def lines(self, fact: SetFact) -> Sequence[Line]:
        return set_lines(fact)

    def headline(self, ready: SetReady) -> str:
        return f"📸 *{ready.lab}* snapshot set `{ready.name}` taken: {ready.vms} VMs, {say_size(ready.size_bytes)}"


# --- rolling back --------------------------------------------------------------------------------

@dataclass(frozen=True)
class RollbackChecked:
    lab: str
    name: str
    vms: tuple[str, ...]
    master: str | None
    fuel: FuelView


@dataclass(frozen=True)
class VmReverted:
    vm: str
    power_state: str
    cold_booted: bool           # its snapshot held no memory: the revert left it off, fuelbot powered it on
    done: int
    total: int


@dataclass(frozen=True)
class FuelAsBefore:
    fuel: FuelView


@dataclass(frozen=True)
class FuelNotCompared:
    reason: str


@dataclass(frozen=True)
class RolledBackHealth:
    outcome: HealthOutcome


@dataclass(frozen=True)
class HealthNotRun:
    status: str | None


RollbackFact = (RollbackChecked | VmReverted | FuelAsBefore | FuelNotCompared | RolledBackHealth | HealthNotRun
                | HealthRunning | HealthFinished)


@dataclass(frozen=True)
class RollbackOutcome:
    name: str
    reverted: tuple[str, ...]
    left: tuple[str, ...]
    health: str | None


class RollbackVoice(KindVoice[RollbackFact]):
    def lines(self, fact: RollbackFact) -> Sequence[Line]:
        match fact:
            case RollbackChecked(lab=lab, name=name, vms=vms, master=master, fuel=fuel):
                order = f"reverting the Fuel master `{master}` first, then the nodes" if master else "reverting them"
                return [Line(f"🔍 `{name}` holds the {len(vms)} VMs *{lab}* has now, each with its snapshot; "
                             f"{order}. When taken, Fuel saw {fuel_summary(fuel)}.")]
            case VmReverted(vm=vm, power_state=state, cold_booted=cold, done=done, total=total):
                how = " (its snapshot holds no memory: powered on again, a cold boot)" if cold else ""
                return [Line(f"⏪ {done}/{total} reverted · `{vm}` {state}{how}", phase="revert",
                             force=done == total)]
            case FuelAsBefore(fuel=fuel):
                return [Line(f"✅ Fuel sees {fuel_summary(fuel)}, as when the set was taken.")]
            case FuelNotCompared(reason=reason):
                return [Line(f"⚠️ Fuel's state is not compared: {reason}.")]
            case RolledBackHealth(outcome=outcome):
                mark = "✅" if outcome.failed == 0 else "⚠️"
                return [Line(f"{mark} Health check after the rollback: {outcome.counts}")]
            case HealthNotRun(status=status):
                return [Line(f"🩺 No health check: the environment was {status or 'not deployed'} when the set was "
                             "taken (it runs where it was operational).")]
            case HealthRunning() | HealthFinished():
                return [progress_line(fact)]

    def ended(self, job: JobHeader, ending: Ending, outcome: RollbackOutcome) -> list[Line]:
        by = f"{job.byline} · {duration(ending.elapsed)}"
        if ending.state is JobState.SUCCEEDED:
            health = f" · health {outcome.health}" if outcome.health else ""
            return [Line.of_parent(Message(f"⏪ *{job.lab}* rolled back to `{outcome.name}` — {by}{health}"))]
        lines = [Line.of_parent(Message(f"❌ Rollback of *{job.lab}* to `{outcome.name}` {ending.state.value} at "
                                        f"*{ending.step_title}* — {by}"))]
        if ending.error is not None:
            lines.append(Line(self.failure(ending.error)))
        if outcome.reverted and outcome.left:
            lines.append(Line(f"⚠️ *{job.lab}* is half rolled back: reverted {', '.join(f'`{v}`' for v in outcome.reverted)}"
                              f"; not yet {', '.join(f'`{v}`' for v in outcome.left)}. Run "
                              f"`/fuel rollback {job.lab} {outcome.name}` again to finish (it reverts every VM)."))
        elif outcome.reverted:
            lines.append(Line(f"Every VM was reverted to `{outcome.name}` ({len(outcome.reverted)})."))
        return lines

    def cancelled(self) -> str:
        return "🛑 Rollback cancelled; the VMs reverted so far are listed above."


def set_gone(lab: str, name: str) -> StepFailed:
    return StepFailed(f"Snapshot set `{name}` of {lab} is no longer recorded, or not complete; `/fuel snapshots {lab}`.")


def lab_changed(lab: str, name: str, problems: Sequence[str]) -> StepFailed:
    return StepFailed(f"{lab}'s VMs changed since `{name}` was taken ({'; '.join(problems)}); nothing was "
                      "reverted. Take a new snapshot set, or put the lab back as it was.")


def fuel_not_as_before(lab: str, differences: Sequence[str]) -> StepFailed:
    return StepFailed(f"The VMs of {lab} are back, but Fuel does not see the environment as it was: "
                      f"{'; '.join(differences[:8])}. Look at the Fuel master (`/fuel status {lab}`).")
