"""Base for single-step jobs: run, then edit the parent with a one-line outcome."""
from __future__ import annotations

from core.mrkdwn import who
from jobs.states import JobKind
from jobs.steps import Step, StepContext
from workflows.texts import duration


class OneShotWorkflow:
    """A workflow of one step whose ``headline`` (set in ``ctx.data``) becomes the parent message."""

    kind = ""
    title = ""
    deadline_seconds = 600.0

    def run(self, ctx: StepContext) -> None:
        raise NotImplementedError

    def steps(self, ctx: StepContext) -> list[Step]:
        return [Step(name=self.kind, title=self.title, run=self.run, deadline_seconds=self.deadline_seconds)]

    def on_finish(self, ctx: StepContext, *, state: str, error, elapsed: float) -> None:
        target = f" of *{ctx.lab_name}*" if ctx.lab_name else ""
        by = f"job #{ctx.job_id} by {who(ctx.requester)} · {duration(elapsed)}"
        if state == "succeeded":
            headline = ctx.data.get("headline") or f"{JobKind(self.kind).heading}{target} done"
            ctx.report.parent(f"{headline} — {by}", body=ctx.data.get("parent_body") or {})
            return
        ctx.report.parent(f"❌ {JobKind(self.kind).heading}{target} {state} — {by}")
        if error is not None:
            ctx.report.say(f"❌ {error}")

    def on_cancel(self, ctx: StepContext) -> None:
        ctx.report.say("🛑 Cancelled on request.")
