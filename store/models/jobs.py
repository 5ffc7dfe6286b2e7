"""A job and its audit trail: one unit of durable work (``jobs``) and every event of it (``job_events``)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from store.enums import JobState
from store.models.base import Base
from store.types import string_enum


class Job(Base):
    """One unit of durable work (a deploy, a health check, a digest, …)."""

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    lab: Mapped[str | None] = mapped_column(String(64), index=True)
    requester: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str | None] = mapped_column(String(64))
    thread_ts: Mapped[str | None] = mapped_column(String(32))
    state: Mapped[JobState] = mapped_column(string_enum(JobState, length=16), index=True)
    step: Mapped[str | None] = mapped_column(String(64))
    step_title: Mapped[str | None] = mapped_column(String(128))     # what people read for ``step``
    progress: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    context: Mapped[dict[str, Any]] = mapped_column(default=dict)
    result: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    error: Mapped[str | None] = mapped_column(Text)
    dedupe_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    # Set to the lab's name while a mutating job is active, NULL otherwise: the unique
    # constraint is what guarantees one mutating job per lab across replicas.
    lab_lock: Mapped[str | None] = mapped_column(String(64), unique=True)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    lease_owner: Mapped[str | None] = mapped_column(String(128))
    lease_expires_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None]
    schedule_id: Mapped[int | None] = mapped_column(ForeignKey("schedules.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    step_started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]

    events: Mapped[list["JobEvent"]] = relationship(back_populates="job", order_by="JobEvent.id",
                                                    cascade="all, delete-orphan")


class JobEvent(Base):
    """The audit trail: every transition and notable event of a job, with time and actor."""

    __tablename__ = "job_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any] | None] = mapped_column(default=None)

    job: Mapped[Job | None] = relationship(back_populates="events")
