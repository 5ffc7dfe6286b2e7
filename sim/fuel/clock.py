"""Simulated time: a monotonic clock multiplied by a speed factor that can change at run time.

Changing the speed re-bases the clock so simulated time never jumps: what already happened
stays in the past, only the rate of what follows changes.
"""
from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Callable


class SimClock:
    """Simulated seconds since start; not thread-safe on its own (callers hold the state lock)."""

    def __init__(self, speed: float, monotonic: Callable[[], float] = time.monotonic) -> None:
        if not speed > 0:
            raise ValueError(f"speed must be > 0, got {speed!r}")
        self._monotonic = monotonic
        self._speed = speed
        self._real_base = monotonic()
        self._sim_base = 0.0
        self._wall_base = datetime.now()

    @property
    def speed(self) -> float:
        """The current factor: simulated seconds per wall second."""
        return self._speed

    def now(self) -> float:
        """Simulated seconds elapsed since the clock started."""
        return self._sim_base + (self._monotonic() - self._real_base) * self._speed

    def set_speed(self, speed: float) -> None:
        """Change the factor from now on."""
        if not speed > 0:
            raise ValueError(f"speed must be > 0, got {speed!r}")
        real = self._monotonic()
        self._sim_base += (real - self._real_base) * self._speed
        self._wall_base += timedelta(seconds=real - self._real_base)
        self._real_base = real
        self._speed = speed

    def wall_time(self, sim_time: float) -> datetime:
        """The local wall-clock time at which simulated ``sim_time`` happens (or happened)."""
        return self._wall_base + timedelta(seconds=(sim_time - self._sim_base) / self._speed)

    def real_seconds(self, sim_seconds: float) -> float:
        """How many wall seconds ``sim_seconds`` take at the current speed."""
        return sim_seconds / self._speed
