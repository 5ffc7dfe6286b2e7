"""SQLAlchemy 2.0 typed models: the database is fuelbot's source of truth.

Tables: jobs and their audit trail (job_events), the Slack outbox (every message fuelbot
sends, so nothing is lost across restarts or 429s), the files it shares (outbox_files) and the
rate budgets every replica spends from, schedules and their fires (exactly once per fire time
across replicas), lab observations (for digests), health runs (for comparisons), announced nodes
(discovery watch announces each MAC once), the Fuel masters' SSH host keys (recorded on first contact, checked on every later one),
the VMs fuelbot created (the only VMs destroy may delete) confirmations (a destructive button
works once). Shared labs: leases and their queue (lab_leases, lease_waiters), requests awaiting a
confirmation or a second person (approvals), whole-lab snapshot sets and each VM's snapshot in
them (lab_snapshots, lab_snapshot_vms).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (JSON, BigInteger, Boolean, Float, ForeignKey, Integer, LargeBinary, MetaData, String, Text,
                        UniqueConstraint, false)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from store.enums import ApprovalState, JobState, LeaseState, OutboxState, Placement, SnapshotState
from store.types import UTCDateTime, string_enum

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, list[str]: JSON}


class Job(Base):
    """One unit of durable work (a deploy, a health check, a digest, …)."""

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    lab: Mapped[str | None] = mapped_column(String(64), index=True)
    requester: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str | None] = mapped_column(String(64))
    thread_ts: Mapped[str | None] = mapped_column(String(32))
    state: Mapped[JobState] = mapped_column(string_enum(JobState, length=16), index=True)
    step: Mapped[str | None] = mapped_column(String(64))
    step_title: Mapped[str | None] = mapped_column(String(128))     # what people read for ``step``
    progress: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    context: Mapped[dict[str, Any]] = mapped_column(default=dict)
    result: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    error: Mapped[str | None] = mapped_column(Text)
    dedupe_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    # Set to the lab's name while a mutating job is active, NULL otherwise: the unique
    # constraint is what guarantees one mutating job per lab across replicas.
    lab_lock: Mapped[str | None] = mapped_column(String(64), unique=True)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    lease_owner: Mapped[str | None] = mapped_column(String(128))
    lease_expires_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None]
    schedule_id: Mapped[int | None] = mapped_column(ForeignKey("schedules.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    step_started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]

    events: Mapped[list["JobEvent"]] = relationship(back_populates="job", order_by="JobEvent.id",
                                                    cascade="all, delete-orphan")


class JobEvent(Base):
    """The audit trail: every transition and notable event of a job, with time and actor."""

    __tablename__ = "job_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any] | None] = mapped_column(default=None)

    job: Mapped[Job | None] = relationship(back_populates="events")


class OutboxMessage(Base):
    """A Slack message to post or edit; delivered in order, throttled, retried after 429s."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(64))
    placement: Mapped[Placement] = mapped_column(string_enum(Placement, length=16))
    # Messages sharing a slot are one message edited in place (the first posts, later ones edit).
    slot: Mapped[str | None] = mapped_column(String(128), index=True)
    text: Mapped[str] = mapped_column(Text)
    body: Mapped[dict[str, Any]] = mapped_column(default=dict)   # neutral content the bot renders to blocks
    state: Mapped[OutboxState] = mapped_column(string_enum(OutboxState, length=16), index=True,
                                               default=OutboxState.PENDING)
    ts: Mapped[str | None] = mapped_column(String(32))
    # Placement.ANSWER: the one person it is for (ephemeral in ``channel``, or their DM).
    recipient: Mapped[str | None] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)       # failures no retry may cure; they end it
    retries: Mapped[int] = mapped_column(Integer, default=0, server_default="0")   # Slack unavailable: waits
    # The last call may have reached Slack (a timeout, a 5xx): look for it before posting again.
    uncertain: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    not_before: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(128))
    claimed_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class OutboxFile(Base):
    """The file an outbox message shares (``jobs.uploads``): its bytes here, or a file under the data dir."""

    __tablename__ = "outbox_files"

    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id", ondelete="CASCADE"), primary_key=True)
    filename: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(BigInteger)
    content: Mapped[bytes | None] = mapped_column(LargeBinary)     # small files (a log): kept here, scrubbed
    path: Mapped[str | None] = mapped_column(Text)                 # large ones (a snapshot): read when sent


class RateBudget(Base):
    """One Slack rate allowance shared by all replicas (``jobs.rate_budget``): times are epoch seconds."""

    __tablename__ = "rate_budgets"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    next_free: Mapped[float] = mapped_column(Float)              # GCRA's theoretical arrival time
    held_until: Mapped[float | None] = mapped_column(Float)      # after a 429: Retry-After for everyone


class Confirmation(Base):
    """A confirmation button's one-time nonce: it queues its job once, then only says so."""

    __tablename__ = "confirmations"

    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    action: Mapped[str] = mapped_column(String(32))
    lab: Mapped[str] = mapped_column(String(64))
    requester: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_by: Mapped[str | None] = mapped_column(String(64))
    used_delivery: Mapped[str | None] = mapped_column(String(128))   # the Slack delivery that used it
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))


class Schedule(Base):
    """A recurring digest or health check on a cron expression in a time zone."""

    __tablename__ = "schedules"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    lab: Mapped[str | None] = mapped_column(String(64))
    cron: Mapped[str] = mapped_column(String(128))
    timezone: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(64))
    mention: Mapped[str | None] = mapped_column(String(128))
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_by: Mapped[str] = mapped_column(String(64))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    last_fire_at: Mapped[datetime | None]
    next_fire_at: Mapped[datetime | None]
    # What on-call was last told about a scheduled check (passing, failing which tests, could not
    # run and why): an alert goes out only when a run finds something else (workflows.alerts).
    alert: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    snoozed_until: Mapped[datetime | None]              # alerts stay silent until then
    snoozed_by: Mapped[str | None] = mapped_column(String(64))


class ScheduleFire(Base):
    """One fire time of one schedule; the unique key makes each fire run exactly once."""

    __tablename__ = "schedule_fires"
    __table_args__ = (UniqueConstraint("schedule_id", "fire_at", name="uq_schedule_fires_schedule_fire"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("schedules.id", ondelete="CASCADE"))
    fire_at: Mapped[datetime]
    missed: Mapped[int] = mapped_column(Integer, default=0)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    fired_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime]
    skipped: Mapped[str | None] = mapped_column(String(300))   # why no job ran for this fire (None: one did)


class LabObservation(Base):
    """What fuelbot last saw of a lab's Fuel environment, nodes and health (for digests)."""

    __tablename__ = "lab_observations"

    id: Mapped[int] = mapped_column(primary_key=True)
    lab: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(16))       # snapshot | digest
    observed_at: Mapped[datetime]
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


class LabState(Base):
    """What the observation tick last read of a lab on its Fuel master (one row per lab), and when.

    ``observed_at`` is the last read that answered (``data`` is from it); ``tried_at`` the last
    read at all, and ``error`` why it did not answer. Readers say how fresh it is and never show
    a reading older than its master's last failure as current (``workflows.observations``).
    """

    __tablename__ = "lab_states"

    lab: Mapped[str] = mapped_column(String(64), primary_key=True)
    fuel: Mapped[str] = mapped_column(String(255))
    observed_at: Mapped[datetime | None]
    tried_at: Mapped[datetime]
    error: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


class HealthRun(Base):
    """One OSTF run's per-test outcome, kept as history for comparisons."""

    __tablename__ = "health_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    lab: Mapped[str] = mapped_column(String(64), index=True)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    at: Mapped[datetime]
    started_at: Mapped[datetime | None]        # when its job started: comparisons follow start order
    testsets: Mapped[list[str]] = mapped_column(default=list)
    summary: Mapped[dict[str, Any]] = mapped_column(default=dict)   # {"passed": n, "failed": n, "skipped": n, ...}
    tests: Mapped[dict[str, Any]] = mapped_column(default=dict)     # test id -> {name, status, message, step, taken}


class AnnouncedNode(Base):
    """A discovered node already announced in its lab's channel (announce each MAC once)."""

    __tablename__ = "announced_nodes"
    __table_args__ = (UniqueConstraint("lab", "mac", name="uq_announced_nodes_lab_mac"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lab: Mapped[str] = mapped_column(String(64))
    mac: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime]


class MasterHostKey(Base):
    """The SSH host key a Fuel master presented the first time fuelbot connected to it."""

    __tablename__ = "master_host_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(String(255), unique=True)   # host:port
    key_type: Mapped[str] = mapped_column(String(64))                # ssh-rsa, ssh-ed25519, …
    key_base64: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime]


class VMOwnership(Base):
    """A VM fuelbot created for a lab: planned (instance UUID chosen) before CreateVM_Task, then
    confirmed with its moref. Destroy deletes a VM only when moref, name and instance UUID match."""

    __tablename__ = "vm_ownership"
    __table_args__ = (
        UniqueConstraint("vcenter_uuid", "instance_uuid", name="uq_vm_ownership_vcenter_instance"),
        UniqueConstraint("vcenter_uuid", "lab", "name", name="uq_vm_ownership_vcenter_lab_name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lab: Mapped[str] = mapped_column(String(64), index=True)
    vcenter_uuid: Mapped[str] = mapped_column(String(64))     # about.instanceUuid of the vCenter
    name: Mapped[str] = mapped_column(String(80))
    instance_uuid: Mapped[str] = mapped_column(String(64))    # config.instanceUuid
    moid: Mapped[str | None] = mapped_column(String(64))      # NULL while only planned
    folder: Mapped[str] = mapped_column(String(255))
    macs: Mapped[list[str]] = mapped_column(default=list)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    planned_at: Mapped[datetime]
    created_at: Mapped[datetime | None]


class LabLease(Base):
    """A person's hold on a lab until a time: while it is active, only they may change the lab."""

    __tablename__ = "lab_leases"

    id: Mapped[int] = mapped_column(primary_key=True)
    lab: Mapped[str] = mapped_column(String(64), index=True)
    # The lab's name while the lease is active, NULL once it ends: the unique constraint is what
    # guarantees one holder per lab across replicas (the same device as ``Job.lab_lock``).
    held: Mapped[str | None] = mapped_column(String(64), unique=True)
    holder: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)
    channel: Mapped[str | None] = mapped_column(String(64))         # where it was asked for; notices go there
    state: Mapped[LeaseState] = mapped_column(string_enum(LeaseState, length=16), index=True)
    granted_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    length_seconds: Mapped[int] = mapped_column(Integer)            # as asked: the Extend button adds as much
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0)  # how many of the policy's reminders are due
    ended_at: Mapped[datetime | None]
    ended_by: Mapped[str | None] = mapped_column(String(128))


class LeaseWaiter(Base):
    """A person queued for a held lab; the first in line gets it when it frees (then the row goes)."""

    __tablename__ = "lease_waiters"
    __table_args__ = (UniqueConstraint("lab", "user", name="uq_lease_waiters_lab_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lab: Mapped[str] = mapped_column(String(64))
    user: Mapped[str] = mapped_column(String(64))
    length_seconds: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(Text)
    channel: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]


class Approval(Base):
    """A destroy or rollback waiting for its requester's confirmation and, on a shared lab, a second person.

    Its id is the value of the buttons that confirm or approve it, so a click names exactly one
    request, and a second click finds it already decided.
    """

    __tablename__ = "approvals"

    id: Mapped[int] = mapped_column(primary_key=True)
    lab: Mapped[str] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(32))                 # a JobKind's value: destroy | rollback
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)   # the job's params (snapshot, override)
    requester: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(64))
    required_role: Mapped[str] = mapped_column(String(16))          # the role the approver needs
    second_person: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[ApprovalState] = mapped_column(string_enum(ApprovalState, length=16), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    confirmed_at: Mapped[datetime | None]                           # the requester's own click
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None]
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))


class LabSnapshot(Base):
    """A named set of snapshots, one per VM of a lab (its nodes and its Fuel master), taken together."""

    __tablename__ = "lab_snapshots"
    __table_args__ = (UniqueConstraint("lab", "name", name="uq_lab_snapshots_lab_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lab: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(64))
    state: Mapped[SnapshotState] = mapped_column(string_enum(SnapshotState, length=16))
    automatic: Mapped[bool] = mapped_column(Boolean, default=False)  # taken before a reset or scale-out
    trigger: Mapped[str | None] = mapped_column(String(32))          # what it was taken before, if automatic
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    fuel: Mapped[dict[str, Any]] = mapped_column(default=dict)       # the environment and nodes as Fuel saw them

    vms: Mapped[list["LabSnapshotVm"]] = relationship(back_populates="snapshot", order_by="LabSnapshotVm.id",
                                                      cascade="all, delete-orphan")


class LabSnapshotVm(Base):
    """One VM's snapshot in a set: the snapshot's moref, the power state and memory it was taken with."""

    __tablename__ = "lab_snapshot_vms"
    __table_args__ = (UniqueConstraint("snapshot_id", "vm_name", name="uq_lab_snapshot_vms_snapshot_vm"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("lab_snapshots.id", ondelete="CASCADE"), index=True)
    vm_name: Mapped[str] = mapped_column(String(80))
    vm_moid: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))                    # node | master
    power_state: Mapped[str] = mapped_column(String(16))             # as it was when taken
    memory: Mapped[bool] = mapped_column(Boolean, default=False)
    snapshot_moref: Mapped[str | None] = mapped_column(String(64))   # None until vCenter answered
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    taken_at: Mapped[datetime | None]

    snapshot: Mapped[LabSnapshot] = relationship(back_populates="vms")
