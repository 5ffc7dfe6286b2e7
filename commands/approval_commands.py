"""``approve <id>`` and its button: the requester confirms, or on a shared lab a second person approves.

The approver needs the request's role (admin for a destroy, operator for a rollback) and,
on a shared lab, must not be the requester. Approving queues the job for the requester, in the
same transaction that marks the request approved; a request past its time is expired instead.
"""
from __future__ import annotations

from commands import help_replies, snapshot_replies
from commands.api import Reply
from commands.catalog_shared import ApproveRequest
from commands.dispatch import handles
from commands.job_commands import submit_for
from commands.request import Request
from commands.roles import Role
from core.errors import CommandError, PermissionDenied
from jobs import approval_notices, approvals
from jobs.states import JobKind
from store.enums import ApprovalState
from store.models import Approval


@handles(ApproveRequest)
def approve_request(command: ApproveRequest, request: Request) -> Reply:
    session, now = request.session, request.now
    approval = session.get(Approval, command.approval_id)
    if approval is None:
        raise CommandError(snapshot_replies.no_such_request(command.approval_id))
    if approval.state is ApprovalState.APPROVED:
        return Reply(snapshot_replies.already_approved(approval))     # a second click, or a retried one
    if approval.state is ApprovalState.EXPIRED or approval.expires_at <= now:
        if approvals.expire(session, approval, now=now) and approval.second_person and approval.confirmed_at:
            approval_notices.expired(session, approval)
        return Reply(snapshot_replies.request_expired(approval), ok=False)
    needed = Role.from_label(approval.required_role)
    if request.role < needed:
        policy = request.services.policy
        raise PermissionDenied(help_replies.denied(
            activity=f"Approving a {approval.action}", needed=needed.label, have=request.role.label,
            admins=policy.admin_mentions(), channels=policy.channels_granting(needed)))
    mine = request.user_id == approval.requester
    if mine and approval.confirmed_at is None:
        approvals.confirm(session, approval, now=now)
        if approval.second_person:
            approval_notices.ask(session, approval)
            return Reply(snapshot_replies.waiting_for_second_person(approval))
        return _carry_out(request, approval)
    if mine and approval.second_person:
        raise CommandError(snapshot_replies.cannot_approve_own(approval))
    if not mine and (not approval.second_person or approval.confirmed_at is None):
        raise CommandError(snapshot_replies.not_yours_to_confirm(approval))
    return _carry_out(request, approval)


def _carry_out(request: Request, approval: Approval) -> Reply:
    """Queue the request's job for its requester and mark it approved (one transaction)."""
    kind = JobKind(approval.action)
    params = {key: value for key, value in approval.params.items() if key != "override"}
    job = submit_for(request, kind=kind, lab=approval.lab, params=params, requester=approval.requester,
                     override=bool(approval.params.get("override")), channel=approval.channel,
                     activity=f"{kind.label} of {approval.lab}")
    if not approvals.approve(request.session, approval, by=request.user_id, job_id=job.id, now=request.now):
        raise CommandError(snapshot_replies.already_approved(approval))
    if approval.second_person:
        approval_notices.approved(request.session, approval, job_id=job.id)
    return Reply(snapshot_replies.approved(approval, job_id=job.id, by_requester=request.user_id == approval.requester))
