"""Slack's side of the HTTP contract: requests built, signed and sent the way Slack sends them.

The console, the integration tests and the bench all reach fuelbot through these, so they take
exactly the path real Slack traffic takes: form bodies, ``X-Slack-Signature`` /
``X-Slack-Request-Timestamp``, Bolt's verification, the listeners.
"""
from __future__ import annotations

import json
import secrets
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any, Mapping
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

COMMAND = "/fuel"
VERIFICATION_TOKEN = "local-verification-token"   # deprecated by Slack; Bolt ignores it


@dataclass(frozen=True)
class SlackHttpResponse:
    """What the bot answered: status, body text, headers and how long it took."""

    status: int
    body: str
    headers: Mapping[str, str] = field(default_factory=dict)
    elapsed: float = 0.0

    def json(self) -> Any:
        return json.loads(self.body) if self.body.strip().startswith(("{", "[")) else {"text": self.body}


def new_trigger_id() -> str:
    """A trigger id shaped like Slack's (unique per delivery)."""
    return f"{int(time.time())}.{secrets.randbelow(10**12)}.{secrets.token_hex(16)}"


def sign(body: str, *, secret: str, timestamp: int | None = None) -> dict[str, str]:
    """The headers Slack adds to ``body``: content type, timestamp and ``v0=`` signature."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    return {"Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": SignatureVerifier(secret).generate_signature(timestamp=ts, body=body) or ""}


def slash_command_form(*, text: str, user_id: str, channel_id: str, channel_name: str, team_id: str,
                       response_url: str, trigger_id: str | None = None, command: str = COMMAND) -> str:
    """The form body of a slash command, field for field as Slack posts it."""
    return urlencode({
        "token": VERIFICATION_TOKEN, "team_id": team_id, "team_domain": "local",
        "channel_id": channel_id, "channel_name": channel_name, "user_id": user_id,
        "user_name": user_id.lower(), "command": command, "text": text, "api_app_id": "A_FUELBOT",
        "is_enterprise_install": "false", "response_url": response_url,
        "trigger_id": trigger_id or new_trigger_id()})


def block_actions_form(*, user_id: str, channel_id: str, channel_name: str, team_id: str,
                       action: Mapping[str, Any], block_id: str, response_url: str,
                       message: Mapping[str, Any] | None = None, ephemeral: bool = False,
                       trigger_id: str | None = None) -> str:
    """The ``payload=`` form body of a button click (``message``: the clicked message, for channel ones)."""
    return urlencode({"payload": json.dumps(block_actions_payload(
        user_id=user_id, channel_id=channel_id, channel_name=channel_name, team_id=team_id, action=action,
        block_id=block_id, response_url=response_url, message=message, ephemeral=ephemeral,
        trigger_id=trigger_id))})


def block_actions_payload(*, user_id: str, channel_id: str, channel_name: str, team_id: str,
                          action: Mapping[str, Any], block_id: str, response_url: str,
                          message: Mapping[str, Any] | None = None, ephemeral: bool = False,
                          trigger_id: str | None = None) -> dict[str, Any]:
    """A button click's ``block_actions`` payload: the JSON of the HTTP ``payload=`` field, and the
    ``payload`` of the Socket Mode ``interactive`` envelope (the same object either way)."""
    now = f"{time.time():.6f}"
    container: dict[str, Any] = {"type": "message", "channel_id": channel_id, "is_ephemeral": ephemeral}
    if message is not None:
        container["message_ts"] = message.get("ts")
    payload: dict[str, Any] = {
        "type": "block_actions", "token": VERIFICATION_TOKEN, "api_app_id": "A_FUELBOT",
        "team": {"id": team_id, "domain": "local"},
        "user": {"id": user_id, "username": user_id.lower(), "team_id": team_id},
        "channel": {"id": channel_id, "name": channel_name}, "container": container,
        "trigger_id": trigger_id or new_trigger_id(), "response_url": response_url,
        "actions": [{"type": "button", "block_id": block_id, "action_id": action.get("action_id"),
                     "value": action.get("value", ""), "text": action.get("text"), "action_ts": now}],
    }
    if message is not None:
        payload["message"] = dict(message)
    return payload


def post_signed(url: str, body: str, *, secret: str, timestamp: int | None = None,
                headers: Mapping[str, str] | None = None, timeout: float = 10.0) -> SlackHttpResponse:
    """POST ``body`` signed with ``secret``; every status (401 included) comes back as a response."""
    all_headers = {**sign(body, secret=secret, timestamp=timestamp), **(headers or {})}
    request = urllib.request.Request(url, data=body.encode("utf-8"), headers=all_headers, method="POST")
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            text = response.read().decode("utf-8")
            return SlackHttpResponse(status=response.status, body=text, headers=dict(response.headers.items()),
                                     elapsed=time.perf_counter() - started)
    except urllib.error.HTTPError as exc:
        text = exc.read().decode("utf-8", "replace")
        return SlackHttpResponse(status=exc.code, body=text, headers=dict(exc.headers.items()),
                                 elapsed=time.perf_counter() - started)
