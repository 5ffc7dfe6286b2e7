"""Base for single-step jobs: run, then edit the parent with a one-line outcome."""
from __future__ import annotations

from typing import ClassVar, TypeVar

from jobs.record import JobRecord
from jobs.steps import Step
from jobs.voice import Ending
from workflows.run import Run, RunWorkflow
from workflows.voices.oneshot import OneShotVoice

D = TypeVar("D", bound=JobRecord)
F = TypeVar("F")


class OneShotWorkflow(RunWorkflow[D, F]):
    """A workflow of one step, whose ``run.headline`` (worded by its voice) becomes the parent message."""

    title: ClassVar[str]
    deadline_seconds: ClassVar[float] = 600.0
    voice: OneShotVoice[F]

    def run(self, run: Run[D, F]) -> None:
        raise NotImplementedError

    def steps(self) -> list[Step[Run[D, F]]]:
        return [Step(name=self.kind.value, title=self.title, run=self.run, deadline_seconds=self.deadline_seconds)]

    def on_finish(self, run: Run[D, F], ending: Ending) -> None:
        run.post(self.voice.ended(run.ctx.job, ending, run.headline))
