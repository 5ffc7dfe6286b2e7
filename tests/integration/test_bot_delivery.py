"""bot.delivery against a migrated database and LocalSlack: order, threads, edits, 429s, failures."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from bot.delivery import OutboxDelivery
from sim.slack.workspace import LocalSlack
from bot.metrics import Metrics
from bot.slack_client import slack_client
from core.settings import Settings
from jobs.announce import announce
from jobs.outbox import OutboxState, Placement, dm_with, enqueue
from jobs.queue import submit
from jobs.reporter import OutboxReporter
from jobs.states import JobKind
from store.models import Job, OutboxMessage
from tests.fixtures.slack import assert_no_violations

CHANNEL = "C0LAB"
RATE_SCALE = 100.0        # Slack's rate limits on a fast clock; the delivery's budgets on the same one


@pytest.fixture
def slack():
    with LocalSlack(channels={CHANNEL: "lab", "C0OTHER": "other", "C0GONE": "gone"},
                    rate_scale=RATE_SCALE) as local:
        yield local
        assert_no_violations(local)


@pytest.fixture
def metrics(sessions) -> Metrics:
    return Metrics(session_factory=sessions)


def delivery_for(sessions, slack: LocalSlack, metrics: Metrics, **options) -> OutboxDelivery:
    settings = Settings(slack_bot_token="xoxb-test", slack_api_url=slack.base_url)
    options.setdefault("min_interval_per_channel", 1.0 / RATE_SCALE)
    options.setdefault("updates_per_minute", 50 * RATE_SCALE)
    return OutboxDelivery(session_factory=sessions, client=slack_client(settings, metrics, wait_on_rate_limit=False),
                          worker_id="w1", metrics=metrics, **options)


def drain(delivery: OutboxDelivery, sessions, *, timeout: float = 10.0) -> None:
    """Tick until nothing is pending or sending (as the scheduler would, every 50 ms)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        delivery.tick()
        with sessions() as session:
            left = session.scalar(select(OutboxMessage.id).where(OutboxMessage.state.in_(
                [OutboxState.PENDING.value, OutboxState.SENDING.value])).limit(1))
        if left is None:
            return
        time.sleep(0.05)
    raise AssertionError("the outbox did not drain")


def new_job(sessions, lab: str = "lab1") -> int:
    with sessions() as session, session.begin():
        job = submit(session, kind=JobKind.DEPLOY, requester="UALICE01", lab=lab, channel=CHANNEL).job
        announce(session, job)
        return job.id


def states(sessions) -> list[tuple[str, str]]:
    with sessions() as session:
        return [(m.text, m.state) for m in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]


def test_parent_then_thread_replies_carry_the_parents_ts(sessions, slack, metrics) -> None:
    job_id = new_job(sessions)
    reporter = OutboxReporter(session_factory=sessions, job_id=job_id, channel=CHANNEL)
    reporter.say("1. Preflight: 7 ok · 1 warning")
    reporter.say("2. vSphere ready")
    drain(delivery_for(sessions, slack, metrics), sessions)
    view = slack.channel(CHANNEL)
    assert len(view.messages) == 1
    parent = view.messages[0]
    assert parent.text.startswith("⏳") and "job #" in parent.text
    assert [r.text for r in parent.replies] == ["1. Preflight: 7 ok · 1 warning", "2. vSphere ready"]
    posts = slack.calls("chat.postMessage")
    assert [c.params.get("thread_ts") for c in posts] == [None, parent.ts, parent.ts]
    with sessions() as session:
        assert session.get(Job, job_id).thread_ts == parent.ts


def test_parent_edits_update_the_same_message(sessions, slack, metrics) -> None:
    job_id = new_job(sessions)
    delivery = delivery_for(sessions, slack, metrics)
    drain(delivery, sessions)
    OutboxReporter(session_factory=sessions, job_id=job_id, channel=CHANNEL).parent("✅ lab1 deployed")
    drain(delivery, sessions)
    view = slack.channel(CHANNEL)
    assert [m.text for m in view.messages] == ["✅ lab1 deployed"] and view.messages[0].edited
    assert slack.calls("chat.update")[0].params["ts"] == view.messages[0].ts


def test_progress_edits_coalesce_into_one_update(sessions, slack, metrics) -> None:
    job_id = new_job(sessions)
    reporter = OutboxReporter(session_factory=sessions, job_id=job_id, channel=CHANNEL, progress_interval=0)
    delivery = delivery_for(sessions, slack, metrics)
    reporter.progress("Deploying — 0%")
    drain(delivery, sessions)
    for percent in (10, 25, 40, 64, 80):
        reporter.progress(f"Deploying — {percent}%")
    drain(delivery, sessions)
    updates = slack.calls("chat.update")
    assert len(updates) == 1 and updates[0].params["text"] == "Deploying — 80%"
    progress = slack.channel(CHANNEL).messages[0].replies
    assert [r.text for r in progress] == ["Deploying — 80%"]
    assert [s for t, s in states(sessions) if t.startswith("Deploying")] == \
        ["sent", "superseded", "superseded", "superseded", "superseded", "sent"]
    assert 'fuelbot_outbox_deliveries_total{outcome="superseded"} 4.0' in metrics.render().decode()


def test_lines_a_phase_keeps_are_one_message_and_a_run_picked_up_again_keeps_them(sessions, slack, metrics) -> None:
    job_id = new_job(sessions)
    delivery = delivery_for(sessions, slack, metrics)
    first = OutboxReporter(session_factory=sessions, job_id=job_id, channel=CHANNEL)
    first.progress("🏗️ Environment created", phase="environment", keep=True)
    first.progress("⚙️ Settings applied", phase="environment", keep=True)    # kept at once, never throttled
    drain(delivery, sessions)
    first.progress("🌐 Networks configured", phase="environment", keep=True)
    again = OutboxReporter(session_factory=sessions, job_id=job_id, channel=CHANNEL,   # kill -9, picked up again
                           progress_interval=0)
    again.progress("🎭 Roles assigned", phase="environment", keep=True)
    again.progress("⏳ Waiting for Fuel", phase="environment")                # the live line, under the kept ones
    drain(delivery, sessions)
    [message] = [m for m in slack.channel(CHANNEL).messages[0].replies]
    assert message.text.splitlines() == ["🏗️ Environment created", "⚙️ Settings applied", "🌐 Networks configured",
                                         "🎭 Roles assigned", "⏳ Waiting for Fuel"]
    again.progress("🔌 Interfaces mapped", phase="environment", keep=True)    # a kept line ends the live one
    drain(delivery, sessions)
    [message] = [m for m in slack.channel(CHANNEL).messages[0].replies]
    assert message.text.splitlines()[-2:] == ["🎭 Roles assigned", "🔌 Interfaces mapped"]
    # two posts in all (the parent's and the environment's), whatever the edits in between
    assert len(slack.calls("chat.postMessage")) == 2


def test_429_holds_the_channel_for_retry_after_and_loses_nothing(sessions, slack, metrics) -> None:
    job_id = new_job(sessions)
    reporter = OutboxReporter(session_factory=sessions, job_id=job_id, channel=CHANNEL)
    for step in range(3):
        reporter.say(f"step {step}")
    slack.rate_limit("chat.postMessage", times=1, retry_after=1)
    delivery = delivery_for(sessions, slack, metrics)
    limited_at = time.time()
    delivery.tick()
    assert slack.channel(CHANNEL).messages == ()                 # held, not dropped
    assert [s for _, s in states(sessions)] == ["pending"] * 4
    drain(delivery, sessions)
    posts = [c for c in slack.calls("chat.postMessage") if c.status == 200]
    assert posts[0].at - limited_at >= 0.9                        # Retry-After honoured
    parent = slack.channel(CHANNEL).messages[0]
    assert [r.text for r in parent.replies] == ["step 0", "step 1", "step 2"]
    text = metrics.render().decode()
    assert 'fuelbot_slack_rate_limited_total{method="chat.postMessage"} 1.0' in text
    assert 'fuelbot_outbox_deliveries_total{outcome="rate_limited"} 1.0' in text
    with sessions() as session:
        assert all(m.attempts == 0 for m in session.scalars(select(OutboxMessage)))   # a 429 is not a failure


def test_a_rate_limited_channel_does_not_hold_the_others(sessions, slack, metrics) -> None:
    with sessions() as session, session.begin():
        enqueue(session, channel=CHANNEL, text="lab news")
        enqueue(session, channel="C0OTHER", text="other news")
    slack.rate_limit("chat.postMessage", times=1, retry_after=30)
    delivery_for(sessions, slack, metrics).tick()
    assert [m.text for m in slack.channel("C0OTHER").messages] == ["other news"]
    assert slack.channel(CHANNEL).messages == ()


def test_per_channel_throttle_keeps_order(sessions, slack, metrics) -> None:
    with sessions() as session, session.begin():
        for i in range(4):
            enqueue(session, channel=CHANNEL, text=f"lab {i}")
            enqueue(session, channel="C0OTHER", text=f"other {i}")
    drain(delivery_for(sessions, slack, metrics, min_interval_per_channel=0.2), sessions)
    lab = [c for c in slack.calls("chat.postMessage") if c.params["channel"] == CHANNEL]
    assert [c.params["text"] for c in lab] == ["lab 0", "lab 1", "lab 2", "lab 3"]
    gaps = [b.at - a.at for a, b in zip(lab, lab[1:])]
    assert min(gaps) >= 0.18
    assert [m.text for m in slack.channel("C0OTHER").messages] == [f"other {i}" for i in range(4)]


def test_a_reply_waits_for_its_parent(sessions, slack, metrics) -> None:
    job_id = new_job(sessions)
    OutboxReporter(session_factory=sessions, job_id=job_id, channel=CHANNEL).say("first words")
    slack.rate_limit("chat.postMessage", times=1, retry_after=1)
    drain(delivery_for(sessions, slack, metrics), sessions)
    parent = slack.channel(CHANNEL).messages[0]
    assert [r.text for r in parent.replies] == ["first words"]


def test_failures_back_off_then_die_with_the_error_kept(sessions, slack, metrics) -> None:
    with sessions() as session, session.begin():
        enqueue(session, channel="C0GONE", text="Slack keeps failing")
    slack.fail("chat.postMessage", error="fatal_error", times=3)
    delivery = delivery_for(sessions, slack, metrics, max_attempts=3, backoff=lambda attempt: 0.0)
    drain(delivery, sessions)
    with sessions() as session, session.begin():
        dead = session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "C0GONE")).one()
        enqueue(session, channel=CHANNEL, text="still delivered")
    assert dead.state == "dead" and dead.attempts == 3 and dead.error == "chat.postMessage: fatal_error"
    drain(delivery, sessions)
    assert [m.text for m in slack.channel(CHANNEL).messages] == ["still delivered"]
    assert 'fuelbot_outbox_deliveries_total{outcome="dead"} 1.0' in metrics.render().decode()


@pytest.mark.parametrize("error, fix", [("is_archived", "Unarchive it"), ("channel_not_found", "/invite @fuelbot"),
                                        ("not_in_channel", "/invite @fuelbot")])
def test_a_channel_slack_refuses_dead_letters_the_thread_at_once_and_tells_the_requester(
        sessions, slack, metrics, error: str, fix: str) -> None:
    from sim.slack.channels import Kind
    if error == "is_archived":
        slack.archive("C0GONE")
    elif error == "channel_not_found":
        slack.add_channel("C0GONE", "secret", kind=Kind.PRIVATE, members=["UALICE01"], bot=False)
    else:
        slack.fail("chat.postMessage", error="not_in_channel")   # a public channel without chat:write.public
    with sessions() as session, session.begin():
        job = submit(session, kind=JobKind.DEPLOY, requester="UALICE01", lab="lab1", channel="C0GONE").job
        announce(session, job)
        job_id = job.id
    reporter = OutboxReporter(session_factory=sessions, job_id=job_id, channel="C0GONE")
    reporter.say("1. Preflight: 7 ok")
    delivery = delivery_for(sessions, slack, metrics, backoff=lambda attempt: 60.0)
    drain(delivery, sessions)
    assert len([c for c in slack.calls("chat.postMessage") if c.params["channel"] == "C0GONE"]) == 1
    with sessions() as session:
        rows = session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "C0GONE")).all()
        events = [e.kind for e in session.get(Job, job_id).events]
    assert [(m.state, m.attempts) for m in rows] == [("dead", 1), ("dead", 0)]
    assert rows[0].error == f"C0GONE: {error}" and "dead-letter" in events
    dm = slack.open_im("UALICE01")
    [notice] = slack.channel(dm).messages
    assert f"job *#{job_id}*" in notice.text and fix in notice.text and "<#C0GONE>" in notice.text
    reporter.say("2. vSphere ready")                   # the job goes on; its later words die quietly
    drain(delivery, sessions)
    assert len(slack.channel(dm).messages) == 1
    assert len([c for c in slack.calls("chat.postMessage") if c.params["channel"] == "C0GONE"]) == 1


def test_a_dm_channel_is_opened_once_and_threads_work_there(sessions, slack, metrics) -> None:
    with sessions() as session, session.begin():
        job = submit(session, kind=JobKind.DIGEST, requester="UALICE01", channel=dm_with("UALICE01")).job
        announce(session, job)
        job_id = job.id
    OutboxReporter(session_factory=sessions, job_id=job_id, channel=dm_with("UALICE01")).say("lab1 operational")
    drain(delivery_for(sessions, slack, metrics), sessions)
    dm = slack.open_im("UALICE01")
    [parent] = slack.channel(dm).messages
    assert [r.text for r in parent.replies] == ["lab1 operational"]
    assert len(slack.calls("conversations.open")) == 1
    with sessions() as session:
        assert session.get(Job, job_id).channel == dm


def test_refused_blocks_fall_back_to_text(sessions, slack, metrics) -> None:
    with sessions() as session, session.begin():
        enqueue(session, channel=CHANNEL, text="digest", body={"lines": ["lab1 operational"]})
    slack.fail("chat.postMessage", error="invalid_blocks")
    drain(delivery_for(sessions, slack, metrics), sessions)
    message = slack.channel(CHANNEL).messages[0]
    assert message.text == "digest" and message.blocks == ()


def test_plain_posts_render_their_body(sessions, slack, metrics) -> None:
    with sessions() as session, session.begin():
        enqueue(session, channel=CHANNEL, text="📋 Labs digest", placement=Placement.POST,
                body={"lines": [f"lab{i} operational" for i in range(60)]}, job_id=None)
    drain(delivery_for(sessions, slack, metrics), sessions)
    blocks = slack.channel(CHANNEL).messages[0].blocks
    assert blocks[-1]["type"] == "context" and "21 more lines" in blocks[-1]["elements"][0]["text"]


def test_a_busy_channel_does_not_starve_the_others(sessions, slack, metrics) -> None:
    with sessions() as session, session.begin():
        for i in range(30):
            enqueue(session, channel=CHANNEL, text=f"lab {i}")
        enqueue(session, channel="C0OTHER", text="other news")
    delivery = delivery_for(sessions, slack, metrics, min_interval_per_channel=1.0, batch_size=10)
    for _ in range(3):
        delivery.tick()
        time.sleep(0.1)
    assert [m.text for m in slack.channel("C0OTHER").messages] == ["other news"]
    assert [m.text for m in slack.channel(CHANNEL).messages] == ["lab 0"]


def test_a_client_that_would_sleep_through_retry_after_is_not_allowed_to(sessions, slack, metrics) -> None:
    settings = Settings(slack_bot_token="xoxb-test", slack_api_url=slack.base_url)
    delivery = OutboxDelivery(session_factory=sessions, client=slack_client(settings, metrics), worker_id="w1",
                              metrics=metrics, min_interval_per_channel=0.0)
    with sessions() as session, session.begin():
        enqueue(session, channel=CHANNEL, text="hello")
    slack.rate_limit("chat.postMessage", times=1, retry_after=30)
    started = time.monotonic()
    delivery.tick()
    assert time.monotonic() - started < 5                        # did not sleep 30 s in the tick
    assert [c.status for c in slack.calls("chat.postMessage")] == [429]
    assert 'fuelbot_outbox_deliveries_total{outcome="rate_limited"} 1.0' in metrics.render().decode()


def test_a_parent_edited_before_it_was_ever_posted_still_creates_the_thread(sessions, slack, metrics):
    """Queued → running → done all wait in the parent slot with a reply between them: the first
    parent is posted (it makes the thread), the reply lands in it, the last edit wins."""
    with sessions() as session, session.begin():
        job = submit(session, kind=JobKind.STATUS, requester="U1", channel=CHANNEL).job
        announce(session, job)
        job_id = job.id
    reporter = OutboxReporter(session_factory=sessions, job_id=job_id, channel=CHANNEL)
    reporter.parent("running")
    reporter.say("lab1: operational")
    reporter.parent("done")
    drain(delivery_for(sessions, slack, metrics), sessions)
    with sessions() as session:
        thread_ts = session.get(Job, job_id).thread_ts
    parent = slack.channel(CHANNEL).message(thread_ts)
    assert parent.text == "done" and [r.text for r in parent.replies] == ["lab1: operational"]
    assert len(slack.calls("chat.postMessage")) == 2
