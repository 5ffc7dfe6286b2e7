"""Rate allowances shared by every replica through the database (the source of truth).

An allowance is a key (``post:C0LAB``, ``update``) with an ``interval`` between calls and a
``burst`` of calls that may go back to back. Each replica asks ``take()`` before calling and gets
``0.0`` (go, the call is counted) or the seconds to wait; ``hold()`` pauses a key for everyone
(Slack's ``Retry-After`` after a 429). The row keeps one number, the next free time of the
generic cell rate algorithm (GCRA): a call at ``now`` conforms when that time is at most
``(burst - 1) * interval`` ahead of ``now``, and pushes it ``interval`` further. Every change is a
compare-and-set on that number, so two replicas never spend the same slot.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable, cast

from sqlalchemy import CursorResult, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from store.models import RateBudget

CONTENTION_ATTEMPTS = 5
EPSILON = 1e-6


@dataclass(frozen=True)
class Allowance:
    """How often calls under ``key`` may go: one per ``interval`` seconds, ``burst`` back to back."""

    key: str
    interval: float
    burst: int = 1

    @property
    def tolerance(self) -> float:
        return (self.burst - 1) * self.interval


class SharedBudget:
    """Allowances kept in the ``rate_budgets`` table; one instance per process is enough."""

    def __init__(self, session_factory: Callable[[], Session], *, clock: Callable[[], float] = time.time) -> None:
        self._session_factory = session_factory
        self._clock = clock

    def take(self, allowance: Allowance) -> float:
        """0.0 when a call may go now (and it is counted), else the seconds to wait first."""
        if allowance.interval <= 0:
            return 0.0
        for _ in range(CONTENTION_ATTEMPTS):
            now = self._clock()
            with self._session_factory() as session:
                row = session.get(RateBudget, allowance.key)
                if row is None:
                    if self._insert(session, allowance.key, next_free=now + allowance.interval):
                        return 0.0
                    continue
                if row.held_until is not None and row.held_until > now:
                    return row.held_until - now
                due = max(row.next_free, now)
                ahead = due - now - allowance.tolerance
                if ahead > EPSILON:
                    return ahead
                moved = cast(CursorResult[Any], session.execute(update(RateBudget).where(
                    RateBudget.key == allowance.key, RateBudget.next_free == row.next_free)
                    .values(next_free=due + allowance.interval).execution_options(synchronize_session=False)))
                session.commit()
                if moved.rowcount == 1:
                    return 0.0
        return allowance.interval          # another replica kept winning: try again shortly

    def hold(self, key: str, seconds: float) -> None:
        """No call under ``key`` for ``seconds`` (a longer hold already there stays)."""
        until = self._clock() + seconds
        for _ in range(CONTENTION_ATTEMPTS):
            with self._session_factory() as session:
                row = session.get(RateBudget, key)
                if row is None:
                    if self._insert(session, key, next_free=self._clock(), held_until=until):
                        return
                    continue
                if row.held_until is not None and row.held_until >= until:
                    return
                session.execute(update(RateBudget).where(RateBudget.key == key)
                                .values(held_until=until).execution_options(synchronize_session=False))
                session.commit()
                return

    def held_for(self, key: str) -> float:
        """Seconds ``key`` is still held (0 when it is not)."""
        with self._session_factory() as session:
            row = session.get(RateBudget, key)
            if row is None or row.held_until is None:
                return 0.0
            return max(0.0, row.held_until - self._clock())

    @staticmethod
    def _insert(session: Session, key: str, *, next_free: float, held_until: float | None = None) -> bool:
        session.add(RateBudget(key=key, next_free=next_free, held_until=held_until))
        try:
            session.commit()
        except IntegrityError:             # another replica made the row first: read it again
            session.rollback()
            return False
        return True
