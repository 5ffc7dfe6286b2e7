"""Health checks (OSTF): run, summarise, compare with the previous run, keep the history.

Used by ``/fuel health`` (its own job), by scheduled checks (quiet unless the outcome changed)
and as the last step of a deploy.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import select

from core.buttons import Button, ButtonAction
from core.errors import StepFailed
from integrations.fuel.enums import ClusterStatus, TestStatus
from jobs.steps import Step, StepContext
from labspec.model import Lab
from store.models import HealthRun
from store.types import utcnow
from workflows.deps import fuel, lab_of
from workflows.texts import duration, health_counts

DEFAULT_TESTSETS = ("sanity", "smoke")
PASSED = {TestStatus.SUCCESS}
FAILED = {TestStatus.FAILURE, TestStatus.ERROR}
HEALTHY_CLUSTER = {ClusterStatus.OPERATIONAL, ClusterStatus.ERROR, ClusterStatus.UPDATE_ERROR}


@dataclass(frozen=True)
class Comparison:
    """How this run differs from the previous one of the same lab."""

    new_failures: tuple[str, ...]
    fixed: tuple[str, ...]
    still_failing: tuple[str, ...]
    first_run: bool

    @property
    def changed(self) -> bool:
        return self.first_run or bool(self.new_failures or self.fixed)


def summarise(runs) -> tuple[dict, dict]:
    """Per-set counts and per-test outcomes from finished OSTF testruns."""
    sets: dict[str, dict] = {}
    tests: dict[str, dict] = {}
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


def compare(previous: HealthRun | None, tests: dict) -> Comparison:
    failing = {tid for tid, t in tests.items() if t["status"] in {s.value for s in FAILED}}
    if previous is None:
        return Comparison(new_failures=tuple(sorted(failing)), fixed=(), still_failing=(), first_run=True)
    before = {tid for tid, t in previous.tests.items() if t["status"] in {s.value for s in FAILED}}
    ran_now = set(tests)
    return Comparison(new_failures=tuple(sorted(failing - before)),
                      fixed=tuple(sorted((before - failing) & ran_now)),
                      still_failing=tuple(sorted(failing & before)), first_run=False)


def previous_run(ctx: StepContext, lab: str) -> HealthRun | None:
    with ctx.deps.session_factory() as session:
        return session.scalar(select(HealthRun).where(HealthRun.lab == lab).order_by(HealthRun.id.desc()).limit(1))


def record(ctx: StepContext, lab: str, testsets: list[str], summary: dict, tests: dict) -> None:
    with ctx.deps.session_factory() as session, session.begin():
        session.add(HealthRun(lab=lab, job_id=ctx.job_id, at=utcnow(), testsets=testsets, summary=summary,
                              tests=tests))


def healthy_cluster(ctx: StepContext, lab: Lab):
    """The lab's Fuel environment, when it is in a state OSTF can test (as the Fuel UI requires)."""
    client = fuel(ctx, lab)
    cluster = client.find_cluster(lab.environment.name)
    if cluster is None:
        raise StepFailed(f"{lab.name} has no Fuel environment named `{lab.environment.name}`; "
                         f"run `/fuel deploy {lab.name}` first.")
    if cluster.status not in HEALTHY_CLUSTER:
        raise StepFailed(f"Environment `{cluster.name}` is {cluster.status.value}; Fuel runs health checks only "
                         "on operational (or failed) environments. Wait for the deploy to finish.")
    return cluster


def run_tests(ctx: StepContext, lab: Lab, testsets: list[str]) -> dict:
    """Start (or, after a restart, rejoin) the OSTF runs and wait for them; returns what to report."""
    client = fuel(ctx, lab)
    cluster = healthy_cluster(ctx, lab)
    available = {t.id for t in client.ostf_testsets(cluster.id)}
    unknown = [t for t in testsets if t not in available]
    if unknown:
        raise StepFailed(f"Test set(s) {', '.join(unknown)} do not apply to `{cluster.name}`; "
                         f"available: {', '.join(sorted(available))}.")
    run_ids = ctx.data.get("health_runs")
    if not run_ids:
        started = client.start_testruns(cluster.id, testsets)
        run_ids = [r.id for r in started if r is not None and r.id]
        if len(run_ids) < len(testsets):  # a set still running from someone else: follow its last run
            last = {r.testset: r.id for r in client.last_testruns(cluster.id)}
            run_ids = [last[t] for t in testsets if t in last]
        ctx.data["health_runs"] = run_ids
        ctx.save()
    began = time.monotonic()

    def on_progress(runs) -> None:
        ctx.checkpoint()
        if ctx.params.get("scheduled"):
            return  # a scheduled check has no thread unless its outcome changes
        done = sum(1 for r in runs for t in r.tests if t.status not in (TestStatus.WAIT_RUNNING, TestStatus.RUNNING))
        total = sum(len(r.tests) for r in runs)
        ctx.report.progress(f"🩺 Health check running — {done}/{total} tests · {duration(time.monotonic() - began)}",
                            phase="health")

    runs = client.wait_for_testruns(cluster.id, run_ids, deadline=time.monotonic() + ctx.deps.timeouts.health,
                                    on_progress=on_progress, poll=ctx.deps.timeouts.poll,
                                    should_stop=ctx.cancel_requested)
    ctx.checkpoint()
    if not ctx.params.get("scheduled"):
        total = sum(len(r.tests) for r in runs)
        ctx.report.progress(f"🩺 Health check finished — {total} tests · {duration(time.monotonic() - began)}",
                            force=True, phase="health")
    summary, tests = summarise(runs)
    comparison = compare(previous_run(ctx, lab.name), tests)
    record(ctx, lab.name, testsets, summary, tests)
    return {"summary": summary, "tests": tests, "comparison": comparison.__dict__, "changed": comparison.changed}


def failure_lines(tests: dict, comparison: dict, limit: int = 10) -> list[str]:
    """Each failure with its name, message and step; new ones first."""
    failing = [(tid, t) for tid, t in tests.items() if t["status"] in {s.value for s in FAILED}]
    new = set(comparison.get("new_failures", ()))
    failing.sort(key=lambda item: (item[0] not in new, item[0]))
    lines = []
    for tid, test in failing[:limit]:
        tag = "🆕 " if tid in new and not comparison.get("first_run") else ""
        step = f" (step {test['step']})" if test.get("step") else ""
        lines.append(f"✗ {tag}*{test['name']}*: “{test.get('message') or 'no message'}”{step}")
    if len(failing) > limit:
        lines.append(f"… and {len(failing) - limit} more failures (`/fuel job {{job}}` has them all)")
    for tid in comparison.get("fixed", ())[:limit]:
        lines.append(f"✓ fixed since last run: *{tests.get(tid, {}).get('name', tid)}*")
    return lines


def headline(lab: str, outcome: dict) -> str:
    summary, comparison = outcome["summary"], outcome["comparison"]
    delta = ""
    if not comparison["first_run"]:
        bits = []
        if comparison["new_failures"]:
            bits.append(f"{len(comparison['new_failures'])} new failure(s)")
        if comparison["still_failing"]:
            bits.append(f"{len(comparison['still_failing'])} still failing")
        if comparison["fixed"]:
            bits.append(f"{len(comparison['fixed'])} fixed")
        delta = f" ({', '.join(bits)} since last run)" if bits else " (same as last run)"
    mark = "✅" if summary["failed"] == 0 else "❌"
    return f"{mark} Health of *{lab}* — {health_counts(summary)}{delta}"


class HealthWorkflow:
    """``/fuel health <lab> [sets]`` and scheduled checks (quiet unless the outcome changed)."""

    def steps(self, ctx: StepContext) -> list[Step]:
        return [Step(name="run_health", title="Health check (OSTF)", run=self._run, deadline_seconds=4000)]

    def _run(self, ctx: StepContext) -> None:
        lab = lab_of(ctx)
        testsets = list(ctx.params.get("testsets") or DEFAULT_TESTSETS)
        outcome = run_tests(ctx, lab, testsets)
        ctx.data["result"] = {"summary": outcome["summary"], "comparison": outcome["comparison"]}
        scheduled = ctx.params.get("scheduled")
        if scheduled and not outcome["changed"]:
            return  # scheduled checks stay quiet when nothing changed
        text = headline(lab.name, outcome) + f" · job #{ctx.job_id}"
        mention = ctx.params.get("mention")
        if scheduled and mention:
            text = f"{mention} {text}"
        ctx.report.parent(text, body={"actions": [rerun_button(lab.name)]})
        for line in failure_lines(outcome["tests"], outcome["comparison"]):
            ctx.report.say(line.replace("{job}", str(ctx.job_id)))

    def on_finish(self, ctx: StepContext, *, state: str, error, elapsed: float) -> None:
        if state == "succeeded":
            return
        ctx.report.parent(f"❌ Health check of *{ctx.lab_name}* {state} — job #{ctx.job_id} · {duration(elapsed)}",
                          body={"actions": [rerun_button(ctx.lab_name)]})
        if error is not None:
            ctx.report.say(f"❌ {error}")

    def on_cancel(self, ctx: StepContext) -> None:
        lab = lab_of(ctx)
        client = fuel(ctx, lab)
        for run_id in ctx.data.get("health_runs", []):
            client.stop_testrun(run_id)
        ctx.report.say("🛑 Health check stopped on request.")


def rerun_button(lab: str | None) -> dict:
    return Button(ButtonAction.RERUN_HEALTH, "Re-run health", lab or "").as_body()
