"""Run one claimed job through its workflow's steps, resuming at the step it was in.

The runner owns the job's lease while it runs (a heartbeat thread renews it), applies each
step's deadline and retry policy, and turns the outcome into exactly one final transition.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable, Mapping

from sqlalchemy import update
from sqlalchemy.orm import Session

from core.errors import FuelbotError, IntegrationError, InvalidTransition, StepFailed
from core.redact import scrub
from core.mrkdwn import who
from jobs.announce import cancel_button, title_of
from jobs.queue import heartbeat, record_event, transition
from jobs.reporter import OutboxReporter
from jobs.states import JobState
from jobs.steps import JobCancelled, LeaseLost, Step, StepContext, Workflow
from store.models import Job
from store.types import utcnow

log = logging.getLogger(__name__)
MAX_BACKOFF = 30.0


class JobRunner:
    """Executes jobs; one instance per process, called from the worker's threads."""

    def __init__(self, *, session_factory: Callable[[], Session], workflows: Mapping[str, Workflow],
                 deps: Any, worker_id: str, lease_seconds: float) -> None:
        self._session_factory = session_factory
        self._workflows = workflows
        self._deps = deps
        self._worker_id = worker_id
        self._lease_seconds = lease_seconds
        self.stopping = threading.Event()

    def shutdown(self) -> None:
        """Stop every running job at its next safe point and hand it over to another process."""
        self.stopping.set()

    def _hand_over(self, job_id: int) -> None:
        with self._session_factory() as session, session.begin():
            released = session.execute(update(Job).where(Job.id == job_id, Job.lease_owner == self._worker_id)
                                       .values(lease_expires_at=utcnow())
                                       .execution_options(synchronize_session=False)).rowcount
            if released:
                record_event(session, session.get(Job, job_id), actor=self._worker_id, kind="handover",
                             message=f"{self._worker_id} is stopping; any replica resumes the job at its step")
        log.info("job %s handed over at shutdown", job_id)

    def run(self, job_id: int) -> None:
        """Run ``job_id`` (already claimed by this worker) to a final state or until the lease is lost."""
        with self._session_factory() as session:
            job = session.get(Job, job_id)
            if job is None or job.state != JobState.RUNNING.value or job.lease_owner != self._worker_id:
                return
            kind, lab, requester, channel = job.kind, job.lab, job.requester, job.channel
            params, data, step_name, attempts = dict(job.params), dict(job.context or {}), job.step, job.attempts
            started_at = job.started_at or utcnow()
        workflow = self._workflows[kind]
        lease = _LeaseKeeper(self, job_id)
        ctx = StepContext(job_id=job_id, kind=kind, lab_name=lab, requester=requester, params=params, data=data,
                          attempt=attempts, resumed=attempts > 1 or step_name is not None,
                          report=OutboxReporter(session_factory=self._session_factory, job_id=job_id,
                                                channel=channel),
                          deps=self._deps, _should_stop=lease.should_stop, _save=lambda d: self._save(job_id, d),
                          _set_progress=lambda p: self._set_progress(job_id, p))
        lease.start()
        state, error = JobState.SUCCEEDED, None
        try:
            steps = list(workflow.steps(ctx))
            names = [s.name for s in steps]
            start = names.index(step_name) if step_name in names else 0
            if ctx.data.get("announced") and not ctx.resumed:
                ctx.report.parent(f"🔄 {title_of(kind, lab)} — job #{job_id} by {who(requester)} · running",
                                  body={"actions": [cancel_button(job_id)]})
            if ctx.resumed and steps:
                ctx.report.say(f"♻️ Picked up again by `{self._worker_id}` at *{steps[start].title}* "
                               f"(attempt {attempts}); checking what already happened before acting.")
            for step in steps[start:]:
                ctx.checkpoint()
                ctx.data["_step"] = step.name
                self._enter(job_id, step)
                self._run_step(ctx, step)
                self._save(job_id, ctx.data)
        except LeaseLost:
            lease.stop()
            ctx.close_resources()
            if self.stopping.is_set():
                self._hand_over(job_id)
            else:
                log.warning("job %s: lease lost; another worker continues it", job_id)
            return
        except JobCancelled:
            state = JobState.CANCELLED
            try:
                workflow.on_cancel(ctx)
            except FuelbotError as exc:
                error = exc
        except FuelbotError as exc:
            state, error = JobState.FAILED, exc
        except Exception as exc:  # a bug must still end the job with a record, never a silent hang
            log.exception("job %s crashed", job_id)
            state, error = JobState.FAILED, StepFailed(
                f"internal error: {type(exc).__name__}: {scrub(str(exc))[:300]}", step=self._current_step(job_id))
        finally:
            lease.stop()
            ctx.close_resources()
        if lease.lost:
            return
        elapsed = (utcnow() - started_at).total_seconds()
        try:
            workflow.on_finish(ctx, state=state.value, error=error, elapsed=elapsed)
        except Exception:  # the final transition matters more than the final message
            log.exception("job %s: on_finish failed", job_id)
        self._finish(job_id, state, error, ctx.data)

    def _run_step(self, ctx: StepContext, step: Step) -> None:
        ctx.deadline = time.monotonic() + step.deadline_seconds
        tries = 0
        while True:
            try:
                step.run(ctx)
                return
            except IntegrationError as exc:
                tries += 1
                wait = min(MAX_BACKOFF, step.backoff_seconds * (2 ** (tries - 1)))
                if not exc.retryable or tries > step.retries or ctx.remaining() < wait:
                    raise StepFailed(f"{step.title} failed: {exc}", step=step.name) from exc
                with self._session_factory() as session, session.begin():
                    record_event(session, session.get(Job, ctx.job_id), actor=self._worker_id, kind="retry",
                                 message=f"{step.name}: {exc} (retry {tries} in {wait:.0f}s)")
                if tries == 1:
                    ctx.report.say(f"⏳ {step.title}: {exc} Retrying for up to {ctx.remaining() / 60:.0f} min.")
                _sleep_with_checkpoints(ctx, wait)
                ctx.save()

    def _write(self, session: Session, job_id: int, **values) -> None:
        """Update our job only while we hold its lease; otherwise stop (another worker has it)."""
        written = session.execute(update(Job).where(Job.id == job_id, Job.lease_owner == self._worker_id,
                                                    Job.state == JobState.RUNNING.value)
                                  .values(updated_at=utcnow(), **values)
                                  .execution_options(synchronize_session=False)).rowcount == 1
        if not written:
            raise LeaseLost("another worker took this job over")

    def _enter(self, job_id: int, step: Step) -> None:
        with self._session_factory() as session, session.begin():
            job = session.get(Job, job_id)
            if job.step != step.name:
                self._write(session, job_id, step=step.name, step_started_at=utcnow())
                record_event(session, job, actor=self._worker_id, kind="step", message=f"step {step.name} started")

    def _save(self, job_id: int, data: dict) -> None:
        with self._session_factory() as session, session.begin():
            self._write(session, job_id, context=dict(data))

    def _set_progress(self, job_id: int, percent: int) -> None:
        with self._session_factory() as session, session.begin():
            self._write(session, job_id, progress=percent)

    def _current_step(self, job_id: int) -> str | None:
        with self._session_factory() as session:
            return session.get(Job, job_id).step

    def _finish(self, job_id: int, state: JobState, error: FuelbotError | None, data: dict) -> None:
        with self._session_factory() as session, session.begin():
            job = session.get(Job, job_id)
            message = {JobState.SUCCEEDED: "succeeded", JobState.CANCELLED: "cancelled"}.get(
                state, f"failed: {error}")
            try:
                transition(session, job, state, actor=self._worker_id, message=message, owner=self._worker_id,
                           error=str(error) if error else None, result=data.get("result"))
            except InvalidTransition:
                log.warning("job %s: not finished by %s, which no longer holds it", job_id, self._worker_id)
                return
            job.context = dict(data)
            if state is JobState.SUCCEEDED:
                job.progress = 100

    # used by _LeaseKeeper
    def _heartbeat(self, job_id: int) -> tuple[bool, bool]:
        with self._session_factory() as session, session.begin():
            mine = heartbeat(session, job_id, worker_id=self._worker_id, lease_seconds=self._lease_seconds)
            cancel = bool(session.query(Job.cancel_requested).filter(Job.id == job_id).scalar())
        return mine, cancel


class _LeaseKeeper:
    """Renews the lease every third of its length and watches the cancel flag."""

    def __init__(self, runner: JobRunner, job_id: int) -> None:
        self._runner = runner
        self._job_id = job_id
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"lease-{job_id}", daemon=True)
        self._last_ok = time.monotonic()
        self.lost = False
        self.cancel = False

    def start(self) -> None:
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


def _sleep_with_checkpoints(ctx: StepContext, seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        ctx.checkpoint()
        time.sleep(min(0.5, max(0.0, end - time.monotonic())))
