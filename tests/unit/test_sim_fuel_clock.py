"""SimClock: simulated time is wall time times speed, and changing speed never jumps."""
from __future__ import annotations

import pytest

from sim.fuel.clock import SimClock


class FakeMonotonic:
    def __init__(self) -> None:
        self.value = 100.0

    def __call__(self) -> float:
        return self.value


def test_time_scales_with_speed_and_rebases_on_change() -> None:
    wall = FakeMonotonic()
    clock = SimClock(10.0, monotonic=wall)
    assert clock.now() == 0.0
    wall.value += 2.0
    assert clock.now() == pytest.approx(20.0)
    clock.set_speed(1.0)
    assert clock.now() == pytest.approx(20.0)
    wall.value += 3.0
    assert clock.now() == pytest.approx(23.0)
    assert clock.real_seconds(10.0) == pytest.approx(10.0)


def test_wall_time_maps_simulated_instants_back() -> None:
    wall = FakeMonotonic()
    clock = SimClock(4.0, monotonic=wall)
    start = clock.wall_time(0.0)
    assert (clock.wall_time(40.0) - start).total_seconds() == pytest.approx(10.0)


@pytest.mark.parametrize("speed", [0, -1])
def test_speed_must_be_positive(speed: float) -> None:
    with pytest.raises(ValueError):
        SimClock(speed)
    with pytest.raises(ValueError):
        SimClock(1.0).set_speed(speed)
