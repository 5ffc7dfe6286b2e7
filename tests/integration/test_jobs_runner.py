"""The runner drives a workflow's steps on a real database: resume, retry, fail, cancel."""
import contextlib
import threading
import time
from dataclasses import dataclass, field

from sqlalchemy import event, select

from core.errors import IntegrationError, StepFailed
from jobs.queue import claim_next, get_job, request_cancel, submit
from jobs.runner import Claimed, JobRunner
from jobs.states import JobKind
from jobs.record import JobRecord
from jobs.steps import Step
from jobs.voice import LifecycleVoice
from jobs.worker import Worker
from store.models import Job, OutboxMessage
from tests.support.texts import readable


@dataclass
class Ran(JobRecord):
    ran: list = field(default_factory=list)


class RecordingWorkflow:
    """A real workflow whose steps append their names to the job's persisted data."""

    kind = JobKind.DEPLOY
    voice = LifecycleVoice()

    def __init__(self, *, flaky: int = 0, fail_at: str | None = None, block: threading.Event | None = None):
        self.flaky = flaky
        self.fail_at = fail_at
        self.block = block
        self.finished: list[tuple[str, str | None]] = []

    def _step(self, name):
        def run(ctx):
            if name == "two" and self.flaky:
                self.flaky -= 1
                raise IntegrationError("Fuel at http://fuel answered 503", retryable=True)
            if name == self.fail_at:
                raise StepFailed("the VM lab1-controller-1 is missing", step=name)
            if name == "two" and self.block is not None:
                while not self.block.is_set():
                    ctx.checkpoint()
                    time.sleep(0.05)
            ctx.record(Ran).ran.append(name)
            ctx.report.say(f"step {name} done")
        return Step(name=name, title=f"Step {name}", run=run, backoff_seconds=0.01, deadline_seconds=5)

    def load(self, raw):
        return Ran.from_json(raw)

    def open(self, ctx):
        return contextlib.nullcontext(ctx)

    def steps(self):
        return [self._step("one"), self._step("two"), self._step("three")]

    def on_finish(self, ctx, ending):
        state, error = ending.state.value, ending.error
        self.finished.append((state, str(error) if error else None))
        ctx.report.parent(f"{state}")

    def on_cancel(self, ctx):
        ctx.report.say("stopping")


def _runner(sessions, workflow, worker_id="w1"):
    return JobRunner(session_factory=sessions, workflows={"deploy": workflow}, worker_id=worker_id,
                     lease_seconds=5)


def _claimed_job(sessions, worker_id="w1", step=None):
    with sessions() as s, s.begin():
        job = submit(s, kind=JobKind.DEPLOY, requester="U01", lab="lab1", channel="C1").job
        claim_next(s, worker_id=worker_id, lease_seconds=5)
        if step:
            job.step = step
        return job.id


def test_runs_every_step_in_order_and_succeeds(sessions):
    workflow = RecordingWorkflow()
    job_id = _claimed_job(sessions)
    _runner(sessions, workflow).run(job_id)
    with sessions() as s:
        job = get_job(s, job_id)
        assert (job.state, job.progress, job.context["ran"]) == ("succeeded", 100, ["one", "two", "three"])
        assert job.lab_lock is None and job.finished_at is not None
        texts = [readable(m.text) for m in s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]
        assert texts == [f"🚀 Deploy of *lab1* — job #{job_id} by <@U01>", "step one done", "step two done",
                         "step three done", "succeeded"]


def test_resumes_at_the_step_it_was_in(sessions):
    workflow = RecordingWorkflow()
    job_id = _claimed_job(sessions, step="two")
    _runner(sessions, workflow).run(job_id)
    with sessions() as s:
        job = get_job(s, job_id)
        assert job.context["ran"] == ["two", "three"]
        replies = [m.text for m in s.scalars(select(OutboxMessage))]
        assert any("Picked up again" in t and "Step two" in t for t in replies)


def test_retryable_errors_are_retried_with_backoff(sessions):
    workflow = RecordingWorkflow(flaky=2)
    job_id = _claimed_job(sessions)
    _runner(sessions, workflow).run(job_id)
    with sessions() as s:
        job = get_job(s, job_id)
        assert job.state == "succeeded"
        assert [e.kind for e in job.events].count("retry") == 2
        said = [m.text for m in s.scalars(select(OutboxMessage)) if "Retrying" in m.text]
        # said once, and what the step's policy (3 retries, 0.01 s doubling) allows within its deadline
        assert said == ["⏳ Step two: Fuel at http://fuel answered 503 Retrying up to 3 more times, pausing 0s in all."]


def test_a_failing_step_fails_the_job_naming_step_object_and_cause(sessions):
    workflow = RecordingWorkflow(fail_at="two")
    job_id = _claimed_job(sessions)
    _runner(sessions, workflow).run(job_id)
    with sessions() as s:
        job = get_job(s, job_id)
        assert job.state == "failed" and job.step == "two"
        assert "lab1-controller-1 is missing" in job.error
        assert job.context["ran"] == ["one"]
    assert workflow.finished[0][0] == "failed"


def test_cancel_stops_at_a_safe_point(sessions):
    block = threading.Event()
    workflow = RecordingWorkflow(block=block)
    job_id = _claimed_job(sessions)
    thread = threading.Thread(target=_runner(sessions, workflow).run, args=(job_id,))
    thread.start()
    time.sleep(0.3)
    with sessions() as s, s.begin():
        request_cancel(s, job_id, actor="U2")
    thread.join(timeout=10)
    with sessions() as s:
        job = get_job(s, job_id)
        assert job.state == "cancelled" and job.context.get("ran") == ["one"]
    assert workflow.finished == [("cancelled", None)]


def test_worker_claims_and_runs_queued_jobs(sessions):
    workflow = RecordingWorkflow()
    with sessions() as s, s.begin():
        ids = [submit(s, kind=JobKind.DEPLOY, requester="U1", lab=f"lab{i}").job.id for i in range(3)]
    worker = Worker(session_factory=sessions, runner=_runner(sessions, workflow), worker_id="w1",
                    lease_seconds=5, max_running=2)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        worker.tick()
        with sessions() as s:
            if all(get_job(s, i).state == "succeeded" for i in ids):
                break
        time.sleep(0.05)
    worker.shutdown(wait=True)
    with sessions() as s:
        assert [get_job(s, i).state for i in ids] == ["succeeded"] * 3


def test_a_job_that_ends_hands_its_place_to_the_next_without_waiting_for_a_tick(sessions):
    workflow = RecordingWorkflow()
    with sessions() as s, s.begin():
        ids = [submit(s, kind=JobKind.DEPLOY, requester="U1", lab=f"lab{i}").job.id for i in range(3)]
    worker = Worker(session_factory=sessions, runner=_runner(sessions, workflow), worker_id="w1",
                    lease_seconds=5, max_running=1)
    assert worker.tick() == 1                    # one place: one job now, and no tick after this one
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with sessions() as s:
            if all(get_job(s, i).state == "succeeded" for i in ids):
                break
        time.sleep(0.05)
    worker.shutdown(wait=True)
    with sessions() as s:
        jobs = [get_job(s, i) for i in ids]
    assert [j.state for j in jobs] == ["succeeded"] * 3
    assert jobs[0].finished_at <= jobs[1].started_at and jobs[1].finished_at <= jobs[2].started_at   # one at a time


def test_a_stopping_worker_claims_nothing_more(sessions):
    with sessions() as s, s.begin():
        submit(s, kind=JobKind.DEPLOY, requester="U1", lab="lab1")
    worker = Worker(session_factory=sessions, runner=_runner(sessions, RecordingWorkflow()), worker_id="w1",
                    lease_seconds=5, max_running=2)
    worker.shutdown()
    assert worker.tick() == 0
    with sessions() as s:
        assert s.scalar(select(Job.state)) == "queued"


def test_a_quiet_job_that_speaks_first_gets_a_thread(sessions):
    """Replies need a parent: a job that was never announced gets one before its first reply."""
    from jobs.reporter import OutboxReporter
    with sessions() as s, s.begin():
        job_id = submit(s, kind=JobKind.HEALTH, requester="schedule:3", lab="lab1", channel="C1").job.id
    reporter = OutboxReporter(session_factory=sessions, job_id=job_id, channel="C1")
    reporter.say("⏳ Fuel answered 503; retrying")
    reporter.say("still retrying")
    with sessions() as s:
        rows = s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        assert [(m.placement, m.text) for m in rows] == [
            ("parent", f"🩺 Health check of *lab1* — job #{job_id} by schedule #3"),
            ("reply", "⏳ Fuel answered 503; retrying"), ("reply", "still retrying")]


def _start_blocked(sessions, workflow, worker_id="w1"):
    job_id = _claimed_job(sessions, worker_id=worker_id)
    runner = _runner(sessions, workflow, worker_id=worker_id)
    thread = threading.Thread(target=runner.run, args=(job_id,))
    thread.start()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        with sessions() as s:
            if get_job(s, job_id).step == "two":
                break
        time.sleep(0.02)
    return job_id, runner, thread


def test_a_worker_that_lost_its_lease_never_finishes_the_job(sessions):
    from datetime import timedelta
    from store.types import utcnow
    block = threading.Event()
    job_id, _, thread = _start_blocked(sessions, RecordingWorkflow(block=block))
    with sessions() as s, s.begin():     # w1 stalled past its lease; w2 takes the job over
        taken = claim_next(s, worker_id="w2", lease_seconds=30, now=utcnow() + timedelta(seconds=60))
        assert taken.id == job_id
    block.set()
    thread.join(timeout=10)
    with sessions() as s:
        job = get_job(s, job_id)
        assert (job.state, job.lease_owner) == ("running", "w2")
        assert "state:succeeded" not in [e.kind for e in job.events]


def test_a_stopping_worker_hands_its_job_over_at_a_safe_point(sessions):
    job_id, runner, thread = _start_blocked(sessions, RecordingWorkflow(block=threading.Event()))
    runner.shutdown()
    thread.join(timeout=10)
    assert not thread.is_alive()
    with sessions() as s:
        job = get_job(s, job_id)
        assert job.state == "running" and job.step == "two"
        assert "handover" in [e.kind for e in job.events]
    with sessions() as s, s.begin():     # any replica takes it at once, at its step
        assert claim_next(s, worker_id="w2", lease_seconds=30).id == job_id


def test_cancelling_a_job_claimed_a_moment_ago_asks_it_to_stop(sessions):
    with sessions() as s, s.begin():
        job_id = submit(s, kind=JobKind.DEPLOY, requester="U1", lab="lab1").job.id
    handler = sessions()
    stale = get_job(handler, job_id)            # the command handler read it while queued
    assert stale.state == "queued"
    with sessions() as s, s.begin():
        claim_next(s, worker_id="w1", lease_seconds=30)
    request_cancel(handler, job_id, actor="U2")
    handler.commit()
    handler.close()
    with sessions() as s:
        job = get_job(s, job_id)
        assert (job.state, job.lease_owner, job.lab_lock, job.cancel_requested) == ("running", "w1", "lab1", True)


def test_a_workflow_that_cannot_open_its_run_fails_the_job_with_a_record(sessions):
    class Broken(RecordingWorkflow):
        def open(self, ctx):
            raise RuntimeError("no vSphere factory configured")

    job_id = _claimed_job(sessions)
    _runner(sessions, Broken()).run(job_id)
    with sessions() as s:
        job = get_job(s, job_id)
        assert job.state == "failed" and job.lab_lock is None
        assert "internal error: RuntimeError: no vSphere factory configured" in job.error


def test_a_look_up_runs_at_once_while_long_jobs_fill_every_slot(sessions):
    gate = threading.Event()
    deploys, status = RecordingWorkflow(block=gate), RecordingWorkflow()
    runner = JobRunner(session_factory=sessions, workflows={"deploy": deploys, "status": status}, worker_id="w1",
                       lease_seconds=5)
    with sessions() as s, s.begin():
        long_ids = [submit(s, kind=JobKind.DEPLOY, requester="U1", lab=f"lab{i}").job.id for i in range(3)]
    worker = Worker(session_factory=sessions, runner=runner, worker_id="w1", lease_seconds=5, max_running=2,
                    look_up_slots=1)
    try:
        assert worker.tick() == 2                             # two deploys take both slots; the third waits
        with sessions() as s, s.begin():
            look_up = submit(s, kind=JobKind.STATUS, requester="U2", channel="C1").job.id
        assert worker.tick() == 1                             # the look-up's own slot, not the third deploy
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with sessions() as s:
                if get_job(s, look_up).state == "succeeded":
                    break
            time.sleep(0.05)
        with sessions() as s:
            assert get_job(s, look_up).state == "succeeded"
            assert [get_job(s, i).state for i in long_ids] == ["running", "running", "queued"]
    finally:
        gate.set()
        worker.shutdown(wait=True)


def test_a_look_up_answers_the_person_once_with_everything_it_found(sessions):
    workflow = RecordingWorkflow()
    with sessions() as s, s.begin():
        job = submit(s, kind=JobKind.DEPLOY, requester="U0ALICE", lab="lab1", channel="C1").job
        job.context = {"in_place": True}
        claim_next(s, worker_id="w1", lease_seconds=5)
        job_id = job.id
    _runner(sessions, workflow).run(job_id)
    with sessions() as s:
        [answer] = s.scalars(select(OutboxMessage)).all()
    assert (answer.placement, answer.recipient, answer.channel) == ("answer", "U0ALICE", "C1")
    assert answer.text == "succeeded"                          # the parent's words head the answer
    assert answer.body["lines"] == ["step one done", "step two done", "step three done"]


def test_a_claimed_job_is_run_from_its_claim_without_reading_it_again(sessions, db_engine):
    """The claim hands the row it wrote to the runner: no second read, no heartbeat before the first step."""
    workflow = RecordingWorkflow()
    workflow.steps = lambda: [workflow._step("one")]
    with sessions() as s, s.begin():
        submit(s, kind=JobKind.DEPLOY, requester="U1", lab="lab1")     # no channel: nothing to post
    statements: list[str] = []

    def count(conn, cursor, statement, params, context, executemany):
        statements.append(" ".join(statement.split()[:3]))
    event.listen(db_engine, "before_cursor_execute", count)
    try:
        with sessions() as s, s.begin():
            claimed = Claimed.of(claim_next(s, worker_id="w1", lease_seconds=5), fresh=True)
        claim = len(statements)
        _runner(sessions, workflow).run(claimed.header.id, claimed)
    finally:
        event.remove(db_engine, "before_cursor_execute", count)
    run = statements[claim:]
    assert not any(s.startswith("SELECT") for s in run), run            # no re-read, no cancel check
    assert sum(s.startswith("UPDATE jobs") for s in run) == 3, run      # step entered, saved, finished
    with sessions() as s:
        job = get_job(s, claimed.header.id)
        assert (job.state, job.context["ran"], job.progress, job.attempts) == ("succeeded", ["one"], 100, 1)
        assert [e.kind for e in job.events] == ["submitted", "state:running", "step", "state:succeeded"]
