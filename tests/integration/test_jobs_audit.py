"""The audit trail query behind `/fuel audit`: lab, person, kind and time filters on real job events."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy.orm import Session, sessionmaker

from jobs.audit import audit_trail
from jobs.queue import claim_next, record_event, submit, transition
from jobs.states import JobKind, JobState

T0 = datetime(2025, 3, 4, 9, 0, tzinfo=timezone.utc)


def _history(sessions: sessionmaker[Session]) -> tuple[int, int]:
    with sessions() as session, session.begin():
        old = submit(session, kind=JobKind.HEALTH, requester="U0BOB", lab="lab1", now=T0 - timedelta(days=10)).job
        transition(session, old, JobState.CANCELLED, actor="U0BOB", message="cancelled",
                   now=T0 - timedelta(days=10, seconds=-1))
        deploy = submit(session, kind=JobKind.DEPLOY, requester="U0ALICE", lab="lab1", now=T0).job
        claim_next(session, worker_id="worker-1", lease_seconds=30, now=T0 + timedelta(seconds=1))
        record_event(session, deploy, actor="worker-1", kind="step", message="step create_vms started",
                     at=T0 + timedelta(seconds=2))
        transition(session, deploy, JobState.FAILED, actor="worker-1", message="failed at create_vms",
                   now=T0 + timedelta(seconds=3))
        other = submit(session, kind=JobKind.RESET, requester="U0BOB", lab="lab10", now=T0 + timedelta(seconds=4)).job
        record_event(session, None, actor="U0CAROL", kind="denied", at=T0 + timedelta(seconds=5),
                     message="destroy lab1 (in C_LAB): Destroying a lab needs the admin role; you have viewer")
        record_event(session, None, actor="U0CAROL", kind="denied", at=T0 + timedelta(seconds=6),
                     message="destroy lab10 (in C_LAB): Destroying a lab needs the admin role; you have viewer")
        record_event(session, None, actor="U0BOB", kind="scheduled", at=T0 + timedelta(seconds=7),
                     message="schedule #1: schedule health lab1 \"*/5 * * * *\" UTC")
        assert old.id and other.id
        return deploy.id, other.id


def test_the_trail_of_a_lab_includes_its_denials_and_not_its_namesakes(sessions) -> None:
    deploy_id, _ = _history(sessions)
    with sessions() as session:
        trail = audit_trail(session, since=T0 - timedelta(days=7), lab="lab1")
    assert [(e.actor, e.kind) for e in trail] == [
        ("U0BOB", "scheduled"), ("U0CAROL", "denied"), ("worker-1", "state:failed"), ("worker-1", "step"),
        ("worker-1", "state:running"), ("U0ALICE", "submitted")]
    assert trail[2].job_id == deploy_id and trail[2].job_kind == "deploy" and trail[2].requester == "U0ALICE"
    assert "lab10" not in " ".join(e.message for e in trail)


def test_a_person_a_kind_a_window_and_a_limit(sessions) -> None:
    _history(sessions)
    with sessions() as session:
        alice = audit_trail(session, since=T0 - timedelta(days=7), user="U0ALICE")
        denials = audit_trail(session, since=T0 - timedelta(days=7), kinds=frozenset({"denied"}))
        everything = audit_trail(session, since=T0 - timedelta(days=30))
        newest = audit_trail(session, since=T0 - timedelta(days=30), limit=2)
        lab_under = audit_trail(session, since=T0 - timedelta(days=30), lab="lab_")
    assert {e.requester for e in alice} == {"U0ALICE"} and len(alice) == 4, "her job, the worker's steps included"
    assert [e.message.split(" (")[0] for e in denials] == ["destroy lab10", "destroy lab1"]
    assert everything[-1].kind == "submitted" and everything[-1].job_kind == "health", "ten days back"
    assert [e.kind for e in newest] == ["scheduled", "denied"]
    assert lab_under == [], "a LIKE wildcard in a lab name matches nothing by accident"
