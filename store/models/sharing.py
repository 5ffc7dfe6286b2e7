"""Labs shared between people: a destructive button that works once (``confirmations``), leases and
their queue (``lab_leases``, ``lease_waiters``), requests awaiting a confirmation or a second person
(``approvals``)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from store.enums import ApprovalState, LeaseState
from store.models.base import Base
from store.types import string_enum


class Confirmation(Base):
    """A confirmation button's one-time nonce: it queues its job once, then only says so."""

    __tablename__ = "confirmations"

    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    action: Mapped[str] = mapped_column(String(32))
    lab: Mapped[str] = mapped_column(String(64))
    requester: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_by: Mapped[str | None] = mapped_column(String(64))
    used_delivery: Mapped[str | None] = mapped_column(String(128))   # the Slack delivery that used it
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))


class LabLease(Base):
    """A person's hold on a lab until a time: while it is active, only they may change the lab."""

    __tablename__ = "lab_leases"

    id: Mapped[int] = mapped_column(primary_key=True)
    lab: Mapped[str] = mapped_column(String(64), index=True)
    # The lab's name while the lease is active, NULL once it ends: the unique constraint is what
    # guarantees one holder per lab across replicas (the same device as ``Job.lab_lock``).
    held: Mapped[str | None] = mapped_column(String(64), unique=True)
    holder: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)
    channel: Mapped[str | None] = mapped_column(String(64))         # where it was asked for; notices go there
    state: Mapped[LeaseState] = mapped_column(string_enum(LeaseState, length=16), index=True)
    granted_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    length_seconds: Mapped[int] = mapped_column(Integer)            # as asked: the Extend button adds as much
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0)  # how many of the policy's reminders are due
    ended_at: Mapped[datetime | None]
    ended_by: Mapped[str | None] = mapped_column(String(128))


class LeaseWaiter(Base):
    """A person queued for a held lab; the first in line gets it when it frees (then the row goes)."""

    __tablename__ = "lease_waiters"
    __table_args__ = (UniqueConstraint("lab", "user", name="uq_lease_waiters_lab_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lab: Mapped[str] = mapped_column(String(64))
    user: Mapped[str] = mapped_column(String(64))
    length_seconds: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(Text)
    channel: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]


class Approval(Base):
    """A destroy or rollback waiting for its requester's confirmation and, on a shared lab, a second person.

    Its id is the value of the buttons that confirm or approve it, so a click names exactly one
    request, and a second click finds it already decided.
    """

    __tablename__ = "approvals"

    id: Mapped[int] = mapped_column(primary_key=True)
    lab: Mapped[str] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(32))                 # a JobKind's value: destroy | rollback
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)   # the job's params (snapshot, override)
    requester: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(64))
    required_role: Mapped[str] = mapped_column(String(16))          # the role the approver needs
    second_person: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[ApprovalState] = mapped_column(string_enum(ApprovalState, length=16), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    confirmed_at: Mapped[datetime | None]                           # the requester's own click
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None]
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
