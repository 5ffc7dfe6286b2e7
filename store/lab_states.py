"""How far to trust a lab's row of ``lab_states`` (what the observation tick last read of it).

``workflows.observations`` writes the rows; the digest, ``labs`` and ``status`` read them here.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import LabState

STALE_AFTER = 150.0          # seconds: five ticks missed; an older reading is said to be old, never current
NOT_DEPLOYED = "not deployed"


@dataclass(frozen=True)
class Freshness:
    """How far to trust a lab's row: never read, read but its master now silent, too old, or fresh."""

    observed_at: datetime | None
    error: str | None          # why the master's last read failed (None once it answers again)
    stale: bool                # no answer for longer than ``STALE_AFTER``

    @property
    def current(self) -> bool:
        return self.observed_at is not None and self.error is None and not self.stale


def freshness(row: LabState | None, now: datetime) -> Freshness:
    if row is None:
        return Freshness(observed_at=None, error=None, stale=True)
    old = row.observed_at is None or (now - row.observed_at).total_seconds() > STALE_AFTER
    return Freshness(observed_at=row.observed_at, error=row.error, stale=old)   # a read that answers clears error


def lab_states(session: Session, names: Sequence[str]) -> dict[str, LabState]:
    """The rows of ``names`` (one query)."""
    return {row.lab: row for row in session.scalars(select(LabState).where(LabState.lab.in_(list(names))))}
