"""The commands that look at or act on one lab, most of them through a job its workflow runs.

Rows of the catalog (``commands.catalog`` lists them and says what each class variable is for).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Self

from commands.command import LAB, OPTIONAL_LAB, Command, JobCommand, Param, ParamKind
from commands.confirmations import split_value
from commands.roles import Role
from core.buttons import ButtonAction
from jobs.states import JobKind

TESTSETS = ("sanity", "smoke", "ha", "platform_tests")    # Fuel 6.0's OSTF test sets
DEFAULT_TESTSETS = ("sanity", "smoke")


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
    params = (LAB,)


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
    params = (LAB, Param(field="fix", kind=ParamKind.FLAG, option="--fix", role=Role.OPERATOR))


@dataclass(frozen=True)
class ShowMaster(JobCommand):
    """Show a lab's Fuel master; --fix sets it up; --trust-key accepts its new SSH key."""

    lab: str
    fix: bool = False
    trust_key: str | None = None     # the fingerprint typed, canonical (core.host_key_trust)
    name = "master"
    usage = "master <lab> [--fix] [--trust-key <fingerprint>]"
    example = "master lab1 --fix"
    activity = "Setting up a lab's Fuel master"   # only --fix (and --trust-key, its own) can be refused
    role = Role.VIEWER
    job = JobKind.MASTER
    button = ButtonAction.FIX_MASTER
    # --trust-key changes whom fuelbot gives root's password to: an admin's decision, like a
    # lease override. It changes nothing on the lab (no VM, no Fuel setting), so it neither holds
    # the lab nor waits for a lease, and a shared lab's second person is not asked: labspec.sharing
    # asks one for what destroys or rewinds a lab (destroy, rollback), not for an admin's override,
    # and the check that matters here is the fingerprint read on the master's own console.
    params = (LAB, Param(field="fix", kind=ParamKind.FLAG, option="--fix", role=Role.OPERATOR),
              Param(field="trust_key", kind=ParamKind.FINGERPRINT, option="--trust-key", role=Role.ADMIN,
                    activity="Trusting a Fuel master's new SSH host key"))

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
    params = (LAB, Param(field="skip_health", kind=ParamKind.FLAG, option="--skip-health"))


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
    params = (OPTIONAL_LAB, Param(field="live", kind=ParamKind.FLAG, option="--live"))


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
    params = (LAB,)


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
    params = (LAB, Param(field="testsets", kind=ParamKind.TESTSETS, optional=True))


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
    params = (LAB,)


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
    params = (LAB,)

    @classmethod
    def click_parts(cls, value: str) -> tuple[str, dict[str, str | None]]:
        lab, nonce = split_value(value)     # ``<lab>:<nonce>``, issued by commands.confirmations
        return lab, {"nonce": nonce}

    @classmethod
    def clicked(cls, value: str | int) -> Self:
        return replace(super().clicked(value), confirmed=True)


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
    params = (LAB,)


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
    params = (LAB, Param(field="node", kind=ParamKind.NODE, optional=True),
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
    params = (LAB,)
