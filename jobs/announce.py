"""The first words of every job: its parent message, posted as soon as it is queued."""
from __future__ import annotations

from sqlalchemy.orm import Session

from jobs.outbox import Placement, enqueue
from store.models import Job

TITLES = {
    "deploy": "🚀 Deploy", "preflight": "🔎 Preflight", "plan": "🧭 Plan", "health": "🩺 Health check",
    "status": "📟 Status", "nodes": "🖥️ Nodes", "digest": "📋 Digest", "destroy": "💥 Destroy",
    "reset": "♻️ Reset",
}


def parent_slot(job_id: int) -> str:
    """The outbox slot of a job's parent message (posted once, then edited in place)."""
    return f"job:{job_id}:parent"


def who(requester: str) -> str:
    """How to name a requester in Slack: a mention for people, the schedule for schedules."""
    if requester.startswith("schedule:"):
        return f"schedule #{requester.split(':', 1)[1]}"
    return f"<@{requester}>"


def title_of(kind: str, lab: str | None) -> str:
    """``🚀 Deploy of *lab1*``: what a job is, for its parent message."""
    target = f" of *{lab}*" if lab else ""
    return f"{TITLES.get(kind, kind)}{target}"


def job_title(job: Job) -> str:
    return title_of(job.kind, job.lab)


def cancel_button(job_id: int) -> dict:
    return {"id": "cancel_job", "label": "Cancel", "value": str(job_id), "style": "danger",
            "confirm": f"Cancel job #{job_id}?"}


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
