"""The health check's voice (``/fuel health``, scheduled checks, a deploy's last step): its facts and words."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Mapping, Sequence

from core.buttons import Button, ButtonAction
from core.errors import FuelError, StepFailed
from core.mrkdwn import mention
from integrations.fuel.diagnosis import Diagnosis, NodeCause
from jobs.states import JobState
from jobs.voice import Ending, JobHeader, Message, mark
from workflows.alerts import Unable
from workflows.voices.base import KindVoice, Line
from workflows.voices.diagnosis import cause_sentence, node_name
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
    troubled: tuple[NodeCause, ...] = ()        # when tests fail: the nodes Fuel shows offline or in error
    last_failure: Diagnosis | None = None       # … and, for an environment in error, why its last deploy failed

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
class Recovery:
    """A scheduled check runs again after it could not, since ``since``."""

    reason: Unable
    since: datetime


@dataclass(frozen=True)
class HealthChecked:
    """The outcome of ``/fuel health`` or a scheduled check, which becomes the job's parent."""

    lab: str
    job_id: int
    outcome: HealthOutcome
    mention: str | None = None
    recovered: Recovery | None = None


@dataclass(frozen=True)
class CheckCouldNotRun:
    """A scheduled check could not run (and last time it could, or not for this reason): on-call is told once."""

    lab: str
    job_id: int
    schedule_id: int
    reason: Unable
    detail: str                    # the error, as the job recorded it
    fuel_url: str
    mention: str | None = None


HealthFact = HealthRunning | HealthFinished | HealthChecked | CheckCouldNotRun


class CheckUnable(StepFailed):
    """A health check that could not run at all; ``reason`` says why (the state a schedule remembers)."""

    def __init__(self, message: str, *, reason: Unable, step: str | None = None) -> None:
        super().__init__(message, step=step)
        self.reason = reason


def no_environment(lab: str, environment: str) -> CheckUnable:
    return CheckUnable(f"{lab} has no Fuel environment named `{environment}`; run `/fuel deploy {lab}` first.",
                       reason=Unable.NO_ENVIRONMENT)


def environment_busy(environment: str, status: str, lab: str) -> CheckUnable:
    """Fuel 6.0's UI offers OSTF on operational (or failed) environments only; what to do depends on why."""
    doing = {"deployment": "Wait for its deployment to finish.",
             "remove": "It is being deleted.",
             "new": f"It is not deployed (a reset, or never deployed): `/fuel deploy {lab}`.",
             "stopped": f"Its deployment was stopped: `/fuel deploy {lab}` finishes it."}
    return CheckUnable(f"Environment `{environment}` is {status}; Fuel runs health checks only on operational (or "
                       f"failed) environments. {doing.get(status, f'`/fuel status {lab}` shows it.')}",
                       reason=Unable.NOT_DEPLOYED)


def fuel_refused(error: FuelError) -> CheckUnable:
    """Fuel did not answer (or answered an error) while a scheduled check ran: the check could not run."""
    unreachable = error.retryable or error.status is None
    return CheckUnable(f"Health check (OSTF) could not run: {error}",
                       reason=Unable.UNREACHABLE if unreachable else Unable.FAILED)


def unable_words(reason: Unable) -> str:
    return {Unable.UNREACHABLE: "the Fuel master does not answer", Unable.NO_ENVIRONMENT: "Fuel has no environment",
            Unable.NOT_DEPLOYED: "the environment is not deployed", Unable.FAILED: "the check failed"}[reason]


def unable_hint(fact: CheckCouldNotRun) -> str:
    """What on-call can do, for the reason at hand; and that the schedule says so once when it works again."""
    lab = fact.lab
    first = {Unable.UNREACHABLE: f"Is the Fuel master up, and its API ({fact.fuel_url}) reachable from fuelbot? "
                                 f"`/fuel status {lab}` shows what fuelbot sees.",
             Unable.NO_ENVIRONMENT: f"Deploy it with `/fuel deploy {lab}`, or `/fuel unschedule {fact.schedule_id}` "
                                    "if the lab is gone.",
             Unable.NOT_DEPLOYED: f"Health checks need a deployed environment: `/fuel deploy {lab}`.",
             Unable.FAILED: f"`/fuel job {fact.job_id}` has the details."}[fact.reason]
    return (f"💡 {first} This schedule keeps checking and says here once, when the check runs again; "
            f"`/fuel snooze {fact.schedule_id} 2h` silences it meanwhile.")


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
    if failing and (outcome.troubled or outcome.last_failure):
        lines.append(fuel_says(outcome))
    return lines


def fuel_says(outcome: HealthOutcome) -> str:
    """What Fuel shows that may explain failing tests: nodes offline or in error, the environment's last failure."""
    said = [f"{node_name(n)} is " + ("offline" if not n.online else f"in error ({n.error_type or n.status})")
            for n in outcome.troubled[:5]]
    if outcome.last_failure is not None:
        said.append(f"the environment is in error since its last deploy: {cause_sentence(outcome.last_failure)}")
    return "🔍 What Fuel says: " + "; ".join(said)


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
            if fact.recovered is not None:
                text += (f"\n🔁 The check runs again: {unable_words(fact.recovered.reason)} since "
                         f"{fact.recovered.since:%Y-%m-%d %H:%M} UTC.")
            return [Line.of_parent(Message(text, (rerun_button(fact.lab),))),
                    *(Line(line) for line in failure_lines(fact.outcome, job_id=fact.job_id))]
        if isinstance(fact, CheckCouldNotRun):
            text = (f"⚠️ Scheduled health check of *{fact.lab}* could not run — {unable_words(fact.reason)} · "
                    f"job #{fact.job_id}")
            return [Line.of_parent(Message(f"{mention(fact.mention)} {text}" if fact.mention else text)),
                    Line(f"❌ {fact.detail}\n{unable_hint(fact)}")]
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
