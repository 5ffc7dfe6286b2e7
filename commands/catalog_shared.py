"""The shared-lab commands, rows of the catalog like the others (``commands.catalog`` lists them).

Leases (``reserve``, ``extend``, ``release``), whole-lab snapshots (``snapshot``, ``snapshots``,
``rollback``), ``approve``, which confirms a destroy or rollback or, on a lab marked
``shared: true``, approves someone else's, and the Fuel master's own backups (``backup-master``,
``backups``).
"""
from __future__ import annotations

from dataclasses import dataclass

from commands.command import LAB, Command, JobCommand, Param, ParamKind
from commands.roles import Role
from core.buttons import ButtonAction
from core.durations import Duration
from jobs.states import JobKind


@dataclass(frozen=True)
class ReserveLab(Command):
    """Hold a lab for a while (only you may change it); if it is held, queue for it."""

    lab: str
    duration: Duration
    reason: str | None = None
    override: bool = False               # an admin takes the lab over; its holder gets it back after
    name = "reserve"
    usage = "reserve <lab> <duration> [--reason …] [--override]"
    example = "reserve lab1 4h --reason upgrade rehearsal"
    activity = "Reserving a lab"
    role = Role.OPERATOR
    params = (LAB, Param(field="duration", kind=ParamKind.DURATION),
              Param(field="reason", kind=ParamKind.REASON, option="--reason"),
              Param(field="override", kind=ParamKind.FLAG, option="--override", role=Role.ADMIN))


@dataclass(frozen=True)
class ReleaseLab(Command):
    """Give back a lab you reserved (or leave its queue); the next in line gets it."""

    lab: str
    name = "release"
    usage = "release <lab>"
    example = "release lab1"
    activity = "Releasing a lab"
    role = Role.OPERATOR
    params = (LAB,)


@dataclass(frozen=True)
class ExtendLease(Command):
    """Keep a lab you reserved for longer."""

    lab: str
    duration: Duration | None = None     # a click on the reminder's button: as long as first asked
    name = "extend"
    usage = "extend <lab> <duration>"
    example = "extend lab1 2h"
    activity = "Extending a lease"
    role = Role.OPERATOR
    button = ButtonAction.EXTEND_LEASE
    params = (LAB, Param(field="duration", kind=ParamKind.DURATION))


@dataclass(frozen=True)
class SnapshotLab(Command):
    """Snapshot every VM of a lab and its Fuel master as one named set."""

    lab: str
    snapshot: str | None = None
    name = "snapshot"
    usage = "snapshot <lab> [name]"
    example = "snapshot lab1 before-upgrade"
    activity = "Snapshotting a lab"
    role = Role.OPERATOR
    params = (LAB, Param(field="snapshot", kind=ParamKind.SNAPSHOT, optional=True))


@dataclass(frozen=True)
class ListSnapshots(Command):
    """List a lab's snapshot sets with their age and size."""

    lab: str
    name = "snapshots"
    usage = "snapshots <lab>"
    example = "snapshots lab1"
    activity = "Listing snapshots"
    role = Role.VIEWER
    params = (LAB,)


@dataclass(frozen=True)
class RollbackLab(Command):
    """Revert a lab's VMs and Fuel master to a snapshot set, once you confirm."""

    lab: str
    snapshot: str
    name = "rollback"
    usage = "rollback <lab> <snapshot>"
    example = "rollback lab1 before-upgrade"
    activity = "Rolling back a lab"
    role = Role.OPERATOR
    params = (LAB, Param(field="snapshot", kind=ParamKind.SNAPSHOT))


@dataclass(frozen=True)
class BackupMaster(JobCommand):
    """Back up a lab's Fuel master with Fuel's own `dockerctl backup`."""

    name = "backup-master"
    usage = "backup-master <lab>"
    example = "backup-master lab1"
    activity = "Backing up a Fuel master"
    role = Role.OPERATOR
    job = JobKind.BACKUP_MASTER
    needs_managed_master = True
    params = (LAB,)


@dataclass(frozen=True)
class ListBackups(JobCommand):
    """List the backups on a lab's Fuel master with their size and age."""

    name = "backups"
    usage = "backups <lab>"
    example = "backups lab1"
    activity = "Listing a Fuel master's backups"
    role = Role.VIEWER
    job = JobKind.BACKUPS
    needs_managed_master = True
    params = (LAB,)


@dataclass(frozen=True)
class ApproveRequest(Command):
    """Confirm your destroy or rollback, or approve someone else's on a shared lab."""

    approval_id: int
    name = "approve"
    usage = "approve <id>"
    example = "approve 4"
    activity = "Approving a request"
    role = Role.OPERATOR                 # a destroy's approver must be an admin: checked per request
    button = ButtonAction.APPROVE_REQUEST
    params = (Param(field="approval_id", kind=ParamKind.APPROVAL_ID),)
