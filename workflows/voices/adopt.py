"""The voice of ``/fuel adopt``: which VMs an older fuelbot made are now the lab's, and which are not."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from core.errors import StepFailed
from workflows.voices.base import Line
from workflows.voices.oneshot import OneShotVoice


@dataclass(frozen=True)
class AdoptedVm:
    name: str
    moid: str
    moved_from: str           # "" when it already was in the lab's folder


@dataclass(frozen=True)
class VmsAdopted:
    lab: str
    folder: str
    adopted: tuple[AdoptedVm, ...]
    refused: tuple[tuple[str, str], ...]      # (VM, why)


class AdoptVoice(OneShotVoice[VmsAdopted]):
    def lines(self, fact: VmsAdopted) -> Sequence[Line]:
        lines = [f"📥 `{vm.name}` ({vm.moid}) adopted: "
                 + (f"moved from {vm.moved_from} into `{fact.folder}`" if vm.moved_from else f"already in `{fact.folder}`")
                 + ", recorded" for vm in fact.adopted]
        lines += [f"⚠️ `{name}` not adopted: {why}." for name, why in fact.refused]
        if fact.adopted:
            lines.append(f"From now on deploy finds them by their record and `/fuel destroy {fact.lab}` deletes them.")
        return [Line("\n".join(lines))] if lines else []

    def headline(self, fact: VmsAdopted) -> str:
        if not fact.adopted and not fact.refused:
            return f"📥 *{fact.lab}*: nothing to adopt (no VM of its names carries its owner marker without a record)"
        return f"📥 *{fact.lab}*: {len(fact.adopted)} VM(s) adopted into `{fact.folder}`"


def adoption_refused(lab: str, refused: Sequence[tuple[str, str]]) -> StepFailed:
    names = ", ".join(f"`{name}`" for name, _ in refused)
    return StepFailed(f"{len(refused)} VM(s) of {lab} could not be adopted ({names}); the reasons are in the thread. "
                      f"Sort them out in vCenter, then run `/fuel adopt {lab}` again.")
