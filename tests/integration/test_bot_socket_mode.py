"""fuelbot over Socket Mode end to end: ``serve_socket_mode`` dials LocalSlack's LocalSocket.

The real Bolt app and handlers, configured as ``app.py serve`` is with ``SLACK_APP_TOKEN`` (no
signing secret); Slack's part is played by LocalSlack (``apps.connections.open``) and its
LocalSocket (envelopes in, acks out, pings, disconnect messages, silent drops). Nothing is mocked.
"""
from __future__ import annotations

import logging
import time

import pytest
from slack_sdk.socket_mode.builtin.connection import Connection
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from sim.slack.workspace import LocalSlack
from sim.slack.socket_mode import LocalSocket
from bot.metrics import Metrics
from sim.slack.signing import slash_command_form
from bot.socket_mode import MAX_CONNECTIONS_PER_APP, ResilientSocketModeHandler
from bot.web import FuelbotWSGI, serve_http
from sim.slack.signing import post_signed
from store.models import Job
from tests.fixtures.slack import ALICE, APP_TOKEN, BOB, CHANNEL, socket_app
from tests.fixtures.slack import socket_command as fuel


def jobs(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(Job))


def test_the_bot_opens_its_connection_with_the_app_token(socket: LocalSocket, local_slack: LocalSlack) -> None:
    opened = local_slack.calls("apps.connections.open")
    assert [(c.status, c.error) for c in opened] == [(200, None)]
    assert socket.connected == 1


def test_help_is_acked_with_an_ephemeral_list_of_commands(socket: LocalSocket, local_slack: LocalSlack) -> None:
    reply = fuel(socket, local_slack, "help")
    assert reply["response_type"] == "ephemeral"
    for command in ("deploy", "destroy", "jobs", "labs"):
        assert command in reply["text"] + str(reply.get("blocks")), command


def test_deploy_makes_one_job_even_when_the_envelope_is_redelivered(
        socket: LocalSocket, local_slack: LocalSlack, sessions: sessionmaker[Session]) -> None:
    # Slack never retries a slash command (retry_attempt is for events_api envelopes), but the same
    # delivery may still reach the app twice (a second connection during a refresh).
    first = fuel(socket, local_slack, "deploy lab1", trigger_id="1.2.socket")
    again = fuel(socket, local_slack, "deploy lab1", trigger_id="1.2.socket")
    assert first["text"] == "Deploy of *lab1* queued as job *#1*. Follow it in the thread below."
    assert "#1" in again["text"]
    assert jobs(sessions) == 1


def test_a_viewer_asking_to_destroy_is_told_it_takes_an_admin(
        socket: LocalSocket, local_slack: LocalSlack, sessions: sessionmaker[Session]) -> None:
    reply = fuel(socket, local_slack, "destroy lab1", user=BOB)
    assert reply["response_type"] == "ephemeral"
    assert "admin" in reply["text"]
    assert jobs(sessions) == 0


def test_the_app_token_alone_opens_connections(local_slack: LocalSlack) -> None:
    client = WebClient(token="xoxb-local-test", base_url=local_slack.base_url)
    with pytest.raises(SlackApiError) as refused:
        client.api_call("apps.connections.open", http_verb="POST")   # the bot token: refused
    assert refused.value.response["error"] == "not_allowed_token_type"
    assert [v.rule for v in local_slack.take_violations()] == ["token_type"]
    url = client.apps_connections_open(app_token=APP_TOKEN)["url"]
    assert url.startswith("ws://127.0.0.1:")


def test_slack_s_pings_are_answered(socket: LocalSocket) -> None:
    socket.ping_all()
    deadline = time.monotonic() + 5
    while socket.pongs == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert socket.pongs >= 1


def test_a_silently_dropped_connection_is_replaced_within_ten_seconds(socket: LocalSocket,
                                                                       local_slack: LocalSlack) -> None:
    assert socket.wait_for_accepted(1, timeout=5)
    dropped_at = time.monotonic()
    socket.drop_silently()                      # half-open: no FIN, no pong, no envelope
    assert socket.wait_for_accepted(2, timeout=10), "no new connection within 10 s"
    assert time.monotonic() - dropped_at < 10
    assert "queued as job" in fuel(socket, local_slack, "deploy lab1")["text"]
    assert len(local_slack.calls("apps.connections.open")) == 2


@pytest.mark.parametrize("reason", ["warning", "refresh_requested"])
def test_a_refresh_opens_the_next_connection_at_once(socket: LocalSocket, local_slack: LocalSlack,
                                                     reason: str) -> None:
    assert socket.wait_for_accepted(1, timeout=5)
    socket.disconnect(reason)
    assert socket.wait_for_accepted(2, timeout=3)
    assert fuel(socket, local_slack, "help")["response_type"] == "ephemeral"
    deadline = time.monotonic() + 5                # the old connection is closed: one remains
    while socket.connected != 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert socket.connected == 1


def test_link_disabled_is_reported_and_retried_slowly_until_switched_back_on(
        sessions: sessionmaker[Session], local_slack: LocalSlack, caplog) -> None:
    now = [1000.0]
    handler = ResilientSocketModeHandler(socket_app(sessions, local_slack), APP_TOKEN)
    handler.client._clock = lambda: now[0]      # the hold's clock; the SDK's threads keep real time
    handler.connect()
    socket = local_slack.socket
    try:
        assert socket.wait_for_accepted(1, timeout=5)
        with caplog.at_level(logging.ERROR, logger="bot.socket_mode"):
            socket.disconnect("link_disabled")
            time.sleep(4)                          # two ping intervals and more: no reconnect storm
        assert handler.client.last_disconnect == "link_disabled"
        assert len(local_slack.calls("apps.connections.open")) == 1
        assert "Socket Mode is switched off" in caplog.text
        socket.enable_link()
        now[0] += 61                               # the minute's hold is over
        assert socket.wait_for_accepted(2, timeout=10)
        assert fuel(socket, local_slack, "help")["response_type"] == "ephemeral"
    finally:
        socket.stop()
        handler.close()


def test_an_eleventh_connection_is_refused_and_not_retried_at_once(
        sessions: sessionmaker[Session], local_slack: LocalSlack, caplog) -> None:
    socket = local_slack.socket
    others = [Connection(url=socket.issue_url(), logger=logging.getLogger("other-process"))
              for _ in range(MAX_CONNECTIONS_PER_APP)]
    for other in others:
        other.connect()
    assert socket.wait_for_connections(MAX_CONNECTIONS_PER_APP)
    handler = ResilientSocketModeHandler(socket_app(sessions, local_slack), APP_TOKEN)
    try:
        with caplog.at_level(logging.ERROR, logger="bot.socket_mode"):
            handler.connect()
            deadline = time.monotonic() + 5
            while handler.client.last_disconnect is None and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(3)
        assert handler.client.last_disconnect == "too_many_websockets"
        assert len(local_slack.calls("apps.connections.open")) == 1     # waits 30 s before trying again
        assert "Slack's limit" in caplog.text and "worker" in caplog.text
    finally:
        socket.stop()
        handler.close()
        for other in others:
            other.close()


def test_the_http_events_route_is_404_without_a_signing_secret(sessions: sessionmaker[Session],
                                                                local_slack: LocalSlack) -> None:
    wsgi = FuelbotWSGI(app=socket_app(sessions, local_slack), metrics=Metrics(), session_factory=sessions,
                       signing_secret=None)
    server = serve_http(wsgi, "127.0.0.1", 0)
    try:
        body = slash_command_form(text="help", user_id=ALICE, channel_id=CHANNEL, channel_name="lab",
                                  team_id=local_slack.team_id, response_url="http://127.0.0.1:9/hooks/x")
        assert post_signed(f"{server.url}/slack/events", body, secret="anything").status == 404
    finally:
        server.stop()
