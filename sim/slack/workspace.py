"""LocalSlack: Slack's Web API and ``response_url`` hooks on 127.0.0.1, with a channel you can look at.

A first-class component, not a mock of Bolt: the console talks to fuelbot through it, and the
integration tests assert on what a person in the channel would see. ``WebClient(base_url=
local_slack.base_url)`` works unchanged (JSON or form bodies, the extra ``team_id``). Every call
is recorded; ``rate_limit`` makes the next N calls of a method answer 429 with ``Retry-After``.

LocalSlack is a little stricter than Slack where that catches bugs: a ``thread_ts`` must name an
existing message, and a ``response_url`` works five times, as Slack documents.

``apps.connections.open`` (with an ``xapp-`` token) hands out a URL of ``socket``, a
``LocalSocket`` started on first use and stopped with LocalSlack: Socket Mode end to end.
"""
from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import Any, Callable, Mapping

from sim.slack.channels import Channel, ChannelError, ChannelSnapshot
from sim.slack.web_api import API, handler_for
from sim.slack.socket_mode import LocalSocket

RESPONSE_URL_USES = 5


@dataclass(frozen=True)
class ApiCall:
    """One request LocalSlack received: ``method`` is the API method or ``hooks/<id>``."""

    method: str
    params: Mapping[str, Any]
    status: int
    at: float
    error: str | None = None


@dataclass
class _Hook:
    channel: str
    user: str
    origin: str | None            # the message ts or ephemeral id an interaction came from
    uses: int = 0


@dataclass
class _Injection:
    times: int
    status: int
    error: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


class LocalSlack:
    """Slack's Web API stand-in; ``start()`` it, point a ``WebClient`` at ``base_url``."""

    def __init__(self, *, team_id: str = "T_LOCAL", bot_user_id: str = "U_FUELBOT",
                 channels: Mapping[str, str] | None = None,
                 usergroups: Mapping[str, list[str]] | None = None) -> None:
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self._cond = threading.Condition(threading.RLock())
        self._version = 0
        self._channels: dict[str, Channel] = {}
        for channel_id, name in (channels or {"C_LAB": "lab"}).items():
            self._channels[channel_id] = Channel(channel_id, name)
        self._usergroups = {k: list(v) for k, v in (usergroups or {}).items()}
        self._calls: list[ApiCall] = []
        self._injections: dict[str, list[_Injection]] = {}
        self._hooks: dict[str, _Hook] = {}
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._socket: LocalSocket | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> "LocalSlack":
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="local-slack", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._socket is not None:
            self._socket.stop()
            self._socket = None
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "LocalSlack":
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    @property
    def root_url(self) -> str:
        if self._server is None:
            raise RuntimeError("LocalSlack is not started")
        return f"http://127.0.0.1:{self._server.server_address[1]}/"

    @property
    def base_url(self) -> str:
        """What ``WebClient(base_url=...)`` / ``SLACK_API_URL`` takes."""
        return self.root_url + "api/"

    @property
    def socket(self) -> LocalSocket:
        """The Socket Mode endpoint ``apps.connections.open`` points at (started on first use)."""
        with self._cond:
            if self._socket is None:
                self._socket = LocalSocket().start()
            return self._socket

    # -- configuration -----------------------------------------------------------------------
    def set_usergroup(self, group_id: str, users: list[str]) -> None:
        with self._cond:
            self._usergroups[group_id] = list(users)

    def archive(self, channel_id: str) -> None:
        """Archive a channel: posts to it fail with ``is_archived`` from now on."""
        with self._cond:
            self._channel(channel_id).archived = True

    def rate_limit(self, method: str, *, times: int = 1, retry_after: int = 1) -> None:
        """The next ``times`` calls of ``method`` answer 429 with ``Retry-After``."""
        self._inject(method, _Injection(times=times, status=429, error="ratelimited",
                                        headers={"Retry-After": str(retry_after)}))

    def fail(self, method: str, *, error: str, times: int = 1, status: int = 200) -> None:
        """The next ``times`` calls of ``method`` fail with ``error`` (``status`` 200 means ok:false)."""
        self._inject(method, _Injection(times=times, status=status, error=error))

    def _inject(self, method: str, injection: _Injection) -> None:
        with self._cond:
            self._injections.setdefault(method, []).append(injection)

    def new_response_url(self, *, channel: str, user: str, origin: str | None = None) -> str:
        """A ``response_url`` for an invocation by ``user`` in ``channel`` (``origin``: clicked message)."""
        hook_id = uuid.uuid4().hex
        with self._cond:
            self._hooks[hook_id] = _Hook(channel=channel, user=user, origin=origin)
        return f"{self.root_url}hooks/{hook_id}"

    # -- what Slack does with a slash command's HTTP response ----------------------------------
    def show_command_response(self, *, channel: str, user: str, command: str, response: Any) -> None:
        """Show the bot's answer to a slash command the way Slack's client does."""
        if not response:
            return
        if isinstance(response, str):
            response = {"text": response}
        with self._cond:
            target = self._channel(channel)
            if response.get("response_type") == "in_channel":
                target.post(user=user, text=command, blocks=[], thread_ts=None)
                target.post(user=self.bot_user_id, text=response.get("text", ""),
                            blocks=response.get("blocks") or [], thread_ts=None)
            else:
                target.add_ephemeral(user=user, text=response.get("text", ""),
                                     blocks=response.get("blocks") or [], source="ack")
            self._changed()

    # -- observation -------------------------------------------------------------------------
    @property
    def version(self) -> int:
        with self._cond:
            return self._version

    def calls(self, method: str | None = None) -> list[ApiCall]:
        with self._cond:
            return [c for c in self._calls if method is None or c.method == method]

    def channel(self, channel_id: str) -> ChannelSnapshot:
        """A frozen, render-friendly snapshot of ``channel_id``."""
        with self._cond:
            return self._channel(channel_id).snapshot(self._version)

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
        """Block until ``predicate()`` holds (re-checked on every change); False on timeout."""
        with self._cond:
            return self._cond.wait_for(predicate, timeout)

    def wait_for_change(self, since: int, timeout: float) -> int:
        """Block until the version passes ``since`` (or timeout); returns the current version."""
        with self._cond:
            self._cond.wait_for(lambda: self._version > since, timeout)
            return self._version

    def channel_state(self, channel_id: str, *, create: bool = True) -> Channel | None:
        """The mutable channel (for the API methods, which run under this instance's lock)."""
        if channel_id not in self._channels and create:
            self._channels[channel_id] = Channel(channel_id, channel_id.lower())
        return self._channels.get(channel_id)

    def _channel(self, channel_id: str) -> Channel:
        channel = self.channel_state(channel_id)
        assert channel is not None
        return channel

    def members(self, group_id: str) -> list[str] | None:
        """The users of a user group, None when there is no such group."""
        users = self._usergroups.get(group_id)
        return list(users) if users is not None else None

    def _changed(self) -> None:
        self._version += 1
        self._cond.notify_all()

    # -- request handling (called from server threads) ---------------------------------------
    def handle(self, method: str, params: dict[str, Any], authorized: bool) -> tuple[int, dict, dict]:
        """Answer one Web API call: (status, JSON body, extra headers)."""
        with self._cond:
            injected = self._take_injection(method)
            if injected is not None:
                self._record(method, params, injected.status, injected.error)
                body = {"ok": False, "error": injected.error or "internal_error"}
                return injected.status, body, injected.headers
            if not authorized:
                self._record(method, params, 200, "not_authed")
                return 200, {"ok": False, "error": "not_authed"}, {}
            api = API.get(method)
            try:
                if api is None:
                    raise ChannelError("unknown_method")
                body = {"ok": True, **api(self, params)}
            except ChannelError as exc:
                self._record(method, params, 200, str(exc))
                return 200, {"ok": False, "error": str(exc)}, {}
            self._record(method, params, 200, None)
            self._changed()
            return 200, body, {}

    def handle_hook(self, hook_id: str, payload: dict[str, Any]) -> tuple[int, str]:
        """Answer a POST to a ``response_url``."""
        with self._cond:
            hook = self._hooks.get(hook_id)
            if hook is None or hook.uses >= RESPONSE_URL_USES:
                self._record(f"hooks/{hook_id}", payload, 404, "used_url")
                return 404, "used_url"
            hook.uses += 1
            channel = self._channel(hook.channel)
            text, blocks = payload.get("text", ""), payload.get("blocks") or []
            try:
                if payload.get("delete_original") and hook.origin:
                    self._delete_origin(channel, hook.origin)
                elif payload.get("replace_original") and hook.origin:
                    self._replace_origin(channel, hook.origin, text, blocks)
                elif payload.get("response_type") == "in_channel":
                    channel.post(user=self.bot_user_id, text=text, blocks=blocks,
                                 thread_ts=payload.get("thread_ts"))
                else:
                    channel.add_ephemeral(user=hook.user, text=text, blocks=blocks, source="response_url")
            except ChannelError as exc:
                self._record(f"hooks/{hook_id}", payload, 404, str(exc))
                return 404, str(exc)
            self._record(f"hooks/{hook_id}", payload, 200, None)
            self._changed()
            return 200, "ok"

    def _delete_origin(self, channel: Channel, origin: str) -> None:
        if channel.has(origin):
            channel.delete(origin)
        else:
            channel.delete_ephemeral(origin)

    def _replace_origin(self, channel: Channel, origin: str, text: str, blocks: list) -> None:
        if channel.has(origin):
            channel.update(ts=origin, user=self.bot_user_id, text=text, blocks=blocks)
        else:
            channel.replace_ephemeral(origin, text=text, blocks=blocks)

    def _take_injection(self, method: str) -> _Injection | None:
        queue = self._injections.get(method)
        if not queue:
            return None
        injection = queue[0]
        injection.times -= 1
        if injection.times <= 0:
            queue.pop(0)
        return injection

    def _record(self, method: str, params: Mapping[str, Any], status: int, error: str | None) -> None:
        self._calls.append(ApiCall(method=method, params=dict(params), status=status, at=time.time(), error=error))
        self._changed()
