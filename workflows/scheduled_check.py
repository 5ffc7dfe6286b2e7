"""How a scheduled health check ends: discarded when a mutating job disturbed it, else its state settled
(``workflows.alerts``) and on-call told once per change, with the schedule's mention."""
from __future__ import annotations

from datetime import datetime

from labspec.model import Lab
from store.types import utcnow
from workflows import alerts
from workflows.alerts import Alert, CheckState, CheckStatus, Unable
from workflows.health_history import record, started_at
from workflows.records import HealthRecord
from workflows.run import Run
from workflows.voices.health import (CheckCouldNotRun, CheckUnable, HealthChecked, HealthFact, HealthOutcome,
                                     Recovery)

ScheduledRun = Run[HealthRecord, HealthFact]


def conclude(run: ScheduledRun, lab: Lab, *, testsets: list[str], outcome: HealthOutcome | None = None,
             error: Exception | None = None) -> None:
    """Settle what a scheduled run found (``outcome``, or the ``error`` it could not run for) and alert on change."""
    began = started_at(run)
    with run.deps.session_factory() as session:
        disturber = alerts.disturbed_by(session, lab=lab.name, job_id=run.job_id, since=began)
    if disturber is not None:
        run.note("check-discarded", f"{lab.name} was held by {disturber.kind} job #{disturber.id} during this check; "
                                    "its outcome is not compared, recorded or alerted")
        return
    if outcome is not None:
        record(run, lab.name, testsets, outcome, began=began)
    status = _status(run, outcome, error, began=began)
    schedule_id = int(run.params["schedule_id"])
    with run.deps.session_factory() as session, session.begin():
        verdict = alerts.settle(session, schedule_id, status, now=utcnow())
    if verdict.snoozed is not None:
        run.note("alert-snoozed", verdict.snoozed)
        return
    mention = run.params.get("mention")
    if verdict.alert in (Alert.FIRST, Alert.CHANGED, Alert.RECOVERED) and outcome is not None:
        previous = verdict.previous
        recovered = (Recovery(reason=previous.reason or Unable.FAILED, since=previous.since)
                     if verdict.alert is Alert.RECOVERED and previous is not None else None)
        run.tell(HealthChecked(lab=lab.name, job_id=run.job_id, outcome=outcome, mention=mention, recovered=recovered))
    elif verdict.alert is not None and status.reason is not None:
        run.tell(CheckCouldNotRun(lab=lab.name, job_id=run.job_id, schedule_id=schedule_id, reason=status.reason,
                                  detail=str(error), fuel_url=lab.fuel.url, mention=mention))


def _status(run: ScheduledRun, outcome: HealthOutcome | None, error: Exception | None, *,
            began: datetime) -> CheckStatus:
    """The state a run found, dated by when it started (a state's ``since`` is its first run's start)."""
    now = utcnow()
    if outcome is None:
        reason = error.reason if isinstance(error, CheckUnable) else Unable.FAILED
        return CheckStatus(state=CheckState.UNABLE, job_id=run.job_id, at=now, since=began, reason=reason)
    failing = tuple(sorted(tid for tid, t in outcome.tests.items() if t["status"] in ("failure", "error")))
    return CheckStatus(state=CheckState.FAILING if failing else CheckState.PASSING, job_id=run.job_id, at=now,
                       since=began, failing=failing)
