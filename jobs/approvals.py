"""Requests that wait for a person: a rollback for its requester's confirmation, and a destroy or
rollback of a shared lab for a second person's approval.

    pending ──the requester confirms──▶ pending, confirmed ──(shared: another person approves)──▶ approved
       ╰───────────── its time passes (tick, or a late click) ─────────────▶ expired

Approved means its job was submitted, in the same transaction. The row's id is the value of
its buttons; every change is a compare-and-set on the state as seen, so of two clicks at once
one approves and the other finds it decided. Nothing here speaks (``jobs.approval_notices``).
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from jobs.queue import record_event
from store.db import changed_rows
from store.enums import ApprovalState
from store.models import Approval


def create(session: Session, *, lab: str, action: str, params: dict[str, Any], requester: str, channel: str,
           required_role: str, second_person: bool, ttl: timedelta, now: datetime,
           confirmed: bool = False) -> Approval:
    """Record a request; ``confirmed`` when its requester already confirmed it (a destroy's button)."""
    approval = Approval(lab=lab, action=action, params=dict(params), requester=requester, channel=channel,
                        required_role=required_role, second_person=second_person, state=ApprovalState.PENDING,
                        created_at=now, expires_at=now + ttl, confirmed_at=now if confirmed else None)
    session.add(approval)
    session.flush()
    who_must = "a second person" if second_person else "its requester"
    record_event(session, None, actor=requester, kind="approval-asked",
                 message=f"{action} of {lab} (request #{approval.id}) waits for {who_must}", at=now)
    return approval


def confirm(session: Session, approval: Approval, *, now: datetime) -> bool:
    """The requester's own confirmation; False when it was already confirmed or is no longer pending."""
    done = changed_rows(session, update(Approval).where(
        Approval.id == approval.id, Approval.state == ApprovalState.PENDING, Approval.confirmed_at.is_(None))
        .values(confirmed_at=now)) == 1
    if done:
        session.refresh(approval)
        record_event(session, None, actor=approval.requester, kind="approval-confirmed",
                     message=f"{approval.action} of {approval.lab} (request #{approval.id}) confirmed", at=now)
    return done


def approve(session: Session, approval: Approval, *, by: str, job_id: int, now: datetime) -> bool:
    """Mark it approved with the job it became; False when someone decided it first."""
    done = changed_rows(session, update(Approval).where(
        Approval.id == approval.id, Approval.state == ApprovalState.PENDING)
        .values(state=ApprovalState.APPROVED, decided_by=by, decided_at=now, job_id=job_id)) == 1
    if done:
        session.refresh(approval)
        whose = "" if by == approval.requester else f" of {approval.requester}"
        record_event(session, None, actor=by, kind="approval-approved",
                     message=f"{approval.action} of {approval.lab} (request #{approval.id}{whose}) approved by "
                             f"{by}: job #{job_id}", at=now)
    return done


def expire(session: Session, approval: Approval, *, now: datetime) -> bool:
    """Mark a pending request past its time expired; False when it was decided or expired already."""
    done = changed_rows(session, update(Approval).where(
        Approval.id == approval.id, Approval.state == ApprovalState.PENDING, Approval.expires_at <= now)
        .values(state=ApprovalState.EXPIRED, decided_at=now)) == 1
    if done:
        session.refresh(approval)
        record_event(session, None, actor="expiry", kind="approval-expired",
                     message=f"{approval.action} of {approval.lab} (request #{approval.id}) expired unapproved",
                     at=now)
    return done


def overdue(session: Session, now: datetime) -> list[Approval]:
    return list(session.scalars(select(Approval).where(Approval.state == ApprovalState.PENDING,
                                                       Approval.expires_at <= now).order_by(Approval.id)))
