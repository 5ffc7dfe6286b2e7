"""Health checks for on-call: results, comparisons, scheduled checks that alert only on change."""
from datetime import timedelta

from sqlalchemy import select

from jobs.schedules import create_schedule, fire_due
from store.models import HealthRun, Job
from store.types import utcnow

SMOKE_TEST = "test_001_create_keypairs"


def _deployed(stack):
    stack.command("deploy lab1 --skip-health")
    job = stack.wait_job(stack.last_job("deploy").id, timeout=120)
    assert job.state == "succeeded", job.error


def test_health_reports_each_failure_with_its_message_and_compares_with_the_last_run(stack):
    _deployed(stack)
    stack.command("health lab1")
    first = stack.wait_job(stack.last_job("health").id, timeout=60)
    assert first.state == "succeeded", first.error
    parent, _ = stack.thread(first.id)
    assert parent.startswith("✅ Health of *lab1* — sanity") and "smoke" in parent
    stack.fuel.fail_ostf_test(SMOKE_TEST, message="Keypair creation failed: quota exceeded", step=2)
    stack.command("health lab1 smoke")
    second = stack.wait_job(stack.last_job("health").id, timeout=60)
    parent, replies = stack.thread(second.id)
    assert parent.startswith("❌ Health of *lab1* — smoke") and "1 new failure(s) since last run" in parent
    assert any("🆕" in r and "Keypair creation failed: quota exceeded" in r and "(step 2)" in r for r in replies)
    with stack.runtime.sessions() as session:
        runs = session.scalars(select(HealthRun).order_by(HealthRun.id)).all()
        assert [r.summary["failed"] for r in runs] == [0, 1]


def test_a_scheduled_check_alerts_once_on_the_change_not_on_every_run(stack):
    _deployed(stack)
    with stack.runtime.sessions() as session, session.begin():
        create_schedule(session, kind="health", lab="lab1", cron="*/5 * * * *", timezone="UTC",
                        channel="C0LAB", created_by="UOPS0001", mention="<!subteam^SONCALL>",
                        params={"testsets": ["sanity"]})

    def fire(minutes_ahead):
        with stack.runtime.sessions() as session, session.begin():
            ids = fire_due(session, worker_id="test", now=utcnow() + timedelta(minutes=minutes_ahead))
        assert len(ids) == 1
        job = stack.wait_job(ids[0], timeout=60)
        assert job.state == "succeeded", job.error
        return job

    first = fire(6)                       # the first run is news: it is posted
    stack.settle()
    assert stack.job(first.id).thread_ts
    second = fire(11)                     # same outcome: silence
    stack.fuel.fail_ostf_test("test_list_services", message="Keystone is down", step=1)
    third = fire(16)                      # a new failure: alert, mentioning on-call
    fourth = fire(21)                     # still failing, nothing new: silence
    stack.fuel.clear_faults()
    fifth = fire(26)                      # fixed: that is news too
    stack.settle()
    posted = {job.id: bool(stack.job(job.id).thread_ts) for job in (second, third, fourth, fifth)}
    assert posted == {second.id: False, third.id: True, fourth.id: False, fifth.id: True}
    parent, replies = stack.thread(third.id)
    assert parent.startswith("<!subteam^SONCALL> ❌ Health of *lab1*") and any("Keystone is down" in r for r in replies)
    parent, _ = stack.thread(fifth.id)
    assert "1 fixed" in parent
    with stack.runtime.sessions() as session:
        assert session.query(HealthRun).count() == 5
        assert session.query(Job).filter(Job.kind == "health").count() == 5


def test_runs_compare_in_the_order_they_started_not_the_order_they_finished(sessions):
    from datetime import datetime, timezone
    from types import SimpleNamespace

    from workflows.health_history import previous_run

    t0 = datetime(2025, 3, 4, 9, 0, tzinfo=timezone.utc)
    with sessions() as session, session.begin():
        session.add(HealthRun(lab="lab1", at=t0 + timedelta(minutes=10), started_at=t0, testsets=["smoke"],
                              summary={"failed": 1}, tests={}))                 # started first, finished last
        session.add(HealthRun(lab="lab1", at=t0 + timedelta(minutes=2), started_at=t0 + timedelta(minutes=1),
                              testsets=["sanity"], summary={"failed": 0}, tests={}))
        session.add(HealthRun(lab="lab2", at=t0 + timedelta(minutes=3), started_at=t0 + timedelta(minutes=2),
                              testsets=["sanity"], summary={"failed": 0}, tests={}))
    run = SimpleNamespace(deps=SimpleNamespace(session_factory=sessions))
    assert previous_run(run, "lab1", before=t0 + timedelta(minutes=5)).testsets == ["sanity"]
    assert previous_run(run, "lab1", before=t0 + timedelta(seconds=30)).testsets == ["smoke"]
    assert previous_run(run, "lab1", before=t0) is None
