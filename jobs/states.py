"""The job state machine: one enum, one transition table, one place that changes a state.

    queued ──claim──▶ running ──▶ succeeded
       │                 │  ╰───▶ failed
       │                 ├──────▶ cancelled
       │                 ╰─lease expired / step retry──▶ queued
       ╰──cancel─────────────────▶ cancelled

``succeeded``, ``failed`` and ``cancelled`` are final: nothing leaves them.
"""
from __future__ import annotations

from enum import StrEnum
from typing import Mapping


class JobState(StrEnum):
    """Where a job is in its life."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_final(self) -> bool:
        return self in FINAL_STATES

    @property
    def is_active(self) -> bool:
        return not self.is_final


class JobKind(StrEnum):
    """What a job does: one row per kind (value, emoji, title, busy verb, what makes it mutating).

    A mutating job holds its lab exclusively; ``busy`` is how a refusal says the lab is held.
    ``mutating`` is True, False, or the name of the parameter that makes the job mutating
    (``preflight --fix``).
    """

    title: str
    emoji: str
    busy: str | None
    _mutating: bool | str

    def __new__(cls, value: str, emoji: str, title: str, busy: str | None, mutating: bool | str) -> "JobKind":
        member = str.__new__(cls, value)
        member._value_ = value
        member.emoji, member.title, member.busy, member._mutating = emoji, title, busy, mutating
        return member

    DEPLOY = "deploy", "🚀", "Deploy", "being deployed", True
    PREFLIGHT = "preflight", "🔎", "Preflight", "being repaired by a preflight --fix", "fix"
    PLAN = "plan", "🧭", "Plan", None, False
    HEALTH = "health", "🩺", "Health check", None, False
    STATUS = "status", "📟", "Status", None, False
    NODES = "nodes", "🖥️", "Nodes", None, False
    DIGEST = "digest", "📋", "Digest", None, False
    DESTROY = "destroy", "💥", "Destroy", "being destroyed", True
    RESET = "reset", "♻️", "Reset", "being reset", True

    @property
    def heading(self) -> str:
        """``🚀 Deploy``: how a job's parent message names its kind."""
        return f"{self.emoji} {self.title}"

    def is_mutating(self, params: Mapping[str, object] | None = None) -> bool:
        if isinstance(self._mutating, str):
            return bool((params or {}).get(self._mutating))
        return self._mutating


FINAL_STATES = frozenset({JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED})

TRANSITIONS: dict[JobState, frozenset[JobState]] = {
    JobState.QUEUED: frozenset({JobState.RUNNING, JobState.CANCELLED}),
    JobState.RUNNING: frozenset({JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED, JobState.QUEUED}),
    JobState.SUCCEEDED: frozenset(),
    JobState.FAILED: frozenset(),
    JobState.CANCELLED: frozenset(),
}


def can_transition(current: JobState, new: JobState) -> bool:
    """True when the table allows ``current`` → ``new``."""
    return new in TRANSITIONS[current]
