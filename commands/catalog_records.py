"""The commands that read fuelbot's own records: help, the labs, the jobs, the audit trail; and cancel.

Rows of the catalog (``commands.catalog`` lists them and says what each class variable is for).
"""
from __future__ import annotations

from dataclasses import dataclass

from commands.command import OPTIONAL_LAB, Command, Param, ParamKind
from commands.roles import Role
from core.buttons import ButtonAction
from core.durations import Duration


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
class ListJobs(Command):
    """List the 10 most recent jobs, of every lab or of one."""

    lab: str | None = None
    name = "jobs"
    usage = "jobs [lab]"
    example = "jobs lab1"
    activity = "Listing jobs"
    role = Role.VIEWER
    params = (OPTIONAL_LAB,)


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
    params = (OPTIONAL_LAB, Param(field="user", kind=ParamKind.USER, option="--user"),
              Param(field="since", kind=ParamKind.DURATION, option="--since"))
