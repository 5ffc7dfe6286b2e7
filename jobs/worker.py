"""Claim runnable jobs from the database and run them on a small thread pool.

``tick`` is what APScheduler calls every ``tick_seconds``; it never blocks on a job. A process
runs up to ``max_running`` jobs of any kind, and ``look_up_slots`` more that only look-ups
(``JobKind.look_up``: status, nodes, plan, digest) may take, so a person's quick question is
answered in seconds even while long deploys fill the other slots.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Callable

from sqlalchemy.orm import Session

from jobs.queue import claim_next
from jobs.runner import JobRunner
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
                if len(self._running) >= self._max_running + self._look_up_slots:
                    return started
                running = frozenset(self._running)
            kinds = None if len(running) < self._max_running else LOOK_UPS
            with self._session_factory() as session, session.begin():
                job = claim_next(session, worker_id=self._worker_id, lease_seconds=self._lease_seconds,
                                 exclude=running, kinds=kinds)
                job_id = job.id if job is not None else None
            if job_id is None:
                return started
            with self._lock:
                self._running.add(job_id)
            # Daemon threads: a stopping process hands its jobs over instead of waiting for them.
            threading.Thread(target=self._run, args=(job_id,), name=f"fuelbot-job-{job_id}", daemon=True).start()
            started += 1

    def _run(self, job_id: int) -> None:
        try:
            self._runner.run(job_id)
        except Exception:
            log.exception("job %s: runner crashed", job_id)
        finally:
            with self._lock:
                self._running.discard(job_id)

    def shutdown(self, *, wait: bool = False, timeout: float = 10.0) -> None:
        """Ask running jobs to stop at a safe point and release their leases (``wait``: up to ``timeout``)."""
        self._runner.shutdown()
        if wait:
            deadline = time.monotonic() + timeout
            while self.running and time.monotonic() < deadline:
                time.sleep(0.05)
