"""The one wait primitive (``core.waiting``) on a fake clock: give-up hooks, pauses, whose errors are ridden out."""
from __future__ import annotations

import pytest

from core.errors import FuelError, IntegrationError, VSphereError
from core.waiting import follow, pause


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def _follow(values: list, clock: FakeClock, **kw):
    it = iter(values)

    def fetch():
        item = next(it)
        if isinstance(item, Exception):
            raise item
        return item

    kw.setdefault("error", FuelError)
    return follow(fetch, done=lambda v: v == "done", state=lambda v: v, describe=lambda v: f"waiting at {v}",
                  clock=clock, sleep=clock.sleep, **kw)


def test_give_up_decides_what_the_deadline_raises() -> None:
    clock = FakeClock()
    with pytest.raises(LookupError, match="last=b error=None"):
        _follow(["a", "b", "b", "b"], clock, deadline=3, poll=1, max_poll=1,
                give_up=lambda last, error: LookupError(f"last={last} error={error}"))


def test_on_wait_hears_every_poll_before_its_pause_even_without_change() -> None:
    clock, heard = FakeClock(), []
    _follow(["a", "a", "a", "done"], clock, deadline=60, poll=1, max_poll=1, on_wait=heard.append)
    assert heard == ["a", "a", "a"] and clock.sleeps == [1, 1, 1]


def test_only_the_peers_own_retryable_errors_are_ridden_out() -> None:
    clock = FakeClock()
    assert _follow(["a", FuelError("503", retryable=True), "done"], clock, deadline=60, poll=1) == "done"
    with pytest.raises(VSphereError):
        _follow(["a", VSphereError("vCenter is restarting", retryable=True), "done"], FakeClock(),
                deadline=60, poll=1)


def test_the_default_deadline_error_is_the_peers_retryable_error() -> None:
    with pytest.raises(IntegrationError) as caught:
        _follow(["a"] * 10, FakeClock(), deadline=2, poll=1, error=IntegrationError)
    assert type(caught.value) is IntegrationError and caught.value.retryable
    assert "Gave up waiting: waiting at a" in str(caught.value)


def test_pause_sleeps_in_slices_and_stops_early() -> None:
    clock = FakeClock()
    pause(10, clock=clock, sleep=clock.sleep)
    assert clock.sleeps == [10]
    clock, checks = FakeClock(), iter([False, False, True])
    pause(10, clock=clock, sleep=clock.sleep, should_stop=lambda: next(checks))
    assert clock.sleeps == [0.5, 0.5, 0.5]
