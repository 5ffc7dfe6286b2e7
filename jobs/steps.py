"""Workflows as ordered, named, idempotent steps, and the context each step runs with.

Contract for a step: it may run more than once (after a crash, a takeover or a retry), so it
first looks at reality (does the VM exist? is the deploy task already running?) and only then
acts. What it learns for later steps goes into ``ctx.data``, which is persisted after each step
(and whenever the step calls ``ctx.save()``).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol, Sequence

from core.errors import FuelbotError


class JobCancelled(FuelbotError):
    """Raised at a safe point when someone asked the job to stop."""


class LeaseLost(FuelbotError):
    """Raised at a safe point when another worker took the job over."""


class Reporter(Protocol):
    """Where a step tells its story (the job's Slack thread, through the outbox)."""

    def say(self, text: str, *, body: dict | None = None) -> None: ...
    def progress(self, text: str, *, body: dict | None = None, force: bool = False,
                 phase: str = "main") -> None: ...
    def parent(self, text: str, *, body: dict | None = None) -> None: ...


@dataclass
class StepContext:
    """What a running step can see and do."""

    job_id: int
    kind: str
    lab_name: str | None
    requester: str
    params: dict
    data: dict
    attempt: int
    resumed: bool
    report: Reporter
    deps: Any
    _should_stop: Callable[[], str | None]
    _save: Callable[[dict], None]
    _set_progress: Callable[[int], None]
    deadline: float = float("inf")
    resources: dict = field(default_factory=dict)   # per-run clients (not persisted)

    def checkpoint(self) -> None:
        """A safe point: stop here if the job was cancelled or taken over."""
        reason = self._should_stop()
        if reason == "cancel":
            raise JobCancelled("cancelled on request")
        if reason == "lease":
            raise LeaseLost("another worker took this job over")

    def cancel_requested(self) -> bool:
        return self._should_stop() == "cancel"

    def save(self) -> None:
        """Persist ``data`` now, so a crash after this point does not redo what it records."""
        self._save(self.data)

    def set_progress(self, percent: int) -> None:
        self._set_progress(max(0, min(100, int(percent))))

    def remaining(self) -> float:
        return max(0.0, self.deadline - time.monotonic())

    def close_resources(self) -> None:
        """Close the clients opened during this run (logout, release sockets)."""
        for resource in list(self.resources.values()):
            close = getattr(resource, "close", None)
            if close is not None:
                try:
                    close()
                except Exception:  # closing must never change a job's outcome
                    pass
        self.resources.clear()


@dataclass(frozen=True)
class Step:
    """One named, idempotent step of a workflow."""

    name: str
    title: str
    run: Callable[[StepContext], None]
    deadline_seconds: float = 900.0
    retries: int = 3
    backoff_seconds: float = 2.0


class Workflow(Protocol):
    """A job kind's steps plus what to say when the job ends."""

    def steps(self, ctx: StepContext) -> Sequence[Step]: ...

    def on_finish(self, ctx: StepContext, *, state: str, error: FuelbotError | None,
                  elapsed: float) -> None: ...

    def on_cancel(self, ctx: StepContext) -> None: ...
