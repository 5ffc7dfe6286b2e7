"""Socket Mode envelopes as Slack sends them, and what Slack does when their acks are late.

An envelope is ``{"envelope_id", "type", "payload", "accepts_response_payload"}``; the payload is
exactly what Slack would POST to a Request URL (a slash command's form fields as a dict, an
interaction's ``payload=`` JSON, an event callback). Sources:

* docs.slack.dev/apis/events-api/using-socket-mode (api.slack.com/apis/connections/socket-implement
  before): the envelope's fields; the app acknowledges each envelope by sending back its
  ``envelope_id`` (with a ``payload`` only where ``accepts_response_payload`` is true) within
  3 seconds.
* python-slack-sdk ``slack_sdk/socket_mode/request.py``: ``retry_attempt`` / ``retry_reason`` are
  marked ``# events_api``; its recorded envelopes (``tests/slack_sdk/socket_mode/
  mock_socket_mode_server.py``, ``test_builtin_message_parser.py``) carry ``"retry_attempt": 0,
  "retry_reason": ""`` on every ``events_api`` envelope, and none on ``interactive`` ones, whose
  ``accepts_response_payload`` is false for ``block_actions`` and ``shortcut``.
* Slack's platform support in github.com/slackapi/python-slack-sdk/issues/1280: when Slack does
  not get "the expected envelope_id within 3 seconds", it "end[s] up retrying your requests"; the
  capture in github.com/slackapi/bolt-js/issues/2487 shows a redelivery keeping its envelope_id.
  The Events API retries at once, after a minute and after five (api.slack.com/apis/connections/
  events-api#retries), which LocalSlack applies to every envelope type; only ``events_api`` ones
  say so in ``retry_attempt`` / ``retry_reason``. That Slack also redelivers an unacked
  ``interactive`` or ``slash_commands`` envelope is documented nowhere we found (over HTTP it
  shows the person an error instead): LocalSlack assumes it, the harsher case, so a click or
  command answered late must still do its work once.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ENVELOPE_TYPES = ("events_api", "slash_commands", "interactive")
ACK_SECONDS = 3.0
RETRY_DELAYS = (0.0, 60.0, 300.0)     # Slack's retries after a missed ack: at once, +1 min, +5 min
# Interactions whose ack may carry the answer (a view's errors or update, a menu's options); the
# others (block_actions, shortcut, message_action, view_closed) are answered through response_url
# or the Web API, and a payload in their ack is ignored by Slack.
PAYLOAD_INTERACTIONS = frozenset({"view_submission", "block_suggestion"})
INTERACTION_TYPES = frozenset({"block_actions", "block_suggestion", "view_submission", "view_closed",
                               "shortcut", "message_action"})


def accepts_response_payload(type: str, payload: dict[str, Any]) -> bool:
    """Whether Slack reads a ``payload`` in the ack of this envelope."""
    if type == "slash_commands":
        return True
    if type == "interactive":
        return payload.get("type") in PAYLOAD_INTERACTIONS
    return False


def check_envelope(type: str, payload: dict[str, Any]) -> None:
    """ValueError for an envelope Slack never sends."""
    if type not in ENVELOPE_TYPES:
        raise ValueError(f"Slack's Socket Mode envelope types are {', '.join(ENVELOPE_TYPES)}, not {type!r}")
    if type == "interactive" and payload.get("type") not in INTERACTION_TYPES:
        raise ValueError(f"an interactive envelope carries one of {', '.join(sorted(INTERACTION_TYPES))}, "
                         f"not {payload.get('type')!r}")


@dataclass
class Delivery:
    """One envelope and its deliveries until acked (or given up after the last retry)."""

    envelope_id: str
    type: str
    payload: dict[str, Any]
    accepts_payload: bool
    attempt: int = 0                   # 0: the first delivery; n: the nth retry
    deadline: float | None = None      # when the ack of the delivery in flight is due
    send_at: float | None = None       # when the next retry goes out (None: none waiting)
    retry_reason: str = "timeout"
    acked: bool = False
    given_up: bool = False
    sent: list[dict[str, Any]] = field(default_factory=list)    # every envelope put on the wire

    def envelope(self) -> dict[str, Any]:
        """The envelope for this attempt, as Slack writes it."""
        message: dict[str, Any] = {"envelope_id": self.envelope_id, "payload": self.payload, "type": self.type,
                                   "accepts_response_payload": self.accepts_payload}
        if self.type == "events_api":
            message.update(retry_attempt=self.attempt, retry_reason=self.retry_reason if self.attempt else "")
        return message

    def on_time(self, now: float) -> bool:
        return self.deadline is not None and now <= self.deadline

    def missed(self, now: float) -> bool:
        """The ack of the delivery in flight is overdue: schedule the next retry, or give up."""
        if self.acked or self.deadline is None or now <= self.deadline:
            return False
        self.deadline = None
        if self.attempt < len(RETRY_DELAYS):
            self.send_at = now + RETRY_DELAYS[self.attempt]
            self.attempt += 1
        else:
            self.given_up = True
        return True

    def due(self, now: float) -> bool:
        return not self.acked and self.send_at is not None and now >= self.send_at

    def went_out(self, envelope: dict[str, Any], now: float) -> None:
        self.sent.append(envelope)
        self.send_at = None
        self.deadline = now + ACK_SECONDS
