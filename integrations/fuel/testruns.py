"""OSTF values: test sets, tests and test runs, as parsed from OSTF's JSON.

Kept apart from ``models`` (Nailgun's values) because OSTF is a separate service with its own
vocabulary; ``models`` re-exports them so callers have one place to import values from.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from integrations.fuel.enums import TestRunStatus, TestStatus


@dataclass(frozen=True)
class TestSet:
    """An OSTF test set (``sanity``, ``smoke``, ``ha``, ``platform_tests``)."""

    __test__ = False

    id: str
    name: str

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "TestSet":
        return cls(id=str(data["id"]), name=str(data.get("name", "")))


@dataclass(frozen=True)
class Test:
    """One OSTF test; on failure ``message`` is the human text and ``step`` the failing step."""

    __test__ = False

    id: str
    testset: str
    name: str
    status: TestStatus | None = None
    message: str | None = None
    step: int | None = None
    taken: float | None = None
    duration: str | None = None
    description: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Test":
        taken, step = data.get("taken"), data.get("step")
        return cls(id=str(data["id"]), testset=str(data.get("testset", "")),
                   name=str(data.get("name", "")), status=TestStatus.parse(data.get("status")),
                   message=data.get("message") or None,
                   step=int(step) if isinstance(step, (int, str)) and str(step).isdigit() else None,
                   taken=float(taken) if isinstance(taken, (int, float)) else None,
                   duration=data.get("duration"), description=data.get("description"))


@dataclass(frozen=True)
class TestRun:
    """An OSTF run of one test set on one cluster."""

    __test__ = False

    id: int
    testset: str
    cluster_id: int
    status: TestRunStatus
    tests: tuple[Test, ...] = ()
    started_at: str | None = None
    ended_at: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "TestRun":
        return cls(id=int(data["id"]), testset=str(data.get("testset", "")),
                   cluster_id=int(data.get("cluster_id") or 0),
                   status=TestRunStatus.parse(data.get("status")) or TestRunStatus.UNKNOWN,
                   tests=tuple(Test.from_json(t) for t in data.get("tests") or ()),
                   started_at=data.get("started_at"), ended_at=data.get("ended_at"))

    @property
    def finished(self) -> bool:
        return self.status is TestRunStatus.FINISHED

    def failed(self) -> tuple[Test, ...]:
        """The tests that ended in failure or error."""
        return tuple(t for t in self.tests if t.status in (TestStatus.FAILURE, TestStatus.ERROR))
