"""Fault injection: what the next requests, nodes and health checks should suffer.

HTTP faults match by method and path regex and fire on a share (``rate``) of the matching
calls, optionally only ``count`` times; each can add latency, drop the connection or answer
with a status. Node faults make a named node (id or MAC) fail provisioning or deployment;
OSTF faults make a test (full id or its last dotted part) fail at a step; an unreachable NTP
server answers no ``ntpdate`` and no ntpd poll on the master.
"""
from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from typing import Any

NODE_STAGES = ("provision", "deploy")
_ERROR_BODIES = {500: "internal server error", 502: "Bad Gateway", 503: "Service Unavailable",
                 504: "Gateway Time-out"}


@dataclass
class HttpFault:
    """One HTTP fault rule."""

    route: re.Pattern[str] | None = None
    method: str | None = None
    status: int | None = None
    rate: float = 1.0
    count: int | None = None
    latency: float = 0.0          # wall seconds
    drop: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"route": self.route.pattern if self.route else None, "method": self.method,
                "status": self.status, "rate": self.rate, "count": self.count,
                "latency_ms": round(self.latency * 1000, 3), "drop": self.drop}


@dataclass(frozen=True)
class Decision:
    """What to do to one request."""

    latency: float = 0.0
    drop: bool = False
    status: int | None = None

    @property
    def body(self) -> str:
        return _ERROR_BODIES.get(self.status or 500, "error")


@dataclass
class Faults:
    """All active faults; guarded by the state lock like everything else."""

    seed: int = 0
    http: list[HttpFault] = field(default_factory=list)
    nodes: dict[str, tuple[str, str]] = field(default_factory=dict)     # id|mac -> (stage, message)
    ostf: dict[str, tuple[str, int]] = field(default_factory=dict)      # test -> (message, step)
    dump: str | None = None                                             # the next snapshots fail so
    ntp_unreachable: set[str] = field(default_factory=set)              # NTP servers that answer nothing

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    def add_http(self, *, route: str | None = None, method: str | None = None, status: int | None = None,
                 rate: float = 1.0, count: int | None = None, latency_ms: float = 0.0,
                 drop: bool = False) -> HttpFault:
        if status is not None and not 100 <= int(status) <= 599:
            raise ValueError(f"status must be an HTTP status, got {status!r}")
        if not 0.0 <= float(rate) <= 1.0:
            raise ValueError(f"rate must be within [0, 1], got {rate!r}")
        if count is not None and int(count) < 1:
            raise ValueError(f"count must be >= 1, got {count!r}")
        if status is None and not drop and not latency_ms:
            raise ValueError("a fault needs a status, drop or latency_ms")
        try:
            pattern = re.compile(route) if route else None
        except (re.error, TypeError) as exc:
            raise ValueError(f"invalid route regex {route!r}: {exc}") from None
        fault = HttpFault(route=pattern, method=method.upper() if method else None,
                          status=int(status) if status is not None else None, rate=float(rate),
                          count=int(count) if count is not None else None,
                          latency=float(latency_ms) / 1000.0, drop=bool(drop))
        self.http.append(fault)
        return fault

    def fail_node(self, node: str | int, stage: str, message: str) -> None:
        if stage not in NODE_STAGES:
            raise ValueError(f"stage must be one of {NODE_STAGES}, got {stage!r}")
        self.nodes[str(node).lower()] = (stage, message)

    def node_failure(self, node_id: int, mac: str, stage: str) -> str | None:
        """The message a node fails ``stage`` with, if a fault names it."""
        for key in (str(node_id), mac.lower()):
            if key in self.nodes and self.nodes[key][0] == stage:
                return self.nodes[key][1]
        return None

    def fail_ostf(self, test: str, message: str, step: int = 1) -> None:
        self.ostf[test] = (message, int(step))

    def ostf_failure(self, test_id: str) -> tuple[str, int] | None:
        return self.ostf.get(test_id) or self.ostf.get(test_id.rsplit(".", 1)[-1])

    def decide(self, method: str, path: str) -> Decision:
        """Roll the dice for one request; consumes ``count`` of the rules that fire."""
        latency, drop, status = 0.0, False, None
        for fault in list(self.http):
            if fault.method and fault.method != method:
                continue
            if fault.route and not fault.route.search(path):
                continue
            if fault.rate < 1.0 and self._random.random() >= fault.rate:
                continue
            latency += fault.latency
            drop = drop or fault.drop
            status = status or fault.status
            if fault.count is not None:
                fault.count -= 1
                if fault.count <= 0:
                    self.http.remove(fault)
        return Decision(latency=latency, drop=drop, status=status)

    def clear(self) -> None:
        self.http.clear()
        self.nodes.clear()
        self.ostf.clear()
        self.dump = None
        self.ntp_unreachable.clear()

    def to_json(self) -> dict[str, Any]:
        return {"http": [f.to_json() for f in self.http],
                "nodes": {k: {"stage": s, "message": m} for k, (s, m) in self.nodes.items()},
                "ostf": {k: {"message": m, "step": s} for k, (m, s) in self.ostf.items()},
                "dump": self.dump, "ntp_unreachable": sorted(self.ntp_unreachable)}
