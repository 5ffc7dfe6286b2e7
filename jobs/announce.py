"""A job's first words, posted when it is queued, and the edit when it is cancelled before it starts.

The texts come from the kind's lifecycle voice (``jobs/voice.py``); this module only places them
in the outbox. The command handlers call it (the job store never speaks).
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from core.job_links import JobLinks
from jobs.outbox import Placement, enqueue
from jobs.voice import JobHeader, LifecycleVoice
from store.models import Job

VOICE = LifecycleVoice()


def parent_slot(job_id: int) -> str:
    """The outbox slot of a job's parent message (posted once, then edited in place)."""
    return f"job:{job_id}:parent"


def header_of(job: Job) -> JobHeader:
    return JobHeader(id=job.id, kind=job.kind, lab=job.lab, requester=job.requester)


def announce(session: Session, job: Job, *, links: JobLinks | None = None) -> None:
    """Queue the job's parent message (with a Cancel button, and its page's link when pages are on)."""
    if not job.channel:
        return
    job.context = {**(job.context or {}), "announced": True}
    queued = VOICE.queued(header_of(job))
    body = queued.body() if links is None else {**queued.body(), "context": VOICE.page_link(links.link(job.id))}
    enqueue(session, channel=job.channel, text=queued.text, placement=Placement.PARENT, job_id=job.id,
            slot=parent_slot(job.id), body=body)


def announce_cancelled_before_start(session: Session, job: Job, *, actor: str) -> None:
    """Edit the parent of a job cancelled while queued (its Cancel button goes away)."""
    if not job.channel or not (job.context or {}).get("announced"):
        return
    cancelled = VOICE.cancelled_before_start(header_of(job), actor=actor)
    enqueue(session, channel=job.channel, text=cancelled.text, placement=Placement.PARENT, job_id=job.id,
            slot=parent_slot(job.id), body=cancelled.body())
