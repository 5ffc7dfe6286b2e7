"""What replies say about the audit trail (``/fuel audit``)."""
from __future__ import annotations

from datetime import datetime
from typing import Sequence

from commands.echo import echo
from core.mrkdwn import who


def user_not_an_id(name: str) -> str:
    return (f"{echo(name)} reached fuelbot as a name, not a Slack id, and names can change; pick the person "
            "from Slack's `@` menu so Slack sends their id.")


def audit_line(*, at: datetime, actor: str, kind: str, message: str, job_id: int | None, lab: str | None) -> str:
    job = f" #{job_id}" if job_id is not None else ""
    where = f" *{lab}*" if lab else ""
    return f"{at:%m-%d %H:%M} {who(actor)} `{kind}`{job}{where} — {message[:160]}"


def audit_overview(lines: Sequence[str], *, lab: str | None, user: str | None, since: str, more: bool) -> str:
    scope = (f" of *{lab}*" if lab else "") + (f" by {who(user)}" if user else "")
    if not lines:
        return f"Nothing in the audit trail{scope} in the last {since}."
    head = f"Audit trail{scope}, last {since}, newest first (UTC):"
    tail = [f"… and more: narrow it with `--since` or `--user`, or add a lab."] if more else []
    return "\n".join([head, *lines, *tail])
