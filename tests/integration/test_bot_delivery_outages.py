"""bot.delivery when Slack is unwell: an outage loses nothing, a job has one parent, the last state wins.

LocalSlack plays the outage (every call answers 503, or loses its connection, for as long as the
test says), a post that reaches Slack but answers 500, and a post whose answer comes after the
client's timeout. The delivery runs on a fast backoff instead of real minutes.
"""
from __future__ import annotations

import logging
import time

import pytest
from slack_sdk import WebClient
from sqlalchemy import select

from bot.delivery import OutboxDelivery
from bot.metrics import Metrics
from bot.slack_client import slack_client
from core.settings import Settings
from jobs.announce import announce
from jobs.outbox import OutboxState, Placement, dm_with, enqueue
from jobs.queue import submit
from jobs.reporter import OutboxReporter
from jobs.states import JobKind
from sim.slack.workspace import LocalSlack
from store.models import Job, OutboxMessage
from tests.fixtures.slack import assert_no_violations

CHANNEL = "C0LAB"
RATE_SCALE = 100.0
OLD_GIVE_UP = 8                  # attempts after which the outbox used to drop a message


@pytest.fixture
def slack():
    with LocalSlack(channels={CHANNEL: "lab", "C0OTHER": "other"}, rate_scale=RATE_SCALE) as local:
        yield local
        assert_no_violations(local)


@pytest.fixture
def metrics(sessions) -> Metrics:
    return Metrics(session_factory=sessions)


def delivery_for(sessions, slack: LocalSlack, metrics: Metrics, *, timeout: int = 30, **options) -> OutboxDelivery:
    settings = Settings(slack_bot_token="xoxb-test", slack_api_url=slack.base_url)
    client: WebClient = slack_client(settings, metrics, wait_on_rate_limit=False, timeout=timeout)
    options.setdefault("min_interval_per_channel", 1.0 / RATE_SCALE)
    options.setdefault("updates_per_minute", 50 * RATE_SCALE)
    options.setdefault("backoff", lambda attempt: 0.01)
    return OutboxDelivery(session_factory=sessions, client=client, worker_id="w1", metrics=metrics, **options)


def drain(delivery: OutboxDelivery, sessions, *, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        delivery.tick()
        with sessions() as session:
            if session.scalar(select(OutboxMessage.id).where(OutboxMessage.state.in_(
                    [OutboxState.PENDING.value, OutboxState.SENDING.value])).limit(1)) is None:
                return
        time.sleep(0.02)
    raise AssertionError("the outbox did not drain")


def new_job(sessions, kind: JobKind = JobKind.DEPLOY, lab: str = "lab1") -> int:
    with sessions() as session, session.begin():
        job = submit(session, kind=kind, requester="UALICE01", lab=lab, channel=CHANNEL).job
        announce(session, job)
        return job.id


def rows(sessions) -> list[OutboxMessage]:
    with sessions() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def parents(slack: LocalSlack, channel: str = CHANNEL) -> list:
    """The channel's top-level messages (here: job parents)."""
    return list(slack.channel(channel).messages)


@pytest.mark.parametrize("outage", [{"status": 503, "error": "service_unavailable"},
                                    {"status": 500, "error": "internal_error"}, {"drop": True}],
                         ids=["503", "500", "dropped"])
def test_an_outage_longer_than_the_old_give_up_loses_nothing_and_keeps_the_order(
        sessions, slack, metrics, caplog, outage) -> None:
    job_id = new_job(sessions)
    reporter = OutboxReporter(session_factory=sessions, job_id=job_id, channel=CHANNEL, progress_interval=0)
    with sessions() as session, session.begin():
        enqueue(session, channel="C0OTHER", text="other news 0")
    slack.outage(**outage)
    delivery = delivery_for(sessions, slack, metrics)
    caplog.set_level(logging.INFO, logger="bot.delivery_failures")
    for step in range(5):
        reporter.say(f"step {step}")
        reporter.progress(f"Deploying — {step * 20}%")
    with sessions() as session, session.begin():
        enqueue(session, channel="C0OTHER", text="other news 1")
    deadline = time.monotonic() + 20
    heads = lambda: [m for m in rows(sessions) if m.retries]       # noqa: E731 - the messages Slack was asked for
    while len(heads()) < 2 or min(m.retries for m in heads()) <= OLD_GIVE_UP:   # each channel's first message
        assert time.monotonic() < deadline, "the outbox stopped trying"
        delivery.tick()
        time.sleep(0.01)
    assert slack.channel(CHANNEL).messages == () and slack.channel("C0OTHER").messages == ()
    assert all(m.state in (OutboxState.PENDING, OutboxState.SUPERSEDED) and m.attempts == 0 for m in rows(sessions))
    assert 'fuelbot_outbox_deliveries_total{outcome="retrying"}' in metrics.render().decode()
    assert any("Slack unavailable" in r.getMessage() and "for as long as it takes" in r.getMessage()
               for r in caplog.records)
    slack.restore()
    drain(delivery, sessions)
    [parent] = parents(slack)
    assert parent.text.startswith("⏳") and f"job #{job_id}" in parent.text
    replies = [r.text for r in parent.replies]
    assert replies == ["step 0", "Deploying — 80%", "step 1", "step 2", "step 3", "step 4"]
    assert [m.text for m in slack.channel("C0OTHER").messages] == ["other news 0", "other news 1"]
    assert not [m for m in rows(sessions) if m.state == OutboxState.DEAD]


def test_a_reply_waiting_for_its_parent_spends_no_attempts(sessions, slack, metrics) -> None:
    job_id = new_job(sessions)
    OutboxReporter(session_factory=sessions, job_id=job_id, channel=CHANNEL).say("first words")
    slack.fail("chat.postMessage", error="service_unavailable", status=503, times=OLD_GIVE_UP + 2)
    drain(delivery_for(sessions, slack, metrics), sessions)
    parent, reply = rows(sessions)
    assert (parent.attempts, parent.retries) == (0, OLD_GIVE_UP + 2)
    assert (reply.state, reply.attempts, reply.retries) == (OutboxState.SENT, 0, 0)
    assert [r.text for r in slack.channel(CHANNEL).messages[0].replies] == ["first words"]


@pytest.mark.parametrize("fault", ["500 after posting", "500 before posting", "timeout after posting"])
def test_one_failed_first_post_leaves_one_parent_showing_the_last_state(sessions, slack, metrics, fault) -> None:
    job_id = new_job(sessions, JobKind.STATUS)
    reporter = OutboxReporter(session_factory=sessions, job_id=job_id, channel=CHANNEL)
    if fault == "timeout after posting":
        slack.slow("chat.postMessage", seconds=2.5)
    else:
        slack.fail("chat.postMessage", error="internal_error", status=500, after=fault == "500 after posting")
    delivery = delivery_for(sessions, slack, metrics, timeout=1)
    delivery.tick()                                   # the first post of "queued" fails (or never answers)
    reporter.parent("🔄 running")
    reporter.say("lab1: operational")
    reporter.parent("✅ done")
    drain(delivery, sessions, timeout=20)
    [parent] = parents(slack)
    assert parent.text == "✅ done" and [r.text for r in parent.replies] == ["lab1: operational"]
    with sessions() as session:
        assert session.get(Job, job_id).thread_ts == parent.ts
    if fault != "500 before posting":                 # it was in Slack: found by its metadata, then edited
        assert len(slack.calls("conversations.history")) >= 1
        assert 'fuelbot_outbox_deliveries_total{outcome="found"} 1.0' in metrics.render().decode()


def test_a_slow_slack_never_makes_a_second_parent_and_an_old_state_never_returns(sessions, slack, metrics) -> None:
    job_id = new_job(sessions)
    reporter = OutboxReporter(session_factory=sessions, job_id=job_id, channel=CHANNEL)
    slack.slow("chat.postMessage", seconds=1.5, times=3)   # each post lands, its answer comes too late
    delivery = delivery_for(sessions, slack, metrics, timeout=1)
    for word in ("🔄 running", "🔄 running · 40%", "✅ deployed"):
        delivery.tick()
        reporter.parent(word)
    drain(delivery, sessions, timeout=30)
    [parent] = parents(slack)
    assert parent.text == "✅ deployed"
    states = ["⏳", "🔄 running", "🔄 running · 40%", "✅ deployed"]
    landed = [next(i for i, s in reversed(list(enumerate(states))) if str(c.params.get("text")).startswith(s))
              for c in slack.calls() if c.method in ("chat.postMessage", "chat.update") and c.took_effect]
    assert landed == sorted(landed) and landed[-1] == 3          # the words only ever moved forward
    assert slack.calls("conversations.history")                 # each post in doubt was looked for first


def test_an_edit_queued_after_a_newer_one_was_sent_never_overwrites_it(sessions, slack, metrics) -> None:
    job_id = new_job(sessions)
    delivery = delivery_for(sessions, slack, metrics)
    drain(delivery, sessions)
    reporter = OutboxReporter(session_factory=sessions, job_id=job_id, channel=CHANNEL)
    slack.fail("chat.update", error="fatal_error")        # the "running" edit fails once, and retries later
    reporter.parent("🔄 running")
    delivery.tick()
    reporter.parent("✅ deployed")
    drain(delivery, sessions)
    [parent] = parents(slack)
    assert parent.text == "✅ deployed"
    assert [c.params["text"] for c in slack.calls("chat.update") if c.took_effect] == ["✅ deployed"]


@pytest.mark.parametrize("error, reason", [("restricted_action", "Slack refused it (`restricted_action`)"),
                                           ("invalid_auth", "fuelbot's Slack token is not valid any more")])
def test_an_error_no_retry_cures_gives_the_message_up_at_once_and_tells_the_requester(
        sessions, slack, metrics, error: str, reason: str) -> None:
    job_id = new_job(sessions)
    delivery = delivery_for(sessions, slack, metrics)
    drain(delivery, sessions)
    reporter = OutboxReporter(session_factory=sessions, job_id=job_id, channel=CHANNEL)
    slack.fail("chat.postMessage", error=error)
    reporter.say("1. Preflight: 7 ok")
    reporter.say("2. vSphere ready")
    drain(delivery, sessions)
    given_up = [m for m in rows(sessions) if m.state == OutboxState.DEAD]
    assert [(m.text, m.attempts, m.error) for m in given_up] == [("1. Preflight: 7 ok", 1, error)]
    assert [r.text for r in parents(slack)[0].replies] == ["2. vSphere ready"]   # the thread goes on
    [notice] = slack.channel(slack.open_im("UALICE01")).messages
    assert f"a message of job *#{job_id}*" in notice.text and reason in notice.text


def test_a_message_too_long_is_sent_shortened_once_then_given_up(sessions, slack, metrics) -> None:
    job_id = new_job(sessions)
    delivery = delivery_for(sessions, slack, metrics)
    drain(delivery, sessions)
    reporter = OutboxReporter(session_factory=sessions, job_id=job_id, channel=CHANNEL)
    slack.fail("chat.postMessage", error="msg_too_long")
    time.sleep(0.05)                          # past the channel's post interval: the retry is not a 429
    reporter.say("x" * 2500)
    drain(delivery, sessions)
    [shortened] = parents(slack)[0].replies
    assert shortened.text.endswith("(shortened: too long for Slack)") and len(shortened.text) < 1100
    slack.fail("chat.postMessage", error="msg_too_long", times=2)
    time.sleep(0.05)
    reporter.say("y" * 2500)
    drain(delivery, sessions)
    assert [m.error for m in rows(sessions) if m.state == OutboxState.DEAD] == ["msg_too_long"]
    [notice] = slack.channel(slack.open_im("UALICE01")).messages
    assert "too long for Slack, even shortened" in notice.text


# -- answers to people: their own lane, ahead of the channel's traffic ----------------------------
def test_an_answer_goes_first_however_busy_the_channel_and_its_edits_are(sessions, slack, metrics) -> None:
    jobs = [new_job(sessions, lab=f"lab{i}") for i in range(3)]
    delivery = delivery_for(sessions, slack, metrics, updates_per_minute=6.0, min_interval_per_channel=0.5)
    drain(delivery, sessions)                                      # three deploys' parents are up
    reporters = [OutboxReporter(session_factory=sessions, job_id=j, channel=CHANNEL, progress_interval=0)
                 for j in jobs]
    for percent in range(0, 100, 10):                              # edits far past the update allowance
        for reporter in reporters:
            reporter.progress(f"Deploying — {percent}%")
            reporter.say(f"news at {percent}%")
    with sessions() as session, session.begin():
        enqueue(session, channel=CHANNEL, text="📟 *lab1*: operational · 1 ready", placement=Placement.ANSWER,
                recipient="UBOB0001", body={"lines": ["node-1 `lab1-controller-1` · controller · ready"]})
    started = time.monotonic()
    delivery.tick()
    [answer] = slack.channel(CHANNEL).ephemerals_for("UBOB0001")
    assert answer.text == "📟 *lab1*: operational · 1 ready" and time.monotonic() - started < 2
    assert slack.calls("chat.postEphemeral")[0].params["user"] == "UBOB0001"
    assert not slack.channel(CHANNEL).ephemerals_for("UALICE01")           # nobody else sees it


def test_an_answer_where_fuelbot_cannot_show_it_goes_to_the_persons_dm(sessions, slack, metrics) -> None:
    from sim.slack.channels import Kind
    slack.add_channel("C0SECRET", "secret", kind=Kind.PRIVATE, members=["UBOB0001"], bot=False)
    with sessions() as session, session.begin():
        enqueue(session, channel="C0SECRET", text="📟 *lab1*: operational", placement=Placement.ANSWER,
                recipient="UBOB0001")
        enqueue(session, channel=dm_with("UBOB0001"), text="🖥️ *lab1*: 1 node(s)", placement=Placement.ANSWER,
                recipient="UBOB0001")
    drain(delivery_for(sessions, slack, metrics), sessions)
    dm = slack.channel(slack.open_im("UBOB0001"))
    assert [m.text for m in dm.messages] == ["📟 *lab1*: operational", "🖥️ *lab1*: 1 node(s)"]
    note = dm.messages[0].blocks[-1]["elements"][0]["text"]
    assert note == "You asked in <#C0SECRET>, where fuelbot cannot answer you; here is the answer."
    assert not [m for m in rows(sessions) if m.state == OutboxState.DEAD]
