"""A job's voice: thread replies, one progress message edited in place, and the parent message."""
from __future__ import annotations

import time
from typing import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.mrkdwn import who
from jobs.announce import parent_slot, title_of
from jobs.outbox import Placement, enqueue
from store.models import Job, OutboxMessage


class OutboxReporter:
    """Reporter that writes to the outbox; progress updates are throttled (Slack: ~1 post/s)."""

    def __init__(self, *, session_factory: Callable[[], Session], job_id: int, channel: str | None,
                 progress_interval: float = 3.0) -> None:
        self._session_factory = session_factory
        self._job_id = job_id
        self._channel = channel
        self._progress_interval = progress_interval
        self._last_progress = 0.0
        self._last_progress_text: str | None = None
        self._phase: str | None = None
        self._has_parent = False

    def _enqueue(self, *, text: str, placement: Placement, slot: str | None, body: dict | None) -> None:
        if not self._channel:
            return
        with self._session_factory() as session, session.begin():
            if placement is Placement.REPLY and not self._has_parent:
                self._ensure_parent(session)
            enqueue(session, channel=self._channel, text=text, placement=placement, job_id=self._job_id,
                    slot=slot, body=body)
            if placement is Placement.PARENT:
                self._has_parent = True

    def _ensure_parent(self, session: Session) -> None:
        """A reply needs a thread: quiet jobs (scheduled checks) get a parent when they first speak."""
        exists = session.scalar(select(OutboxMessage.id).where(
            OutboxMessage.job_id == self._job_id, OutboxMessage.placement == Placement.PARENT.value).limit(1))
        if exists is None:
            job = session.get(Job, self._job_id)
            enqueue(session, channel=self._channel, placement=Placement.PARENT, job_id=self._job_id,
                    slot=parent_slot(self._job_id),
                    text=f"{title_of(job.kind, job.lab)} — job #{job.id} by {who(job.requester)}")
        self._has_parent = True

    def say(self, text: str, *, body: dict | None = None) -> None:
        """A new reply in the job's thread."""
        self._enqueue(text=text, placement=Placement.REPLY, slot=None, body=body)

    def progress(self, text: str, *, body: dict | None = None, force: bool = False, phase: str = "main") -> None:
        """One progress reply per ``phase``, edited in place; at most one edit per interval."""
        now = time.monotonic()
        if text == self._last_progress_text:
            return
        if phase != self._phase:
            self._phase, force = phase, True
        if not force and now - self._last_progress < self._progress_interval:
            return
        self._last_progress = now
        self._last_progress_text = text
        self._enqueue(text=text, placement=Placement.REPLY, slot=f"job:{self._job_id}:progress:{phase}", body=body)

    def parent(self, text: str, *, body: dict | None = None) -> None:
        """Post or edit the job's parent message (the thread root)."""
        self._enqueue(text=text, placement=Placement.PARENT, slot=parent_slot(self._job_id), body=body)
