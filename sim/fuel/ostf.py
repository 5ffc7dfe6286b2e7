"""OSTF test runs: tests move wait_running -> running -> success/failure/error/skipped, one at a time.

Like the nose driver, a run executes its tests in id order; each takes its simulated duration
(times ``timings.ostf_scale``). A run on a cluster without a deployed controller errors every
test the way fuel-ostf does when Keystone cannot be reached.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sim.fuel import ostf_catalog
from sim.fuel.clock import SimClock
from sim.fuel.config import SimConfig
from sim.fuel.errors import HttpError
from sim.fuel.faults import Faults
from sim.fuel.records import is_id
from sim.fuel.ostf_catalog import TestSpec
from sim.fuel.state import State

NO_KEYSTONE = "Keystone client is not available. Please, refer to OpenStack logs to fix this problem"
FINAL = ("success", "failure", "error", "skipped", "stopped", "disabled")


@dataclass
class TestResult:
    spec: TestSpec
    status: str = "wait_running"
    message: str | None = None
    step: int | None = None
    taken: float | None = None
    started: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.spec.id, "testset": self.spec.testset, "name": self.spec.name,
                "description": self.spec.description, "duration": self.spec.duration, "message": self.message,
                "step": self.step, "status": self.status,
                "taken": round(self.taken, 2) if self.taken is not None else None}


@dataclass
class TestRun:
    id: int
    testset: str
    cluster_id: int
    meta: dict[str, Any]
    started: float
    tests: list[TestResult] = field(default_factory=list)
    status: str = "running"
    ended: float | None = None


class Ostf:
    """All test runs; callers hold the state lock."""

    def __init__(self, state: State, config: SimConfig, clock: SimClock, faults: Faults) -> None:
        self.state, self.config, self.clock, self.faults = state, config, clock, faults
        self.runs: dict[int, TestRun] = {}
        self._next = 1

    def clear(self) -> None:
        self.runs.clear()

    def run_json(self, run: TestRun) -> dict[str, Any]:
        fmt = "%Y-%m-%d %H:%M:%S.%f"
        return {"id": run.id, "testset": run.testset, "meta": run.meta, "cluster_id": run.cluster_id,
                "status": run.status, "started_at": self.clock.wall_time(run.started).strftime(fmt),
                "ended_at": self.clock.wall_time(run.ended).strftime(fmt) if run.ended is not None else None,
                "tests": [t.to_json() for t in run.tests]}

    def last_runs(self, cluster_id: int) -> list[TestRun]:
        latest: dict[str, TestRun] = {}
        for run in sorted(self.runs.values(), key=lambda r: r.id):
            if run.cluster_id == cluster_id:
                latest[run.testset] = run
        return [latest[s] for s in ostf_catalog.TESTSET_IDS if s in latest]

    def start(self, item: Any, now: float) -> TestRun | None:
        """One item of ``POST /testruns``; None when that test set is still running."""
        if not isinstance(item, dict) or item.get("testset") not in ostf_catalog.TESTSET_IDS:
            raise HttpError(400, f"Test set {item.get('testset') if isinstance(item, dict) else item!r} not found")
        metadata = item.get("metadata")
        meta: dict[str, Any] = metadata if isinstance(metadata, dict) else {}
        cluster_id = meta.get("cluster_id")
        if not is_id(cluster_id) or cluster_id not in self.state.clusters:
            raise HttpError(400, f"Cluster {cluster_id!r} not found")
        testset = item["testset"]
        if any(r.status == "running" for r in self.last_runs(cluster_id) if r.testset == testset):
            return None
        specs = ostf_catalog.tests_for(self.state.clusters[cluster_id], testset)
        wanted = item.get("tests") if isinstance(item.get("tests"), list) else None
        run = TestRun(id=self._next, testset=testset, cluster_id=cluster_id, meta=meta, started=now,
                      tests=[TestResult(s, "wait_running" if wanted is None or s.id in wanted else "disabled")
                             for s in specs])
        self._next += 1
        self.runs[run.id] = run
        self._settle(run, now)
        return run

    def update(self, item: Any, now: float) -> TestRun | None:
        """One item of ``PUT /testruns``: ``stopped`` or ``restarted``."""
        if not isinstance(item, dict) or not is_id(item.get("id")):
            raise HttpError(400, "Invalid data: a list of {\"id\", \"status\"} is expected")
        run = self.runs.get(item["id"])
        if run is None:
            return None
        if item.get("status") == "stopped":
            for test in run.tests:
                if test.status in ("wait_running", "running"):
                    test.status, test.taken = "stopped", (now - test.started if test.started is not None else None)
            run.status, run.ended = "finished", now
        elif item.get("status") == "restarted":
            if run.status == "running":
                return None
            wanted = item.get("tests") if isinstance(item.get("tests"), list) else None
            for test in run.tests:
                if wanted is None or test.spec.id in wanted:
                    test.status, test.message, test.step, test.taken, test.started = "wait_running", None, None, None, None
                elif test.status != "disabled":
                    test.status = "disabled"
            run.status, run.started, run.ended = "running", now, None
            self._settle(run, now)
        else:
            raise HttpError(400, f"Unknown testrun status {item.get('status')!r}")
        return run

    def advance(self, now: float) -> None:
        for run in self.runs.values():
            if run.status == "running":
                self._settle(run, now)

    def _settle(self, run: TestRun, now: float) -> None:
        """Play the run forward to ``now``; test boundaries are exact simulated times."""
        cluster = self.state.clusters.get(run.cluster_id)
        nodes = self.state.cluster_nodes(run.cluster_id)
        deployed = any("controller" in n.roles and n.status == "ready" for n in nodes)
        cursor = run.started
        for test in run.tests:
            if test.status in FINAL:
                cursor = test.started + (test.taken or 0.0) if test.started is not None else cursor
                continue
            if test.started is None:
                test.started = cursor
            skip = ostf_catalog.skip_reason(test.spec, cluster, nodes) if cluster and deployed else None
            failure = self.faults.ostf_failure(test.spec.id)
            seconds = 0.5 if skip or not deployed or cluster is None else test.spec.seconds * self.config.timings.ostf_scale
            if failure and not skip and deployed:
                seconds *= 0.5
            end = test.started + seconds
            if now < end:
                test.status = "running" if now >= test.started else "wait_running"
                return
            test.taken = seconds
            if cluster is None or not deployed:
                test.status, test.message = "error", NO_KEYSTONE
            elif skip:
                test.status, test.message = "skipped", skip
            elif failure:
                test.status, test.message, test.step = "failure", failure[0], failure[1]
            else:
                test.status = "success"
            cursor = end
        run.status, run.ended = "finished", cursor
