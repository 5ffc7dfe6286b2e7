"""The first words of every job: its parent message, posted as soon as it is queued."""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from core.buttons import Button, ButtonAction
from core.mrkdwn import who
from jobs.outbox import Placement, enqueue
from jobs.states import JobKind
from store.models import Job


def parent_slot(job_id: int) -> str:
    """The outbox slot of a job's parent message (posted once, then edited in place)."""
    return f"job:{job_id}:parent"


def title_of(kind: str, lab: str | None) -> str:
    """``🚀 Deploy of *lab1*``: what a job is, for its parent message."""
    target = f" of *{lab}*" if lab else ""
    return f"{JobKind(kind).heading if kind in set(JobKind) else kind}{target}"


def job_title(job: Job) -> str:
    return title_of(job.kind, job.lab)


def cancel_button(job_id: int) -> dict[str, Any]:
    return Button(ButtonAction.CANCEL_JOB, "Cancel", str(job_id), style="danger",
                  confirm=f"Cancel job #{job_id}?").as_body()


def announce(session: Session, job: Job) -> None:
    """Queue the job's parent message (with a Cancel button) in its channel."""
    if not job.channel:
        return
    job.context = {**(job.context or {}), "announced": True}
    text = f"⏳ {job_title(job)} — job #{job.id} by {who(job.requester)} · queued"
    enqueue(session, channel=job.channel, text=text, placement=Placement.PARENT, job_id=job.id,
            slot=parent_slot(job.id), body={"actions": [cancel_button(job.id)]})


def announce_cancelled_before_start(session: Session, job: Job, *, actor: str) -> None:
    """Edit the parent of a job cancelled while queued (its Cancel button goes away)."""
    if not job.channel or not (job.context or {}).get("announced"):
        return
    text = f"🛑 {job_title(job)} — job #{job.id} by {who(job.requester)} · cancelled by {who(actor)} before it started"
    enqueue(session, channel=job.channel, text=text, placement=Placement.PARENT, job_id=job.id,
            slot=parent_slot(job.id), body={})
