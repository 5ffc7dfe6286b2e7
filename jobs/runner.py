"""Run one claimed job through its workflow's steps, resuming at the step it was in.

The runner owns the job's lease while it runs (a heartbeat thread renews it), applies each
step's deadline and retry policy, and turns the outcome into exactly one final transition.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Mapping, cast

from sqlalchemy import CursorResult, Result, update
from sqlalchemy.orm import Session

from core.errors import FuelbotError, IntegrationError, InvalidTransition, StepFailed
from core.job_links import JobLinks
from core.redact import scrub
from core.waiting import pause
from jobs.queue import finish_running, heartbeat, record_event
from jobs.reporter import OutboxReporter
from jobs.states import JobState
from jobs.steps import JobCancelled, LeaseLost, Step, StepContext, Workflow
from jobs.voice import Ending, JobHeader
from store.db import changed_rows
from store.models import Job
from store.types import utcnow

log = logging.getLogger(__name__)


class JobRunner:
    """Executes jobs; one instance per process, called from the worker's threads."""

    def __init__(self, *, session_factory: Callable[[], Session], workflows: Mapping[str, Workflow[Any]],
                 worker_id: str, lease_seconds: float, links: JobLinks | None = None) -> None:
        self._session_factory = session_factory
        self._links = links
        self._workflows = workflows
        self._worker_id = worker_id
        self._lease_seconds = lease_seconds
        self.stopping = threading.Event()

    def shutdown(self) -> None:
        """Stop every running job at its next safe point and hand it over to another process."""
        self.stopping.set()

    def _hand_over(self, job_id: int) -> None:
        with self._session_factory() as session, session.begin():
            released = _rows(session.execute(update(Job).where(Job.id == job_id, Job.lease_owner == self._worker_id)
                                             .values(lease_expires_at=utcnow())
                                             .execution_options(synchronize_session=False)))
            if released:
                record_event(session, job_id, actor=self._worker_id, kind="handover",
                             message=f"{self._worker_id} is stopping; any replica resumes the job at its step")
        log.info("job %s handed over at shutdown", job_id)

    def run(self, job_id: int, claimed: Claimed | None = None) -> None:
        """Run ``job_id`` (already claimed by this worker) to a final state or until the lease is lost.

        ``claimed`` is the row as this worker's claim wrote it (its lease fresh): given, the job is
        not read again and the first heartbeat waits its turn.
        """
        if claimed is None:
            with self._session_factory() as session:
                job = session.get(Job, job_id)
                if job is None or job.state != JobState.RUNNING.value or job.lease_owner != self._worker_id:
                    return
                claimed = Claimed.of(job)
        header, channel, params, raw = claimed.header, claimed.channel, dict(claimed.params), dict(claimed.context)
        answer_to = header.requester if raw.get("in_place") else None
        step_name, attempts = claimed.step, claimed.attempts
        started_at = claimed.started_at or utcnow()
        workflow = self._workflows[header.kind]
        lease = _LeaseKeeper(self, job_id, cancel=claimed.cancel_requested if claimed.fresh else None)
        reporter = OutboxReporter(session_factory=self._session_factory, job_id=job_id, channel=channel,
                                  voice=workflow.voice, links=self._links, answer_to=answer_to)
        ctx = StepContext(job=header, params=params, data=workflow.load(raw), attempt=attempts,
                          resumed=attempts > 1 or step_name is not None, report=reporter,
                          _should_stop=lease.should_stop, _save=lambda d: self._save(job_id, d),
                          _set_progress=lambda p: self._set_progress(job_id, p),
                          _note=lambda kind, message, data: self._note(job_id, kind, message, data))
        lease.start()
        outcome: tuple[JobState, FuelbotError | None] | None
        try:
            with workflow.open(ctx) as run:
                outcome = self._drive(ctx, run, workflow, step_name)
                if outcome is not None and not lease.lost:
                    ending = Ending(state=outcome[0], error=outcome[1],
                                    elapsed=(utcnow() - started_at).total_seconds(),
                                    step_title=self._step_title(workflow, ctx, outcome[1]))
                    try:
                        workflow.on_finish(run, ending)
                    except Exception:  # the final transition matters more than the final message
                        log.exception("job %s: on_finish failed", job_id)
                    reporter.finish()
        except Exception as exc:  # the run could not even be set up: a bug, recorded as the job's failure
            log.exception("job %s: its workflow could not open the run", job_id)
            outcome = JobState.FAILED, StepFailed(f"internal error: {type(exc).__name__}: {scrub(str(exc))[:300]}",
                                                  step=step_name)
        finally:
            lease.stop()
        if outcome is None:
            if self.stopping.is_set():
                self._hand_over(job_id)
            else:
                log.warning("job %s: lease lost; another worker continues it", job_id)
            return
        if not lease.lost:
            self._finish(job_id, outcome[0], outcome[1], ctx)

    def _drive(self, ctx: StepContext, run: Any, workflow: Workflow[Any],
               step_name: str | None) -> tuple[JobState, FuelbotError | None] | None:
        """Run the steps from ``step_name`` on; the final state and error, or None when the lease is lost."""
        voice = workflow.voice
        try:
            steps = list(workflow.steps())
            names = [s.name for s in steps]
            start = names.index(step_name) if step_name in names else 0
            if ctx.data.announced and not ctx.resumed:
                running = voice.running(ctx.job)
                ctx.report.parent(running.text, buttons=running.buttons)
            if ctx.resumed and steps:
                ctx.report.say(voice.resumed(worker=self._worker_id, step_title=steps[start].title,
                                             attempt=ctx.attempt))
            current = step_name
            for step in steps[start:]:
                ctx.checkpoint()
                ctx.data.step = step.name
                if step.name != current:
                    self._enter(ctx.job_id, step)
                    current = step.name
                self._run_step(ctx, run, workflow, step)
                self._save(ctx.job_id, ctx.data.to_json())
        except LeaseLost:
            return None
        except JobCancelled:
            try:
                workflow.on_cancel(run)
            except LeaseLost:
                return None
            except FuelbotError as exc:
                return JobState.CANCELLED, exc
            return JobState.CANCELLED, None
        except FuelbotError as exc:
            return JobState.FAILED, exc
        except Exception as exc:  # a bug must still end the job with a record, never a silent hang
            log.exception("job %s crashed", ctx.job_id)
            return JobState.FAILED, StepFailed(f"internal error: {type(exc).__name__}: {scrub(str(exc))[:300]}",
                                               step=self._current_step(ctx.job_id))
        return JobState.SUCCEEDED, None

    @staticmethod
    def _step_title(workflow: Workflow[Any], ctx: StepContext, error: FuelbotError | None) -> str:
        name = getattr(error, "step", None) or ctx.data.step
        titles = {s.name: s.title for s in workflow.steps()}
        return titles.get(name, name or "start") if name is not None else "start"

    def _run_step(self, ctx: StepContext, run: Any, workflow: Workflow[Any], step: Step[Any]) -> None:
        ctx.deadline = time.monotonic() + step.deadline_seconds
        tries = 0
        while True:
            try:
                step.run(run)
                return
            except IntegrationError as exc:
                tries += 1
                wait = step.retry_wait(tries)
                if not exc.retryable or tries > step.retries or ctx.remaining() < wait:
                    raise StepFailed(f"{step.title} failed: {exc}", step=step.name) from exc
                with self._session_factory() as session, session.begin():
                    record_event(session, ctx.job_id, actor=self._worker_id, kind="retry",
                                 message=f"{step.title}: {exc} (retry {tries} in {wait:.0f}s)", data={"step": step.name})
                if tries == 1:   # said once, and only what the policy and the deadline both allow
                    plan = step.retry_plan(after=0, seconds_left=ctx.remaining())
                    ctx.report.say(workflow.voice.retrying(step_title=step.title, error=exc,
                                                           attempts=plan.attempts, waits=plan.waits))
                ctx.checkpoint()
                pause(time.monotonic() + wait, should_stop=ctx.stop_requested)
                ctx.checkpoint()
                ctx.save()

    def _write(self, session: Session, job_id: int, **values: Any) -> None:
        """Update our job only while we hold its lease; otherwise stop (another worker has it)."""
        written = changed_rows(session, update(Job).where(Job.id == job_id, Job.lease_owner == self._worker_id,
                                                          Job.state == JobState.RUNNING.value)
                               .values(updated_at=utcnow(), **values)) == 1
        if not written:
            raise LeaseLost("another worker took this job over")

    def _enter(self, job_id: int, step: Step[Any]) -> None:
        with self._session_factory() as session, session.begin():
            self._write(session, job_id, step=step.name, step_title=step.title, step_started_at=utcnow())
            record_event(session, job_id, actor=self._worker_id, kind="step", message=f"{step.title} started",
                         data={"step": step.name, "title": step.title})

    def _save(self, job_id: int, data: dict[str, Any]) -> None:
        with self._session_factory() as session, session.begin():
            self._write(session, job_id, context=dict(data))

    def _set_progress(self, job_id: int, percent: int) -> None:
        with self._session_factory() as session, session.begin():
            self._write(session, job_id, progress=percent)

    def _note(self, job_id: int, kind: str, message: str, data: dict[str, Any] | None) -> None:
        with self._session_factory() as session, session.begin():
            record_event(session, session.get(Job, job_id), actor=self._worker_id, kind=kind, message=message,
                         data=data)

    def _current_step(self, job_id: int) -> str | None:
        with self._session_factory() as session:
            job = session.get(Job, job_id)
            return job.step if job is not None else None

    def _finish(self, job_id: int, state: JobState, error: FuelbotError | None, ctx: StepContext) -> None:
        message = {JobState.SUCCEEDED: "succeeded", JobState.CANCELLED: "cancelled"}.get(state, f"failed: {error}")
        also: dict[str, Any] = {"context": ctx.data.to_json()}
        if state is JobState.SUCCEEDED:
            also["progress"] = 100
        with self._session_factory() as session, session.begin():
            try:
                finish_running(session, job_id, state, owner=self._worker_id, actor=self._worker_id, message=message,
                               error=str(error) if error else None, result=ctx.data.result, also=also)
            except InvalidTransition:
                log.warning("job %s: not finished by %s, which no longer holds it", job_id, self._worker_id)

    # used by _LeaseKeeper
    def _heartbeat(self, job_id: int) -> tuple[bool, bool]:
        with self._session_factory() as session, session.begin():
            mine = heartbeat(session, job_id, worker_id=self._worker_id, lease_seconds=self._lease_seconds)
            cancel = bool(session.query(Job.cancel_requested).filter(Job.id == job_id).scalar())
        return mine, cancel


class _LeaseKeeper:
    """Renews the lease every third of its length and watches the cancel flag.

    ``cancel`` is the flag as a claim just read it, with the lease it just wrote: the first renewal
    then waits its turn; without it the keeper renews (and reads the flag) at once.
    """

    def __init__(self, runner: JobRunner, job_id: int, *, cancel: bool | None = None) -> None:
        self._runner = runner
        self._job_id = job_id
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"lease-{job_id}", daemon=True)
        self._last_ok = time.monotonic()
        self._fresh = cancel is not None
        self.lost = False
        self.cancel = bool(cancel)

    def start(self) -> None:
        if not self._fresh:
            self._beat()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def should_stop(self) -> str | None:
        if time.monotonic() - self._last_ok > self._runner._lease_seconds:
            self.lost = True   # no heartbeat for a whole lease: another worker may hold it by now
        if self._runner.stopping.is_set():
            self.lost = True   # this process is shutting down: hand the job over
        if self.lost:
            return "lease"
        return "cancel" if self.cancel else None

    def _beat(self) -> None:
        try:
            mine, cancel = self._runner._heartbeat(self._job_id)
        except Exception:  # a database blip: keep the lease until it really expires
            log.warning("job %s: heartbeat failed", self._job_id)
            return
        if mine:
            self._last_ok = time.monotonic()
        self.lost = self.lost or not mine
        self.cancel = cancel

    def _loop(self) -> None:
        interval = max(0.2, self._runner._lease_seconds / 3)
        while not self._stop.wait(interval):
            self._beat()


@dataclass(frozen=True)
class Claimed:
    """A running job as read by its worker: what the runner needs to start it."""

    header: JobHeader
    channel: str | None
    params: Mapping[str, Any]
    context: Mapping[str, Any]
    step: str | None
    attempts: int
    started_at: datetime | None
    cancel_requested: bool
    fresh: bool = False       # read from this worker's own claim, in the claim's transaction

    @classmethod
    def of(cls, job: Job, *, fresh: bool = False) -> "Claimed":
        return cls(header=JobHeader(id=job.id, kind=job.kind, lab=job.lab, requester=job.requester),
                   channel=job.channel, params=dict(job.params), context=dict(job.context or {}), step=job.step,
                   attempts=job.attempts, started_at=job.started_at, cancel_requested=bool(job.cancel_requested),
                   fresh=fresh)


def _rows(result: Result[Any]) -> int:
    """Rows an UPDATE matched (``execute`` of a DML statement returns a ``CursorResult``)."""
    return cast("CursorResult[Any]", result).rowcount
