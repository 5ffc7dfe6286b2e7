"""Health checks (OSTF): run, summarise, compare with the previous run, keep the history.

Used by ``/fuel health`` (its own job), by scheduled checks (quiet unless the outcome changed)
and as the last step of a deploy.
"""
from __future__ import annotations

from typing import Any, TypeVar

from core.errors import FuelbotError, FuelError
from integrations.fuel.enums import ClusterStatus, TestStatus
from integrations.fuel.models import Cluster
from integrations.fuel.testruns import TestRun
from integrations.fuel.waiting import describe_runs, runs_state
from jobs.states import JobKind, JobState
from jobs.steps import Step
from jobs.voice import Ending
from labspec.model import Lab
from store.models import HealthRun
from workflows import scheduled_check
from workflows.cause import environment_trouble
from workflows.health_history import previous_run, record, started_at
from workflows.ports import FuelPort
from workflows.records import HealthRecord
from workflows.run import Run, RunWorkflow
from workflows.voices.health import (Comparison, HealthChecked, HealthFact, HealthFinished, HealthOutcome,
                                     HealthRunning, HealthVoice, environment_busy, fuel_refused, no_environment,
                                     unknown_testsets)

DEFAULT_TESTSETS = ("sanity", "smoke")
PASSED = {TestStatus.SUCCESS}
FAILED = {TestStatus.FAILURE, TestStatus.ERROR}
HEALTHY_CLUSTER = {ClusterStatus.OPERATIONAL, ClusterStatus.ERROR, ClusterStatus.UPDATE_ERROR}
H = TypeVar("H", bound=HealthRecord)



def summarise(runs: list[TestRun]) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Per-set counts and per-test outcomes from finished OSTF testruns."""
    sets: dict[str, dict[str, int]] = {}
    tests: dict[str, dict[str, Any]] = {}
    for run in runs:
        counts = sets.setdefault(run.testset, {"passed": 0, "failed": 0, "skipped": 0})
        for test in run.tests:
            status = test.status or TestStatus.UNKNOWN
            if status in PASSED:
                counts["passed"] += 1
            elif status in FAILED:
                counts["failed"] += 1
            else:
                counts["skipped"] += 1
            tests[test.id] = {"name": test.name, "testset": run.testset, "status": status.value,
                              "message": test.message, "step": test.step, "taken": test.taken}
    totals = {k: sum(c[k] for c in sets.values()) for k in ("passed", "failed", "skipped")}
    return {"sets": sets, **totals}, tests


def compare(previous: HealthRun | None, tests: dict[str, dict[str, Any]]) -> Comparison:
    failing = {tid for tid, t in tests.items() if t["status"] in {s.value for s in FAILED}}
    if previous is None:
        return Comparison(new_failures=tuple(sorted(failing)), fixed=(), still_failing=(), first_run=True)
    before = {tid for tid, t in previous.tests.items() if t["status"] in {s.value for s in FAILED}}
    ran_now = set(tests)
    return Comparison(new_failures=tuple(sorted(failing - before)),
                      fixed=tuple(sorted((before - failing) & ran_now)),
                      still_failing=tuple(sorted(failing & before)), first_run=False)


def healthy_cluster(fuel: FuelPort, lab: Lab) -> Cluster:
    """The lab's Fuel environment, when it is in a state OSTF can test (as the Fuel UI requires)."""
    cluster = fuel.find_cluster(lab.environment.name)
    if cluster is None:
        raise no_environment(lab.name, lab.environment.name)
    if cluster.status not in HEALTHY_CLUSTER:
        raise environment_busy(cluster.name, cluster.status.value, lab.name)
    return cluster


def fetch_runs(fuel: FuelPort, cluster_id: int, run_ids: list[int]) -> list[TestRun]:
    """The runs, from one ``testruns/last`` request; a run no longer the latest of its set on its own."""
    by_id = {r.id: r for r in fuel.last_testruns(cluster_id)}
    return [by_id.get(i) or fuel.testrun(i) for i in run_ids]


def run_tests(run: Run[H, Any], lab: Lab, testsets: list[str], *, quiet: bool = False,
              keep: bool = True) -> HealthOutcome:
    """Start (or, after a restart, rejoin) the OSTF runs and wait for them; ``quiet`` posts no progress.

    ``keep`` records the run in the lab's history; a scheduled check records it itself, unless a
    mutating job disturbed it.
    """
    fuel = run.fuel(lab)
    cluster = healthy_cluster(fuel, lab)
    available = {t.id for t in fuel.ostf_testsets(cluster.id)}
    unknown = [t for t in testsets if t not in available]
    if unknown:
        raise unknown_testsets(unknown, cluster.name, sorted(available))
    run_ids = run.data.health_runs
    if not run_ids:
        started = fuel.start_testruns(cluster.id, testsets)
        run_ids = [r.id for r in started if r is not None and r.id]
        if len(run_ids) < len(testsets):  # a set still running from someone else: follow its last run
            last = {r.testset: r.id for r in fuel.last_testruns(cluster.id)}
            run_ids = [last[t] for t in testsets if t in last]
        run.data.health_runs = run_ids
        run.save()
    began = run.now()

    def on_progress(runs: list[TestRun]) -> None:
        run.checkpoint()
        if quiet:
            return  # a scheduled check has no thread unless its outcome changes
        done = sum(1 for r in runs for t in r.tests if t.status not in (TestStatus.WAIT_RUNNING, TestStatus.RUNNING))
        run.tell(HealthRunning(done=done, total=sum(len(r.tests) for r in runs), elapsed=run.now() - began))

    runs = run.follow(lambda: fetch_runs(fuel, cluster.id, run_ids), done=lambda rs: all(r.finished for r in rs),
                      state=runs_state, describe=describe_runs(cluster.id), timeout=run.deps.timeouts.health,
                      error=FuelError, max_poll=run.deps.timeouts.max_poll, on_progress=on_progress)
    if not quiet:
        total = sum(len(r.tests) for r in runs)
        run.tell(HealthFinished(total=total, elapsed=run.now() - began))
    summary, tests = summarise(runs)
    job_began = started_at(run)
    troubled, last_failure = environment_trouble(run, fuel, lab, cluster) if summary["failed"] else ((), None)
    outcome = HealthOutcome(summary=summary, tests=tests,
                            comparison=compare(previous_run(run, lab.name, before=job_began), tests),
                            troubled=troubled, last_failure=last_failure)
    if keep:
        record(run, lab.name, testsets, outcome, began=job_began)
    return outcome


class HealthWorkflow(RunWorkflow[HealthRecord, HealthFact]):
    """``/fuel health <lab> [sets]`` and scheduled checks (quiet unless the outcome changed)."""

    kind = JobKind.HEALTH
    record = HealthRecord
    voice = HealthVoice()

    def steps(self) -> list[Step[Run[HealthRecord, HealthFact]]]:
        return [Step(name="run_health", title="Health check (OSTF)", run=self._run, deadline_seconds=4000)]

    def _run(self, run: Run[HealthRecord, HealthFact]) -> None:
        lab = run.lab
        testsets = list(run.params.get("testsets") or DEFAULT_TESTSETS)
        if not run.params.get("scheduled"):
            outcome = run_tests(run, lab, testsets)
            run.data.result = {"summary": outcome.summary, "comparison": outcome.comparison.to_json()}
            run.tell(HealthChecked(lab=lab.name, job_id=run.job_id, outcome=outcome))
            return
        try:
            outcome = run_tests(run, lab, testsets, quiet=True, keep=False)
        except FuelError as exc:
            # The schedule is a scheduled check's retry: Fuel not answering is its state now, said once.
            raise fuel_refused(exc) from exc
        run.data.result = {"summary": outcome.summary, "comparison": outcome.comparison.to_json()}
        scheduled_check.conclude(run, lab, testsets=testsets, outcome=outcome)

    def on_finish(self, run: Run[HealthRecord, HealthFact], ending: Ending) -> None:
        if run.params.get("scheduled") and ending.state is JobState.FAILED and ending.error is not None:
            try:
                scheduled_check.conclude(run, run.lab, testsets=[], error=ending.error)
                return
            except FuelbotError:   # the lab's spec is gone or broken: say so the ordinary way
                pass
        run.post(self.voice.ended(run.ctx.job, ending))

    def on_cancel(self, run: Run[HealthRecord, HealthFact]) -> None:
        fuel = run.fuel()
        for run_id in run.data.health_runs:
            fuel.stop_testrun(run_id)
        run.report.say(self.voice.cancelled())
