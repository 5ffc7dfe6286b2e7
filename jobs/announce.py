"""The first words of every job: its parent message, posted as soon as it is queued."""
from __future__ import annotations

from sqlalchemy.orm import Session

from jobs.outbox import Placement, enqueue
from store.models import Job

TITLES = {
    "deploy": "🚀 Deploy", "preflight": "🔎 Preflight", "plan": "🧭 Plan", "health": "🩺 Health check",
    "status": "📟 Status", "nodes": "🖥️ Nodes", "digest": "📋 Digest", "destroy": "💥 Destroy",
    "reset": "♻️ Reset", "watch": "👀 Discovery watch",
}


def who(requester: str) -> str:
    """How to name a requester in Slack: a mention for people, the schedule for schedules."""
    if requester.startswith("schedule:"):
        return f"schedule #{requester.split(':', 1)[1]}"
    return f"<@{requester}>"


def job_title(job: Job) -> str:
    target = f" of *{job.lab}*" if job.lab else ""
    return f"{TITLES.get(job.kind, job.kind)}{target}"


def announce(session: Session, job: Job) -> None:
    """Queue the job's parent message (with a Cancel button) in its channel."""
    if not job.channel:
        return
    text = f"⏳ {job_title(job)} — job #{job.id} by {who(job.requester)} · queued"
    body = {"actions": [{"id": "cancel_job", "label": "Cancel", "value": str(job.id), "style": "danger",
                         "confirm": f"Cancel job #{job.id}?"}]}
    enqueue(session, channel=job.channel, text=text, placement=Placement.PARENT, job_id=job.id,
            slot=f"job:{job.id}:parent", body=body)
