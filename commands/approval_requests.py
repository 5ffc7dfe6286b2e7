"""Opening a request that must be confirmed or approved before its job is queued.

A rollback is confirmed by its requester with a button (the request's id is its value); on a
lab marked ``shared: true`` a destroy or rollback then waits for a second person with the
required role, asked for in the channel. ``commands.approval_commands`` answers the clicks.
"""
from __future__ import annotations

from typing import Any

from commands import snapshot_replies
from commands.api import Reply
from commands.request import Request
from commands.roles import Role
from jobs import approval_notices, approvals
from jobs.states import JobKind
from store.models import Approval


def open_request(request: Request, *, lab: str, action: JobKind, params: dict[str, Any], required_role: Role,
                 second_person: bool, confirmed: bool = False) -> Approval:
    """Record the request (valid for the policy's ``approvals.expire_after``)."""
    return approvals.create(request.session, lab=lab, action=action.value, params=params, requester=request.user_id,
                            channel=request.channel_id, required_role=required_role.label,
                            second_person=second_person, ttl=request.services.policy.leases.approval_ttl,
                            now=request.now, confirmed=confirmed)


def ask_second_person(request: Request, *, lab: str, action: JobKind, params: dict[str, Any],
                      required_role: Role) -> Reply:
    """A confirmed request on a shared lab: ask the channel for a second person."""
    approval = open_request(request, lab=lab, action=action, params=params, required_role=required_role,
                            second_person=True, confirmed=True)
    approval_notices.ask(request.session, approval)
    return Reply(snapshot_replies.waiting_for_second_person(approval))
