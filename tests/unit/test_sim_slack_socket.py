"""sim.slack.socket_mode: LocalSocket refuses to play Slack in ways Slack never does."""
from __future__ import annotations

import pytest

from sim.slack.socket_mode import LocalSocket


@pytest.fixture
def socket():
    local = LocalSocket().start()
    yield local
    local.stop()


@pytest.mark.parametrize("kind", ["slash_commands", "interactive"])
def test_retry_attempt_is_only_for_events_api_envelopes(socket: LocalSocket, kind: str) -> None:
    with pytest.raises(ValueError, match="only on events_api"):
        socket.send_envelope(kind, {"type": "block_actions"}, retry_attempt=1, timeout=0.1)


def test_disconnect_reasons_are_slack_s(socket: LocalSocket) -> None:
    with pytest.raises(ValueError, match="warning, refresh_requested, link_disabled, too_many_websockets"):
        socket.disconnect("bored")


def test_a_url_works_once(socket: LocalSocket) -> None:
    url = socket.issue_url()
    ticket = url.split("ticket=")[1].split("&")[0]
    assert socket.admit(ticket) is None and socket.admit(ticket) == "401 Unauthorized"
