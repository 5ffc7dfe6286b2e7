"""fuelbot's one way to wait: ``follow`` polls until done or a deadline; ``pause`` sleeps until an instant.

``follow`` polls no faster than ``poll`` and, while nothing changes, slows down to ``max_poll``:
a deploy sits at the same progress for minutes while puppet runs, and polling it every two
seconds would be most of the load fuelbot puts on the master. Any change snaps the interval
back to ``poll`` — or, given a ``pace``, only a change of what ``pace`` picks: a deploy's
percentage creeps up for an hour and is reported as it moves without keeping the polling fast,
while a node finishing or a subtask starting (its milestones) brings the fast polls back. A retryable error while polling (the master restarting, a 503) does not end
the wait: the work goes on without us, so we keep looking until the deadline.

Both sleep in slices when a ``should_stop`` is given, so a cancel or a lost lease is seen
within half a second. Clock and sleep are parameters so that waits are tested without waiting.
"""
from __future__ import annotations

import time
from typing import Callable, Hashable, TypeVar

from core.errors import IntegrationError

T = TypeVar("T")
E = TypeVar("E", bound=IntegrationError)
Clock = Callable[[], float]
Sleep = Callable[[float], None]
_SLICE = 0.5  # longest sleep between two should_stop() checks
_SLOWDOWN = 1.5


def follow(fetch: Callable[[], T], *, done: Callable[[T], bool], describe: Callable[[T | None], str],
           state: Callable[[T], Hashable], deadline: float, error: type[E], poll: float = 2.0,
           max_poll: float | None = None, pace: Callable[[T], Hashable] | None = None,
           on_progress: Callable[[T], None] | None = None,
           on_wait: Callable[[T | None], None] | None = None,
           should_stop: Callable[[], bool] | None = None,
           on_error: Callable[[E], None] | None = None,
           give_up: Callable[[T | None, E | None], Exception] | None = None, peer: str = "it",
           clock: Clock = time.monotonic, sleep: Sleep = time.sleep) -> T:
    """Call ``fetch`` until ``done`` says so; return the last value.

    ``on_progress`` gets each value whose ``state`` differs from the
    previous one; ``on_wait`` hears the latest value before each pause. The interval grows by
    half while ``pace`` (default: ``state``) stays the same, and is ``poll`` again when it changes. When ``should_stop``
    turns true the last value is returned unfinished. When ``deadline`` (a ``clock()`` instant)
    passes, ``give_up(last, last_error)`` is raised; by default a retryable ``error`` saying
    ``describe(last)``; ``peer`` names who never answered when stopped before any answer.
    Retryable errors of type ``error`` (the peer's own) are ridden out, and ``on_error`` hears
    the first of each run of failed polls; any other error ends the wait at once.
    """
    poll = max(poll, 0.01)
    max_poll = max(max_poll if max_poll is not None else poll * 5, poll)
    interval = poll
    last: T | None = None
    seen: Hashable = _UNSEEN
    paced: Hashable = _UNSEEN
    last_error: E | None = None
    while True:
        try:
            value = fetch()
        except error as exc:
            if not exc.retryable:
                raise
            if last_error is None and on_error is not None:
                on_error(exc)   # once per outage: the caller tells people it is still waiting
            last_error = exc
        else:
            last_error, last = None, value
            current = state(value)
            marker = pace(value) if pace is not None else current
            interval = poll if marker != paced else min(interval * _SLOWDOWN, max_poll)
            paced = marker
            if current != seen:
                seen = current
                if on_progress is not None:
                    on_progress(value)
            if done(value):
                return value
        if should_stop is not None and should_stop():
            if last is None:
                raise error(f"Stopped waiting for {describe(None)} before {peer} answered")
            return last
        now = clock()
        if now >= deadline:
            if give_up is not None:
                raise give_up(last, last_error)
            cause = f"; the last poll failed: {last_error}" if last_error else ""
            raise error(f"Gave up waiting: {describe(last)} when the deadline passed{cause}", retryable=True)
        if on_wait is not None:
            on_wait(last)
        pause(min(now + interval, deadline), clock=clock, sleep=sleep, should_stop=should_stop)


def pause(until: float, *, clock: Clock = time.monotonic, sleep: Sleep = time.sleep,
          should_stop: Callable[[], bool] | None = None) -> None:
    """Sleep until ``until`` (a ``clock()`` instant), returning early once ``should_stop()`` is true."""
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


class _Unseen:
    """No state seen yet (distinct from any state, None included)."""


_UNSEEN = _Unseen()
