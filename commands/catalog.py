"""The commands fuelbot understands: one frozen dataclass per verb and noun.

A class is the whole row of its command: its one-line docstring is its help, ``usage`` its
synopsis and ``example`` a line that parses back into it (``tests/unit/test_commands_catalog.py``
checks all three, so a command cannot ship undocumented); ``params`` tells ``commands.parser``
how words fill the fields; ``activity`` is what a refusal says the person tried to do; ``role``
is the least role that may run it (a flag's ``Param.role`` may ask for more); ``button`` is the
button whose click stands for it. A ``JobCommand`` names the ``job`` kind it queues, whose
workflow does the work; any other command's handler is registered where it is defined, with
``commands.dispatch.handles``. ``commands.command`` says what each class variable means.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Self

from commands.catalog_shared import (ApproveRequest, ExtendLease, ListSnapshots, ReleaseLab, ReserveLab, RollbackLab,
                                     SnapshotLab)
from commands.command import Command, JobCommand, Param, ParamKind
from commands.confirmations import split_value
from commands.roles import Role
from core.buttons import ButtonAction
from core.durations import Duration
from jobs.states import JobKind

TESTSETS = ("sanity", "smoke", "ha", "platform_tests")    # Fuel 6.0's OSTF test sets
DEFAULT_TESTSETS = ("sanity", "smoke")


def _lab(optional: bool = False) -> Param:
    return Param(field="lab", kind=ParamKind.LAB, optional=optional)


@dataclass(frozen=True)
class ShowHelp(Command):
    """List the commands, or show one command's usage and an example."""

    topic: str | None = None
    name = "help"
    usage = "help [command]"
    example = "help deploy"
    activity = "Reading the help"
    role = Role.VIEWER
    params = (Param(field="topic", kind=ParamKind.TOPIC, optional=True),)


@dataclass(frozen=True)
class ListLabs(Command):
    """List the labs with their nodes and how their last job went."""

    name = "labs"
    usage = "labs"
    example = "labs"
    activity = "Listing labs"
    role = Role.VIEWER


@dataclass(frozen=True)
class PlanDeploy(JobCommand):
    """Show what a deploy of a lab would change, changing nothing."""

    lab: str
    name = "plan"
    usage = "plan <lab>"
    example = "plan lab1"
    activity = "Planning a deploy"
    role = Role.VIEWER
    job = JobKind.PLAN
    params = (_lab(),)


@dataclass(frozen=True)
class RunPreflight(JobCommand):
    """Check that vSphere and Fuel are ready for a lab; --fix repairs what it can."""

    lab: str
    fix: bool = False
    name = "preflight"
    usage = "preflight <lab> [--fix]"
    example = "preflight lab1 --fix"
    activity = "Fixing a lab's preflight findings"   # only --fix can be refused
    role = Role.VIEWER
    job = JobKind.PREFLIGHT
    params = (_lab(), Param(field="fix", kind=ParamKind.FLAG, option="--fix", role=Role.OPERATOR))


@dataclass(frozen=True)
class ShowMaster(JobCommand):
    """Show a lab's Fuel master and its services; --fix sets it up as its spec says."""

    lab: str
    fix: bool = False
    name = "master"
    usage = "master <lab> [--fix]"
    example = "master lab1 --fix"
    activity = "Setting up a lab's Fuel master"   # only --fix can be refused
    role = Role.VIEWER
    job = JobKind.MASTER
    button = ButtonAction.FIX_MASTER
    params = (_lab(), Param(field="fix", kind=ParamKind.FLAG, option="--fix", role=Role.OPERATOR))

    @classmethod
    def clicked(cls, value: str | int) -> Self:
        return replace(super().clicked(value), fix=True)


@dataclass(frozen=True)
class DeployLab(JobCommand):
    """Deploy a lab: VMs, Fuel environment, deployment, then a health check."""

    lab: str
    skip_health: bool = False
    name = "deploy"
    usage = "deploy <lab> [--skip-health]"
    example = "deploy lab1"
    activity = "Deploying a lab"
    role = Role.OPERATOR
    job = JobKind.DEPLOY
    params = (_lab(), Param(field="skip_health", kind=ParamKind.FLAG, option="--skip-health"))


@dataclass(frozen=True)
class ShowStatus(JobCommand):
    """Show the environment and nodes of one lab or all, as last read (`--live` asks)."""

    lab: str | None = None
    live: bool = False
    name = "status"
    usage = "status [lab] [--live]"
    example = "status lab1"
    activity = "Checking status"
    role = Role.VIEWER
    job = JobKind.STATUS
    params = (_lab(optional=True), Param(field="live", kind=ParamKind.FLAG, option="--live"))


@dataclass(frozen=True)
class ListNodes(JobCommand):
    """List a lab's nodes: VM, MAC, Fuel node, roles and status."""

    lab: str
    name = "nodes"
    usage = "nodes <lab>"
    example = "nodes lab1"
    activity = "Listing nodes"
    role = Role.VIEWER
    job = JobKind.NODES
    params = (_lab(),)


@dataclass(frozen=True)
class RunHealth(JobCommand):
    """Run Fuel's health checks on a lab (default test sets: sanity, smoke)."""

    lab: str
    testsets: tuple[str, ...] = DEFAULT_TESTSETS
    name = "health"
    usage = "health <lab> [sanity|smoke|ha|platform_tests …]"
    example = "health lab1 smoke ha"
    activity = "Running health checks"
    role = Role.VIEWER
    job = JobKind.HEALTH
    button = ButtonAction.RERUN_HEALTH
    params = (_lab(), Param(field="testsets", kind=ParamKind.TESTSETS, optional=True))


@dataclass(frozen=True)
class ListJobs(Command):
    """List the 10 most recent jobs, of every lab or of one."""

    lab: str | None = None
    name = "jobs"
    usage = "jobs [lab]"
    example = "jobs lab1"
    activity = "Listing jobs"
    role = Role.VIEWER
    params = (_lab(optional=True),)


@dataclass(frozen=True)
class ShowJob(Command):
    """Show one job: state, step, progress, times, error and recent events."""

    job_id: int
    name = "job"
    usage = "job <id>"
    example = "job 12"
    activity = "Looking at a job"
    role = Role.VIEWER
    params = (Param(field="job_id", kind=ParamKind.JOB_ID),)


@dataclass(frozen=True)
class CancelJob(Command):
    """Stop a job at its next safe point (a queued job stops at once)."""

    job_id: int
    name = "cancel"
    usage = "cancel <id>"
    example = "cancel #12"
    activity = "Cancelling a job"
    role = Role.OPERATOR
    button = ButtonAction.CANCEL_JOB
    params = (Param(field="job_id", kind=ParamKind.JOB_ID),)


@dataclass(frozen=True)
class DestroyLab(Command):
    """Delete a lab's Fuel environment and VMs, once you confirm."""

    lab: str
    confirmed: bool = False          # set only by the confirmation button, never by words
    nonce: str | None = None         # the confirmation's one-time nonce (commands.confirmations)
    name = "destroy"
    usage = "destroy <lab>"
    example = "destroy lab1"
    activity = "Destroying a lab"
    role = Role.ADMIN
    button = ButtonAction.CONFIRM_DESTROY
    params = (_lab(),)

    @classmethod
    def click_parts(cls, value: str) -> tuple[str, dict[str, str | None]]:
        lab, nonce = split_value(value)     # ``<lab>:<nonce>``, issued by commands.confirmations
        return lab, {"nonce": nonce}

    @classmethod
    def clicked(cls, value: str | int) -> Self:
        return replace(super().clicked(value), confirmed=True)


@dataclass(frozen=True)
class ResetLab(JobCommand):
    """Reset a lab's Fuel environment to undeployed, keeping its nodes."""

    lab: str
    name = "reset"
    usage = "reset <lab>"
    example = "reset lab1"
    activity = "Resetting a lab"
    role = Role.OPERATOR
    job = JobKind.RESET
    params = (_lab(),)


@dataclass(frozen=True)
class AdoptVms(JobCommand):
    """Take over the lab's VMs an older fuelbot made (preflight lists them)."""

    lab: str
    name = "adopt"
    usage = "adopt <lab>"
    example = "adopt lab1"
    activity = "Adopting a lab's VMs"
    role = Role.ADMIN
    job = JobKind.ADOPT
    params = (_lab(),)


@dataclass(frozen=True)
class ShowDigest(JobCommand):
    """Post a digest of every lab's state in the channel, or show you one lab's."""

    lab: str | None = None
    name = "digest"
    usage = "digest [lab]"
    example = "digest"
    activity = "Posting a digest"
    role = Role.VIEWER
    job = JobKind.DIGEST
    params = (_lab(optional=True),)

    @property
    def answers_in_place(self) -> bool:
        """Every lab's digest is posted for everyone; one lab's is a look-up for the person who asked."""
        return self.lab is not None


@dataclass(frozen=True, kw_only=True)
class ScheduleDigest(Command):
    """Post a digest on a cron schedule in a time zone."""

    cron: str
    timezone: str
    lab: str | None = None
    channel: str | None = None
    mention: str | None = None
    name = "schedule digest"
    usage = 'schedule digest "<cron>" <tz> [--lab L] [--channel C] [--mention M]'
    example = 'schedule digest "0 9 * * mon-fri" Europe/Paris --lab lab1'
    activity = "Scheduling a digest"
    role = Role.OPERATOR
    params = (Param(field="cron", kind=ParamKind.CRON), Param(field="timezone", kind=ParamKind.TIMEZONE),
              Param(field="lab", kind=ParamKind.LAB, option="--lab"),
              Param(field="channel", kind=ParamKind.CHANNEL, option="--channel"),
              Param(field="mention", kind=ParamKind.MENTION, option="--mention"))


@dataclass(frozen=True, kw_only=True)
class ScheduleHealth(Command):
    """Run a lab's health checks on a cron schedule in a time zone."""

    lab: str
    cron: str
    timezone: str
    mention: str | None = None
    testsets: tuple[str, ...] = DEFAULT_TESTSETS
    name = "schedule health"
    usage = 'schedule health <lab> "<cron>" <tz> [--mention M] [testset …]'
    example = 'schedule health lab1 "0 */6 * * *" UTC --mention @oncall smoke'
    activity = "Scheduling health checks"
    role = Role.OPERATOR
    params = (_lab(), Param(field="cron", kind=ParamKind.CRON), Param(field="timezone", kind=ParamKind.TIMEZONE),
              Param(field="mention", kind=ParamKind.MENTION, option="--mention"),
              Param(field="testsets", kind=ParamKind.TESTSETS, optional=True))


@dataclass(frozen=True)
class ListSchedules(Command):
    """List the scheduled digests and health checks."""

    name = "schedules"
    usage = "schedules"
    example = "schedules"
    activity = "Listing schedules"
    role = Role.VIEWER


@dataclass(frozen=True)
class Unschedule(Command):
    """Remove a scheduled digest or health check."""

    schedule_id: int
    name = "unschedule"
    usage = "unschedule <id>"
    example = "unschedule 3"
    activity = "Removing a schedule"
    role = Role.OPERATOR
    params = (Param(field="schedule_id", kind=ParamKind.SCHEDULE_ID),)


@dataclass(frozen=True)
class ReadLogs(JobCommand):
    """Read a lab's Fuel logs, newest first: the master's, or one node's."""

    lab: str
    node: str | None = None
    source: str | None = None
    level: str | None = None
    lines: int | None = None
    name = "logs"
    usage = "logs <lab> [node] [source] [--level error] [--lines N]"
    example = "logs lab1 lab1-controller-1 puppet --level error --lines 50"
    activity = "Reading logs"
    role = Role.VIEWER
    job = JobKind.LOGS
    params = (_lab(), Param(field="node", kind=ParamKind.NODE, optional=True),
              Param(field="source", kind=ParamKind.LOG_SOURCE, optional=True),
              Param(field="level", kind=ParamKind.LEVEL, option="--level"),
              Param(field="lines", kind=ParamKind.COUNT, option="--lines"))


@dataclass(frozen=True)
class TakeDiagnostic(JobCommand):
    """Take Fuel's diagnostic snapshot (admin: it holds the lab's passwords)."""

    lab: str
    name = "diagnostic"
    usage = "diagnostic <lab>"
    example = "diagnostic lab1"
    activity = "Taking a diagnostic snapshot (its /etc/astute.yaml holds every password)"
    role = Role.ADMIN
    job = JobKind.DIAGNOSTIC
    params = (_lab(),)


@dataclass(frozen=True, kw_only=True)
class ShowAudit(Command):
    """Show who did what, refusals included, newest first."""

    lab: str | None = None
    user: str | None = None
    since: Duration | None = None
    name = "audit"
    usage = "audit [lab] [--user @person] [--since 7d]"
    example = "audit lab1 --user @alice --since 24h"
    activity = "Reading the audit trail"
    role = Role.ADMIN
    params = (_lab(optional=True), Param(field="user", kind=ParamKind.USER, option="--user"),
              Param(field="since", kind=ParamKind.DURATION, option="--since"))


@dataclass(frozen=True)
class SnoozeAlerts(Command):
    """Silence a schedule's alerts, or those of every schedule of a lab, for a while."""

    target: str
    length: Duration | str          # or "off"
    name = "snooze"
    usage = "snooze <schedule|lab> <30m|2h|1d|off>"
    example = "snooze lab1 2h"
    activity = "Snoozing alerts"
    role = Role.OPERATOR
    params = (Param(field="target", kind=ParamKind.SNOOZE_TARGET),
              Param(field="length", kind=ParamKind.SNOOZE_FOR))


# In the order help lists them: looking first, then acting, then sharing, then scheduling, then on call.
COMMANDS: tuple[type[Command], ...] = (
    ShowHelp, ListLabs, ShowStatus, ListNodes, PlanDeploy, RunPreflight, ShowMaster, DeployLab, RunHealth,
    ResetLab, DestroyLab, AdoptVms, ListJobs, ShowJob, CancelJob, ReserveLab, ExtendLease, ReleaseLab, SnapshotLab,
    ListSnapshots, RollbackLab, ApproveRequest, ShowDigest, ScheduleDigest, ScheduleHealth, ListSchedules, Unschedule,
    SnoozeAlerts, ReadLogs, TakeDiagnostic, ShowAudit,
)
BY_NAME: dict[str, type[Command]] = {command.name: command for command in COMMANDS}
BY_BUTTON: dict[ButtonAction, type[Command]] = {command.button: command for command in COMMANDS if command.button}
