"""The Slack outbox: what fuelbot wants to say, persisted before it is said.

Workflows and commands enqueue neutral messages here; the Slack edge (``bot.delivery``) drains
them in order, throttled per channel, editing in place the messages that share a ``slot``.
Because the outbox is in the database, a restart or a 429 loses nothing.

``body`` is neutral content the edge renders: ``{"fields": [[label, value], ...],
"lines": [str, ...], "actions": [{"id", "label", "value", "style"?, "confirm"?}], "context": str}``.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from core.redact import scrub
from store.enums import OutboxState as OutboxState   # defined beside the models; used from here
from store.enums import Placement as Placement
from store.db import changed_rows
from store.models import Job, OutboxMessage
from store.types import utcnow


def _scrub_body(value: object) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, list):
        return [_scrub_body(v) for v in value]
    if isinstance(value, dict):
        return {k: _scrub_body(v) for k, v in value.items()}
    return value


def enqueue(session: Session, *, channel: str, text: str, placement: Placement = Placement.POST,
            job_id: int | None = None, slot: str | None = None, body: dict[str, Any] | None = None) -> OutboxMessage:
    """Queue a message; secrets are scrubbed from the text and the body here, once."""
    message = OutboxMessage(job_id=job_id, channel=channel, placement=placement, slot=slot,
                            text=scrub(text), body=_scrub_body(body or {}), state=OutboxState.PENDING,
                            attempts=0, created_at=utcnow())
    session.add(message)
    return message


def claim_batch(session: Session, *, worker_id: str, limit: int = 20, stale_after: float = 60.0,
                now: datetime | None = None) -> list[OutboxMessage]:
    """Claim deliverable messages in order: pending (and due), or stuck in sending for too long."""
    now = now or utcnow()
    stale = now - timedelta(seconds=stale_after)
    candidates = session.scalars(
        select(OutboxMessage)
        .where(((OutboxMessage.state == OutboxState.PENDING)
                & ((OutboxMessage.not_before.is_(None)) | (OutboxMessage.not_before <= now)))
               | ((OutboxMessage.state == OutboxState.SENDING) & (OutboxMessage.claimed_at < stale)))
        .order_by(OutboxMessage.id).limit(limit).with_for_update(skip_locked=True)).all()
    claimed = []
    for message in candidates:
        won = changed_rows(session, update(OutboxMessage)
                           .where(OutboxMessage.id == message.id, OutboxMessage.state == message.state)
                           .values(state=OutboxState.SENDING, claimed_by=worker_id, claimed_at=now))
        if won == 1:
            session.refresh(message)
            claimed.append(message)
    return claimed


def latest_in_slot(session: Session, message: OutboxMessage) -> bool:
    """True when no newer message waits in the same slot (older edits are superseded)."""
    if not message.slot:
        return True
    newer = session.scalar(select(OutboxMessage.id).where(
        OutboxMessage.slot == message.slot, OutboxMessage.id > message.id,
        OutboxMessage.state.in_([OutboxState.PENDING, OutboxState.SENDING])).limit(1))
    return newer is None


def sent_ts_for_slot(session: Session, slot: str) -> str | None:
    """The ts of the message already posted for ``slot`` (to edit it in place)."""
    return session.scalar(select(OutboxMessage.ts).where(
        OutboxMessage.slot == slot, OutboxMessage.ts.is_not(None)).order_by(OutboxMessage.id).limit(1))


def thread_ts_for(session: Session, message: OutboxMessage) -> str | None:
    """The thread root of the job this reply belongs to (None until the parent is posted)."""
    if message.job_id is None:
        return None
    return session.scalar(select(Job.thread_ts).where(Job.id == message.job_id))


def mark_sent(session: Session, message: OutboxMessage, *, ts: str | None) -> None:
    message.state = OutboxState.SENT
    message.ts = ts
    message.sent_at = utcnow()
    if message.placement == Placement.PARENT and message.job_id is not None and ts:
        session.execute(update(Job).where(Job.id == message.job_id, Job.thread_ts.is_(None))
                        .values(thread_ts=ts, channel=message.channel)
                        .execution_options(synchronize_session=False))


def mark_superseded(session: Session, message: OutboxMessage) -> None:
    message.state = OutboxState.SUPERSEDED


def postpone(session: Session, message: OutboxMessage, *, seconds: float, error: str | None = None,
             max_attempts: int = 8) -> None:
    """Try again later (429, network); give up after ``max_attempts`` and keep the error."""
    message.attempts += 1
    message.error = scrub(error) if error else None
    if message.attempts >= max_attempts:
        message.state = OutboxState.DEAD
        return
    message.state = OutboxState.PENDING
    message.not_before = utcnow() + timedelta(seconds=seconds)


def postpone_channel(session: Session, channel: str, *, seconds: float) -> None:
    """Hold every pending message of a channel (Slack's Retry-After applies to the channel).

    A message already waiting longer (a failed one's backoff) keeps its longer wait.
    """
    until = utcnow() + timedelta(seconds=seconds)
    session.execute(update(OutboxMessage)
                    .where(OutboxMessage.channel == channel, OutboxMessage.state == OutboxState.PENDING,
                           or_(OutboxMessage.not_before.is_(None), OutboxMessage.not_before < until))
                    .values(not_before=until).execution_options(synchronize_session=False))


def release(message: OutboxMessage, *, not_before_seconds: float | None = None) -> None:
    """Back to pending without counting an attempt: waiting for order or a rate limit is no failure."""
    message.state = OutboxState.PENDING
    message.claimed_by = None
    message.claimed_at = None
    if not_before_seconds is not None:
        message.not_before = utcnow() + timedelta(seconds=not_before_seconds)


def pending_count(session: Session) -> int:
    from sqlalchemy import func
    return session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.state.in_([OutboxState.PENDING, OutboxState.SENDING]))) or 0
