"""Workflows as ordered, named, idempotent steps, and the context each step runs with.

Contract for a step: it may run more than once (after a crash, a takeover or a retry), so it
first looks at reality (does the VM exist? is the deploy task already running?) and only then
acts. What it learns for later steps goes into the job's typed record (``ctx.data``), which is
persisted after each step (and whenever the step calls ``ctx.save()``).

A workflow turns the engine's ``StepContext`` into its own per-run holder (``open``), whose type
its steps take; the engine never looks inside it.
"""
from __future__ import annotations

import time
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Callable, Generic, Mapping, Protocol, Sequence, TypeVar

from core.buttons import Button
from core.errors import FuelbotError
from jobs.record import JobRecord
from jobs.states import JobKind
from jobs.uploads import SLACK_MAX_FILE_BYTES, FileToShare
from jobs.voice import Ending, JobHeader, LifecycleVoice

R = TypeVar("R")
D = TypeVar("D", bound=JobRecord)
MAX_BACKOFF = 30.0          # the longest pause between two tries of a step


class JobCancelled(FuelbotError):
    """Raised at a safe point when someone asked the job to stop."""


class LeaseLost(FuelbotError):
    """Raised at a safe point when another worker took the job over."""


class Reporter(Protocol):
    """Where a job tells its story (its Slack thread, through the outbox)."""

    def say(self, text: str, *, buttons: Sequence[Button] = ()) -> None: ...
    def progress(self, text: str, *, force: bool = False, phase: str = "main", keep: bool = False) -> None: ...
    def parent(self, text: str, *, buttons: Sequence[Button] = ()) -> None: ...
    def upload(self, shared: FileToShare, *, comment: str, limit: int = SLACK_MAX_FILE_BYTES) -> bool: ...


@dataclass
class StepContext:
    """What the engine gives a running job: who it is, its record, its voice outlet, its safe points."""

    job: JobHeader
    params: dict[str, Any]
    data: JobRecord
    attempt: int
    resumed: bool
    report: Reporter
    _should_stop: Callable[[], str | None]
    _save: Callable[[dict[str, Any]], None]
    _set_progress: Callable[[int], None]
    _note: Callable[[str, str, dict[str, Any] | None], None]
    deadline: float = float("inf")

    @property
    def job_id(self) -> int:
        return self.job.id

    @property
    def lab_name(self) -> str | None:
        return self.job.lab

    @property
    def requester(self) -> str:
        return self.job.requester

    def record(self, kind: type[D]) -> D:
        """``data`` as the workflow's own record type (the workflow's ``load`` made it)."""
        if not isinstance(self.data, kind):
            raise TypeError(f"job #{self.job.id} holds a {type(self.data).__name__}, not a {kind.__name__}")
        return self.data

    def checkpoint(self) -> None:
        """A safe point: stop here if the job was cancelled or taken over."""
        reason = self._should_stop()
        if reason == "cancel":
            raise JobCancelled("cancelled on request")
        if reason == "lease":
            raise LeaseLost("another worker took this job over")

    def stop_requested(self) -> bool:
        """True when the next ``checkpoint()`` will stop the job (cancel, or the lease is gone)."""
        return self._should_stop() is not None

    def cancel_requested(self) -> bool:
        return self._should_stop() == "cancel"

    def save(self) -> None:
        """Persist ``data`` now, so a crash after this point does not redo what it records."""
        self._save(self.data.to_json())

    def set_progress(self, percent: int) -> None:
        self._set_progress(max(0, min(100, int(percent))))

    def note(self, kind: str, message: str, data: dict[str, Any] | None = None) -> None:
        """Add an event to the job's audit trail now (the job page shows ``data``'s detail and excerpts)."""
        self._note(kind, message, data)

    def remaining(self) -> float:
        return max(0.0, self.deadline - time.monotonic())


@dataclass(frozen=True)
class Step(Generic[R]):
    """One named, idempotent step of a workflow; ``run`` takes the workflow's per-run holder."""

    name: str
    title: str
    run: Callable[[R], None]
    deadline_seconds: float = 900.0
    retries: int = 3
    backoff_seconds: float = 2.0

    def retry_wait(self, attempt: int) -> float:
        """The pause before retry ``attempt`` (1, 2, …): the backoff doubling, capped at ``MAX_BACKOFF``."""
        return min(MAX_BACKOFF, self.backoff_seconds * float(2 ** (attempt - 1)))

    def retry_plan(self, *, after: int, seconds_left: float) -> "RetryPlan":
        """The retries still to come after ``after`` of them, as far as they fit in ``seconds_left``."""
        attempts, waits = 0, 0.0
        for attempt in range(after + 1, self.retries + 1):
            wait = self.retry_wait(attempt)
            if waits + wait > seconds_left:
                break
            attempts, waits = attempts + 1, waits + wait
        return RetryPlan(attempts=attempts, waits=waits)


@dataclass(frozen=True)
class RetryPlan:
    """What a step's retry policy still allows: how many attempts, and the pauses between them in all."""

    attempts: int
    waits: float


class Workflow(Protocol[R]):
    """A job kind's steps, its record, its per-run holder and its voice.

    ``open`` builds the holder the steps take (clients, the lab pinned for the run) and closes
    what it opened when the run ends, however it ends. ``on_cancel`` runs at the safe point a
    cancel stopped; ``on_finish`` words the outcome (through the kind's voice) once per job.
    """

    @property
    def kind(self) -> JobKind: ...

    @property
    def voice(self) -> LifecycleVoice: ...

    def load(self, raw: Mapping[str, Any] | None) -> JobRecord: ...

    def open(self, ctx: StepContext) -> AbstractContextManager[R]: ...

    def steps(self) -> Sequence[Step[R]]: ...

    def on_cancel(self, run: R) -> None: ...

    def on_finish(self, run: R, ending: Ending) -> None: ...
