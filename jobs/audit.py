"""Who did what: the audit trail read back from ``job_events`` (for ``/fuel audit``).

Job events name their lab through their job; events without a job (``denied``, ``scheduled``,
``unscheduled``) name it in their text, the command as typed, so a lab filter matches them by
the lab's name as a whole word. ``user`` matches the event's actor or the job's requester, so a
person's deploy shows with the steps the workers ran for it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from store.models import Job, JobEvent


@dataclass(frozen=True)
class AuditEntry:
    """One line of the audit trail."""

    at: datetime
    actor: str
    kind: str                  # submitted, state:failed, step, denied, scheduled, cancel-requested …
    message: str
    job_id: int | None
    job_kind: str | None
    lab: str | None
    requester: str | None


def audit_trail(session: Session, *, since: datetime, lab: str | None = None, user: str | None = None,
                kinds: frozenset[str] | None = None, limit: int = 200) -> list[AuditEntry]:
    """Events since ``since``, newest first, at most ``limit``; filtered by lab, person and kind."""
    query = (select(JobEvent, Job).outerjoin(Job, JobEvent.job_id == Job.id)
             .where(JobEvent.at >= since).order_by(JobEvent.at.desc(), JobEvent.id.desc()))
    if lab is not None:
        pattern = "%" + lab.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(Job.lab == lab, and_(JobEvent.job_id.is_(None),
                                                     JobEvent.message.like(pattern, escape="\\"))))
    if user is not None:
        query = query.where(or_(JobEvent.actor == user, Job.requester == user))
    if kinds is not None:
        query = query.where(JobEvent.kind.in_(sorted(kinds)))
    word = re.compile(rf"(?<![\w-]){re.escape(lab)}(?![\w-])") if lab is not None else None
    entries: list[AuditEntry] = []
    for event, job in session.execute(query.limit(limit * 4 if word else limit)):
        if job is None and word is not None and not word.search(event.message):
            continue    # "lab1" must not match "lab10"
        entries.append(AuditEntry(at=event.at, actor=event.actor, kind=event.kind, message=event.message,
                                  job_id=event.job_id, job_kind=job.kind if job else None,
                                  lab=job.lab if job else lab, requester=job.requester if job else None))
        if len(entries) == limit:
            break
    return entries
