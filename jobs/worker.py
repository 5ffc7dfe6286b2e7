"""Claim runnable jobs from the database and run them on a small thread pool.

``tick`` is what APScheduler calls every ``tick_seconds``; it never blocks on a job. A process
runs up to ``max_running`` jobs of any kind, and ``look_up_slots`` more that only look-ups
(``JobKind.look_up``: status, nodes, plan, digest) may take, so a person's quick question is
answered in seconds even while long deploys fill the other slots. A job that ends frees its
place at once: its thread claims the next runnable job before it exits, so a queue drains at the
pace jobs finish, not one handful per tick.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Callable

from sqlalchemy.orm import Session

from jobs.queue import claim_next
from jobs.runner import Claimed, JobRunner
from jobs.states import JobKind

log = logging.getLogger(__name__)
LOOK_UPS = frozenset(kind.value for kind in JobKind if kind.look_up)


class Worker:
    """One per process; several processes (replicas) share the work through leases."""

    def __init__(self, *, session_factory: Callable[[], Session], runner: JobRunner, worker_id: str,
                 lease_seconds: float, max_running: int = 4, look_up_slots: int = 2) -> None:
        self._session_factory = session_factory
        self._runner = runner
        self._worker_id = worker_id
        self._lease_seconds = lease_seconds
        self._max_running = max_running
        self._look_up_slots = look_up_slots
        self._running: set[int] = set()
        self._claiming = 0              # places taken by claims under way (ticks and ended jobs claim at once)
        self._lock = threading.Lock()

    @property
    def running(self) -> frozenset[int]:
        with self._lock:
            return frozenset(self._running)

    def tick(self) -> int:
        """Claim as many jobs as there is room for; returns how many were started."""
        started = 0
        while True:
            with self._lock:
                taken = len(self._running) + self._claiming
                if self._runner.stopping.is_set() or taken >= self._max_running + self._look_up_slots:
                    return started
                self._claiming += 1
                running = frozenset(self._running)
            kinds = None if taken < self._max_running else LOOK_UPS   # the spare places are look-ups'
            claimed = None
            try:
                with self._session_factory() as session, session.begin():
                    job = claim_next(session, worker_id=self._worker_id, lease_seconds=self._lease_seconds,
                                     exclude=running, kinds=kinds)
                    claimed = Claimed.of(job, fresh=True) if job is not None else None
            finally:
                with self._lock:
                    self._claiming -= 1
                    if claimed is not None:
                        self._running.add(claimed.header.id)
            if claimed is None:
                return started
            job_id = claimed.header.id
            # Daemon threads: a stopping process hands its jobs over instead of waiting for them.
            threading.Thread(target=self._run, args=(claimed,), name=f"fuelbot-job-{job_id}", daemon=True).start()
            started += 1

    def _run(self, claimed: Claimed) -> None:
        job_id = claimed.header.id
        try:
            self._runner.run(job_id, claimed)
        except Exception:
            log.exception("job %s: runner crashed", job_id)
        finally:
            with self._lock:
                self._running.discard(job_id)
        try:
            self.tick()                 # the place this job held goes to the next one now
        except Exception:               # a database blip: the next tick claims it
            log.warning("job %s ended; claiming the next one failed", job_id, exc_info=True)

    def shutdown(self, *, wait: bool = False, timeout: float = 10.0) -> None:
        """Ask running jobs to stop at a safe point and release their leases (``wait``: up to ``timeout``)."""
        self._runner.shutdown()
        if wait:
            deadline = time.monotonic() + timeout
            while self.running and time.monotonic() < deadline:
                time.sleep(0.05)
