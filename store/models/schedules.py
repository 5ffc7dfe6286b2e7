"""Schedules and their fires: each fire time runs exactly once across replicas."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import Base


class Schedule(Base):
    """A recurring digest or health check on a cron expression in a time zone."""

    __tablename__ = "schedules"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    lab: Mapped[str | None] = mapped_column(String(64))
    cron: Mapped[str] = mapped_column(String(128))
    timezone: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(64))
    mention: Mapped[str | None] = mapped_column(String(128))
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_by: Mapped[str] = mapped_column(String(64))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    last_fire_at: Mapped[datetime | None]
    next_fire_at: Mapped[datetime | None]
    # What on-call was last told about a scheduled check (passing, failing which tests, could not
    # run and why): an alert goes out only when a run finds something else (workflows.alerts).
    alert: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    snoozed_until: Mapped[datetime | None]              # alerts stay silent until then
    snoozed_by: Mapped[str | None] = mapped_column(String(64))


class ScheduleFire(Base):
    """One fire time of one schedule; the unique key makes each fire run exactly once."""

    __tablename__ = "schedule_fires"
    __table_args__ = (UniqueConstraint("schedule_id", "fire_at", name="uq_schedule_fires_schedule_fire"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("schedules.id", ondelete="CASCADE"))
    fire_at: Mapped[datetime]
    missed: Mapped[int] = mapped_column(Integer, default=0)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    fired_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime]
    skipped: Mapped[str | None] = mapped_column(String(300))   # why no job ran for this fire (None: one did)
