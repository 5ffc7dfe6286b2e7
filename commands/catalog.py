"""The commands fuelbot understands: one frozen dataclass per verb and noun.

A class is the whole row of its command: its one-line docstring is its help, ``usage`` its
synopsis and ``example`` a line that parses back into it (``tests/unit/test_commands_catalog.py``
checks all three, so a command cannot ship undocumented); ``params`` tells ``commands.parser``
how words fill the fields; ``activity`` is what a refusal says the person tried to do; ``role``
is the least role that may run it (a flag's ``Param.role`` may ask for more); ``button`` is the
button whose click stands for it. A ``JobCommand`` names the ``job`` kind it queues, whose
workflow does the work; any other command's handler is registered where it is defined, with
``commands.dispatch.handles``. ``commands.command`` says what each class variable means.

The rows live by what they are about: ``commands.catalog_labs`` (a lab and its jobs),
``commands.catalog_records`` (help, jobs, audit), ``commands.catalog_schedules`` (digests and on
call) and ``commands.catalog_shared`` (leases, snapshots, approvals); this module puts them in
help's order and indexes them, and every command stays importable from here.
"""
from __future__ import annotations

from commands.catalog_labs import (DEFAULT_TESTSETS, TESTSETS, AdoptVms, DeployLab, DestroyLab, ListNodes, PlanDeploy,
                                   ReadLogs, ResetLab, RunHealth, RunPreflight, ShowMaster, ShowStatus, TakeDiagnostic)
from commands.catalog_records import CancelJob, ListJobs, ListLabs, ShowAudit, ShowHelp, ShowJob
from commands.catalog_schedules import (ListSchedules, ScheduleDigest, ScheduleHealth, ShowDigest, SnoozeAlerts,
                                        Unschedule)
from commands.catalog_shared import (ApproveRequest, BackupMaster, ExtendLease, ListBackups, ListSnapshots, ReleaseLab,
                                     ReserveLab, RollbackLab, SnapshotLab)
from commands.command import Command
from core.buttons import ButtonAction

__all__ = [
    "BY_BUTTON", "BY_NAME", "COMMANDS", "DEFAULT_TESTSETS", "TESTSETS", "VERBS", "AdoptVms", "ApproveRequest",
    "BackupMaster", "CancelJob", "DeployLab", "DestroyLab", "ExtendLease", "ListBackups", "ListJobs", "ListLabs",
    "ListNodes", "ListSchedules", "ListSnapshots", "PlanDeploy", "ReadLogs", "ReleaseLab", "ReserveLab", "ResetLab",
    "RollbackLab", "RunHealth", "RunPreflight", "ScheduleDigest", "ScheduleHealth", "ShowAudit", "ShowDigest",
    "ShowHelp", "ShowJob", "ShowMaster", "ShowStatus", "SnapshotLab", "SnoozeAlerts", "TakeDiagnostic",
    "Unschedule"
]

# In the order help lists them: looking first, then acting, then sharing, then scheduling, then on call.
COMMANDS: tuple[type[Command], ...] = (
    ShowHelp, ListLabs, ShowStatus, ListNodes, PlanDeploy, RunPreflight, ShowMaster, DeployLab, RunHealth,
    ResetLab, DestroyLab, AdoptVms, ListJobs, ShowJob, CancelJob, ReserveLab, ExtendLease, ReleaseLab, SnapshotLab,
    ListSnapshots, RollbackLab, ApproveRequest, BackupMaster, ListBackups, ShowDigest, ScheduleDigest, ScheduleHealth,
    ListSchedules, Unschedule, SnoozeAlerts, ReadLogs, TakeDiagnostic, ShowAudit,
)
BY_NAME: dict[str, type[Command]] = {command.name: command for command in COMMANDS}
BY_BUTTON: dict[ButtonAction, type[Command]] = {command.button: command for command in COMMANDS if command.button}
VERBS: tuple[str, ...] = tuple(sorted({name.split(" ", 1)[0] for name in BY_NAME}))    # a command's first word
