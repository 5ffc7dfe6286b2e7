"""Scheduled checks that are safe to page on: one alert per change of state, nothing in between.

A scheduled health check ends in one of three states: every test passed, some tests fail (which
ones is part of the state), or the check itself could not run (Fuel unreachable, no
environment, an environment not deployed; the reason is part of the state). The schedule keeps
the state it last reported (``Schedule.alert``); a run that finds the same state stays silent,
one that finds another says so once, with the schedule's mention. Coming back from "could not
run" is a recovery, said once too. A snoozed schedule keeps its state up to date but says
nothing, and a run that a mutating job disturbed (a reset started meanwhile) changes nothing.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any, Mapping

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from jobs.states import JobKind, JobState
from store.models import Job, Schedule


class CheckState(StrEnum):
    PASSING = "passing"
    FAILING = "failing"
    UNABLE = "unable"           # the check itself could not run


class Unable(StrEnum):
    """Why a check could not run: each has its own words and hint (``workflows.voices.health``)."""

    UNREACHABLE = "Fuel unreachable"
    NO_ENVIRONMENT = "no environment"
    NOT_DEPLOYED = "environment not deployed"
    FAILED = "check failed"


class Alert(StrEnum):
    FIRST = "first"             # the schedule's first run: news either way
    CHANGED = "changed"         # passing ↔ failing, or other tests failing
    UNABLE = "unable"           # the check could not run (or now for another reason)
    RECOVERED = "recovered"     # it runs again after it could not


@dataclass(frozen=True)
class CheckStatus:
    """What one scheduled run found, as the schedule remembers it."""

    state: CheckState
    job_id: int
    at: datetime
    since: datetime                  # when the schedule entered this state (its first run that found it)
    failing: tuple[str, ...] = ()
    reason: Unable | None = None

    def to_json(self) -> dict[str, Any]:
        return {"state": self.state.value, "job_id": self.job_id, "at": self.at.isoformat(),
                "since": self.since.isoformat(), "failing": list(self.failing),
                "reason": self.reason.value if self.reason else None}

    @classmethod
    def from_json(cls, raw: Mapping[str, Any] | None) -> "CheckStatus | None":
        if not raw or raw.get("state") not in {s.value for s in CheckState}:
            return None
        reason = raw.get("reason")
        at = datetime.fromisoformat(str(raw["at"]))
        return cls(state=CheckState(raw["state"]), job_id=int(raw.get("job_id") or 0), at=at,
                   since=datetime.fromisoformat(str(raw.get("since") or raw["at"])),
                   failing=tuple(raw.get("failing") or ()),
                   reason=Unable(reason) if reason in {u.value for u in Unable} else None)


def alert_for(previous: CheckStatus | None, current: CheckStatus) -> Alert | None:
    """The alert ``current`` calls for after ``previous`` (None: same state, say nothing)."""
    if previous is None:
        return Alert.FIRST
    if current.state is CheckState.UNABLE:
        same = previous.state is CheckState.UNABLE and previous.reason is current.reason
        return None if same else Alert.UNABLE
    if previous.state is CheckState.UNABLE:
        return Alert.RECOVERED
    if previous.state is current.state and set(previous.failing) == set(current.failing):
        return None
    return Alert.CHANGED


@dataclass(frozen=True)
class Verdict:
    """What to do with a run's status: the alert to send (None: none), and why it stays silent."""

    alert: Alert | None
    previous: CheckStatus | None
    snoozed: str | None = None          # "until 14:00 UTC by <@U…>" when a snooze keeps it silent


def settle(session: Session, schedule_id: int, current: CheckStatus, *, now: datetime) -> Verdict:
    """What ``current`` calls for, keeping the schedule's state as the last one on-call was told.

    A snoozed schedule says nothing and keeps its told state, so a change still standing when
    the snooze ends is said then; one that came and went meanwhile is never said.
    """
    schedule = session.get(Schedule, schedule_id, with_for_update=True)
    if schedule is None:
        return Verdict(alert=None, previous=None)
    previous = CheckStatus.from_json(schedule.alert)
    if previous is not None and previous.job_id > current.job_id:
        return Verdict(alert=None, previous=previous)    # a later run spoke already: runs speak in start order
    alert = alert_for(previous, current)
    if alert is None:
        schedule.alert = replace(current, since=previous.since if previous else current.since).to_json()
        return Verdict(alert=None, previous=previous)
    if schedule.snoozed_until is not None and schedule.snoozed_until > now:
        return Verdict(alert=None, previous=previous,
                       snoozed=f"{alert.value} alert silenced: snoozed until {schedule.snoozed_until:%Y-%m-%d %H:%M} "
                               f"UTC by {schedule.snoozed_by or 'someone'}")
    schedule.alert = current.to_json()
    return Verdict(alert=alert, previous=previous)


def disturbed_by(session: Session, *, lab: str, job_id: int, since: datetime) -> Job | None:
    """A mutating job of ``lab`` that held it at some point since ``since`` (it may falsify a check)."""
    candidates = session.scalars(select(Job).where(
        Job.lab == lab, Job.id != job_id,
        or_(Job.state.in_([JobState.QUEUED, JobState.RUNNING]), Job.finished_at >= since))
        .order_by(Job.id))
    for job in candidates:
        kind = JobKind.known(job.kind)
        if kind is not None and kind.is_mutating(job.params):
            return job
    return None
