"""What fuelbot tells people about leases, and where: reminders, hand-overs, expiry, overrides.

Each notice mentions the person it is for and goes to the channel the lease (or the place in
the queue) was asked for in, through the outbox. Commands (release, override) and the lease
tick (reminders, expiry) both post through here, so a hand-over reads the same either way.
"""
from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from core.buttons import Button, ButtonAction
from core.durations import say_duration
from core.mrkdwn import moment, who
from jobs.leases import active_lease, queue_of
from jobs.outbox import Placement, enqueue
from jobs.voice import Message
from store.models import LabLease


def left(lease: LabLease, now: datetime) -> str:
    """``3h``, ``1d 2h``: the time left, rounded up to the minute (a lease asked for 2h shows 2h, not 1h 59m)."""
    seconds = max(0.0, (lease.expires_at - now).total_seconds())
    return say_duration(timedelta(minutes=math.ceil(seconds / 60)))


def until(lease: LabLease, now: datetime) -> str:
    """``until <date> (in 3h)``."""
    return f"until {moment(lease.expires_at)} (in {left(lease, now)})"


def held(session: Session, lab: str, now: datetime) -> str | None:
    """``🔐 <@U…> until <date> (in 3h) · 2 waiting``: how ``labs``, ``status`` and the digest show a lease."""
    lease = active_lease(session, lab)
    if lease is None:
        return None
    waiting = len(queue_of(session, lab))
    return f"🔐 {who(lease.holder)} {until(lease, now)}" + (f" · {waiting} waiting" if waiting else "")


def extend_button(lease: LabLease) -> Button:
    """The reminder's button: extend by as long as the lease was asked for."""
    length = say_duration(timedelta(seconds=lease.length_seconds))
    return Button(ButtonAction.EXTEND_LEASE, f"Extend {lease.lab} by {length}", lease.lab, style="primary")


def _post(session: Session, channel: str | None, message: Message) -> None:
    if channel:
        enqueue(session, channel=channel, text=message.text, placement=Placement.POST, body=message.body())


def remind(session: Session, lease: LabLease, *, now: datetime, waiting: int) -> None:
    """Tell the holder their lease ends soon, with an Extend button."""
    queue = f" {waiting} waiting for it." if waiting else ""
    text = (f"⏰ {who(lease.holder)}, your lease of *{lease.lab}* ends {moment(lease.expires_at)} "
            f"(in {left(lease, now)}).{queue} Extend it, or `/fuel release {lease.lab}` "
            "when you are done.")
    _post(session, lease.channel, Message(text, (extend_button(lease),)))


def handed_over(session: Session, lease: LabLease, *, previous: LabLease, now: datetime) -> None:
    """Tell the first in line that the lab is theirs now."""
    how = ("it expired" if previous.ended_by in (None, "expiry")
           else f"{who(previous.ended_by or previous.holder)} released it")
    reason = f" ({lease.reason})" if lease.reason else ""
    text = (f"🔑 {who(lease.holder)}, *{lease.lab}* is yours now{reason}, {until(lease, now)}: "
            f"{who(previous.holder)}'s lease ended ({how}). `/fuel release {lease.lab}` when you are done.")
    _post(session, lease.channel, Message(text))


def expired(session: Session, lease: LabLease, *, successor: LabLease | None, powering_off: int | None = None,
            blocked_by: int | None = None) -> None:
    """Tell the holder their lease ended, and what happened to the lab: its ``lease.on_expiry: power_off``
    (the job doing it, or the job that held the lab so it could not), and who has it now."""
    text = f"⌛ {who(lease.holder)}, your lease of *{lease.lab}* ended {moment(lease.expires_at)}."
    if powering_off is not None:
        text += f" Its node VMs are being powered off (job #{powering_off}), as its spec says (`lease.on_expiry`)."
    if blocked_by is not None:
        text += (f" Its node VMs were not powered off, as its spec says (`lease.on_expiry`): job #{blocked_by} "
                 "holds the lab; power them off when it ends.")
    text += (f" {who(successor.holder)} was next in line and holds it now." if successor is not None
             else " The lab is free.")
    _post(session, lease.channel, Message(text))


def overridden(session: Session, lease: LabLease, *, admin: str, activity: str, job_id: int | None) -> None:
    """Tell the holder an admin acted on their lab past their lease."""
    job = f" (job #{job_id})" if job_id else ""
    text = (f"⚠️ {who(lease.holder)}: {who(admin)} (admin) overrode your lease of *{lease.lab}*: "
            f"{activity.lower()}{job}.")
    _post(session, lease.channel, Message(text))


def taken_over(session: Session, previous: LabLease, *, lease: LabLease, now: datetime) -> None:
    """Tell a holder an admin took their lab over, and that they get it back after."""
    left = timedelta(seconds=0) if previous.ended_at is None else previous.expires_at - previous.ended_at
    why = f": {lease.reason}" if lease.reason else ""
    text = (f"⚠️ {who(previous.holder)}: {who(lease.holder)} (admin) took *{lease.lab}* over {until(lease, now)}"
            f"{why}. You are first in line: it is yours again for the {say_duration(left)} you had left "
            "once they release it.")
    _post(session, previous.channel, Message(text))


def broken(session: Session, lease: LabLease, *, admin: str, reason: str | None) -> None:
    """Tell the holder an admin ended their lease."""
    why = f": {reason}" if reason else "."
    _post(session, lease.channel, Message(f"⚠️ {who(lease.holder)}: {who(admin)} (admin) ended your lease of "
                                          f"*{lease.lab}*{why}"))
