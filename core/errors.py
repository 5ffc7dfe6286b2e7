"""fuelbot's one error hierarchy.

    FuelbotError                      base; ``str(err)`` is always safe to show a person
    ├── ConfigError                   a setting is missing or malformed (names the variable)
    ├── DatabaseError                 the database is unreachable, or not migrated
    ├── SpecError                     a lab spec is invalid (carries every SpecProblem)
    ├── CommandError                  a user typed something we cannot act on (safe for Slack)
    │   ├── PermissionDenied          the user lacks the role a command needs
    │   └── StaleAction               a replayed, expired or forged button click (audited)
    ├── JobError                      the job store refused an operation
    │   ├── JobNotFound
    │   ├── InvalidTransition         a state change the transition table forbids
    │   └── LabBusy                   a mutating job already holds the lab
    ├── IntegrationError              vSphere or Fuel failed; carries ``retryable``
    │   ├── VSphereError              object + the setting or action that fixes it
    │   └── FuelError                 method, URL, status, Nailgun's message
    └── StepFailed                    a workflow step gave up; names step, object and cause

Errors are caught where they become a reply (the Slack edge) or a job outcome (the runner),
and nowhere else swallowed.
"""
from __future__ import annotations


class FuelbotError(Exception):
    """Base of every error fuelbot raises on purpose; its text is safe to show a user."""


class ConfigError(FuelbotError):
    """A setting is missing or malformed."""


class DatabaseError(FuelbotError):
    """The database cannot be reached or its schema is not at head."""


class SpecError(FuelbotError):
    """A lab spec failed validation; ``problems`` lists every finding."""

    def __init__(self, problems: list) -> None:  # list[labspec.problems.SpecProblem]
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems) or "invalid lab spec")


class CommandError(FuelbotError):
    """A command could not be understood or accepted; the text tells the user what to type."""


class PermissionDenied(CommandError):
    """The user does not hold the role the command needs."""


class StaleAction(CommandError):
    """A button click that already did its work, expired or was never issued; ``audit`` says which."""

    def __init__(self, message: str, *, audit: str) -> None:
        super().__init__(message)
        self.audit = audit


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


class StepFailed(FuelbotError):
    """A workflow step gave up for good."""

    def __init__(self, message: str, *, step: str | None = None, hint: str | None = None) -> None:
        super().__init__(message)
        self.step = step
        self.hint = hint
