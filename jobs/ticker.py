"""APScheduler 3.x ticks the worker, the schedules, the outbox and the discovery watch.

APScheduler only ticks: it holds no job store and no state. What to run and when it last ran
live in the database, so any number of replicas can tick side by side.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from dataclasses import dataclass
from typing import Callable

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Tick:
    """A function to call every ``seconds`` (the first time after ``first`` seconds, else after one
    interval); overlapping calls are skipped, not queued."""

    name: str
    run: Callable[[], object]
    seconds: float
    first: float | None = None


class Ticker:
    """Runs each tick on its interval in a background thread pool."""

    def __init__(self, ticks: list[Tick]) -> None:
        self._scheduler = BackgroundScheduler(job_defaults={"coalesce": True, "max_instances": 1,
                                                            "misfire_grace_time": 30})
        for tick in ticks:
            start = None if tick.first is None else datetime.now(timezone.utc) + timedelta(seconds=tick.first)
            self._scheduler.add_job(self._guard(tick), IntervalTrigger(seconds=tick.seconds, start_date=start),
                                    id=tick.name, name=tick.name)

    @staticmethod
    def _guard(tick: Tick) -> Callable[[], None]:
        def run() -> None:
            try:
                tick.run()
            except Exception:  # one failing tick (a DB blip) must not stop the others
                log.exception("tick %s failed", tick.name)
        return run

    @property
    def running(self) -> bool:
        return bool(self._scheduler.running)   # APScheduler 3 ships no types

    def start(self) -> None:
        self._scheduler.start()

    def shutdown(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
