"""The Slack outbox: what fuelbot wants to say, persisted before it is said.

Workflows and commands enqueue neutral messages here; the Slack edge (``bot.delivery``) drains
them in order, throttled per channel, editing in place the messages that share a ``slot``.
Because the outbox is in the database, a restart or a 429 loses nothing.

``body`` is neutral content the edge renders: ``{"fields": [[label, value], ...],
"lines": [str, ...], "actions": [{"id", "label", "value", "style"?, "confirm"?}], "context": str}``.

A ``channel`` is a conversation id, or ``@<user id>``: the DM between that person and fuelbot,
which the edge opens when it delivers. A message whose conversation Slack will never take it in
(fuelbot not invited, the channel archived) is dead-lettered at once with the rest of its job's
thread there (``dead_letter``), and the person who asked is told once (``tell_once``).

Two lanes: an ``ANSWER`` (to one ``recipient``: a quick look-up's reply) is claimed first and
waits only for earlier answers to the same person, never for the channel's posts and progress
edits; everything else keeps its channel's order (``jobs.outbox_order``). A failure Slack itself
caused (an outage) only waits (``retry_later``: ``retries`` grows, the message keeps its place);
one no retry may cure counts an ``attempt`` (``postpone``) and ends it after a few.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, case, or_, select, update
from sqlalchemy.orm import Session

from core.redact import scrub
from store.enums import OutboxState as OutboxState   # defined beside the models; used from here
from store.enums import Placement as Placement
from store.db import changed_rows
from store.models import Job, OutboxMessage, Schedule
from store.types import utcnow

DM_PREFIX = "@"


def dm_with(user_id: str) -> str:
    """The outbox channel meaning "the DM between ``user_id`` and fuelbot"."""
    return f"{DM_PREFIX}{user_id}"


def _scrub_body(value: object) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, list):
        return [_scrub_body(v) for v in value]
    if isinstance(value, dict):
        return {k: _scrub_body(v) for k, v in value.items()}
    return value


def enqueue(session: Session, *, channel: str, text: str, placement: Placement = Placement.POST,
            job_id: int | None = None, slot: str | None = None, body: dict[str, Any] | None = None,
            recipient: str | None = None) -> OutboxMessage:
    """Queue a message; secrets are scrubbed from the text and the body here, once.

    An ``ANSWER`` names its ``recipient``: it is shown to that person only (ephemeral in
    ``channel``, or as a message in their DM when ``channel`` is ``@U…``).
    """
    if (placement is Placement.ANSWER) != (recipient is not None):
        raise ValueError("an answer, and only an answer, names its recipient")
    message = OutboxMessage(job_id=job_id, channel=channel, placement=placement, slot=slot, recipient=recipient,
                            text=scrub(text), body=_scrub_body(body or {}), state=OutboxState.PENDING,
                            attempts=0, retries=0, uncertain=False, created_at=utcnow())
    session.add(message)
    return message


def claim_batch(session: Session, *, worker_id: str, limit: int = 20, stale_after: float = 60.0,
                now: datetime | None = None) -> list[OutboxMessage]:
    """Claim deliverable messages, answers first, then in order: pending (and due), or stuck in sending."""
    now = now or utcnow()
    stale = now - timedelta(seconds=stale_after)
    answers_first = case((OutboxMessage.placement == Placement.ANSWER.value, 0), else_=1)
    candidates = session.scalars(
        select(OutboxMessage)
        .where(((OutboxMessage.state == OutboxState.PENDING)
                & ((OutboxMessage.not_before.is_(None)) | (OutboxMessage.not_before <= now)))
               | ((OutboxMessage.state == OutboxState.SENDING) & (OutboxMessage.claimed_at < stale)))
        .order_by(answers_first, OutboxMessage.id).limit(limit).with_for_update(skip_locked=True)).all()
    claimed = []
    for message in candidates:
        won = changed_rows(session, update(OutboxMessage)
                           .where(OutboxMessage.id == message.id, OutboxMessage.state == message.state)
                           .values(state=OutboxState.SENDING, claimed_by=worker_id, claimed_at=now))
        if won == 1:
            session.refresh(message)
            claimed.append(message)
    return claimed


def thread_ts_for(session: Session, message: OutboxMessage) -> str | None:
    """The thread root of the job this reply belongs to (None until the parent is posted)."""
    if message.job_id is None:
        return None
    return session.scalar(select(Job.thread_ts).where(Job.id == message.job_id))


def mark_sent(session: Session, message: OutboxMessage, *, ts: str | None, channel: str | None = None) -> None:
    """Sent as ``ts``; a job's parent gives the job its thread (in ``channel``, the conversation id)."""
    message.state = OutboxState.SENT
    message.ts = ts
    message.sent_at = utcnow()
    message.uncertain = False
    if message.placement == Placement.PARENT and message.job_id is not None and ts:
        session.execute(update(Job).where(Job.id == message.job_id, Job.thread_ts.is_(None))
                        .values(thread_ts=ts, channel=channel or message.channel)
                        .execution_options(synchronize_session=False))


def parent_is_dead(session: Session, message: OutboxMessage) -> bool:
    """Whether the job's thread root in this message's channel was dead-lettered (no thread will come)."""
    if message.job_id is None:
        return False
    return session.scalar(select(OutboxMessage.id).where(
        OutboxMessage.job_id == message.job_id, OutboxMessage.channel == message.channel,
        OutboxMessage.placement == Placement.PARENT.value,
        OutboxMessage.state == OutboxState.DEAD.value).limit(1)) is not None


def dead_letter(session: Session, message: OutboxMessage, *, error: str, attempted: bool = True) -> int:
    """Give up on ``message`` now, and on its job's other pending messages in that channel; how many."""
    message.state = OutboxState.DEAD
    message.error = scrub(error)
    message.attempts += attempted
    if message.job_id is None:
        return 1
    others = cast(CursorResult[Any], session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.job_id == message.job_id, OutboxMessage.channel == message.channel,
               OutboxMessage.id != message.id, OutboxMessage.state == OutboxState.PENDING.value)
        .values(state=OutboxState.DEAD.value, error=scrub(f"{error} (the job's thread there)"))
        .execution_options(synchronize_session=False)))
    return 1 + (others.rowcount or 0)


def person_to_tell(session: Session, message: OutboxMessage) -> str | None:
    """Who asked for the job a message belongs to (a schedule's author for scheduled jobs), if anyone."""
    job = session.get(Job, message.job_id) if message.job_id is not None else None
    if job is None:
        return None
    requester = job.requester
    if requester.startswith("schedule:"):
        schedule = session.get(Schedule, int(requester.split(":", 1)[1])) if requester[9:].isdigit() else None
        requester = schedule.created_by if schedule is not None else ""
    return requester if requester[:1] in ("U", "W") else None


def tell_once(session: Session, *, person: str, about: str, text: str) -> bool:
    """A DM to ``person`` unless one ``about`` this was already queued; whether it was queued now."""
    slot = f"notice:{about}"[:128]
    if session.scalar(select(OutboxMessage.id).where(OutboxMessage.slot == slot).limit(1)) is not None:
        return False
    enqueue(session, channel=dm_with(person), text=text, placement=Placement.POST, slot=slot)
    return True


def mark_superseded(session: Session, message: OutboxMessage) -> None:
    message.state = OutboxState.SUPERSEDED


def postpone(session: Session, message: OutboxMessage, *, seconds: float, error: str | None = None,
             max_attempts: int = 8) -> None:
    """A failure no retry is known to cure: try again later, give up after ``max_attempts``, keep the error."""
    message.attempts += 1
    message.error = scrub(error) if error else None
    if message.attempts >= max_attempts:
        message.state = OutboxState.DEAD
        return
    message.state = OutboxState.PENDING
    message.not_before = utcnow() + timedelta(seconds=seconds)


def retry_later(message: OutboxMessage, *, seconds: float, error: str) -> None:
    """Slack could not take it now (an outage, a timeout): wait, as long as it takes, keeping its place.

    A post whose call may have reached Slack stays ``uncertain``: the next one looks for it first.
    """
    message.retries += 1
    message.error = scrub(error)
    message.state = OutboxState.PENDING
    message.claimed_by = None
    message.claimed_at = None
    message.not_before = utcnow() + timedelta(seconds=seconds)


def postpone_channel(session: Session, channel: str, *, seconds: float, answers: bool = False) -> None:
    """Hold every pending message of a channel's lane (Slack's Retry-After applies to the channel).

    ``answers`` picks the lane: the answers to people there, or the channel's own messages. A
    message already waiting longer (a failed one's backoff) keeps its longer wait.
    """
    until = utcnow() + timedelta(seconds=seconds)
    lane = (OutboxMessage.placement == Placement.ANSWER.value if answers
            else OutboxMessage.placement != Placement.ANSWER.value)
    session.execute(update(OutboxMessage)
                    .where(OutboxMessage.channel == channel, OutboxMessage.state == OutboxState.PENDING, lane,
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
