"""LocalSocket holds an app's acks to Slack's contract (``sim.slack.envelopes`` cites the sources).

The app here is slack_sdk's own built-in Socket Mode client, driven by hand: it records what
Slack sends and acks only when a test says so.
"""
from __future__ import annotations

import json
import threading
from typing import Any, Iterator

import pytest
from slack_sdk import WebClient
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.response import SocketModeResponse

from sim.slack.socket_mode import LocalSocket
from sim.slack.workspace import LocalSlack
from tests.fixtures.slack import APP_TOKEN, CHANNEL


class RawApp:
    """A Socket Mode connection that records every envelope and never acks by itself."""

    def __init__(self, slack: LocalSlack) -> None:
        self.received: list[dict[str, Any]] = []
        self._cond = threading.Condition()
        self.client = SocketModeClient(app_token=APP_TOKEN, web_client=WebClient(base_url=slack.base_url))
        self.client.message_listeners.append(self._record)

    def _record(self, _client: object, message: dict[str, Any], _raw: str | None) -> None:
        if "envelope_id" in message:
            with self._cond:
                self.received.append(message)
                self._cond.notify_all()

    def wait_for(self, count: int, timeout: float) -> list[dict[str, Any]]:
        with self._cond:
            assert self._cond.wait_for(lambda: len(self.received) >= count, timeout), self.received
            return list(self.received)

    def ack(self, envelope_id: str, payload: dict[str, Any] | None = None) -> None:
        self.client.send_socket_mode_response(SocketModeResponse(envelope_id=envelope_id, payload=payload))


@pytest.fixture
def raw_app(local_slack: LocalSlack) -> Iterator[RawApp]:
    app = RawApp(local_slack)
    app.client.connect()
    assert local_slack.socket.wait_for_connections(1)
    try:
        yield app
    finally:
        local_slack.socket.stop()
        app.client.close()


CLICK = {"type": "block_actions", "user": {"id": "UALICE01"}, "actions": []}


@pytest.mark.parametrize("kind, payload, accepts", [
    ("slash_commands", {"command": "/fuel", "text": "help", "channel_id": CHANNEL, "user_id": "UALICE01"}, True),
    ("interactive", CLICK, False),
    ("interactive", {"type": "view_submission"}, True),
    ("events_api", {"type": "event_callback", "event_id": "Ev1"}, False),
])
def test_envelopes_are_shaped_as_slack_s(raw_app: RawApp, local_slack: LocalSlack, kind: str,
                                          payload: dict[str, Any], accepts: bool) -> None:
    envelope_id = local_slack.socket.send_envelope(kind, payload)
    [envelope] = raw_app.wait_for(1, timeout=3)
    assert envelope == {"envelope_id": envelope_id, "type": kind, "payload": payload,
                        "accepts_response_payload": accepts,
                        **({"retry_attempt": 0, "retry_reason": ""} if kind == "events_api" else {})}
    raw_app.ack(envelope_id)
    local_slack.socket.wait_for_ack(envelope_id, timeout=3)


@pytest.mark.parametrize("kind, payload, retry_fields", [
    ("interactive", CLICK, {}),
    ("events_api", {"type": "event_callback", "event_id": "Ev1"}, {"retry_attempt": 1, "retry_reason": "timeout"}),
])
def test_an_envelope_not_acked_within_3_s_is_a_violation_and_comes_again(
        raw_app: RawApp, local_slack: LocalSlack, kind: str, payload: dict[str, Any],
        retry_fields: dict[str, Any]) -> None:
    envelope_id = local_slack.socket.send_envelope(kind, payload)
    first, again = raw_app.wait_for(2, timeout=5)
    assert again["envelope_id"] == first["envelope_id"] == envelope_id and again["payload"] == payload
    assert {k: again[k] for k in ("retry_attempt", "retry_reason") if k in again} == retry_fields
    [violation] = local_slack.take_violations()
    assert (violation.method, violation.rule) == ("socket", "ack_late") and envelope_id in violation.detail
    raw_app.ack(envelope_id)
    local_slack.socket.wait_for_ack(envelope_id, timeout=3)
    assert len(local_slack.socket.wait_for_deliveries(envelope_id, 2)) == 2


def test_an_ack_must_name_an_envelope_slack_sent(raw_app: RawApp, local_slack: LocalSlack) -> None:
    envelope_id = local_slack.socket.send_envelope("interactive", CLICK)
    raw_app.wait_for(1, timeout=3)
    raw_app.client.send_message(json.dumps({"payload": {}}))        # no envelope_id at all
    raw_app.ack("0b6e4c2e-not-sent-by-slack")
    raw_app.ack(envelope_id)
    local_slack.socket.wait_for_ack(envelope_id, timeout=3)
    assert [v.rule for v in local_slack.take_violations()] == ["unknown_envelope", "unknown_envelope"]


def test_a_payload_in_the_ack_of_a_click_is_ignored_by_slack_and_flagged(raw_app: RawApp,
                                                                         local_slack: LocalSlack) -> None:
    envelope_id = local_slack.socket.send_envelope("interactive", CLICK)
    raw_app.wait_for(1, timeout=3)
    raw_app.ack(envelope_id, {"text": "Done"})
    local_slack.socket.wait_for_ack(envelope_id, timeout=3)
    assert [v.rule for v in local_slack.take_violations()] == ["payload_not_accepted"]
    assert local_slack.channel(CHANNEL).ephemerals == ()           # nothing shown


def test_a_slash_command_s_answer_in_its_ack_is_shown_to_the_person(raw_app: RawApp, local_slack: LocalSlack) -> None:
    command = {"command": "/fuel", "text": "help", "channel_id": CHANNEL, "user_id": "UALICE01"}
    envelope_id = local_slack.socket.send_envelope("slash_commands", command)
    raw_app.wait_for(1, timeout=3)
    raw_app.ack(envelope_id, {"response_type": "ephemeral", "text": "Here is help"})
    local_slack.socket.wait_for_ack(envelope_id, timeout=3)
    assert local_slack.wait_for(lambda: bool(local_slack.channel(CHANNEL).ephemerals_for("UALICE01")), timeout=3)
    assert [e.text for e in local_slack.channel(CHANNEL).ephemerals_for("UALICE01")] == ["Here is help"]


@pytest.mark.parametrize("kind, payload", [("hello", {}), ("interactive", {"type": "button_click"})])
def test_slack_sends_only_its_own_envelope_and_interaction_types(local_slack: LocalSlack, kind: str,
                                                                payload: dict[str, Any]) -> None:
    socket: LocalSocket = local_slack.socket
    with pytest.raises(ValueError, match="envelope types are|interactive envelope carries"):
        socket.send_envelope(kind, payload, timeout=0.1)
