"""The commands of the digest and of being on call: digests, schedules, snoozes.

Rows of the catalog (``commands.catalog`` lists them and says what each class variable is for).
"""
from __future__ import annotations

from dataclasses import dataclass

from commands.catalog_labs import DEFAULT_TESTSETS
from commands.command import LAB, OPTIONAL_LAB, Command, JobCommand, Param, ParamKind
from commands.roles import Role
from core.durations import Duration
from jobs.states import JobKind


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
    params = (OPTIONAL_LAB,)

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
    params = (LAB, Param(field="cron", kind=ParamKind.CRON), Param(field="timezone", kind=ParamKind.TIMEZONE),
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
