"""The voices of destroy (the Fuel environment and the lab's node VMs) and reset (Fuel's reset)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from core.errors import StepFailed
from jobs.voice import Ending, JobHeader, Message, mark
from workflows.voices.base import KindVoice, Line
from workflows.voices.oneshot import OneShotVoice
from workflows.voices.words import duration


@dataclass(frozen=True)
class NoEnvironment:
    name: str


@dataclass(frozen=True)
class EnvironmentDeleted:
    name: str
    cluster_id: int


@dataclass(frozen=True)
class VmsDeleted:
    lab: str
    folder: str
    deleted: tuple[str, ...]
    gone: tuple[str, ...] = ()                          # recorded, already deleted by someone: records dropped
    refused: tuple[tuple[str, str], ...] = ()           # (VM, why): no longer what fuelbot recorded, left alone
    strays: tuple[str, ...] = ()                        # the lab's marker but no record (an older fuelbot's)


DestroyFact = NoEnvironment | EnvironmentDeleted | VmsDeleted


class DestroyVoice(KindVoice[DestroyFact]):
    def lines(self, fact: DestroyFact) -> Sequence[Line]:
        match fact:
            case NoEnvironment(name=name):
                return [Line(f"🗑️ No Fuel environment `{name}` to delete.")]
            case EnvironmentDeleted(name=name, cluster_id=cluster_id):
                return [Line(f"🗑️ Fuel environment `{name}` (id {cluster_id}) deleted; its nodes return to discover.")]
            case VmsDeleted(lab=lab, folder=folder, deleted=deleted, gone=gone, refused=refused, strays=strays):
                lines = [f"🧹 VMs deleted: {', '.join(f'`{n}`' for n in deleted) or 'none'}."]
                if gone:
                    lines.append(f"Already gone from `{folder}`: {', '.join(f'`{n}`' for n in gone)}.")
                lines += [f"⚠️ Refused to delete `{name}`: {why}. It is left in vCenter; delete it there if it is "
                          "no one's." for name, why in refused]
                if strays:
                    lines.append(f"⚠️ Left alone, fuelbot has no record of them: {', '.join(f'`{n}`' for n in strays)} "
                                 f"(they carry {lab}'s owner marker: `/fuel adopt {lab}` takes them over if they are "
                                 "the lab's, then destroy deletes them).")
                lines.append("Port groups and the Fuel master VM are kept (they may serve other labs).")
                return [Line("\n".join(lines))]

    def ended(self, job: JobHeader, ending: Ending) -> list[Line]:
        parent = Message(f"{mark(ending.state)} Destroy of *{job.lab}* {ending.state.value} — {job.byline} · "
                         f"{duration(ending.elapsed)}")
        return [Line.of_parent(parent), *([Line(self.failure(ending.error))] if ending.error is not None else [])]

    def cancelled(self) -> str:
        return "🛑 Destroy cancelled; what was deleted so far is listed above."


@dataclass(frozen=True)
class EnvironmentReset:
    lab: str
    environment: str


class ResetVoice(OneShotVoice[EnvironmentReset]):
    def headline(self, reset: EnvironmentReset) -> str:
        return f"♻️ *{reset.lab}* reset: environment `{reset.environment}` is new again, nodes rediscovered"


def deletion_timed_out(environment: str) -> StepFailed:
    return StepFailed(f"Fuel did not finish deleting environment `{environment}` in time.")


def nothing_to_reset(lab: str, environment: str) -> StepFailed:
    return StepFailed(f"{lab} has no Fuel environment `{environment}` to reset.")


def reset_failed(environment: str, message: str | None) -> StepFailed:
    return StepFailed(f"Fuel could not reset `{environment}`: {message}")
