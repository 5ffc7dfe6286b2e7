"""The lease tick: reminders before a lease ends, what its end does, and approvals that ran out.

It runs in every replica (APScheduler only ticks); each reminder, each expiry and each expired
approval is claimed with a compare-and-set, so it happens once whatever the number of
replicas. An expired lease's ``lease.on_expiry`` (from the lab's spec) applies in the same
transaction as its end: ``power_off`` submits a job in the lab's channel, and the lab goes to
the first in its queue either way.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Callable, Mapping, Sequence

from sqlalchemy.orm import Session

from core.errors import LabBusy
from core.mrkdwn import who
from jobs import approval_notices, approvals, lease_notices
from jobs.announce import announce
from jobs.leases import claim_reminders, end, overdue, queue_of
from jobs.queue import submit
from jobs.states import JobKind
from labspec.model import Lab
from store.enums import LeaseState
from store.models import Approval, LabLease
from store.types import utcnow

log = logging.getLogger(__name__)
Labs = Callable[[], tuple[Mapping[str, Lab], Sequence[object]]]


def tick_leases(*, sessions: Callable[[], Session], labs: Labs, reminders: Sequence[timedelta],
                now: datetime | None = None) -> None:
    """One pass over the leases and approvals (``now``: for tests; the clock otherwise)."""
    now = now or utcnow()
    with sessions() as session, session.begin():
        for reminder in claim_reminders(session, reminders=reminders, now=now):
            lease_notices.remind(session, reminder.lease, now=now, waiting=len(queue_of(session, reminder.lease.lab)))
    with sessions() as session:
        due = [lease.id for lease in overdue(session, now)]
    for lease_id in due:
        with sessions() as session, session.begin():
            _expire(session, lease_id, labs=labs, reminders=reminders, now=now)
    with sessions() as session:
        stale = [approval.id for approval in approvals.overdue(session, now)]
    for approval_id in stale:
        with sessions() as session, session.begin():
            approval = session.get(Approval, approval_id)
            if approval is not None and approvals.expire(session, approval, now=now) \
                    and approval.second_person and approval.confirmed_at is not None:
                approval_notices.expired(session, approval)


def _expire(session: Session, lease_id: int, *, labs: Labs, reminders: Sequence[timedelta], now: datetime) -> None:
    lease = session.get(LabLease, lease_id)
    if lease is None:
        return
    ended, successor = end(session, lease, state=LeaseState.EXPIRED, actor="expiry", now=now, reminders=reminders,
                           why=f"lease of {lease.holder} expired")
    if not ended:
        return          # another replica, or a release or extension, got there first
    spec = labs()[0].get(lease.lab)
    powering_off = blocked_by = None
    if spec is not None and spec.lease.on_expiry == "power_off":
        powering_off, blocked_by = _power_off(session, lease, spec)
    lease_notices.expired(session, lease, successor=successor, powering_off=powering_off, blocked_by=blocked_by)
    if successor is not None:
        lease_notices.handed_over(session, successor, previous=lease, now=now)


def _power_off(session: Session, lease: LabLease, spec: Lab) -> tuple[int | None, int | None]:
    """Submit the power-off job of an expired lease, once (its dedupe key names the lease): (its id, None),
    or (None, the job that holds the lab)."""
    try:
        submission = submit(session, kind=JobKind.POWER_OFF, requester=lease.holder, lab=lease.lab,
                            channel=spec.channel or lease.channel, params={"why": f"the lease of {who(lease.holder)} ended"},
                            dedupe_key=f"lease:{lease.id}:power_off")
    except LabBusy as busy:
        log.info("lease %s of %s ended while job #%s held the lab; nothing powered off", lease.id, lease.lab,
                 busy.job_id)
        return None, busy.job_id
    if submission.created:
        announce(session, submission.job)
    return submission.job.id, None
