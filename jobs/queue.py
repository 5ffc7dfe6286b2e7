"""The job store: submit, claim with a lease, heartbeat, transition, cancel, audit.

Every function takes the caller's session and never commits: the caller owns the unit of work.
``transition`` is the one place a job's state changes.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from datetime import datetime, timedelta
from typing import Any, Mapping, Sequence

from sqlalchemy import ColumnElement, Select, bindparam, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import InstrumentedAttribute, set_committed_value

from core.errors import InvalidTransition, JobError, JobNotFound, LabBusy
from core.redact import scrub
from jobs.states import JobKind, JobState, can_transition
from store.db import changed_rows
from store.models import Job, JobEvent
from store.types import utcnow


MAX_ERROR_CHARS = 4000   # a job's error is for people; Fuel can name 100 nodes in one message


@dataclass(frozen=True)
class Submission:
    """The outcome of ``submit``: the job, and whether this call created it."""

    job: Job
    created: bool


def submit(session: Session, *, kind: JobKind, requester: str, lab: str | None = None,
           channel: str | None = None, params: dict[str, Any] | None = None, dedupe_key: str | None = None,
           schedule_id: int | None = None, now: datetime | None = None) -> Submission:
    """Record a queued job; the same ``dedupe_key`` never makes two jobs.

    Raises LabBusy when ``kind`` mutates ``lab`` and another mutating job holds it.
    """
    now = now or utcnow()
    if dedupe_key:
        existing = session.scalar(select(Job).where(Job.dedupe_key == dedupe_key))
        if existing is not None:
            return Submission(existing, created=False)
    params = dict(params or {})
    mutating = kind.is_mutating(params)
    if mutating and lab:
        _raise_if_busy(session, lab)
    job = Job(kind=kind.value, lab=lab, requester=requester, channel=channel, state=JobState.QUEUED,
              params=params, context={}, dedupe_key=dedupe_key, lab_lock=lab if mutating else None,
              schedule_id=schedule_id, created_at=now, updated_at=now, progress=0, attempts=0,
              cancel_requested=False)
    try:
        with session.begin_nested():
            session.add(job)
            session.flush()
    except IntegrityError:
        # A concurrent submit won the race on the dedupe key or the lab lock.
        if dedupe_key:
            existing = session.scalar(select(Job).where(Job.dedupe_key == dedupe_key))
            if existing is not None:
                return Submission(existing, created=False)
        if mutating and lab:
            _raise_if_busy(session, lab)
        raise
    record_event(session, job, actor=requester, kind="submitted",
                 message=f"{kind.value} of {lab or 'all labs'} queued", at=now)
    return Submission(job, created=True)


def _raise_if_busy(session: Session, lab: str) -> None:
    holder = active_mutating_job(session, lab)
    if holder is not None:
        raise LabBusy(f"{lab} is busy with {holder.kind} job #{holder.id} ({holder.state}) "
                      f"requested by {holder.requester}.", job_id=holder.id)


def get_job(session: Session, job_id: int) -> Job:
    """The job with ``job_id``, or JobNotFound."""
    job = session.get(Job, job_id)
    if job is None:
        raise JobNotFound(f"There is no job #{job_id}. `/fuel jobs` lists recent jobs.")
    return job


@dataclass(frozen=True)
class JobLine:
    """A job as a list shows it."""

    id: int
    kind: str
    lab: str | None
    state: JobState
    step: str | None
    step_title: str | None
    requester: str
    created_at: datetime


_JOBS = Job.__table__


def list_jobs(session: Session, *, lab: str | None = None, active_only: bool = False,
              limit: int = 15) -> list[JobLine]:
    """Most recent jobs first, optionally for one lab or only the unfinished ones.

    ``/fuel jobs`` answers in its ack: the columns a line shows, read on the session's connection
    with a statement built once (loading 15 whole jobs through the ORM, JSON records and all, and
    building the query each time cost several times as much).
    """
    rows = session.connection().execute(_recent_jobs(lab is not None, active_only), {"lab": lab, "limit": limit})
    return [JobLine(*row) for row in rows]


@lru_cache(maxsize=None)
def _recent_jobs(of_lab: bool, active_only: bool) -> Select[Any]:
    query = (select(*(_JOBS.c[name] for name in JobLine.__dataclass_fields__))
             .order_by(_JOBS.c.id.desc()).limit(bindparam("limit")))
    if of_lab:
        query = query.where(_JOBS.c.lab == bindparam("lab"))
    if active_only:
        query = query.where(_JOBS.c.state.in_([JobState.QUEUED, JobState.RUNNING]))
    return query


def active_mutating_job(session: Session, lab: str) -> Job | None:
    return session.scalar(select(Job).where(Job.lab_lock == lab))


def transition(session: Session, job: Job, new: JobState, *, actor: str, message: str,
               error: str | None = None, result: dict[str, Any] | None = None, now: datetime | None = None,
               owner: str | None = None, also: Mapping[str, Any] | None = None,
               seen: Sequence[ColumnElement[bool]] = ()) -> None:
    """Move ``job`` to ``new`` if the table allows it, and append the audit event.

    The change is a compare-and-set on the state the caller saw (and on the lease ``owner``
    when given): a job another session moved meanwhile raises InvalidTransition, so a cancel
    never overwrites a claim and a worker that lost its lease never finishes someone else's job.
    ``also`` sets more columns in the same statement (a claim's lease), ``seen`` adds conditions
    the row must still meet (the lease as a claim read it).
    """
    now = now or utcnow()
    current = job.state
    session.flush()
    values = _compare_and_set(session, job.id, current, new, now=now, owner=owner, error=error, result=result,
                              first_start=job.started_at is None, also=also, seen=seen)
    if values is None:
        session.refresh(job)
        raise InvalidTransition(f"Job #{job.id} changed meanwhile (now {job.state}); it was not made {new.value}.")
    for key, value in values.items():    # what the row now holds, without a second UPDATE at the flush
        set_committed_value(job, key, value)
    record_event(session, job.id, actor=actor, kind=f"state:{new.value}", message=message, at=now)


def finish_running(session: Session, job_id: int, new: JobState, *, owner: str, actor: str, message: str,
                   error: str | None = None, result: dict[str, Any] | None = None,
                   also: Mapping[str, Any] | None = None, now: datetime | None = None) -> None:
    """End a running job ``owner`` holds, without reading it first: ``transition``'s compare-and-set
    on (running, ``owner``) in one statement; InvalidTransition when the job is no longer its own."""
    now = now or utcnow()
    values = _compare_and_set(session, job_id, JobState.RUNNING, new, now=now, owner=owner, error=error,
                              result=result, first_start=False, also=also, seen=())
    if values is None:
        raise InvalidTransition(f"Job #{job_id} is no longer running under {owner}; it was not made {new.value}.")
    record_event(session, job_id, actor=actor, kind=f"state:{new.value}", message=message, at=now)


def _compare_and_set(session: Session, job_id: int, current: JobState, new: JobState, *, now: datetime,
                     owner: str | None, error: str | None, result: dict[str, Any] | None, first_start: bool,
                     also: Mapping[str, Any] | None, seen: Sequence[ColumnElement[bool]]) -> dict[str, Any] | None:
    """The one UPDATE that changes a job's state; the values it wrote, or None when the guard failed."""
    if not can_transition(current, new):
        raise InvalidTransition(f"Job #{job_id} is {current.value}; it cannot become {new.value}.")
    values: dict[str, Any] = {"state": new, "updated_at": now}
    if new is JobState.RUNNING and first_start:
        values["started_at"] = now
    if new is JobState.QUEUED:
        values.update(lease_owner=None, lease_expires_at=None)
    if new.is_final:
        values.update(finished_at=now, lab_lock=None, lease_owner=None, lease_expires_at=None)
        if error is not None:
            values["error"] = scrub(error)[:MAX_ERROR_CHARS]
        if result is not None:
            values["result"] = result
    values.update(also or {})
    guard = [Job.id == job_id, Job.state == current, *seen]
    if owner is not None:
        guard.append(Job.lease_owner == owner)
    return values if changed_rows(session, update(Job).where(*guard).values(**values)) == 1 else None


def claim_next(session: Session, *, worker_id: str, lease_seconds: float, now: datetime | None = None,
               exclude: frozenset[int] = frozenset(), kinds: frozenset[str] | None = None) -> Job | None:
    """Claim the next runnable job (queued, or running with an expired lease) for ``worker_id``.

    Order: jobs someone asked to cancel first (they free a lab soonest), then mutating work (a
    deploy must not wait behind a crowd of status checks; ``lab_lock`` is set exactly on those),
    then the oldest.

    On PostgreSQL the row is locked with ``FOR UPDATE SKIP LOCKED`` so replicas never claim the
    same job; SQLite serialises writers, which gives the same guarantee for one process.
    ``exclude`` lists the jobs this process is running already: a heartbeat that missed its lease
    (a long database stall) must not let the same process start a job a second time. ``kinds``
    limits the claim to those job kinds (a worker's spare slots for look-ups).

    The claim is one compare-and-set on the row as read (state, lease, last update): the returned
    job is exactly the row claimed, with no second read.
    """
    now = now or utcnow()
    query = (select(Job)
             .where(or_(Job.state == JobState.QUEUED,
                        (Job.state == JobState.RUNNING) & (Job.lease_expires_at < now)))
             .order_by(Job.cancel_requested.desc(), Job.lab_lock.is_(None), Job.id)
             .limit(1).with_for_update(skip_locked=True))
    if exclude:
        query = query.where(Job.id.not_in(exclude))
    if kinds is not None:
        query = query.where(Job.kind.in_(sorted(kinds)))
    job = session.scalar(query)
    if job is None:
        return None
    # Compare-and-set on the row as seen: the row lock above is all PostgreSQL needs, but SQLite's
    # driver reads outside a transaction, so two processes may pick the same row, and a write
    # (a cancel, the old owner's last save) may land between the read and the claim.
    seen = [_as_seen(Job.lease_owner, job.lease_owner), _as_seen(Job.lease_expires_at, job.lease_expires_at),
            Job.updated_at == job.updated_at]
    lease = {"lease_owner": worker_id, "lease_expires_at": now + timedelta(seconds=lease_seconds),
             "heartbeat_at": now, "attempts": job.attempts + 1}
    previous = job.lease_owner
    if job.state == JobState.RUNNING:
        if changed_rows(session, update(Job).where(Job.id == job.id, Job.state == job.state, *seen)
                        .values(**lease)) != 1:
            session.expire(job)
            return None
        for key, value in lease.items():
            set_committed_value(job, key, value)
        record_event(session, job.id, actor=worker_id, kind="takeover",
                     message=f"lease of {previous} expired; {worker_id} resumes at "
                             f"{job.step_title or job.step or 'the start'}",
                     at=now)
        return job
    try:
        transition(session, job, JobState.RUNNING, actor=worker_id, message=f"claimed by {worker_id}", now=now,
                   also=lease, seen=seen)
    except InvalidTransition:
        return None
    return job


def _as_seen(column: InstrumentedAttribute[Any], value: object) -> ColumnElement[bool]:
    return column.is_(None) if value is None else column == value


def heartbeat(session: Session, job_id: int, *, worker_id: str, lease_seconds: float,
              now: datetime | None = None) -> bool:
    """Extend the lease; False when the job is no longer ours (taken over or finished)."""
    now = now or utcnow()
    return changed_rows(session, update(Job)
                        .where(Job.id == job_id, Job.lease_owner == worker_id, Job.state == JobState.RUNNING)
                        .values(lease_expires_at=now + timedelta(seconds=lease_seconds), heartbeat_at=now)) == 1


def request_cancel(session: Session, job_id: int, *, actor: str) -> Job:
    """Cancel a queued job now, or ask a running one to stop at its next safe point."""
    job = get_job(session, job_id)
    state = job.state
    if state.is_final:
        raise JobError(f"Job #{job.id} already {state.value}; there is nothing to cancel.")
    if state is JobState.QUEUED:
        try:
            transition(session, job, JobState.CANCELLED, actor=actor,
                       message=f"cancelled by {actor} before it started")
            return job
        except InvalidTransition:
            if job.state.is_final:   # it finished in the meantime
                raise JobError(f"Job #{job.id} already {job.state}; there is nothing to cancel.") from None
            # a worker claimed it a moment ago: ask the running job to stop instead
    if not job.cancel_requested:
        job.cancel_requested = True
        job.updated_at = utcnow()
        record_event(session, job, actor=actor, kind="cancel-requested",
                     message=f"cancel requested by {actor}; stopping at the next safe point")
    return job


def record_event(session: Session, job: Job | int | None, *, actor: str, kind: str, message: str,
                 data: dict[str, Any] | None = None, at: datetime | None = None) -> None:
    """Append an audit event (secrets scrubbed) about ``job`` (a job or its id), or about no job.

    Events are only ever appended: one INSERT on the session's connection (after flushing what the
    session holds, a new job included), without the unit of work's bookkeeping for an object no
    one reads back.
    """
    row: dict[str, Any] = {"job_id": job.id if isinstance(job, Job) else job, "at": at or utcnow(), "actor": actor,
                           "kind": kind, "message": scrub(message)}
    if data is not None:
        row["data"] = data
    session.flush()
    session.connection().execute(insert(JobEvent), row)
