"""fuelbot over Socket Mode end to end: ``serve_socket_mode`` dials LocalSlack's LocalSocket.

The real Bolt app and handlers, configured as ``app.py serve`` is with ``SLACK_APP_TOKEN`` (no
signing secret); Slack's part is played by LocalSlack (``apps.connections.open``) and its
LocalSocket (envelopes in, acks out). Nothing is mocked.
"""
from __future__ import annotations

from typing import Iterator
from urllib.parse import parse_qsl

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from sim.slack.workspace import LocalSlack
from sim.slack.socket_mode import LocalSocket
from bot.metrics import Metrics
from bot.slack_app import build_app
from sim.slack.signing import slash_command_form
from bot.web import serve_socket_mode
from commands.api import CommandServices, LabCatalog
from core.settings import Settings
from labspec.catalog import load_labs
from store.models import Job
from tests.fixtures.slack import ALICE, BOB, CHANNEL, LABS_DIR, policy_for_tests

APP_TOKEN = "xapp-local-test"


@pytest.fixture
def socket(sessions: sessionmaker[Session], local_slack: LocalSlack) -> Iterator[LocalSocket]:
    """The bot connected over Socket Mode; yields the LocalSocket that plays Slack."""
    settings = Settings(slack_bot_token="xoxb-local-test", slack_app_token=APP_TOKEN,
                        slack_api_url=local_slack.base_url)
    services = CommandServices(session_factory=sessions, policy=policy_for_tests(),
                               labs=LabCatalog(load=lambda: load_labs(LABS_DIR, {})))
    app = build_app(settings=settings, services=services, metrics=Metrics(session_factory=sessions),
                    client=WebClient(token="xoxb-local-test", base_url=local_slack.base_url))
    handle = serve_socket_mode(app, APP_TOKEN)
    try:
        yield local_slack.socket
    finally:
        local_slack.socket.stop()   # EOF first, so the client's blocked recv returns at once
        handle.stop()


def fuel(socket: LocalSocket, slack: LocalSlack, text: str, user: str = ALICE, *,
         trigger_id: str | None = None) -> dict:
    """Deliver ``/fuel <text>`` as a ``slash_commands`` envelope; the payload of the app's ack."""
    payload = dict(parse_qsl(slash_command_form(
        text=text, user_id=user, channel_id=CHANNEL, channel_name="lab", team_id=slack.team_id,
        response_url=slack.new_response_url(channel=CHANNEL, user=user), trigger_id=trigger_id)))
    envelope_id = socket.send_envelope("slash_commands", payload)
    ack = socket.wait_for_ack(envelope_id, timeout=5)
    assert ack.payload is not None, f"/fuel {text}: bare ack, no answer"
    return ack.payload


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
