"""The lease check of every command that changes a lab, in the transaction that submits its job.

While someone holds a lab, a mutating job (deploy, reset, destroy, rollback, snapshot,
preflight --fix) asked for by anyone else is refused with who holds it, until when and why;
read-only jobs (status, health, plan…) run for everyone. An admin overrides a lease by taking
the lab over (``reserve <lab> <duration> --override``: the holder is told, audited, and first in
line to get it back), or by confirming a destroy (admins only), which is audited and told too.
"""
from __future__ import annotations

from commands import lease_replies
from commands.request import Request
from commands.roles import Role
from core.errors import LabReserved
from jobs import lease_notices
from jobs.leases import active_lease
from jobs.queue import record_event
from store.models import LabLease


def check_lease(request: Request, *, lab: str, activity: str, override: bool = False,
                requester: str | None = None) -> LabLease | None:
    """None when ``requester`` (default: the person asking) may change ``lab`` now; the lease an admin
    overrides; LabReserved (a refusal, audited) otherwise.

    ``override`` is trusted: only an admin can confirm a destroy (``DestroyLab.role``).
    """
    requester = requester or request.user_id
    lease = active_lease(request.session, lab)
    if lease is None or lease.holder == requester:
        return None
    if override:
        return lease
    admin = request.role >= Role.ADMIN
    raise LabReserved(lease_replies.lab_reserved(
        lab=lab, holder=lease.holder, until=lease_notices.until(lease, request.now), reason=lease.reason,
        activity=activity, viewer=request.user_id, admin=admin, admins=request.services.policy.admin_mentions()))


def note_override(request: Request, lease: LabLease, *, activity: str, job_id: int | None) -> None:
    """Audit an admin's override and tell the holder."""
    job = f" as job #{job_id}" if job_id else ""
    record_event(request.session, None, actor=request.user_id, kind="lease-override",
                 message=f"{lease.lab}: {activity.lower()}{job} past the lease of {lease.holder}", at=request.now)
    lease_notices.overridden(request.session, lease, admin=request.user_id, activity=activity, job_id=job_id)
