"""The voice of single-step jobs: their outcome is one headline in the parent message."""
from __future__ import annotations

from typing import TypeVar

from jobs.states import JobState
from jobs.voice import Ending, JobHeader, Message, mark
from workflows.voices.base import KindVoice, Line
from workflows.voices.words import duration

F = TypeVar("F", contravariant=True)


class OneShotVoice(KindVoice[F]):
    """Success: the job's headline (or "<kind> done"); otherwise the state, then the error."""

    def ended(self, job: JobHeader, ending: Ending, headline: str | None) -> list[Line]:
        by = f"{job.byline} · {duration(ending.elapsed)}"
        if ending.state is JobState.SUCCEEDED:
            return [Line.of_parent(Message(f"{headline or f'{job.title} done'} — {by}"))]
        failed = [Line(self.failure(ending.error))] if ending.error is not None else []
        return [Line.of_parent(Message(f"{mark(ending.state)} {job.title} {ending.state.value} — {by}")), *failed]
