"""Nobody crowds others out: fair shares of the job queue and of a channel's post queue.

Read-only jobs (status, health, preflight, digest, …) are cheap to ask for and each one costs a
worker slot, Fuel and vCenter calls and a thread in the channel, so a person (or a script) could
queue enough of them to starve everyone else. Three limits, read from the settings:

* an identical read-only request (same kind, lab and arguments) already waiting is joined, not
  queued again: the person is told "already queued as #N";
* one person may have ``queued_per_user`` read-only jobs waiting, one lab ``queued_per_lab``;
* one person's jobs may have ``posts_per_user`` messages waiting to be posted in one channel
  (the outbox delivers about one a second per channel; this keeps the others' turn).

Mutating work is never limited here (one per lab already), and the worker claims mutating jobs
and cancels before read-only ones (``jobs.queue.claim_next``). Limits are checked when a person
asks; schedules are the admin's own and are not counted.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jobs.states import JobKind, JobState
from store.enums import OutboxState
from store.models import Job, OutboxMessage


@dataclass(frozen=True)
class FairShare:
    """The limits (``FUELBOT_MAX_QUEUED_PER_USER``, ``…_PER_LAB``, ``FUELBOT_MAX_PENDING_POSTS_PER_USER``)."""

    queued_per_user: int = 3
    queued_per_lab: int = 5
    posts_per_user: int = 20


@dataclass(frozen=True)
class Crowded:
    """Which limit a request would pass, and the jobs already waiting under it."""

    limit: str                 # "user", "lab" or "posts"
    count: int
    waiting: tuple[int, ...] = ()


def _queued_read_only(session: Session, *where: Any) -> list[Job]:
    # lab_lock is set exactly on active mutating jobs (jobs.queue.submit), so NULL means read-only
    return list(session.scalars(select(Job).where(Job.state == JobState.QUEUED, Job.lab_lock.is_(None), *where)
                                .order_by(Job.id)))


def identical_queued(session: Session, *, kind: JobKind, lab: str | None, params: dict[str, Any]) -> Job | None:
    """A queued read-only job of the same kind, lab and arguments, which a new request can join."""
    same_lab = Job.lab.is_(None) if lab is None else Job.lab == lab
    for job in _queued_read_only(session, Job.kind == kind.value, same_lab):
        if (job.params or {}) == params:
            return job
    return None


def crowding(session: Session, share: FairShare, *, kind: JobKind, lab: str | None, requester: str,
             channel: str | None, params: dict[str, Any]) -> Crowded | None:
    """The limit a new job of ``requester`` would pass, or None when it may be queued."""
    if not kind.is_mutating(params):
        mine = _queued_read_only(session, Job.requester == requester)
        if len(mine) >= share.queued_per_user:
            return Crowded(limit="user", count=len(mine), waiting=tuple(j.id for j in mine))
        if lab is not None:
            on_lab = _queued_read_only(session, Job.lab == lab)
            if len(on_lab) >= share.queued_per_lab:
                return Crowded(limit="lab", count=len(on_lab), waiting=tuple(j.id for j in on_lab))
    if channel is not None:
        posts = session.scalar(select(func.count()).select_from(OutboxMessage).join(Job, OutboxMessage.job_id == Job.id)
                               .where(OutboxMessage.channel == channel, Job.requester == requester,
                                      OutboxMessage.state.in_([OutboxState.PENDING, OutboxState.SENDING]))) or 0
        if posts >= share.posts_per_user:
            return Crowded(limit="posts", count=posts)
    return None
