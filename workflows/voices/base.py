"""What every kind's voice shares: a thread line, and the lifecycle words it inherits."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, Iterable, Sequence, TypeVar

from core.errors import StepFailed
from jobs.voice import LifecycleVoice, Message

F = TypeVar("F", contravariant=True)


@dataclass(frozen=True)
class Line:
    """A line a fact puts in the job's thread: a new reply, or the progress line of ``phase`` edited in place.

    ``force`` edits the progress line now instead of at most once per interval (a last word).
    ``keep`` keeps the line in its phase's message, above the progress line, which it ends: lines
    that belong together are one message, edited as each comes (``jobs.reporter``).
    ``parent`` replaces the thread's root instead (a check whose outcome is its headline).
    """

    text: str
    phase: str | None = None
    force: bool = False
    parent: Message | None = None
    keep: bool = False

    @classmethod
    def kept(cls, text: str, phase: str) -> "Line":
        """A line kept in ``phase``'s message with the others that belong with it."""
        return cls(text=text, phase=phase, keep=True)

    @classmethod
    def of_parent(cls, message: Message) -> "Line":
        return cls(text=message.text, parent=message)


class KindVoice(LifecycleVoice, Generic[F]):
    """A kind's voice: the lifecycle words, plus the lines its steps' facts ``F`` become."""

    def lines(self, fact: F) -> Sequence[Line]:
        raise NotImplementedError(f"{type(self).__name__} has no words for {type(fact).__name__}")

    def cancelled(self) -> str:
        """The thread's line when a cancel stopped the job at a safe point."""
        return "🛑 Cancelled on request."


def spec_invalid(lab: str, problems: Iterable[object]) -> StepFailed:
    """Every kind's failure when its lab's spec does not load (the first three problems)."""
    details = "; ".join(str(p) for p in list(problems)[:3])
    return StepFailed(f"The spec of {lab} is invalid: {details}. Run `python app.py check-lab` on it.")


def no_such_lab(lab: str, labs: Iterable[str]) -> StepFailed:
    return StepFailed(f"No lab named `{lab}` (labs: {', '.join(sorted(labs)) or 'none'}).")


def no_lab(job_id: int) -> StepFailed:
    return StepFailed(f"job #{job_id} names no lab")


def master_unmanaged(lab: str, owner: str | None) -> StepFailed:
    """A lab that shares a Fuel master another lab declares (or that no lab declares)."""
    who = (f"{owner} declares it: `/fuel master {owner}`" if owner else
           "no lab declares it in `fuel.master_vm`, so it is set up by hand")
    return StepFailed(f"{lab} declares no `fuel.master_vm`, so fuelbot does not manage its Fuel master's host ({who}).")
