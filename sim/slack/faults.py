"""Fault injection for LocalSlack: the next calls of a method fail or answer 429, on request.

Tests use it to play Slack's bad moments (``rate_limit("chat.postMessage", retry_after=30)``,
``fail("chat.postMessage", error="fatal_error", times=3)``); an injected answer comes before any
contract check, as an outage would. The owner (LocalSlack) serialises access.
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


class Faults:
    """Queued injections by method, used up in order."""

    def __init__(self) -> None:
        self._queued: dict[str, list[Injection]] = {}

    def rate_limit(self, method: str, *, times: int, retry_after: int) -> None:
        self._queued.setdefault(method, []).append(Injection(times=times, status=429, error="ratelimited",
                                                             headers={"Retry-After": str(retry_after)}))

    def fail(self, method: str, *, error: str, times: int, status: int) -> None:
        self._queued.setdefault(method, []).append(Injection(times=times, status=status, error=error))

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
