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
    """What a job does; mutating kinds hold their lab exclusively."""

    DEPLOY = "deploy"
    PREFLIGHT = "preflight"
    PLAN = "plan"
    HEALTH = "health"
    STATUS = "status"
    NODES = "nodes"
    DIGEST = "digest"
    DESTROY = "destroy"
    RESET = "reset"

    def is_mutating(self, params: dict | None = None) -> bool:
        if self is JobKind.PREFLIGHT:
            return bool((params or {}).get("fix"))
        return self in {JobKind.DEPLOY, JobKind.DESTROY, JobKind.RESET}


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
