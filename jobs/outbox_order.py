"""Which outbox message may go now: order in a lane, one Slack message per slot, the last state wins.

Order. A channel's messages go in the order they were queued, and a person's answers in theirs;
the two lanes never wait for each other. A message waits while an earlier one of its lane is
pending, except an earlier one that has failed for good reasons before (``attempts``: a poison
message must not stall a channel) or a reply still waiting for its job's thread (the parent that
makes the thread may come later in the lane). A message Slack could not take during an outage
(``retries``) keeps its place, so everything arrives in order once Slack is back.

Slots. Messages sharing a ``slot`` are one Slack message: the first to go posts it, later ones edit
it. Only the newest of a slot is ever sent: when an older one's turn comes and a newer one exists,
posted or not, the older is superseded and the newest goes in its place (``take_turn``), so an old
state never overwrites a newer one, a job's parent is posted once with its latest words, and a
progress line is never starved by a busy channel. While one message of a slot is in flight, the
others wait for it.
A post whose answer never came (a timeout, a 5xx) leaves the slot ``uncertain``: before posting
again, the edge looks in Slack for what may have arrived (``bot.posted``).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, exists, select, update
from sqlalchemy.orm import Session

from store.db import changed_rows
from store.enums import OutboxState, Placement
from store.models import Job, OutboxMessage
from store.types import utcnow

_WAITING = (OutboxState.PENDING, OutboxState.SENDING)


def lane_of(message: OutboxMessage) -> tuple[str, str]:
    """(conversation, person): answers to one person are a lane of their own in each conversation."""
    return message.channel, message.recipient or ""


def earlier_pending(session: Session, message: OutboxMessage, *, place: int | None = None) -> bool:
    """Whether an earlier message of ``message``'s lane must go first (``place``: the id of the older
    message of its slot whose place it took)."""
    waiting_for_thread = exists().where(Job.id == OutboxMessage.job_id, Job.thread_ts.is_(None))
    if message.placement is Placement.ANSWER:
        lane = and_(OutboxMessage.placement == Placement.ANSWER.value, OutboxMessage.recipient == message.recipient)
    else:
        lane = OutboxMessage.placement != Placement.ANSWER.value
    return session.scalar(select(OutboxMessage.id).where(
        OutboxMessage.channel == message.channel, OutboxMessage.id < (place or message.id), lane,
        OutboxMessage.attempts == 0, OutboxMessage.state.in_(_WAITING),
        ~and_(OutboxMessage.placement == Placement.REPLY.value, waiting_for_thread)).limit(1)) is not None


def newest_of_slot(session: Session, message: OutboxMessage) -> OutboxMessage | None:
    """The newest message of ``message``'s slot when it is newer (queued, in flight or sent): then
    ``message`` must never go."""
    if not message.slot:
        return None
    return session.scalar(select(OutboxMessage).where(
        OutboxMessage.slot == message.slot, OutboxMessage.id > message.id,
        OutboxMessage.state != OutboxState.DEAD.value).order_by(OutboxMessage.id.desc()).limit(1))


def take_turn(session: Session, newest: OutboxMessage, *, worker_id: str, now: datetime | None = None) -> bool:
    """Claim the newest message of a slot to go now, in the place of the older one it supersedes.

    A slot is one Slack message: its newest words go where its first words were queued, so a
    progress line that changes faster than its channel drains still goes out, in its place.
    """
    if newest.state == OutboxState.SENDING and newest.claimed_by == worker_id:
        return True
    won = changed_rows(session, update(OutboxMessage)
                       .where(OutboxMessage.id == newest.id, OutboxMessage.state == OutboxState.PENDING.value)
                       .values(state=OutboxState.SENDING, claimed_by=worker_id, claimed_at=now or utcnow()))
    if won == 1:
        session.refresh(newest)
    return won == 1


def slot_in_flight(session: Session, message: OutboxMessage, *, stale_after: float = 60.0,
                   now: datetime | None = None) -> bool:
    """Whether another message of the slot is being posted right now (its outcome decides post or edit).

    A post in flight is a claimed message marked ``uncertain`` before its call; a claim older than
    ``stale_after`` is a crashed sender's, whose post the next one looks for in Slack instead.
    """
    if not message.slot:
        return False
    fresh = (now or utcnow()) - timedelta(seconds=stale_after)
    return session.scalar(select(OutboxMessage.id).where(
        OutboxMessage.slot == message.slot, OutboxMessage.id != message.id, OutboxMessage.uncertain.is_(True),
        OutboxMessage.state == OutboxState.SENDING.value, OutboxMessage.claimed_at >= fresh).limit(1)) is not None


def sent_ts_for_slot(session: Session, slot: str) -> str | None:
    """The ts of the message already posted for ``slot`` (to edit it in place)."""
    return session.scalar(select(OutboxMessage.ts).where(
        OutboxMessage.slot == slot, OutboxMessage.ts.is_not(None)).order_by(OutboxMessage.id).limit(1))


def may_have_been_posted(session: Session, message: OutboxMessage) -> datetime | None:
    """When the post that may already be in Slack was first queued; None when no post is in doubt."""
    if not message.slot:
        return message.created_at if message.uncertain else None
    return session.scalar(select(OutboxMessage.created_at).where(
        OutboxMessage.slot == message.slot, OutboxMessage.ts.is_(None),
        OutboxMessage.uncertain.is_(True)).order_by(OutboxMessage.id).limit(1))
