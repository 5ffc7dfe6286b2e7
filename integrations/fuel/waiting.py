"""Following a task or test runs until they finish, with a deadline on every wait.

The loop polls no faster than ``poll`` and, while nothing changes, slows down to
``max_poll``: a deploy sits at the same progress for minutes while puppet runs, and polling it
every two seconds would be most of the load fuelbot puts on the master. Any change snaps the
interval back to ``poll``. A retryable error while polling (the master restarting, a 503) does
not end the wait: the deploy goes on without us, so we keep looking until the deadline.

Clock and sleep are parameters so that the loop is tested without waiting.
"""
from __future__ import annotations

import time
from typing import Callable, Hashable, TypeVar

from core.errors import FuelError
from integrations.fuel.models import Task, TestRun

T = TypeVar("T")
_SLICE = 0.5  # longest sleep between two should_stop() checks
_SLOWDOWN = 1.5


def follow(fetch: Callable[[], T], *, done: Callable[[T], bool], state: Callable[[T], Hashable],
           describe: Callable[[T | None], str], deadline: float, poll: float = 2.0,
           max_poll: float | None = None, on_progress: Callable[[T], None] | None = None,
           should_stop: Callable[[], bool] | None = None,
           on_error: Callable[[FuelError], None] | None = None,
           clock: Callable[[], float] = time.monotonic,
           sleep: Callable[[float], None] = time.sleep) -> T:
    """Call ``fetch`` until ``done`` says so; return the last value.

    ``on_progress`` gets each value whose ``state`` differs from the previous one. When
    ``should_stop`` turns true the last value is returned unfinished. When ``deadline`` (a
    ``time.monotonic()`` instant) passes, a retryable ``FuelError`` saying ``describe(last)``
    is raised. ``on_error`` hears the first retryable error of each run of failed polls.
    """
    poll = max(poll, 0.01)
    max_poll = max(max_poll if max_poll is not None else poll * 5, poll)
    interval, last, seen = poll, None, None
    last_error: FuelError | None = None
    while True:
        try:
            value = fetch()
        except FuelError as exc:
            if not exc.retryable:
                raise
            if last_error is None and on_error is not None:
                on_error(exc)   # once per outage: the caller tells people it is still waiting
            last_error = exc
        else:
            last_error, last = None, value
            if state(value) != seen:
                seen, interval = state(value), poll
                if on_progress is not None:
                    on_progress(value)
            else:
                interval = min(interval * _SLOWDOWN, max_poll)
            if done(value):
                return value
        if should_stop is not None and should_stop():
            if last is None:
                raise FuelError(f"Stopped waiting for {describe(None)} before Fuel answered")
            return last
        now = clock()
        if now >= deadline:
            cause = f"; the last poll failed: {last_error}" if last_error else ""
            raise FuelError(f"Gave up waiting: {describe(last)} when the deadline passed{cause}",
                            retryable=True)
        _pause(min(now + interval, deadline), clock=clock, sleep=sleep, should_stop=should_stop)


def _pause(until: float, *, clock: Callable[[], float], sleep: Callable[[float], None],
           should_stop: Callable[[], bool] | None) -> None:
    while True:
        left = until - clock()
        if left <= 0:
            return
        if should_stop is None:
            sleep(left)
            return
        sleep(min(left, _SLICE))
        if should_stop():
            return


def describe_task(task_id: int) -> Callable[[Task | None], str]:
    def describe(task: Task | None) -> str:
        if task is None:
            return f"task {task_id} (Fuel never answered)"
        where = f" of environment {task.cluster}" if task.cluster is not None else ""
        return f"task {task.name.value} #{task.id}{where} still {task.status.value} at {task.progress}%"
    return describe


def describe_runs(cluster_id: int) -> Callable[[list[TestRun] | None], str]:
    def describe(runs: list[TestRun] | None) -> str:
        if runs is None:
            return f"health checks of environment {cluster_id} (OSTF never answered)"
        pending = [r for r in runs if not r.finished]
        done_tests = sum(1 for r in runs for t in r.tests if t.status is not None and t.status.value
                         not in ("wait_running", "running"))
        total = sum(len(r.tests) for r in runs)
        return (f"health checks of environment {cluster_id} still running "
                f"({', '.join(r.testset for r in pending) or 'none'}; {done_tests}/{total} tests done)")
    return describe


def task_state(task: Task) -> Hashable:
    return (task.status, task.progress)


def runs_state(runs: list[TestRun]) -> Hashable:
    return tuple((r.id, r.status, tuple(t.status for t in r.tests)) for r in runs)
