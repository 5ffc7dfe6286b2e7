"""The values a state column may hold: the StrEnums behind ``store.models``' Enum columns.

They live beside the models because a column needs its type; what the states mean and how
they change belong to their owners: ``jobs.states`` (the job state machine and its transition
table) and ``jobs.outbox`` (delivery of Slack messages), which is where the rest of fuelbot
imports them from. The database stores each member's value, the same strings as ever.
"""
from __future__ import annotations

from enum import StrEnum


class JobState(StrEnum):
    """Where a job is in its life (``jobs.states`` holds the transitions)."""

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


FINAL_STATES = frozenset({JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED})


class OutboxState(StrEnum):
    """Where a Slack message is on its way out."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    SUPERSEDED = "superseded"
    DEAD = "dead"


class Placement(StrEnum):
    """Where a Slack message goes."""

    PARENT = "parent"   # the job's thread root in its channel
    REPLY = "reply"     # a reply in the job's thread
    POST = "post"       # a plain message in a channel
    ANSWER = "answer"   # to one person: ephemeral where they asked, or in their DM with fuelbot


class LeaseState(StrEnum):
    """Where a person's hold on a lab is (``jobs.leases`` moves it)."""

    ACTIVE = "active"
    RELEASED = "released"   # by its holder, or broken by an admin
    EXPIRED = "expired"     # its time ran out; the lab's ``lease.on_expiry`` applied


class ApprovalState(StrEnum):
    """Where a request that needs a confirmation or a second person is (``jobs.approvals`` moves it)."""

    PENDING = "pending"
    APPROVED = "approved"   # its job was submitted
    EXPIRED = "expired"


class SnapshotState(StrEnum):
    """Where a whole-lab snapshot set is."""

    CREATING = "creating"
    READY = "ready"
    FAILED = "failed"       # some VMs' snapshots may exist; they are listed on the set
