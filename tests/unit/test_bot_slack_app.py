"""bot.slack_app with a stub command layer: what the edge does with replies, refusals and crashes.

The integration tests drive the real handlers; here a tiny stub lets the edge's own duties be
checked in isolation (the ack's shape, the apology for a crash, group lookup, event dedupe).
"""
from __future__ import annotations

import json
import logging
import time
from urllib.parse import urlencode

import pytest
from slack_bolt import BoltRequest
from slack_sdk import WebClient

from sim.slack.workspace import LocalSlack
from bot.metrics import Metrics
from bot.slack_app import SeenEvents, build_app, command_label
from sim.slack.signing import sign, slash_command_form
from commands.api import CommandServices, LabCatalog, Reply
from commands.authz import Policy
from commands.roles import Role
from core.errors import CommandError
from core.redact import register_secret
from core.settings import Settings

SECRET = "unit-test-signing-secret"


class StubHandlers:
    """Stands in for commands.handlers: records invocations, answers with ``behaviour``."""

    def __init__(self) -> None:
        self.invocations: list = []
        self.behaviour = lambda invocation: Reply(f"echo {getattr(invocation, 'text', None) or invocation.value}")

    def handle(self, invocation, services):
        self.invocations.append(invocation)
        return self.behaviour(invocation)

    def handle_action(self, action, services):
        self.invocations.append(action)
        return self.behaviour(action)


@pytest.fixture
def stub() -> StubHandlers:
    return StubHandlers()


@pytest.fixture
def slack():
    with LocalSlack(channels={"C1": "lab"}, usergroups={"SOPS": ["U1"]}) as local:
        yield local
        assert local.violations == []


def make_app(slack: LocalSlack, handlers: StubHandlers, *, groups: dict | None = None):
    metrics = Metrics()
    policy = Policy(groups={group: Role.from_label(role) for group, role in (groups or {}).items()})
    services = CommandServices(session_factory=lambda: None, labs=LabCatalog(load=lambda: ({}, [])), policy=policy)
    settings = Settings(slack_bot_token="xoxb-unit", slack_signing_secret=SECRET, slack_api_url=slack.base_url)
    client = WebClient(token="xoxb-unit", base_url=slack.base_url)
    return build_app(settings=settings, services=services, client=client, metrics=metrics,
                     handlers=handlers), metrics


def command(app, text: str, *, user: str = "U1", trigger_id: str = "T.1"):
    body = slash_command_form(text=text, user_id=user, channel_id="C1", channel_name="lab", team_id="T_LOCAL",
                              response_url="http://127.0.0.1:9/hooks/x", trigger_id=trigger_id)
    return app.dispatch(signed(body))


def signed(body: str, *, secret: str = SECRET, timestamp: int | None = None) -> BoltRequest:
    headers = {k.lower(): v for k, v in sign(body, secret=secret, timestamp=timestamp).items()}
    return BoltRequest(body=body, headers=headers)


def test_reply_becomes_an_ephemeral_ack_with_blocks(stub, slack) -> None:
    app, metrics = make_app(slack, stub)
    response = command(app, "jobs", trigger_id="123.456.abc")
    assert response.status == 200
    body = json.loads(response.body)
    assert body["response_type"] == "ephemeral" and body["text"] == "echo jobs"
    assert body["blocks"][0]["text"]["text"] == "echo jobs"
    invocation = stub.invocations[0]
    assert (invocation.user_id, invocation.channel_id, invocation.delivery_id) == ("U1", "C1", "123.456.abc")
    assert 'fuelbot_commands_total{command="jobs",outcome="ok"} 1.0' in metrics.render().decode()


def test_in_channel_reply(stub, slack) -> None:
    stub.behaviour = lambda invocation: Reply("for everyone", ephemeral=False)
    app, _ = make_app(slack, stub)
    assert json.loads(command(app, "digest").body)["response_type"] == "in_channel"


def test_a_crash_is_an_apology_with_a_reference_and_a_scrubbed_log(stub, slack, caplog) -> None:
    register_secret("hunter2-vcenter-password")

    def crash(invocation):
        raise RuntimeError("login failed with password hunter2-vcenter-password")
    stub.behaviour = crash
    app, metrics = make_app(slack, stub)
    with caplog.at_level(logging.ERROR, logger="bot.slack_app"):
        response = command(app, "deploy lab1")
    body = json.loads(response.body)
    assert response.status == 200
    assert body["text"].startswith("Something went wrong on fuelbot's side (ref ")
    assert "Traceback" not in response.body and "hunter2" not in response.body
    ref = body["text"].split("(ref ")[1].split(")")[0]
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert ref in logged and "Traceback" in logged and "hunter2" not in logged
    assert 'fuelbot_commands_total{command="deploy",outcome="error"} 1.0' in metrics.render().decode()


def test_a_fuelbot_error_is_shown_as_a_refusal(stub, slack) -> None:
    def refuse(invocation):
        raise CommandError("No lab named `lab9`. Labs: lab1, lab2.")
    stub.behaviour = refuse
    app, metrics = make_app(slack, stub)
    assert json.loads(command(app, "deploy lab9").body)["text"] == "No lab named `lab9`. Labs: lab1, lab2."
    assert 'outcome="refused"' in metrics.render().decode()


def test_groups_are_looked_up_only_when_the_policy_grants_by_group(stub, slack) -> None:
    app, _ = make_app(slack, stub)
    command(app, "help")
    assert slack.calls("usergroups.users.list") == []
    app, _ = make_app(slack, stub, groups={"SOPS": "operator"})
    command(app, "help", user="U1")
    command(app, "help", user="U9")
    assert [i.user_groups for i in stub.invocations[1:]] == [frozenset({"SOPS"}), frozenset()]
    assert len(slack.calls("usergroups.users.list")) == 1        # cached


def test_button_click_is_acked_then_answered_on_the_response_url(stub, slack) -> None:
    app, metrics = make_app(slack, stub)
    hook = slack.new_response_url(channel="C1", user="U1")
    payload = {"type": "block_actions", "user": {"id": "U1"}, "channel": {"id": "C1"}, "team": {"id": "T_LOCAL"},
               "trigger_id": "9.9.9", "response_url": hook, "container": {"type": "message", "channel_id": "C1"},
               "actions": [{"action_id": "cancel_job:2", "block_id": "b", "value": "12", "type": "button"}]}
    body = urlencode({"payload": json.dumps(payload)})
    response = app.dispatch(signed(body))
    assert response.status == 200 and response.body == ""
    assert slack.wait_for(lambda: slack.channel("C1").ephemerals_for("U1"), timeout=5)
    action = stub.invocations[0]
    assert (action.action_id, action.value, action.delivery_id) == ("cancel_job", "12", "9.9.9")
    assert slack.channel("C1").ephemerals_for("U1")[0].text == "echo 12"
    assert 'fuelbot_actions_total{action="cancel_job",outcome="ok"} 1.0' in metrics.render().decode()


def test_event_ids_are_seen_once_within_the_ttl() -> None:
    now = [0.0]
    seen = SeenEvents(ttl=600, clock=lambda: now[0])
    assert seen.first_time("Ev1") and not seen.first_time("Ev1") and seen.first_time("Ev2")
    now[0] = 601
    assert seen.first_time("Ev1")


@pytest.mark.parametrize("text, label", [("", "help"), ("deploy lab1", "deploy"), ("Deploy lab1", "deploy"),
                                         ("schedule digest \"0 9 * * *\" UTC", "schedule digest"),
                                         ("deplyo lab1", "unknown"), ("💥" * 50, "unknown")])
def test_command_labels_are_bounded_to_the_catalog(text: str, label: str) -> None:
    assert command_label(text) == label


def test_signature_is_checked_by_bolt(stub, slack) -> None:
    app, _ = make_app(slack, stub)
    body = slash_command_form(text="help", user_id="U1", channel_id="C1", channel_name="lab", team_id="T",
                              response_url="http://127.0.0.1:9/hooks/x")
    assert app.dispatch(signed(body, secret="wrong")).status == 401
    assert app.dispatch(signed(body, timestamp=int(time.time()) - 301)).status == 401
    assert stub.invocations == []


def test_a_stalled_handler_is_acked_in_time_and_answered_later(stub, slack, monkeypatch) -> None:
    import bot.slack_app
    monkeypatch.setattr(bot.slack_app, "ACK_BUDGET_SECONDS", 0.2)

    def slow(invocation):
        time.sleep(0.6)
        return Reply("Deploy of *lab1* queued as job *#1*.")
    stub.behaviour = slow
    app, metrics = make_app(slack, stub)
    hook = slack.new_response_url(channel="C1", user="U1")
    body = slash_command_form(text="deploy lab1", user_id="U1", channel_id="C1", channel_name="lab",
                              team_id="T_LOCAL", response_url=hook, trigger_id="T.slow")
    started = time.monotonic()
    response = app.dispatch(signed(body))
    assert time.monotonic() - started < 0.5
    assert json.loads(response.body)["text"].startswith("⏳ Working on it")
    assert slack.wait_for(lambda: slack.channel("C1").ephemerals_for("U1"), timeout=5)
    assert slack.channel("C1").ephemerals_for("U1")[0].text == "Deploy of *lab1* queued as job *#1*."
    assert 'fuelbot_commands_total{command="deploy",outcome="ok"} 1.0' in metrics.render().decode()


def test_an_event_slack_sends_again_is_acked_without_being_handled_twice(stub, slack) -> None:
    app, _ = make_app(slack, stub)
    handled: list[str] = []
    app.event("app_mention")(lambda event: handled.append(event["text"]))
    envelope = json.dumps({"type": "event_callback", "team_id": "T_LOCAL", "api_app_id": "A_FUELBOT",
                           "event_id": "Ev0001", "event_time": int(time.time()),
                           "event": {"type": "app_mention", "user": "U1", "text": "<@UBOT> hi", "channel": "C1",
                                     "ts": "1.000001", "event_ts": "1.000001"}})
    headers = {k.lower(): v for k, v in sign(envelope, secret=SECRET).items()} | {"content-type": "application/json"}
    first = app.dispatch(BoltRequest(body=envelope, headers=headers))
    again = app.dispatch(BoltRequest(body=envelope, headers={**headers, "x-slack-retry-num": "1"}))
    assert (first.status, again.status, again.body) == (200, 200, "")
    deadline = time.monotonic() + 5
    while not handled and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.1)
    assert handled == ["<@UBOT> hi"]
