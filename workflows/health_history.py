"""A lab's health history: each OSTF run kept with when its job started, so runs compare in start order."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from store.models import HealthRun, Job
from store.types import utcnow
from workflows.run import Run
from workflows.voices.health import HealthOutcome


def started_at(run: Run[Any, Any]) -> datetime:
    """When the run's job started (runs are compared in the order they started, not finished)."""
    with run.deps.session_factory() as session:
        job = session.get(Job, run.job_id)
        return (job.started_at if job is not None else None) or utcnow()


def previous_run(run: Run[Any, Any], lab: str, *, before: datetime) -> HealthRun | None:
    """The lab's last run that started before ``before`` (a run that overlapped and ended later does not count)."""
    began = func.coalesce(HealthRun.started_at, HealthRun.at)
    with run.deps.session_factory() as session:
        return session.scalar(select(HealthRun).where(HealthRun.lab == lab, began < before)
                              .order_by(began.desc(), HealthRun.id.desc()).limit(1))


def record(run: Run[Any, Any], lab: str, testsets: list[str], outcome: HealthOutcome, *, began: datetime) -> None:
    with run.deps.session_factory() as session, session.begin():
        session.add(HealthRun(lab=lab, job_id=run.job_id, at=utcnow(), started_at=began, testsets=testsets,
                              summary=dict(outcome.summary), tests={k: dict(v) for k, v in outcome.tests.items()}))
