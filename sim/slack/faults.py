"""Fault injection for LocalSlack: the next calls of a method fail, answer 429 or answer late, or
the whole Web API is down for a while, on request.

Tests use it to play Slack's bad moments (``rate_limit("chat.postMessage", retry_after=30)``,
``fail("chat.postMessage", error="fatal_error", times=3)``, ``fail(..., after=True)`` for a call
that took effect before Slack answered an error, ``slow("chat.postMessage", seconds=3)`` for one
that took effect but whose answer came after the caller's timeout, ``outage(status=503)`` or
``outage(drop=True)`` until ``restore()``). An injected answer comes before any contract check, as
an outage would. The owner (LocalSlack) serialises access.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Injection:
    """What the next ``times`` calls of a method answer."""

    times: int
    status: int
    error: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    after: bool = False          # the call takes effect first (Slack's "some aspect may have succeeded")
    delay: float = 0.0           # seconds before the answer leaves (the call has taken effect)


@dataclass(frozen=True)
class Outage:
    """Every Web API call answers ``status`` with ``error``, or loses its connection (``drop``)."""

    status: int = 503
    error: str = "service_unavailable"
    drop: bool = False


class Faults:
    """Queued injections by method, used up in order, and the outage in progress (if any)."""

    def __init__(self) -> None:
        self._queued: dict[str, list[Injection]] = {}
        self.outage: Outage | None = None

    def rate_limit(self, method: str, *, times: int, retry_after: int) -> None:
        self._queued.setdefault(method, []).append(Injection(times=times, status=429, error="ratelimited",
                                                             headers={"Retry-After": str(retry_after)}))

    def fail(self, method: str, *, error: str, times: int, status: int, after: bool = False) -> None:
        self._queued.setdefault(method, []).append(Injection(times=times, status=status, error=error, after=after))

    def slow(self, method: str, *, seconds: float, times: int) -> None:
        self._queued.setdefault(method, []).append(Injection(times=times, status=200, delay=seconds, after=True))

    def take(self, method: str) -> Injection | None:
        """The injection answering this call of ``method``, if one is queued."""
        queue = self._queued.get(method)
        if not queue:
            return None
        injection = queue[0]
        injection.times -= 1
        if injection.times <= 0:
            queue.pop(0)
        return injection
