"""fuelbot's one error hierarchy.

    FuelbotError                      base; ``str(err)`` is always safe to show a person
    ├── ConfigError                   a setting is missing or malformed (names the variable)
    ├── DatabaseError                 the database is unreachable, or not migrated
    ├── SpecError                     a lab spec is invalid (carries every SpecProblem)
    ├── CommandError                  a user typed something we cannot act on (safe for Slack)
    │   ├── PermissionDenied          the user lacks the role a command needs
    │   │   └── LabReserved           someone else holds the lab's lease
    │   └── StaleAction               a replayed, expired or forged button click (audited)
    ├── JobError                      the job store refused an operation
    │   ├── JobNotFound
    │   ├── InvalidTransition         a state change the transition table forbids
    │   └── LabBusy                   a mutating job already holds the lab
    ├── IntegrationError              vSphere or Fuel failed; carries ``retryable``
    │   ├── VSphereError              object + the setting or action that fixes it
    │   ├── FuelError                 method, URL, status, Nailgun's message
    │   │   └── SnapshotTooLarge      a diagnostic snapshot is bigger than the caller's limit (size, limit)
    │   └── MasterError               the Fuel master's host (SSH, its install): what happened + fix
    └── StepFailed                    a workflow step gave up; names step, object and cause

Errors are caught where they become a reply (the Slack edge) or a job outcome (the runner),
and nowhere else swallowed.
"""
from __future__ import annotations

from typing import Protocol, Sequence


class FuelbotError(Exception):
    """Base of every error fuelbot raises on purpose; its text is safe to show a user."""


class ConfigError(FuelbotError):
    """A setting is missing or malformed."""


class DatabaseError(FuelbotError):
    """The database cannot be reached or its schema is not at head."""


class Problem(Protocol):
    """One finding in a lab spec, as ``labspec.problems.SpecProblem`` is (core imports no labspec)."""

    @property
    def file(self) -> str: ...
    @property
    def line(self) -> int | None: ...
    @property
    def path(self) -> str: ...
    @property
    def message(self) -> str: ...


class SpecError(FuelbotError):
    """A lab spec failed validation; ``problems`` lists every finding."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems) or "invalid lab spec")


class CommandError(FuelbotError):
    """A command could not be understood or accepted; the text tells the user what to type."""


class PermissionDenied(CommandError):
    """The user may not do this (a role, a lease, a channel); ``audit`` is the trail's short reason."""

    def __init__(self, message: str, *, audit: str | None = None) -> None:
        super().__init__(message)
        self.audit = audit or message


class StaleAction(CommandError):
    """A button click that already did its work, expired or was never issued; ``audit`` says which."""

    def __init__(self, message: str, *, audit: str) -> None:
        super().__init__(message)
        self.audit = audit


class LabReserved(PermissionDenied):
    """Someone else holds the lab's lease; the text names them, until when and why."""


class JobError(FuelbotError):
    """The job store refused an operation."""


class JobNotFound(JobError):
    """No job with that id."""


class InvalidTransition(JobError):
    """The job state machine forbids this change."""


class LabBusy(JobError):
    """A mutating job already holds this lab; ``job_id`` names it."""

    def __init__(self, message: str, *, job_id: int) -> None:
        super().__init__(message)
        self.job_id = job_id


class IntegrationError(FuelbotError):
    """An external system failed; ``retryable`` says whether trying again can help."""

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable


class VSphereError(IntegrationError):
    """vCenter refused or failed; ``obj`` is the object concerned, ``fix`` what to change."""

    def __init__(self, message: str, *, obj: str | None = None, fix: str | None = None,
                 retryable: bool = False) -> None:
        text = message if not fix else f"{message} Fix: {fix}"
        super().__init__(text, retryable=retryable)
        self.obj = obj
        self.fix = fix


class FuelError(IntegrationError):
    """The Fuel master refused or failed a call."""

    def __init__(self, message: str, *, method: str | None = None, url: str | None = None,
                 status: int | None = None, server_message: str | None = None,
                 retryable: bool = False) -> None:
        super().__init__(message, retryable=retryable)
        self.method = method
        self.url = url
        self.status = status
        self.server_message = server_message


class SnapshotTooLarge(FuelError):
    """A download from the master (a diagnostic snapshot) is larger than the caller accepts."""

    def __init__(self, message: str, *, url: str, size: int | None, limit: int) -> None:
        super().__init__(message, method="GET", url=url, status=200, retryable=False)
        self.size = size       # None when the master sent no Content-Length
        self.limit = limit


class MasterError(IntegrationError):
    """The Fuel master's host failed us: SSH login, host key, a command, its install, its version."""

    def __init__(self, message: str, *, fix: str | None = None, retryable: bool = False) -> None:
        super().__init__(message if not fix else f"{message} Fix: {fix}", retryable=retryable)
        self.fix = fix


class StepFailed(FuelbotError):
    """A workflow step gave up for good."""

    def __init__(self, message: str, *, step: str | None = None, hint: str | None = None) -> None:
        super().__init__(message)
        self.step = step
        self.hint = hint
