"""Leases: a person's hold on a lab until a time, the queue behind it, reminders and expiry.

    (none) ──reserve──▶ active ──release / admin breaks it──▶ released ─┐
                          │  ╰──extend (expires later)                  ├─▶ the first waiter's lease: active
                          ╰──its time passes (tick)──────────▶ expired ─┘
    an admin's ``reserve --override``: the holder's lease is released, the admin's granted, and the
    holder queued first for the time they had left (they get the lab back when the admin is done).

Every function takes the caller's session and never commits (the caller owns the unit of work,
so a lease is checked in the same transaction that submits a job). Guarantees across replicas:

- one active lease per lab: ``LabLease.held`` is the lab's name while active and unique, so two
  concurrent grants cannot both insert (the loser queues instead);
- each reminder and each expiry happens once: the tick claims it with a compare-and-set on the
  row as it saw it (``reminders_sent``, ``state``, ``expires_at``), and only the winner acts.

Nothing here speaks: ``jobs.lease_notices`` words and posts what happened.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Sequence

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.durations import say_duration
from core.errors import JobError
from jobs.queue import record_event
from store.db import changed_rows
from store.enums import LeaseState
from store.models import LabLease, LeaseWaiter


@dataclass(frozen=True)
class Reservation:
    """What ``reserve`` did: granted ``lease``, or queued behind it at ``position`` (1 = next)."""

    lease: LabLease
    granted: bool
    position: int | None = None
    already: bool = False           # the person already held it, or was already queued


@dataclass(frozen=True)
class Reminder:
    """A reminder claimed by this tick: ``lease`` ends in ``left``."""

    lease: LabLease
    left: timedelta


def active_lease(session: Session, lab: str) -> LabLease | None:
    """The lab's active lease, if any."""
    return session.scalar(select(LabLease).where(LabLease.held == lab))


def active_leases(session: Session) -> list[LabLease]:
    return list(session.scalars(select(LabLease).where(LabLease.state == LeaseState.ACTIVE).order_by(LabLease.id)))


def queue_of(session: Session, lab: str) -> list[LeaseWaiter]:
    """The people waiting for ``lab``, first in line first (a holder an admin displaced keeps the front)."""
    return list(session.scalars(select(LeaseWaiter).where(LeaseWaiter.lab == lab)
                                .order_by(LeaseWaiter.created_at, LeaseWaiter.id)))


def due_count(expires_at: datetime, reminders: Sequence[timedelta], now: datetime) -> int:
    """How many of ``reminders`` (longest first) are due at ``now`` for a lease ending at ``expires_at``."""
    return sum(1 for offset in reminders if expires_at - offset <= now)


def grant(session: Session, *, lab: str, holder: str, length: timedelta, reason: str | None, channel: str | None,
          reminders: Sequence[timedelta], now: datetime, actor: str | None = None) -> LabLease | None:
    """Give ``holder`` the lab for ``length`` from ``now``; None when someone else holds it (a lost race too)."""
    expires = now + length
    lease = LabLease(lab=lab, held=lab, holder=holder, reason=reason, channel=channel, state=LeaseState.ACTIVE,
                     granted_at=now, expires_at=expires, length_seconds=int(length.total_seconds()),
                     reminders_sent=due_count(expires, reminders, now))
    try:
        with session.begin_nested():
            session.add(lease)
            session.flush()
    except IntegrityError:
        return None
    record_event(session, None, actor=actor or holder, kind="lease-granted",
                 message=f"{lab} reserved by {holder} until {expires:%Y-%m-%d %H:%M} UTC"
                         + (f": {reason}" if reason else ""), at=now)
    return lease


def reserve(session: Session, *, lab: str, user: str, length: timedelta, reason: str | None, channel: str | None,
            reminders: Sequence[timedelta], now: datetime) -> Reservation:
    """Grant the lab, or queue ``user`` behind its holder (asking again updates their place's length and reason)."""
    for _ in range(2):      # a grant lost to a concurrent one queues behind the winner
        current = active_lease(session, lab)
        if current is None:
            lease = grant(session, lab=lab, holder=user, length=length, reason=reason, channel=channel,
                          reminders=reminders, now=now)
            if lease is not None:
                return Reservation(lease, granted=True)
            continue
        if current.holder == user:
            return Reservation(current, granted=False, already=True)
        return _enqueue(session, current, user=user, length=length, reason=reason, channel=channel, now=now)
    raise JobError(f"The lease of {lab} changed hands twice while you reserved it; try again.")


def _enqueue(session: Session, current: LabLease, *, user: str, length: timedelta, reason: str | None,
             channel: str | None, now: datetime) -> Reservation:
    waiting = session.scalar(select(LeaseWaiter).where(LeaseWaiter.lab == current.lab, LeaseWaiter.user == user))
    already = waiting is not None
    if waiting is None:
        waiting = LeaseWaiter(lab=current.lab, user=user, length_seconds=int(length.total_seconds()),
                              reason=reason, channel=channel, created_at=now)
        try:
            with session.begin_nested():
                session.add(waiting)
                session.flush()
        except IntegrityError:      # the same person queued twice at once (a double click)
            waiting = session.scalar(select(LeaseWaiter).where(LeaseWaiter.lab == current.lab,
                                                                LeaseWaiter.user == user))
            already = True
            assert waiting is not None
    else:
        waiting.length_seconds, waiting.reason = int(length.total_seconds()), reason or waiting.reason
    position = [w.id for w in queue_of(session, current.lab)].index(waiting.id) + 1
    if not already:
        record_event(session, None, actor=user, kind="lease-queued",
                     message=f"{user} queued for {current.lab} (#{position}), held by {current.holder}", at=now)
    return Reservation(current, granted=False, position=position, already=already)


def leave_queue(session: Session, lab: str, user: str, *, now: datetime) -> bool:
    """Take ``user`` out of ``lab``'s queue; False when they were not in it."""
    waiting = session.scalar(select(LeaseWaiter).where(LeaseWaiter.lab == lab, LeaseWaiter.user == user))
    if waiting is None:
        return False
    session.delete(waiting)
    record_event(session, None, actor=user, kind="lease-unqueued", message=f"{user} left the queue of {lab}", at=now)
    return True


def end(session: Session, lease: LabLease, *, state: LeaseState, actor: str, now: datetime,
        reminders: Sequence[timedelta], why: str) -> tuple[bool, LabLease | None]:
    """End ``lease`` (released or expired) and hand the lab to the first waiter.

    Returns (ended by this call, the next holder's lease or None). A lease someone else ended
    meanwhile (the tick and a release at the same moment) is left alone: (False, None).
    """
    guard = [LabLease.id == lease.id, LabLease.state == LeaseState.ACTIVE]
    if state is LeaseState.EXPIRED:
        guard.append(LabLease.expires_at <= now)     # an extension that landed first wins
    ended = changed_rows(session, update(LabLease).where(*guard).values(
        state=state, held=None, ended_at=now, ended_by=actor)) == 1
    if not ended:
        return False, None
    session.refresh(lease)
    kind = "lease-expired" if state is LeaseState.EXPIRED else "lease-released"
    record_event(session, None, actor=actor, kind=kind, message=f"{lease.lab} {why}", at=now)
    return True, hand_over(session, lease.lab, reminders=reminders, now=now)


def hand_over(session: Session, lab: str, *, reminders: Sequence[timedelta], now: datetime) -> LabLease | None:
    """Grant a free lab to the first in its queue (their length from now); None when nobody waits."""
    waiting = queue_of(session, lab)
    if not waiting:
        return None
    first = waiting[0]
    lease = grant(session, lab=lab, holder=first.user, length=timedelta(seconds=first.length_seconds),
                  reason=first.reason, channel=first.channel, reminders=reminders, now=now, actor="queue")
    if lease is not None:       # None: someone reserved it in between; everyone keeps their place
        session.delete(first)
    return lease


def take_over(session: Session, lease: LabLease, *, admin: str, length: timedelta, reason: str | None,
              channel: str | None, reminders: Sequence[timedelta], now: datetime) -> LabLease | None:
    """An admin takes the lab from its holder, who is queued first for the time they had left.

    None when the lease ended meanwhile (then reserve as anyone would).
    """
    left = max(lease.expires_at - now, timedelta(minutes=1))
    ended = changed_rows(session, update(LabLease).where(LabLease.id == lease.id, LabLease.state == LeaseState.ACTIVE)
                         .values(state=LeaseState.RELEASED, held=None, ended_at=now, ended_by=admin)) == 1
    if not ended:
        return None
    session.refresh(lease)
    leave_queue(session, lease.lab, admin, now=now)
    # Queued as of when they got the lab: ahead of everyone who queued behind them.
    session.add(LeaseWaiter(lab=lease.lab, user=lease.holder, length_seconds=int(left.total_seconds()),
                            reason=lease.reason, channel=lease.channel, created_at=lease.granted_at))
    record_event(session, None, actor=admin, kind="lease-override",
                 message=f"{lease.lab} taken over by admin {admin} from {lease.holder}, who is first in line again "
                         f"for the {say_duration(left)} left" + (f": {reason}" if reason else ""), at=now)
    return grant(session, lab=lease.lab, holder=admin, length=length, reason=reason, channel=channel,
                 reminders=reminders, now=now)


def extend(session: Session, lease: LabLease, *, by: timedelta, actor: str, now: datetime,
           reminders: Sequence[timedelta]) -> bool:
    """Push the end of an active lease back by ``by``; False when it ended meanwhile."""
    new_end = lease.expires_at + by
    moved = changed_rows(session, update(LabLease).where(
        LabLease.id == lease.id, LabLease.state == LeaseState.ACTIVE, LabLease.expires_at == lease.expires_at)
        .values(expires_at=new_end, reminders_sent=due_count(new_end, reminders, now))) == 1
    if moved:
        session.refresh(lease)
        record_event(session, None, actor=actor, kind="lease-extended",
                     message=f"{lease.lab} lease of {lease.holder} extended by {say_duration(by)} to "
                             f"{new_end:%Y-%m-%d %H:%M} UTC",
                     at=now)
    return moved


def claim_reminders(session: Session, *, reminders: Sequence[timedelta], now: datetime) -> list[Reminder]:
    """The reminders due now, each claimed by this call alone (compare-and-set on ``reminders_sent``)."""
    claimed = []
    for lease in active_leases(session):
        due = due_count(lease.expires_at, reminders, now)
        if due <= lease.reminders_sent or lease.expires_at <= now:
            continue
        won = changed_rows(session, update(LabLease).where(
            LabLease.id == lease.id, LabLease.state == LeaseState.ACTIVE, LabLease.expires_at == lease.expires_at,
            LabLease.reminders_sent == lease.reminders_sent).values(reminders_sent=due)) == 1
        if won:
            session.refresh(lease)
            record_event(session, None, actor="reminder", kind="lease-reminded",
                         message=f"{lease.lab} lease of {lease.holder} ends in {say_duration(lease.expires_at - now)}",
                         at=now)
            claimed.append(Reminder(lease, lease.expires_at - now))
    return claimed


def overdue(session: Session, now: datetime) -> list[LabLease]:
    """Active leases whose time has passed (``end`` with EXPIRED claims each one once)."""
    return list(session.scalars(select(LabLease).where(LabLease.state == LeaseState.ACTIVE,
                                                       LabLease.expires_at <= now).order_by(LabLease.id)))
