"""The health check's voice (``/fuel health``, scheduled checks, a deploy's last step): its facts and words."""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Mapping, Sequence

from core.buttons import Button, ButtonAction
from core.errors import StepFailed
from core.mrkdwn import mention
from jobs.states import JobState
from jobs.voice import Ending, JobHeader, Message, mark
from workflows.voices.base import KindVoice, Line
from workflows.voices.words import duration, health_counts

FAILED_STATUSES = frozenset({"failure", "error"})


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

    def to_json(self) -> dict[str, Any]:
        return {"new_failures": self.new_failures, "fixed": self.fixed, "still_failing": self.still_failing,
                "first_run": self.first_run}


@dataclass(frozen=True)
class HealthOutcome:
    """A finished health check: per-set counts (``summary``), each test (``tests``), and the comparison."""

    summary: Mapping[str, Any]
    tests: Mapping[str, Mapping[str, Any]]
    comparison: Comparison

    @property
    def counts(self) -> str:
        return health_counts(self.summary)

    @property
    def failed(self) -> int:
        return int(self.summary["failed"])


@dataclass(frozen=True)
class HealthRunning:
    done: int
    total: int
    elapsed: float


@dataclass(frozen=True)
class HealthFinished:
    total: int
    elapsed: float


@dataclass(frozen=True)
class HealthChecked:
    """The outcome of ``/fuel health`` or a scheduled check, which becomes the job's parent."""

    lab: str
    job_id: int
    outcome: HealthOutcome
    mention: str | None = None


HealthFact = HealthRunning | HealthFinished | HealthChecked


def no_environment(lab: str, environment: str) -> StepFailed:
    return StepFailed(f"{lab} has no Fuel environment named `{environment}`; run `/fuel deploy {lab}` first.")


def environment_busy(environment: str, status: str) -> StepFailed:
    return StepFailed(f"Environment `{environment}` is {status}; Fuel runs health checks only on operational (or "
                      "failed) environments. Wait for the deploy to finish.")


def unknown_testsets(unknown: Sequence[str], environment: str, available: Sequence[str]) -> StepFailed:
    return StepFailed(f"Test set(s) {', '.join(unknown)} do not apply to `{environment}`; "
                      f"available: {', '.join(sorted(available))}.")


def rerun_button(lab: str | None) -> Button:
    return Button(ButtonAction.RERUN_HEALTH, "Re-run health", lab or "")


def progress_line(fact: HealthRunning | HealthFinished) -> Line:
    if isinstance(fact, HealthRunning):
        return Line(f"🩺 Health check running — {fact.done}/{fact.total} tests · {duration(fact.elapsed)}",
                    phase="health")
    return Line(f"🩺 Health check finished — {fact.total} tests · {duration(fact.elapsed)}", phase="health",
                force=True)


def failure_lines(outcome: HealthOutcome, *, job_id: int, limit: int = 10) -> list[str]:
    """Each failure with its name, message and step; new ones first."""
    tests, comparison = outcome.tests, outcome.comparison
    failing = [(tid, t) for tid, t in tests.items() if t["status"] in FAILED_STATUSES]
    new = set(comparison.new_failures)
    failing.sort(key=lambda item: (item[0] not in new, item[0]))
    lines = []
    for tid, test in failing[:limit]:
        tag = "🆕 " if tid in new and not comparison.first_run else ""
        step = f" (step {test['step']})" if test.get("step") else ""
        lines.append(f"✗ {tag}*{test['name']}*: “{test.get('message') or 'no message'}”{step}")
    if len(failing) > limit:
        lines.append(f"… and {len(failing) - limit} more failures (`/fuel job {job_id}` has them all)")
    for tid in comparison.fixed[:limit]:
        lines.append(f"✓ fixed since last run: *{tests.get(tid, {}).get('name', tid)}*")
    return lines


def deploy_health_line(outcome: HealthOutcome, *, job_id: int) -> str:
    """A deploy's health step: the counts, then every failure (a fresh environment: all count as first)."""
    mark = "✅" if outcome.failed == 0 else "⚠️"
    first = replace(outcome, comparison=replace(outcome.comparison, first_run=True))
    return "\n".join([f"{mark} Health check: {outcome.counts}", *failure_lines(first, job_id=job_id)])


def headline(lab: str, outcome: HealthOutcome) -> str:
    comparison = outcome.comparison
    delta = ""
    if not comparison.first_run:
        bits = []
        if comparison.new_failures:
            bits.append(f"{len(comparison.new_failures)} new failure(s)")
        if comparison.still_failing:
            bits.append(f"{len(comparison.still_failing)} still failing")
        if comparison.fixed:
            bits.append(f"{len(comparison.fixed)} fixed")
        delta = f" ({', '.join(bits)} since last run)" if bits else " (same as last run)"
    mark = "✅" if outcome.failed == 0 else "❌"
    return f"{mark} Health of *{lab}* — {outcome.counts}{delta}"


class HealthVoice(KindVoice[HealthFact]):
    """``/fuel health`` and scheduled checks: the outcome is the parent, each failure a reply."""

    def lines(self, fact: HealthFact) -> Sequence[Line]:
        if isinstance(fact, HealthChecked):
            text = headline(fact.lab, fact.outcome) + f" · job #{fact.job_id}"
            if fact.mention:
                text = f"{mention(fact.mention)} {text}"
            return [Line.of_parent(Message(text, (rerun_button(fact.lab),))),
                    *(Line(line) for line in failure_lines(fact.outcome, job_id=fact.job_id))]
        return [progress_line(fact)]

    def ended(self, job: JobHeader, ending: Ending) -> list[Line]:
        """Nothing on success (the outcome is already the parent); the state and the error otherwise."""
        if ending.state is JobState.SUCCEEDED:
            return []
        parent = Message(f"{mark(ending.state)} Health check of *{job.lab}* {ending.state.value} — job #{job.id} · "
                         f"{duration(ending.elapsed)}", (rerun_button(job.lab),))
        return [Line.of_parent(parent), *([Line(self.failure(ending.error))] if ending.error is not None else [])]

    def cancelled(self) -> str:
        return "🛑 Health check stopped on request."
