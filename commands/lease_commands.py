"""``reserve``, ``extend`` and ``release``: a person's hold on a lab, and the queue behind it.

Each handler runs in the command's one transaction, so a grant, a hand-over and the notices
that announce them are committed together or not at all. The longest lease a role may hold
comes from the policy file (``commands.lease_policy``).
"""
from __future__ import annotations

from datetime import timedelta

from commands import lease_replies
from commands.api import Reply
from commands.catalog_shared import ExtendLease, ReleaseLab, ReserveLab
from commands.dispatch import handles
from commands.job_commands import find_lab
from commands.request import Request
from commands.roles import Role
from core.errors import CommandError
from jobs import lease_notices
from jobs.leases import active_lease, end, extend, leave_queue, queue_of, reserve, take_over
from store.enums import LeaseState


def _longest(request: Request, lab: str, asked: timedelta) -> timedelta:
    longest = request.services.policy.leases.longest(request.role)
    if longest is None or asked > longest:
        raise CommandError(lease_replies.longer_than_role_allows(lab=lab, asked=asked, role=request.role.label,
                                                                 longest=longest or timedelta(0)))
    return longest


@handles(ReserveLab)
def reserve_lab(command: ReserveLab, request: Request) -> Reply:
    """Grant the lab, or queue for it behind its holder."""
    lab = find_lab(request, command.lab).name
    _longest(request, lab, command.duration)
    rules = request.services.policy.leases
    current = active_lease(request.session, lab)
    if command.override and current is not None and current.holder != request.user_id:
        taken = take_over(request.session, current, admin=request.user_id, length=command.duration,
                          reason=command.reason, channel=request.channel_id, reminders=rules.reminders,
                          now=request.now)
        if taken is not None:
            lease_notices.taken_over(request.session, current, lease=taken, now=request.now)
            return Reply(lease_replies.took_over(lab=lab, holder=current.holder,
                                                 until=lease_notices.until(taken, request.now),
                                                 left=current.expires_at - request.now))
    done = reserve(request.session, lab=lab, user=request.user_id, length=command.duration, reason=command.reason,
                   channel=request.channel_id, reminders=rules.reminders, now=request.now)
    until = lease_notices.until(done.lease, request.now)
    if done.granted:
        due = [r for r in rules.reminders if done.lease.expires_at - r > request.now]
        return Reply(lease_replies.granted(lab=lab, until=until, reason=done.lease.reason, reminders=due))
    if done.position is None:
        return Reply(lease_replies.already_yours(lab=lab, until=until))
    return Reply(lease_replies.queued(lab=lab, holder=done.lease.holder, until=until, reason=done.lease.reason,
                                      position=done.position, length=command.duration, already=done.already,
                                      viewer=request.user_id))


@handles(ReleaseLab)
def release_lab(command: ReleaseLab, request: Request) -> Reply:
    """The holder gives the lab back (the next in line gets it); a waiter leaves the queue; an admin
    may end anyone's lease."""
    lab = find_lab(request, command.lab).name
    session, now = request.session, request.now
    lease = active_lease(session, lab)
    if lease is not None and lease.holder != request.user_id and leave_queue(session, lab, request.user_id, now=now):
        return Reply(lease_replies.left_queue(lab))
    if lease is None:
        if leave_queue(session, lab, request.user_id, now=now):
            return Reply(lease_replies.left_queue(lab))
        raise CommandError(lease_replies.not_reserved(lab, "release"))
    breaking = lease.holder != request.user_id
    if breaking and request.role < Role.ADMIN:
        raise CommandError(lease_replies.not_yours(lab=lab, holder=lease.holder,
                                                   until=lease_notices.until(lease, now), verb="release"))
    why = f"lease of {lease.holder} ended by admin {request.user_id}" if breaking else f"released by {lease.holder}"
    ended, successor = end(session, lease, state=LeaseState.RELEASED, actor=request.user_id, now=now,
                           reminders=request.services.policy.leases.reminders, why=why)
    if not ended:
        raise CommandError(lease_replies.not_reserved(lab, "release"))
    if breaking:
        lease_notices.broken(session, lease, admin=request.user_id, reason=None)
    if successor is not None:
        lease_notices.handed_over(session, successor, previous=lease, now=now)
    next_holder = successor.holder if successor is not None else None
    if breaking:
        return Reply(lease_replies.broke_lease(lab=lab, holder=lease.holder, next_holder=next_holder))
    return Reply(lease_replies.released(lab=lab, next_holder=next_holder, viewer=request.user_id))


@handles(ExtendLease)
def extend_lease(command: ExtendLease, request: Request) -> Reply:
    """Push the end of a lease back: typed, by the length given; clicked, by as long as first asked
    (cut to what the role allows)."""
    lab = find_lab(request, command.lab).name
    session, now = request.session, request.now
    lease = active_lease(session, lab)
    if lease is None:
        raise CommandError(lease_replies.not_reserved(lab, "extend"))
    if lease.holder != request.user_id and request.role < Role.ADMIN:
        raise CommandError(lease_replies.not_yours(lab=lab, holder=lease.holder,
                                                   until=lease_notices.until(lease, now), verb="extend"))
    longest = request.services.policy.leases.longest(request.role) or timedelta(0)
    room = now + longest - lease.expires_at
    by = command.duration if command.duration is not None else min(timedelta(seconds=lease.length_seconds), room)
    if by > room or by < timedelta(minutes=1):
        raise CommandError(lease_replies.cannot_extend(lab=lab, role=request.role.label, longest=longest, room=room))
    if not extend(session, lease, by=by, actor=request.user_id, now=now,
                  reminders=request.services.policy.leases.reminders):
        raise CommandError(lease_replies.not_reserved(lab, "extend"))
    return Reply(lease_replies.extended(lab=lab, until=lease_notices.until(lease, now), by=by,
                                        waiting=len(queue_of(session, lab)), holder=lease.holder,
                                        viewer=request.user_id))
