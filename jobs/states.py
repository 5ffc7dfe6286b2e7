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
from typing import Mapping, overload

# JobState is defined beside the models (its column needs it); this module is where it moves.
from store.enums import FINAL_STATES as FINAL_STATES
from store.enums import JobState as JobState


class JobKind(StrEnum):
    """What a job does: one row per kind (value, emoji, label, busy verb, what makes it mutating,
    whether it is a look-up).

    A mutating job holds its lab exclusively; ``busy`` is how a refusal says the lab is held.
    ``mutating`` is True, False, or the name of the parameter that makes the job mutating
    (``preflight --fix``). A ``look_up`` reads and answers in seconds: it answers the person who
    asked where they asked (no thread), and a worker runs it even when long jobs fill its slots.
    """

    label: str                           # not ``title``: that is str's own method
    emoji: str
    busy: str | None
    _mutating: bool | str
    look_up: bool

    @overload
    def __new__(cls, value: str) -> "JobKind": ...      # JobKind("deploy"): a lookup by value
    @overload
    def __new__(cls, value: str, emoji: str, label: str, busy: str | None, mutating: bool | str,
                look_up: bool = False) -> "JobKind": ...

    def __new__(cls, value: str, emoji: str = "", label: str = "", busy: str | None = None,
                mutating: bool | str = False, look_up: bool = False) -> "JobKind":
        member = str.__new__(cls, value)
        member._value_ = value
        member.emoji, member.label, member.busy, member._mutating = emoji, label, busy, mutating
        member.look_up = look_up
        return member

    DEPLOY = "deploy", "🚀", "Deploy", "being deployed", True
    PREFLIGHT = "preflight", "🔎", "Preflight", "being repaired by a preflight --fix", "fix"
    MASTER = "master", "🎛️", "Fuel master", "having its Fuel master set up by a master --fix", "fix"
    PLAN = "plan", "🧭", "Plan", None, False, True
    HEALTH = "health", "🩺", "Health check", None, False
    STATUS = "status", "📟", "Status", None, False, True
    NODES = "nodes", "🖥️", "Nodes", None, False, True
    DIGEST = "digest", "📋", "Digest", None, False, True
    DESTROY = "destroy", "💥", "Destroy", "being destroyed", True
    RESET = "reset", "♻️", "Reset", "being reset", True
    LOGS = "logs", "📜", "Logs", None, False
    DIAGNOSTIC = "diagnostic", "📦", "Diagnostic snapshot", None, False
    SNAPSHOT = "snapshot", "📸", "Snapshot", "being snapshotted", True
    ROLLBACK = "rollback", "⏪", "Rollback", "being rolled back", True
    POWER_OFF = "power_off", "🔌", "Power off", "being powered off", True
    ADOPT = "adopt", "📥", "Adopt", "having its VMs adopted", True
    # Mutating: ``dockerctl backup`` commits every container of the master; a deploy or reset
    # started meanwhile would make it refuse or catch Nailgun half-way.
    BACKUP_MASTER = "backup_master", "🗄️", "Fuel master backup", "having its Fuel master backed up", True
    BACKUPS = "backups", "🗄️", "Fuel master backups", None, False, True

    @property
    def heading(self) -> str:
        """``🚀 Deploy``: how a job's parent message names its kind."""
        return f"{self.emoji} {self.label}"

    @classmethod
    def known(cls, value: str) -> "JobKind | None":
        """The kind called ``value``; None for a kind this version does not know."""
        return next((kind for kind in cls if kind == value), None)

    def is_mutating(self, params: Mapping[str, object] | None = None) -> bool:
        if isinstance(self._mutating, str):
            return bool((params or {}).get(self._mutating))
        return self._mutating


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
