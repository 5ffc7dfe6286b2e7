"""The words every job says at the same moments of its life, from its ``JobKind`` row.

A job speaks in three places: its parent message (the thread root, edited as it goes), lines
in its thread, and its outcome. What is common to every kind (queued, running, picked up
again, retrying, cancelled before it started, a failure line) is worded here; what a kind says
about its own work is worded by its voice in ``workflows/voices/``, which builds on this one.
Commands import this module too (the queued parent, the cancel-before-start edit).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.buttons import Button, ButtonAction
from core.mrkdwn import link, who
from jobs.states import JobKind, JobState


@dataclass(frozen=True)
class Message:
    """A text a job posts with its buttons; a parent edited without buttons loses the ones it had."""

    text: str
    buttons: tuple[Button, ...] = ()

    def body(self) -> dict[str, Any]:
        """The neutral outbox body (``actions``) the edge renders."""
        return {"actions": [b.as_body() for b in self.buttons]} if self.buttons else {}


@dataclass(frozen=True)
class JobHeader:
    """Which job is speaking: what every parent message says about it."""

    id: int
    kind: str
    lab: str | None
    requester: str

    @property
    def title(self) -> str:
        """``🚀 Deploy of *lab1*``."""
        known = {k.value: k for k in JobKind}
        heading = known[self.kind].heading if self.kind in known else self.kind
        return f"{heading} of *{self.lab}*" if self.lab else heading

    @property
    def byline(self) -> str:
        """``job #12 by <@U1>``."""
        return f"job #{self.id} by {who(self.requester)}"


@dataclass(frozen=True)
class Ending:
    """How a run ended, for the kind's voice to word its outcome."""

    state: JobState
    error: Exception | None
    elapsed: float
    step_title: str             # the step it ended in (``start`` before the first)


def _span(seconds: float) -> str:
    """``45s``, ``2 min``, ``1h 05m``: a pause, rounded as people say it."""
    seconds = int(round(seconds))
    if seconds < 90:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{round(seconds / 60)} min"
    return f"{seconds // 3600}h {seconds % 3600 // 60:02d}m"


def mark(state: JobState | str) -> str:
    """How a job's end looks: ✅ succeeded, 🛑 cancelled (on request: no failure), ❌ failed."""
    return {JobState.SUCCEEDED.value: "✅", JobState.CANCELLED.value: "🛑"}.get(str(state), "❌")


def cancel_button(job_id: int) -> Button:
    return Button(ButtonAction.CANCEL_JOB, "Cancel", str(job_id), style="danger", confirm=f"Cancel job #{job_id}?")


class LifecycleVoice:
    """The lifecycle lines shared by every kind; a kind's voice subclasses it for its own words."""

    def queued(self, job: JobHeader) -> Message:
        return Message(f"⏳ {job.title} — {job.byline} · queued", (cancel_button(job.id),))

    def running(self, job: JobHeader) -> Message:
        return Message(f"🔄 {job.title} — {job.byline} · running", (cancel_button(job.id),))

    def opened(self, job: JobHeader) -> Message:
        """The parent of a quiet job (a scheduled check) that speaks for the first time."""
        return Message(f"{job.title} — {job.byline}")

    def cancelled_before_start(self, job: JobHeader, *, actor: str) -> Message:
        return Message(f"🛑 {job.title} — {job.byline} · cancelled by {who(actor)} before it started")

    def resumed(self, *, worker: str, step_title: str, attempt: int) -> str:
        return (f"♻️ Picked up again by `{worker}` at *{step_title}* (attempt {attempt}); "
                "checking what already happened before acting.")

    def retrying(self, *, step_title: str, error: Exception, attempts: int, waits: float) -> str:
        """The first retry of a step: how many tries its policy and deadline still allow, and the pauses."""
        times = "once more" if attempts == 1 else f"up to {attempts} more times"
        return f"⏳ {step_title}: {error} Retrying {times}, pausing {_span(waits)} in all."

    def page_link(self, url: str) -> str:
        """The context line under a job's parent: its page, where Slack's truncations end."""
        return f"📄 {link(url, 'Job page')}: every event, the full error, what Fuel said"

    def failure(self, error: Exception) -> str:
        """The thread's last line when a job fails: the error, which names step, object and cause."""
        return f"❌ {error}"
