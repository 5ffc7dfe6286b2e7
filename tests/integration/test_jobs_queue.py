"""The job store on a real database (SQLite, or PostgreSQL when FUELBOT_TEST_DATABASE_URL is set)."""
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from core.errors import InvalidTransition, JobError, JobNotFound, LabBusy
from jobs.queue import claim_next, get_job, heartbeat, request_cancel, submit, transition
from jobs.states import JobKind, JobState
from store.models import Job, JobEvent
from store.types import utcnow


def _count(session, model):
    return session.scalar(select(func.count()).select_from(model))


def test_submit_records_a_queued_job_and_its_audit_event(sessions):
    with sessions() as s, s.begin():
        sub = submit(s, kind=JobKind.DEPLOY, requester="U1", lab="lab1", channel="C1", params={"skip_health": True})
    assert sub.created
    with sessions() as s:
        job = get_job(s, sub.job.id)
        assert (job.state, job.lab_lock, job.params) == ("queued", "lab1", {"skip_health": True})
        assert [e.kind for e in job.events] == ["submitted"]


def test_the_same_delivery_never_makes_two_jobs(sessions):
    with sessions() as s, s.begin():
        first = submit(s, kind=JobKind.HEALTH, requester="U1", lab="lab1", dedupe_key="slack:T1")
    with sessions() as s, s.begin():
        again = submit(s, kind=JobKind.HEALTH, requester="U1", lab="lab1", dedupe_key="slack:T1")
    assert not again.created and again.job.id == first.job.id
    with sessions() as s:
        assert _count(s, Job) == 1


def test_one_mutating_job_per_lab_but_reads_run_alongside(sessions):
    with sessions() as s, s.begin():
        deploy = submit(s, kind=JobKind.DEPLOY, requester="U1", lab="lab1")
    with sessions() as s, s.begin():
        with pytest.raises(LabBusy) as busy:
            submit(s, kind=JobKind.DESTROY, requester="U2", lab="lab1")
        assert busy.value.job_id == deploy.job.id and f"#{deploy.job.id}" in str(busy.value)
        assert submit(s, kind=JobKind.HEALTH, requester="U2", lab="lab1").created
        assert submit(s, kind=JobKind.DEPLOY, requester="U2", lab="lab2").created


def test_the_lab_is_released_when_the_job_ends(sessions):
    with sessions() as s, s.begin():
        job = submit(s, kind=JobKind.DEPLOY, requester="U1", lab="lab1").job
        claimed = claim_next(s, worker_id="w1", lease_seconds=30)
        assert claimed.id == job.id
        transition(s, claimed, JobState.FAILED, actor="w1", message="boom", error="boom")
    with sessions() as s, s.begin():
        assert submit(s, kind=JobKind.DEPLOY, requester="U1", lab="lab1").created


def test_claim_takes_the_oldest_and_sets_a_lease(sessions):
    with sessions() as s, s.begin():
        a = submit(s, kind=JobKind.HEALTH, requester="U1", lab="lab1").job
        submit(s, kind=JobKind.HEALTH, requester="U1", lab="lab2")
    with sessions() as s, s.begin():
        job = claim_next(s, worker_id="w1", lease_seconds=30)
        assert job.id == a.id and job.state == "running" and job.lease_owner == "w1" and job.attempts == 1
        assert job.lease_expires_at > utcnow()


def test_an_expired_lease_is_taken_over_at_the_same_step(sessions):
    with sessions() as s, s.begin():
        submit(s, kind=JobKind.DEPLOY, requester="U1", lab="lab1")
        job = claim_next(s, worker_id="w1", lease_seconds=30)
        job.step = "create_vms"
    with sessions() as s, s.begin():
        assert claim_next(s, worker_id="w2", lease_seconds=30) is None  # lease still valid
    later = utcnow() + timedelta(seconds=31)
    with sessions() as s, s.begin():
        taken = claim_next(s, worker_id="w2", lease_seconds=30, now=later)
        assert taken.lease_owner == "w2" and taken.step == "create_vms" and taken.attempts == 2
    with sessions() as s, s.begin():
        assert heartbeat(s, taken.id, worker_id="w1", lease_seconds=30) is False
        assert heartbeat(s, taken.id, worker_id="w2", lease_seconds=30) is True
        kinds = [e.kind for e in get_job(s, taken.id).events]
        assert "takeover" in kinds


def test_cancel_queued_running_finished_and_unknown(sessions):
    with sessions() as s, s.begin():
        queued = submit(s, kind=JobKind.HEALTH, requester="U1", lab="lab1").job
        request_cancel(s, queued.id, actor="U2")
        assert queued.state == "cancelled"
        running = submit(s, kind=JobKind.DEPLOY, requester="U1", lab="lab1").job
        claim_next(s, worker_id="w1", lease_seconds=30)
        request_cancel(s, running.id, actor="U2")
        assert running.state == "running" and running.cancel_requested
    with sessions() as s, s.begin():
        with pytest.raises(JobError, match="already cancelled"):
            request_cancel(s, queued.id, actor="U2")
        with pytest.raises(JobNotFound, match="no job #999"):
            request_cancel(s, 999, actor="U2")


def test_forbidden_transition_is_refused_and_changes_nothing(sessions):
    with sessions() as s, s.begin():
        job = submit(s, kind=JobKind.HEALTH, requester="U1", lab="lab1").job
        with pytest.raises(InvalidTransition):
            transition(s, job, JobState.SUCCEEDED, actor="x", message="skip")
        assert job.state == "queued"


def test_secrets_never_reach_the_audit_trail(sessions):
    from core.redact import register_secret
    register_secret("hunter2-vcenter")
    with sessions() as s, s.begin():
        job = submit(s, kind=JobKind.DEPLOY, requester="U1", lab="lab1").job
        claim_next(s, worker_id="w1", lease_seconds=30)
        transition(s, job, JobState.FAILED, actor="w1", message="login failed with hunter2-vcenter",
                   error="password=hunter2-vcenter rejected")
    with sessions() as s:
        texts = [e.message for e in s.scalars(select(JobEvent))] + [get_job(s, job.id).error]
        assert all("hunter2-vcenter" not in t for t in texts)


def test_a_process_never_reclaims_a_job_it_is_still_running(sessions):
    with sessions() as s, s.begin():
        job = submit(s, kind=JobKind.DEPLOY, requester="U1", lab="lab1").job
        claim_next(s, worker_id="w1", lease_seconds=1)
    later = utcnow() + timedelta(seconds=5)   # w1's heartbeat stalled past its lease
    with sessions() as s, s.begin():
        assert claim_next(s, worker_id="w1", lease_seconds=30, now=later, exclude=frozenset({job.id})) is None
        assert claim_next(s, worker_id="w2", lease_seconds=30, now=later).id == job.id


def test_cancels_and_mutating_work_are_claimed_before_read_only_work(sessions):
    """A deploy must not wait behind a crowd of status checks, nor a cancel behind either."""
    with sessions() as s, s.begin():
        reads = [submit(s, kind=JobKind.STATUS, requester="U1", lab="lab1").job.id for _ in range(3)]
        orphan = submit(s, kind=JobKind.RESET, requester="U2", lab="lab3").job
        claim_next(s, worker_id="dead", lease_seconds=30)            # its worker dies holding it...
        deploy = submit(s, kind=JobKind.DEPLOY, requester="U2", lab="lab2").job.id
        fix = submit(s, kind=JobKind.PREFLIGHT, requester="U3", lab="lab1", params={"fix": True}).job.id
    with sessions() as s, s.begin():
        request_cancel(s, orphan.id, actor="U2")                     # ...and someone cancels it
    later = utcnow() + timedelta(seconds=31)
    order = []
    with sessions() as s, s.begin():
        while (job := claim_next(s, worker_id="w1", lease_seconds=60, now=later)) is not None:
            order.append(job.id)
    assert order == [orphan.id, deploy, fix, *reads]


def test_a_row_written_between_the_claims_read_and_its_write_is_not_claimed_on_that_read(sessions, db_engine):
    """SQLite's driver reads outside a transaction: a cancel landing in between must not be lost."""
    if db_engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL's FOR UPDATE row lock makes the cancel wait for the claim's commit")
    with sessions() as s, s.begin():
        job_id = submit(s, kind=JobKind.DEPLOY, requester="U1", lab="lab1").job.id
        claim_next(s, worker_id="w1", lease_seconds=1)
    later = utcnow() + timedelta(seconds=2)       # w1's lease has run out: w2 takes over

    def cancel_in_between(conn, cursor, statement, params, context, executemany):
        if statement.startswith("UPDATE jobs SET") and "lease_owner=" in statement and not fired:
            fired.append(True)
            with sessions() as other, other.begin():
                request_cancel(other, job_id, actor="U2")
    fired: list[bool] = []
    event.listen(db_engine, "before_cursor_execute", cancel_in_between)
    try:
        with sessions() as s, s.begin():
            assert claim_next(s, worker_id="w2", lease_seconds=30, now=later) is None
    finally:
        event.remove(db_engine, "before_cursor_execute", cancel_in_between)
    assert fired
    with sessions() as s, s.begin():
        taken = claim_next(s, worker_id="w2", lease_seconds=30, now=later)
        assert taken.id == job_id and taken.cancel_requested and taken.lease_owner == "w2"
