"""What LocalSlack answered each Web API call, and the record of the calls it received."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping


@dataclass(frozen=True)
class ApiCall:
    """One request LocalSlack received: ``method`` is the API method, ``hooks/<id>`` or ``upload/<id>``."""

    method: str
    params: Mapping[str, Any]
    status: int
    at: float
    error: str | None = None
    throttled: bool = False       # answered 429 by the rate limiter (not by an injected fault)
    took_effect: bool = False     # the method did its work (even when its caller heard an error)


@dataclass(frozen=True)
class Answer:
    """What LocalSlack answers one Web API call: status, JSON body, headers; late, or not at all."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0            # seconds the answer waits before it leaves (outside the lock)
    drop: bool = False            # the connection is closed without an answer
