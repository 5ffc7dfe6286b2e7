"""A job's outlet: thread replies, one progress message per phase edited in place, and the parent message.

The reporter words nothing itself: the texts come from the job's voice; only a quiet job's
first parent (a scheduled check that speaks for the first time) is asked of the voice here.

A phase's reply may keep lines (``progress(keep=True)``): facts that belong together, say the
environment's settings, networks, roles and interfaces, are one message edited as each comes,
not one message each; what it keeps is stored with it, so a run picked up again keeps them too.

A look-up (``answer_to``: the person who asked) has no thread: what it would have put in its
parent and thread is gathered and, when the run ends (``finish``), becomes one answer to that
person (``Placement.ANSWER``: ephemeral where they asked, or in their DM); progress is not shown.

``upload`` shares a file in the job's thread (``jobs.uploads``), queued after the replies before it.
"""
from __future__ import annotations

import time
from typing import Any, Callable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.buttons import Button
from core.job_links import JobLinks
from jobs.announce import parent_slot
from jobs.outbox import Placement, enqueue
from jobs.uploads import SLACK_MAX_FILE_BYTES, FileToShare, enqueue_upload
from jobs.voice import JobHeader, LifecycleVoice, Message
from store.models import Job, OutboxMessage

KEPT = "kept"       # an outbox body's lines its phase keeps (the edge renders the text, not these)


class OutboxReporter:
    """Reporter that writes to the outbox; progress updates are throttled (Slack: ~1 post/s)."""

    def __init__(self, *, session_factory: Callable[[], Session], job_id: int, channel: str | None,
                 progress_interval: float = 3.0, voice: LifecycleVoice | None = None,
                 links: JobLinks | None = None, answer_to: str | None = None) -> None:
        self._session_factory = session_factory
        self._links = links
        self._job_id = job_id
        self._channel = channel
        self._answer_to = answer_to
        self._answer: Message | None = None
        self._answer_lines: list[str] = []
        self._progress_interval = progress_interval
        self._voice = voice or LifecycleVoice()
        self._last_progress = 0.0
        self._shown: dict[str, str] = {}          # per phase, the text its message last got
        self._kept: dict[str, list[str]] = {}     # per phase, the lines it keeps (``progress(keep=True)``)
        self._live: dict[str, str] = {}           # per phase, its live line (edited in place, under the kept)
        self._phase: str | None = None
        self._has_parent = False

    def _enqueue(self, message: Message, *, placement: Placement, slot: str | None,
                 kept: list[str] | None = None) -> None:
        if not self._channel:
            return
        with self._session_factory() as session, session.begin():
            if placement is Placement.REPLY and not self._has_parent:
                self._ensure_parent(session, self._channel)
            body = self._with_page(message.body()) if placement is Placement.PARENT else message.body()
            if kept:
                body = {**body, KEPT: list(kept)}
            enqueue(session, channel=self._channel, text=message.text, placement=placement, job_id=self._job_id,
                    slot=slot, body=body)
            if placement is Placement.PARENT:
                self._has_parent = True

    def _ensure_parent(self, session: Session, channel: str) -> None:
        """A reply needs a thread: quiet jobs (scheduled checks) get a parent when they first speak."""
        exists = session.scalar(select(OutboxMessage.id).where(
            OutboxMessage.job_id == self._job_id, OutboxMessage.placement == Placement.PARENT.value).limit(1))
        job = session.get(Job, self._job_id) if exists is None else None
        if job is not None:
            opened = self._voice.opened(JobHeader(id=job.id, kind=job.kind, lab=job.lab, requester=job.requester))
            enqueue(session, channel=channel, placement=Placement.PARENT, job_id=self._job_id,
                    slot=parent_slot(self._job_id), text=opened.text, body=self._with_page(opened.body()))
        self._has_parent = True

    def _with_page(self, body: dict[str, Any]) -> dict[str, Any]:
        """A parent's body with the job page's link under it, when job pages are on (a fresh link each edit)."""
        if self._links is None:
            return body
        return {**body, "context": self._voice.page_link(self._links.link(self._job_id))}

    def say(self, text: str, *, buttons: Sequence[Button] = ()) -> None:
        """A new reply in the job's thread."""
        if self._answer_to is not None:
            self._answer_lines.append(text)
            return
        self._enqueue(Message(text, tuple(buttons)), placement=Placement.REPLY, slot=None)

    def upload(self, shared: FileToShare, *, comment: str, limit: int = SLACK_MAX_FILE_BYTES) -> bool:
        """Share a file in the job's thread, ``comment`` above it; False where there is no thread (a look-up).

        Raises ``jobs.uploads.FileTooLarge`` past ``limit`` (or Slack's): the caller says where the file is instead.
        """
        if self._answer_to is not None or not self._channel:
            return False
        with self._session_factory() as session, session.begin():
            if not self._has_parent:
                self._ensure_parent(session, self._channel)
            enqueue_upload(session, channel=self._channel, job_id=self._job_id, shared=shared, comment=comment,
                           limit=limit)
        return True

    def progress(self, text: str, *, force: bool = False, phase: str = "main", keep: bool = False) -> None:
        """One reply per ``phase``, edited in place; at most one edit per interval.

        The reply is the lines the phase keeps, then its live line: ``text`` replaces the live line,
        or, with ``keep``, is kept (at once: a fact is never throttled away) and ends the live line.
        """
        if self._answer_to is not None:
            return
        slot = f"job:{self._job_id}:progress:{phase}"
        kept = self._kept_lines(phase, slot)
        if keep:
            kept.append(text)
            self._live.pop(phase, None)
            force = True
        else:
            self._live[phase] = text
        shown = "\n".join(kept + ([self._live[phase]] if phase in self._live else []))
        if shown == self._shown.get(phase):
            return
        now = time.monotonic()
        if phase != self._phase:
            self._phase, force = phase, True
        if not force and now - self._last_progress < self._progress_interval:
            return
        self._last_progress = now
        self._shown[phase] = shown
        self._enqueue(Message(shown), placement=Placement.REPLY, slot=slot, kept=kept)

    def _kept_lines(self, phase: str, slot: str) -> list[str]:
        """The lines ``phase`` keeps; a run picked up again finds them where its last words were queued."""
        if phase not in self._kept:
            with self._session_factory() as session:
                body = session.scalar(select(OutboxMessage.body).where(OutboxMessage.slot == slot)
                                      .order_by(OutboxMessage.id.desc()).limit(1))
            self._kept[phase] = [str(line) for line in (body or {}).get(KEPT) or []]
        return self._kept[phase]

    def parent(self, text: str, *, buttons: Sequence[Button] = ()) -> None:
        """Post or edit the job's parent message (the thread root)."""
        if self._answer_to is not None:
            self._answer = Message(text, tuple(buttons))
            return
        self._enqueue(Message(text, tuple(buttons)), placement=Placement.PARENT, slot=parent_slot(self._job_id))

    def finish(self) -> None:
        """The run is over: a look-up's gathered words go to the person who asked, as one answer."""
        if self._answer_to is None or not self._channel or (self._answer is None and not self._answer_lines):
            return
        head = self._answer or Message(self._answer_lines.pop(0))
        body = {**head.body(), "lines": list(self._answer_lines)} if self._answer_lines else head.body()
        with self._session_factory() as session, session.begin():
            enqueue(session, channel=self._channel, text=head.text, placement=Placement.ANSWER, job_id=self._job_id,
                    recipient=self._answer_to, body=body)
        self._answer, self._answer_lines = None, []
