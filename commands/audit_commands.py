"""``/fuel audit``: who did what, refusals included, read back from the job events (admins only)."""
from __future__ import annotations


from commands import audit_replies
from commands.api import Reply
from commands.catalog import ShowAudit
from commands.dispatch import handles
from commands.job_commands import find_lab
from commands.request import Request
from core.durations import Duration
from core.errors import CommandError
from jobs.audit import audit_trail

DEFAULT_SINCE = Duration(days=7)
SHOWN = 30               # lines in one reply; narrower filters show the rest


@handles(ShowAudit)
def show_audit(command: ShowAudit, request: Request) -> Reply:
    lab = find_lab(request, command.lab).name if command.lab else None
    if command.user is not None and command.user.startswith("@"):
        raise CommandError(audit_replies.user_not_an_id(command.user))
    since_text = str(command.since or DEFAULT_SINCE)
    since = request.now - (command.since or DEFAULT_SINCE)
    entries = audit_trail(request.session, since=since, lab=lab, user=command.user, limit=SHOWN + 1)
    lines = [audit_replies.audit_line(at=e.at, actor=e.actor, kind=e.kind, message=e.message, job_id=e.job_id,
                                lab=e.lab if lab is None else None) for e in entries[:SHOWN]]
    return Reply(audit_replies.audit_overview(lines, lab=lab, user=command.user, since=since_text,
                                        more=len(entries) > SHOWN))
