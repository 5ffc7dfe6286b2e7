"""Slack's rate limits as LocalSlack applies them: a token bucket per method (and per channel for posts).

Slack publishes allowances, not an algorithm (docs.slack.dev/apis/web-api/rate-limits): each tier
allows so many calls per minute per method per workspace, "with bursts"; chat.postMessage allows
about one message per second per channel, "short bursts" allowed. LocalSlack models a tier as a
bucket holding a minute's allowance that refills at that rate, and a channel's posts as a bucket
of ``POST_BURST`` refilling one per second. A call finding its bucket empty answers HTTP 429
with ``Retry-After`` (whole seconds, as Slack sends it).

``scale`` speeds the refill (and nothing else) for tests that run the bot on a fast clock: the
bot's own budgets are then scaled by the same factor.
"""
from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

from sim.slack.contract import MethodContract, Tier

POST_BURST = 3


@dataclass
class _Bucket:
    capacity: float
    rate: float               # tokens per second
    tokens: float
    at: float


class RateLimiter:
    """Buckets by (method, key); ``take`` answers None (go) or the seconds to wait."""

    def __init__(self, *, scale: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._scale = scale
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[tuple[str, str], _Bucket] = {}

    def take(self, contract: MethodContract, params: dict[str, Any]) -> float | None:
        capacity, per_second, key = self._shape(contract, params)
        now = self._clock()
        with self._lock:
            bucket = self._buckets.get((contract.name, key))
            if bucket is None:
                bucket = self._buckets[(contract.name, key)] = _Bucket(capacity, per_second, capacity, now)
            bucket.tokens = min(bucket.capacity, bucket.tokens + (now - bucket.at) * bucket.rate)
            bucket.at = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return None
            return (1.0 - bucket.tokens) / bucket.rate

    def _shape(self, contract: MethodContract, params: dict[str, Any]) -> tuple[float, float, str]:
        if contract.tier is Tier.POST_PER_CHANNEL:
            return POST_BURST, self._scale * 1.0, str(params.get("channel") or "")
        per_minute = contract.tier.per_minute
        return per_minute, self._scale * per_minute / 60.0, "workspace"


def retry_after_header(wait: float) -> str:
    """Slack's ``Retry-After``: whole seconds, at least one."""
    return str(max(1, math.ceil(wait)))
