"""A job's voice: thread replies, one progress message edited in place, and the parent message."""
from __future__ import annotations

import time
from typing import Callable

from sqlalchemy.orm import Session

from jobs.outbox import Placement, enqueue


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

    def _enqueue(self, *, text: str, placement: Placement, slot: str | None, body: dict | None) -> None:
        if not self._channel:
            return
        with self._session_factory() as session, session.begin():
            enqueue(session, channel=self._channel, text=text, placement=placement, job_id=self._job_id,
                    slot=slot, body=body)

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
        self._enqueue(text=text, placement=Placement.PARENT, slot=f"job:{self._job_id}:parent", body=body)
