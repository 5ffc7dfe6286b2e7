"""fuelbot's Slack edge end to end: signed requests over HTTP to the served Bolt app, real handlers.

Reads as conversations where it can: Alice types ``/fuel deploy lab1``, the thread appears.
"""
from __future__ import annotations

import logging
import re
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.metrics import Metrics
from bot.web import FuelbotWSGI, serve_http
from jobs.reporter import OutboxReporter
from store.db import make_engine, session_factory
from store.models import Job, JobEvent, OutboxMessage
from tests.fixtures.slack import ALICE, BOB, CHANNEL, DAVE, BotStack


def count(sessions, model) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(model))


def metric(stack: BotStack, sample: str) -> float:
    status, text = stack.get("/metrics")
    match = re.search(rf"^{re.escape(sample)} (\S+)$", text, re.M)
    return float(match.group(1)) if match else 0.0


def test_every_command_is_acked_within_a_second_and_its_latency_recorded(bot_stack: BotStack) -> None:
    texts = ["help", "labs", "jobs", "deploy lab1", "deplyo lab1", "deploy lab9", "destroy lab1", ""]
    for text in texts:
        response = bot_stack.signed_command(text)
        assert response.status == 200, (text, response.body)
        assert response.elapsed < 1.0
        assert response.json()["response_type"] == "ephemeral"
    assert metric(bot_stack, 'fuelbot_ack_seconds_count{kind="command"}') == len(texts)
    assert metric(bot_stack, 'fuelbot_commands_total{command="deploy",outcome="ok"}') == 1
    assert metric(bot_stack, 'fuelbot_commands_total{command="unknown",outcome="refused"}') == 1
    assert metric(bot_stack, 'fuelbot_commands_total{command="deploy",outcome="refused"}') == 1   # lab9
    assert metric(bot_stack, 'fuelbot_commands_total{command="destroy",outcome="refused"}') == 1  # operator only


def test_deploy_conversation_parent_and_thread(bot_stack: BotStack) -> None:
    reply = bot_stack.signed_command("deploy lab1").json()
    assert reply["text"] == "Deploy of *lab1* queued as job *#1*. Follow it in the thread below."
    slack = bot_stack.local_slack
    assert slack.wait_for(lambda: len(slack.channel(CHANNEL).messages) == 1, timeout=5)
    OutboxReporter(session_factory=bot_stack.sessions, job_id=1, channel=CHANNEL).say("1. Preflight: 7 ok")
    assert slack.wait_for(lambda: slack.channel(CHANNEL).messages[0].replies, timeout=5)
    parent = slack.channel(CHANNEL).messages[0]
    assert "Deploy of *lab1* — job #1 by <@UALICE01>" in parent.text
    assert parent.replies[0].text == "1. Preflight: 7 ok" and parent.replies[0].thread_ts == parent.ts
    cancel = parent.blocks[-1]["elements"][0]
    assert (cancel["action_id"], cancel["value"], cancel["confirm"]["text"]["text"]) == ("cancel_job", "1",
                                                                                         "Cancel job #1?")


def test_bad_signature_and_stale_timestamp_are_401_and_leave_no_trace(bot_stack: BotStack) -> None:
    forged = bot_stack.signed_command("deploy lab1", secret="not-the-secret")
    stale = bot_stack.signed_command("deploy lab1", timestamp=int(time.time()) - 301)
    assert (forged.status, stale.status) == (401, 401)
    for model in (Job, JobEvent, OutboxMessage):
        assert count(bot_stack.sessions, model) == 0
    assert metric(bot_stack, 'fuelbot_ack_seconds_count{kind="command"}') == 0
    assert bot_stack.local_slack.calls("chat.postMessage") == []


def test_a_retried_delivery_makes_one_job(bot_stack: BotStack) -> None:
    first = bot_stack.signed_command("deploy lab1", trigger_id="1.2.retried")
    again = bot_stack.signed_command("deploy lab1", trigger_id="1.2.retried",
                                     headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
    assert (first.status, again.status) == (200, 200)
    assert count(bot_stack.sessions, Job) == 1
    assert "#1" in again.json()["text"]
    slack = bot_stack.local_slack
    slack.wait_for(lambda: slack.channel(CHANNEL).messages, timeout=5)
    time.sleep(0.3)
    assert len(slack.channel(CHANNEL).messages) == 1


def test_rate_limited_parent_is_posted_later(bot_stack: BotStack) -> None:
    slack = bot_stack.local_slack
    slack.rate_limit("chat.postMessage", times=1, retry_after=1)
    bot_stack.signed_command("deploy lab1")
    assert slack.wait_for(lambda: len(slack.channel(CHANNEL).messages) == 1, timeout=5)
    assert [c.status for c in slack.calls("chat.postMessage")] == [429, 200]
    assert metric(bot_stack, 'fuelbot_slack_rate_limited_total{method="chat.postMessage"}') == 1


def test_a_viewer_clicking_cancel_is_refused(bot_stack: BotStack) -> None:
    bot_stack.signed_command("deploy lab1")
    slack = bot_stack.local_slack
    assert slack.wait_for(lambda: slack.channel(CHANNEL).messages, timeout=5)
    parent_ts = slack.channel(CHANNEL).messages[0].ts
    assert bot_stack.click("cancel_job", "1", user=BOB, message_ts=parent_ts).status == 200
    assert slack.wait_for(lambda: slack.channel(CHANNEL).ephemerals_for(BOB), timeout=5)
    refusal = slack.channel(CHANNEL).ephemerals_for(BOB)[0].text
    assert "needs the *operator* role; you have *viewer*" in refusal
    with bot_stack.sessions() as session:
        assert session.get(Job, 1).state == "queued"
    assert metric(bot_stack, 'fuelbot_actions_total{action="cancel_job",outcome="refused"}') == 1


def test_a_group_member_may_click_cancel(bot_stack: BotStack) -> None:
    bot_stack.signed_command("deploy lab1")
    slack = bot_stack.local_slack
    assert bot_stack.click("cancel_job", "1", user=DAVE).status == 200
    assert slack.wait_for(lambda: slack.channel(CHANNEL).ephemerals_for(DAVE), timeout=5)
    with bot_stack.sessions() as session:
        assert session.get(Job, 1).state == "cancelled"
    assert slack.calls("usergroups.users.list")


def test_destroy_asks_with_a_danger_button_and_the_click_queues_it(bot_stack: BotStack) -> None:
    from tests.fixtures.slack import CAROL
    prompt = bot_stack.signed_command("destroy lab1", user=CAROL).json()
    button = prompt["blocks"][-1]["elements"][0]
    assert button["action_id"] == "confirm_destroy" and button["style"] == "danger" and "confirm" in button
    slack = bot_stack.local_slack
    [shown] = slack.channel(CHANNEL).ephemerals_for(CAROL)          # Slack shows the prompt to Carol alone
    bot_stack.click("confirm_destroy", button["value"], user=CAROL, ephemeral_ts=shown.id)
    # The click's answer takes the prompt's place: its button is gone and cannot be clicked again.
    assert slack.wait_for(lambda: "queued as job" in slack.channel(CHANNEL).ephemerals_for(CAROL)[0].text, timeout=5)
    [answer] = slack.channel(CHANNEL).ephemerals_for(CAROL)
    assert answer.id == shown.id and answer.text.startswith("Destroy of *lab1* queued as job *#1*")
    assert not [b for b in answer.blocks if b["type"] == "actions"]
    with bot_stack.sessions() as session:
        assert session.scalars(select(Job.kind)).all() == ["destroy"]


def test_a_replayed_confirmation_click_queues_nothing_and_says_so(bot_stack: BotStack) -> None:
    from tests.fixtures.slack import CAROL
    button = bot_stack.signed_command("destroy lab1", user=CAROL).json()["blocks"][-1]["elements"][0]
    slack = bot_stack.local_slack
    [shown] = slack.channel(CHANNEL).ephemerals_for(CAROL)
    bot_stack.click("confirm_destroy", button["value"], user=CAROL, ephemeral_ts=shown.id)
    assert slack.wait_for(lambda: "queued" in slack.channel(CHANNEL).ephemerals_for(CAROL)[0].text, timeout=5)
    bot_stack.click("confirm_destroy", button["value"], user=CAROL, ephemeral_ts=shown.id)   # replayed payload
    assert slack.wait_for(lambda: "already used" in slack.channel(CHANNEL).ephemerals_for(CAROL)[0].text, timeout=5)
    assert slack.channel(CHANNEL).ephemerals_for(CAROL)[0].text == \
        "This confirmation was already used (job *#1*); nothing more was done."
    with bot_stack.sessions() as session:
        assert session.scalars(select(Job.kind)).all() == ["destroy"]
        assert [e.kind for e in session.scalars(select(JobEvent).where(JobEvent.kind == "stale-click"))] == \
            ["stale-click"]


def test_a_click_on_a_channel_message_answers_the_clicker_alone(bot_stack: BotStack) -> None:
    bot_stack.signed_command("deploy lab1")
    slack = bot_stack.local_slack
    assert slack.wait_for(lambda: slack.channel(CHANNEL).messages, timeout=5)
    parent = slack.channel(CHANNEL).messages[0]
    bot_stack.click("cancel_job", "1", message_ts=parent.ts)
    assert slack.wait_for(lambda: len(slack.channel(CHANNEL).ephemerals_for(ALICE)) == 2, timeout=5)
    ack, answer = slack.channel(CHANNEL).ephemerals_for(ALICE)          # a new ephemeral, for Alice only
    assert ack.text.startswith("Deploy of *lab1* queued") and "cancelled before it started" in answer.text
    assert slack.channel(CHANNEL).message(parent.ts) is not None   # the job's parent is not replaced by it


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300)
       | st.sampled_from(["deploy lab1 --skip-health", "health lab1 smoke ha", "cancel #99999999999",
                          'schedule digest "0 9 * * mon-fri" Europe/Paris', "job -1", "help deploy",
                          "“deploy” lab1", "—fix", "unschedule 0", "nodes ../../etc/passwd"]))
def test_any_text_gets_a_200_ephemeral_answer_never_a_crash(bot_stack: BotStack, caplog, text: str) -> None:
    response = bot_stack.signed_command(text)
    assert response.status == 200
    body = response.json()
    assert body["response_type"] == "ephemeral" and body["text"]
    assert "Something went wrong" not in body["text"] and "Traceback" not in response.body
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_nothing_secret_reaches_the_logs(bot_stack: BotStack, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    bot_stack.signed_command("deploy lab1", secret="forged")              # Bolt logs forged bodies at INFO
    bot_stack.signed_command("deploy lab1")
    bot_stack.click("cancel_job", "1", user=BOB)
    slack = bot_stack.local_slack
    assert slack.wait_for(lambda: slack.channel(CHANNEL).ephemerals_for(BOB), timeout=5)
    for secret in (bot_stack.signing_secret, "xoxb-local-test", "/hooks/", "response_url"):
        assert secret not in caplog.text


def test_healthz_and_metrics(bot_stack: BotStack) -> None:
    bot_stack.signed_command("deploy lab1")
    status, health = bot_stack.get_json("/healthz")
    assert status == 200
    assert health["database"] == "ok" and health["scheduler"] == "running"
    assert isinstance(health["outbox_pending"], int)
    _, text = bot_stack.get("/metrics")
    for sample in ('fuelbot_database_up 1.0', 'fuelbot_jobs{state="queued"} 1.0', 'fuelbot_outbox_pending',
                   'fuelbot_ack_seconds_bucket{kind="command",le="0.5"}',
                   'fuelbot_commands_total{command="deploy",outcome="ok"} 1.0',
                   'fuelbot_slack_api_calls_total{method="auth.test"} 1.0'):
        assert sample in text
    assert bot_stack.get("/nope")[0] == 404


def test_healthz_is_503_when_the_database_is_down(bot_stack: BotStack) -> None:
    broken = session_factory(make_engine("postgresql+psycopg://fuelbot:pw@127.0.0.1:1/fuelbot"))
    wsgi = FuelbotWSGI(app=bot_stack.app, metrics=Metrics(session_factory=broken), session_factory=broken,
                       metrics_open=True)
    server = serve_http(wsgi, "127.0.0.1", 0)
    try:
        import json
        import urllib.error
        import urllib.request
        try:
            urllib.request.urlopen(f"{server.url}/healthz", timeout=10)
            raise AssertionError("expected 503")
        except urllib.error.HTTPError as exc:
            assert exc.code == 503
            body = json.loads(exc.read())
        assert body["status"] == "unavailable" and body["database"].startswith("error")
        with urllib.request.urlopen(f"{server.url}/metrics", timeout=10) as response:
            assert "fuelbot_database_up 0.0" in response.read().decode()
    finally:
        server.stop()
