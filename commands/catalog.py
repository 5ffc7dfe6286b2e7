"""The commands fuelbot understands: one frozen dataclass per verb and noun.

A class's one-line docstring is its help, ``usage`` its synopsis and ``example`` a line that
parses back into it (``tests/unit/test_commands_catalog.py`` checks all three, so a command
cannot ship undocumented). ``params`` tells ``commands.parser`` how words fill the fields;
``activity`` is what a refusal says the person tried to do. Required roles live in
``commands.authz``; what each command does lives in the handlers.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

TESTSETS = ("sanity", "smoke", "ha", "platform_tests")    # Fuel 6.0's OSTF test sets
DEFAULT_TESTSETS = ("sanity", "smoke")


class ParamKind(StrEnum):
    """What a word stands for; the parser validates each kind its own way."""

    LAB = "lab"
    JOB_ID = "job id"
    SCHEDULE_ID = "schedule id"
    FLAG = "flag"
    TESTSETS = "testsets"
    CRON = "cron"
    TIMEZONE = "timezone"
    CHANNEL = "channel"
    MENTION = "mention"
    TOPIC = "topic"


@dataclass(frozen=True, kw_only=True)
class Param:
    """One field of a command as typed: a positional word, or an ``--option``."""

    field: str
    kind: ParamKind
    option: str | None = None       # e.g. "--fix"; None for a positional word
    optional: bool = False          # a positional that may be left out


@dataclass(frozen=True)
class Command:
    """Base of every command; subclasses set the class variables below."""

    name: ClassVar[str]             # what the person types, e.g. "deploy" or "schedule digest"
    usage: ClassVar[str]
    example: ClassVar[str]
    activity: ClassVar[str]         # "Deploying a lab" — the subject of a refusal
    params: ClassVar[tuple[Param, ...]] = ()

    @property
    def canonical(self) -> str:
        """The command as fuelbot understood it (validated values only; safe to log and show)."""
        words = [self.name]
        for param in self.params:
            value = getattr(self, param.field)
            if value in (None, False, ()):
                continue
            if param.kind is ParamKind.FLAG:
                words.append(param.option or param.field)
                continue
            text = " ".join(value) if isinstance(value, tuple) else str(value)
            text = f'"{text}"' if " " in text and param.kind is ParamKind.CRON else text
            words.extend([param.option, text] if param.option else [text])
        return " ".join(words)


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
    params = (Param(field="topic", kind=ParamKind.TOPIC, optional=True),)


@dataclass(frozen=True)
class ListLabs(Command):
    """List the labs with their nodes and how their last job went."""

    name = "labs"
    usage = "labs"
    example = "labs"
    activity = "Listing labs"


@dataclass(frozen=True)
class PlanDeploy(Command):
    """Show what a deploy of a lab would change, changing nothing."""

    lab: str
    name = "plan"
    usage = "plan <lab>"
    example = "plan lab1"
    activity = "Planning a deploy"
    params = (_lab(),)


@dataclass(frozen=True)
class RunPreflight(Command):
    """Check that vSphere and Fuel are ready for a lab; --fix repairs what it can."""

    lab: str
    fix: bool = False
    name = "preflight"
    usage = "preflight <lab> [--fix]"
    example = "preflight lab1 --fix"
    activity = "Fixing a lab's preflight findings"   # only --fix can be refused
    params = (_lab(), Param(field="fix", kind=ParamKind.FLAG, option="--fix"))


@dataclass(frozen=True)
class DeployLab(Command):
    """Deploy a lab: VMs, Fuel environment, deployment, then a health check."""

    lab: str
    skip_health: bool = False
    name = "deploy"
    usage = "deploy <lab> [--skip-health]"
    example = "deploy lab1"
    activity = "Deploying a lab"
    params = (_lab(), Param(field="skip_health", kind=ParamKind.FLAG, option="--skip-health"))


@dataclass(frozen=True)
class ShowStatus(Command):
    """Show the Fuel environment and nodes of one lab, or of every lab."""

    lab: str | None = None
    name = "status"
    usage = "status [lab]"
    example = "status lab1"
    activity = "Checking status"
    params = (_lab(optional=True),)


@dataclass(frozen=True)
class ListNodes(Command):
    """List a lab's nodes: VM, MAC, Fuel node, roles and status."""

    lab: str
    name = "nodes"
    usage = "nodes <lab>"
    example = "nodes lab1"
    activity = "Listing nodes"
    params = (_lab(),)


@dataclass(frozen=True)
class RunHealth(Command):
    """Run Fuel's health checks on a lab (default test sets: sanity, smoke)."""

    lab: str
    testsets: tuple[str, ...] = DEFAULT_TESTSETS
    name = "health"
    usage = "health <lab> [sanity|smoke|ha|platform_tests …]"
    example = "health lab1 smoke ha"
    activity = "Running health checks"
    params = (_lab(), Param(field="testsets", kind=ParamKind.TESTSETS, optional=True))


@dataclass(frozen=True)
class ListJobs(Command):
    """List the 10 most recent jobs, of every lab or of one."""

    lab: str | None = None
    name = "jobs"
    usage = "jobs [lab]"
    example = "jobs lab1"
    activity = "Listing jobs"
    params = (_lab(optional=True),)


@dataclass(frozen=True)
class ShowJob(Command):
    """Show one job: state, step, progress, times, error and recent events."""

    job_id: int
    name = "job"
    usage = "job <id>"
    example = "job 12"
    activity = "Looking at a job"
    params = (Param(field="job_id", kind=ParamKind.JOB_ID),)


@dataclass(frozen=True)
class CancelJob(Command):
    """Stop a job at its next safe point (a queued job stops at once)."""

    job_id: int
    name = "cancel"
    usage = "cancel <id>"
    example = "cancel #12"
    activity = "Cancelling a job"
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
    params = (_lab(),)


@dataclass(frozen=True)
class ResetLab(Command):
    """Reset a lab's Fuel environment to undeployed, keeping its nodes."""

    lab: str
    name = "reset"
    usage = "reset <lab>"
    example = "reset lab1"
    activity = "Resetting a lab"
    params = (_lab(),)


@dataclass(frozen=True)
class ShowDigest(Command):
    """Post a digest of every lab's state, or of one lab."""

    lab: str | None = None
    name = "digest"
    usage = "digest [lab]"
    example = "digest"
    activity = "Posting a digest"
    params = (_lab(optional=True),)


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


@dataclass(frozen=True)
class Unschedule(Command):
    """Remove a scheduled digest or health check."""

    schedule_id: int
    name = "unschedule"
    usage = "unschedule <id>"
    example = "unschedule 3"
    activity = "Removing a schedule"
    params = (Param(field="schedule_id", kind=ParamKind.SCHEDULE_ID),)


# In the order help lists them: looking first, then acting, then scheduling.
COMMANDS: tuple[type[Command], ...] = (
    ShowHelp, ListLabs, ShowStatus, ListNodes, PlanDeploy, RunPreflight, DeployLab, RunHealth,
    ResetLab, DestroyLab, ListJobs, ShowJob, CancelJob, ShowDigest, ScheduleDigest, ScheduleHealth,
    ListSchedules, Unschedule,
)
BY_NAME: dict[str, type[Command]] = {command.name: command for command in COMMANDS}
