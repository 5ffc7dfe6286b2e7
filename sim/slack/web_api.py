"""The Slack Web API methods LocalSlack answers, and its HTTP request handler.

Each method is a function of the workspace (``LocalSlack``, whose lock is held) and the call's
parameters, returning the response's fields or raising ``ChannelError`` with Slack's error code.
"""
from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any, Callable, Mapping
from urllib.parse import parse_qsl, urlsplit

from sim.slack.channels import ChannelError

if TYPE_CHECKING:
    from sim.slack.workspace import LocalSlack


def _blocks(params: Mapping[str, Any]) -> list | None:
    blocks = params.get("blocks")
    if isinstance(blocks, str):   # form-encoded bodies carry blocks as a JSON string
        blocks = json.loads(blocks) if blocks else []
    return blocks


def _required(params: Mapping[str, Any], name: str, error: str) -> str:
    value = params.get(name)
    if not value:
        raise ChannelError(error)
    return str(value)


def _post_message(slack: LocalSlack, params: dict) -> dict:
    channel = _required(params, "channel", "channel_not_found")
    text, blocks = params.get("text") or "", _blocks(params) or []
    if not text and not blocks:
        raise ChannelError("no_text")
    ts = slack.channel_state(channel).post(user=slack.bot_user_id, text=text, blocks=blocks,
                                      thread_ts=params.get("thread_ts") or None)
    return {"channel": channel, "ts": ts,
            "message": {"type": "message", "user": slack.bot_user_id, "text": text, "ts": ts}}


def _update(slack: LocalSlack, params: dict) -> dict:
    channel = _required(params, "channel", "channel_not_found")
    ts = _required(params, "ts", "message_not_found")
    state = slack.channel_state(channel, create=False)
    if state is None:
        raise ChannelError("channel_not_found")
    state.update(ts=ts, user=slack.bot_user_id, text=params.get("text"), blocks=_blocks(params))
    return {"channel": channel, "ts": ts, "text": params.get("text", "")}


def _post_ephemeral(slack: LocalSlack, params: dict) -> dict:
    channel = _required(params, "channel", "channel_not_found")
    user = _required(params, "user", "user_not_found")
    ephemeral_id = slack.channel_state(channel).add_ephemeral(user=user, text=params.get("text") or "",
                                                         blocks=_blocks(params) or [], source="chat.postEphemeral")
    return {"message_ts": ephemeral_id}


def _permalink(slack: LocalSlack, params: dict) -> dict:
    channel = _required(params, "channel", "channel_not_found")
    ts = _required(params, "message_ts", "message_not_found")
    state = slack.channel_state(channel, create=False)
    if state is None or not state.has(ts):
        raise ChannelError("message_not_found")
    return {"channel": channel, "permalink": f"{slack.root_url}archives/{channel}/p{ts.replace('.', '')}"}


def _usergroup_users(slack: LocalSlack, params: dict) -> dict:
    group = _required(params, "usergroup", "no_such_subteam")
    users = slack.members(group)
    if users is None:
        raise ChannelError("no_such_subteam")
    return {"users": users}


def _conversation(slack: LocalSlack, params: dict) -> dict:
    channel = _required(params, "channel", "channel_not_found")
    state = slack.channel_state(channel, create=False)
    if state is None:
        raise ChannelError("channel_not_found")
    return {"channel": {"id": channel, "name": state.name, "is_channel": True,
                        "is_member": True}}


def _auth_test(slack: LocalSlack, params: dict) -> dict:
    return {"url": slack.root_url, "team": "Local", "team_id": slack.team_id, "user": "fuelbot",
            "user_id": slack.bot_user_id, "bot_id": "B_FUELBOT"}


def _connections_open(slack: LocalSlack, params: dict) -> dict:
    return {"url": slack.socket.issue_url()}


APP_TOKEN_METHODS = frozenset({"apps.connections.open"})   # Slack takes only an xapp- token for these


def _authorized(method: str, authorization: str, params: Mapping[str, Any]) -> bool:
    """Whether the call's token may call ``method``: app-level tokens only where Slack takes them."""
    token = authorization.removeprefix("Bearer ") or str(params.get("token") or "")
    if method in APP_TOKEN_METHODS:
        return token.startswith("xapp-")
    return token.startswith("xox") or "token" in params


API: dict[str, Callable[[LocalSlack, dict], dict]] = {
    "auth.test": _auth_test,
    "chat.postMessage": _post_message,
    "chat.update": _update,
    "chat.postEphemeral": _post_ephemeral,
    "chat.getPermalink": _permalink,
    "usergroups.users.list": _usergroup_users,
    "conversations.info": _conversation,
    "apps.connections.open": _connections_open,
}


def handler_for(slack: LocalSlack) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:   # keep test output quiet
            return

        def do_GET(self) -> None:
            self._dispatch(b"")

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self._dispatch(self.rfile.read(length) if length else b"")

        def _dispatch(self, raw: bytes) -> None:
            url = urlsplit(self.path)
            params: dict[str, Any] = dict(parse_qsl(url.query))
            content_type = self.headers.get("Content-Type") or ""
            text = raw.decode("utf-8") if raw else ""
            if text and "json" in content_type:
                params.update(json.loads(text))
            elif text:
                params.update(parse_qsl(text, keep_blank_values=True))
            if url.path.startswith("/hooks/"):
                status, body = slack.handle_hook(url.path[len("/hooks/"):], params)
                self._reply(status, body.encode(), "text/plain; charset=utf-8", {})
            elif url.path.startswith("/api/"):
                method = url.path[len("/api/"):]
                authorized = _authorized(method, self.headers.get("Authorization") or "", params)
                status, body, headers = slack.handle(method, params, authorized)
                self._reply(status, json.dumps(body).encode(), "application/json; charset=utf-8", headers)
            else:
                self._reply(200 if url.path.startswith("/archives/") else 404, b"", "text/plain", {})

        def _reply(self, status: int, body: bytes, content_type: str, headers: dict[str, str]) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

    return Handler
