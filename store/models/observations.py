"""What fuelbot saw of its labs: observations (for digests), the observation tick's last reading,
health runs (for comparisons) and the discovered nodes it announced (each MAC once)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import Base


class LabObservation(Base):
    """What fuelbot last saw of a lab's Fuel environment, nodes and health (for digests)."""

    __tablename__ = "lab_observations"

    id: Mapped[int] = mapped_column(primary_key=True)
    lab: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(16))       # snapshot | digest
    observed_at: Mapped[datetime]
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


class LabState(Base):
    """What the observation tick last read of a lab on its Fuel master (one row per lab), and when.

    ``observed_at`` is the last read that answered (``data`` is from it); ``tried_at`` the last
    read at all, and ``error`` why it did not answer. Readers say how fresh it is and never show
    a reading older than its master's last failure as current (``workflows.observations``).
    """

    __tablename__ = "lab_states"

    lab: Mapped[str] = mapped_column(String(64), primary_key=True)
    fuel: Mapped[str] = mapped_column(String(255))
    observed_at: Mapped[datetime | None]
    tried_at: Mapped[datetime]
    error: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


class HealthRun(Base):
    """One OSTF run's per-test outcome, kept as history for comparisons."""

    __tablename__ = "health_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    lab: Mapped[str] = mapped_column(String(64), index=True)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    at: Mapped[datetime]
    started_at: Mapped[datetime | None]        # when its job started: comparisons follow start order
    testsets: Mapped[list[str]] = mapped_column(default=list)
    summary: Mapped[dict[str, Any]] = mapped_column(default=dict)   # {"passed": n, "failed": n, "skipped": n, ...}
    tests: Mapped[dict[str, Any]] = mapped_column(default=dict)     # test id -> {name, status, message, step, taken}


class AnnouncedNode(Base):
    """A discovered node already announced in its lab's channel (announce each MAC once)."""

    __tablename__ = "announced_nodes"
    __table_args__ = (UniqueConstraint("lab", "mac", name="uq_announced_nodes_lab_mac"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lab: Mapped[str] = mapped_column(String(64))
    mac: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime]
