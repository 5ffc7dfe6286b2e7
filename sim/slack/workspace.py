"""LocalSlack: Slack's Web API, ``response_url``s and file uploads on 127.0.0.1, strict as Slack.

A first-class component, not a mock of Bolt: the console talks to fuelbot through it, and the
integration tests assert on what a person in a conversation would see. ``WebClient(base_url=
local_slack.base_url)`` works unchanged (JSON or form bodies, the extra ``team_id``).

LocalSlack holds every call to Slack's published contract and refuses what Slack refuses, with
Slack's error codes: methods outside ``sim.slack.contract``, missing arguments and scopes (the
scopes granted are slack-manifest.yml's), Block Kit Slack would refuse (``sim.slack.blockkit``),
conversations the bot may not use (``sim.slack.access``), ``chat.update`` on an ephemeral
message, response_urls past five uses or thirty minutes (``sim.slack.hooks``), rate limits
(``sim.slack.ratelimits``), uploads that do not match their announcement (``sim.slack.files``).
Each breach of the contract is also recorded as a ``Violation``, which the test fixtures assert
empty at teardown; texts Slack would mis-read (unescaped ``<``, ``>``, ``&``) are recorded apart
as report-only ``findings`` until issue #12's phase 2 escapes them.

``rate_limit`` / ``fail`` make the next calls of a method answer 429 or an error (fault
injection). ``apps.connections.open`` hands out a URL of ``socket``, a ``LocalSocket`` started on
first use and stopped with LocalSlack: Socket Mode end to end.
"""
from __future__ import annotations

import hashlib
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

import yaml

from sim.slack import hooks
from sim.slack.blockkit import check_message
from sim.slack.channels import Channel, ChannelError, ChannelSnapshot, Kind
from sim.slack.contract import METHODS, Violation, missing_arguments, missing_scope
from sim.slack.files import FileStore, uploaded_bytes
from sim.slack.http import handler_for
from sim.slack.ratelimits import RateLimiter, retry_after_header
from sim.slack.socket_mode import LocalSocket
from sim.slack.web_api import API, MESSAGE_METHODS

MANIFEST = Path(__file__).resolve().parents[2] / "slack-manifest.yml"
USER_ID = re.compile(r"[UW][A-Z0-9_]+")
RESPONSE_URL_USES = hooks.RESPONSE_URL_USES


def manifest_scopes(path: Path = MANIFEST) -> frozenset[str]:
    """The bot scopes fuelbot's app manifest asks for: what an install grants."""
    manifest = yaml.safe_load(path.read_text(encoding="utf-8"))
    return frozenset(manifest["oauth_config"]["scopes"]["bot"])


@dataclass(frozen=True)
class ApiCall:
    """One request LocalSlack received: ``method`` is the API method, ``hooks/<id>`` or ``upload/<id>``."""

    method: str
    params: Mapping[str, Any]
    status: int
    at: float
    error: str | None = None
    throttled: bool = False       # answered 429 by the rate limiter (not by an injected fault)


@dataclass
class _Injection:
    times: int
    status: int
    error: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


class LocalSlack:
    """Slack's Web API stand-in; ``start()`` it, point a ``WebClient`` at ``base_url``.

    ``channels`` (id → name) are public channels everyone is in, the bot too; ``add_channel``
    makes private channels, DMs and group DMs. ``rate_scale`` speeds the rate limits' clock.
    """

    def __init__(self, *, team_id: str = "T_LOCAL", bot_user_id: str = "U_FUELBOT",
                 channels: Mapping[str, str] | None = None, usergroups: Mapping[str, list[str]] | None = None,
                 scopes: Iterable[str] | None = None, rate_scale: float = 1.0,
                 clock: Callable[[], float] = time.time) -> None:
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.scopes = frozenset(scopes) if scopes is not None else manifest_scopes()
        self._cond = threading.Condition(threading.RLock())
        self._version = 0
        self._channels: dict[str, Channel] = {}
        for channel_id, name in (channels or {"C0LAB": "lab"}).items():
            self.add_channel(channel_id, name)
        self._usergroups = {k: list(v) for k, v in (usergroups or {}).items()}
        self._calls: list[ApiCall] = []
        self._violations: list[Violation] = []
        self._findings: list[Violation] = []
        self._injections: dict[str, list[_Injection]] = {}
        self._hooks = hooks.ResponseUrls(clock)
        self._limiter = RateLimiter(scale=rate_scale)
        self.files = FileStore()
        self._server: ThreadingHTTPServer | None = None
        self._socket: LocalSocket | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> "LocalSlack":
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(self))
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="local-slack",
                         daemon=True).start()
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
                self._socket = LocalSocket(on_ack_payload=lambda p: self.check_payload("socket", p)).start()
            return self._socket

    # -- the workspace -------------------------------------------------------------------------
    def add_channel(self, channel_id: str, name: str, *, kind: Kind = Kind.PUBLIC,
                    members: Iterable[str] | None = None, bot: bool = True) -> None:
        """A conversation; ``members`` None is everyone, else the listed users (and the bot if ``bot``)."""
        people = None if members is None else set(members) | ({self.bot_user_id} if bot else set())
        with self._cond:
            self._channels[channel_id] = Channel(channel_id, name, kind=kind, members=people)

    def archive(self, channel_id: str) -> None:
        """Archive a conversation: posts to it answer ``is_archived`` from now on."""
        with self._cond:
            self._channel(channel_id).archived = True

    def open_im(self, user: str) -> str:
        """The DM between ``user`` and the bot (what ``conversations.open`` returns), made on first use."""
        with self._cond:
            for channel in self._channels.values():
                if channel.kind is Kind.IM and channel.members == {user, self.bot_user_id}:
                    return channel.channel_id
            channel_id = "D" + hashlib.sha1(user.encode()).hexdigest()[:10].upper()
            self._channels[channel_id] = Channel(channel_id, user, kind=Kind.IM, members={user, self.bot_user_id})
            return channel_id

    def knows_user(self, user: str) -> bool:
        return bool(USER_ID.fullmatch(user))

    def set_usergroup(self, group_id: str, users: list[str]) -> None:
        with self._cond:
            self._usergroups[group_id] = list(users)

    def members(self, group_id: str) -> list[str] | None:
        """The users of a user group, None when there is no such group."""
        users = self._usergroups.get(group_id)
        return list(users) if users is not None else None

    def find_channel(self, ref: str) -> Channel | None:
        """A conversation by id, or a public channel by name (``#lab`` or ``lab``, as chat.postMessage takes)."""
        if ref in self._channels:
            return self._channels[ref]
        name = ref.removeprefix("#")
        return next((c for c in self._channels.values() if c.kind is Kind.PUBLIC and c.name == name), None)

    def _channel(self, channel_id: str) -> Channel:
        channel = self._channels.get(channel_id)
        if channel is None:
            raise KeyError(f"LocalSlack has no conversation {channel_id}; add_channel() it first")
        return channel

    # -- fault injection -----------------------------------------------------------------------
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
        with self._cond:
            self._channel(channel)
            return f"{self.root_url}hooks/{self._hooks.issue(channel=channel, user=user, origin=origin)}"

    # -- what Slack does with a slash command's HTTP response ----------------------------------
    def show_command_response(self, *, channel: str, user: str, command: str, response: Any) -> None:
        """Show the bot's answer to a slash command the way Slack's client does."""
        if not response:
            return
        if isinstance(response, str):
            response = {"text": response}
        checked = self.check_payload("ack", response)
        with self._cond:
            target = self._channel(channel)
            if response.get("response_type") == "in_channel":
                target.post(user=user, text=command, blocks=[], thread_ts=None)
                target.post(user=self.bot_user_id, text=response.get("text", ""), blocks=checked, thread_ts=None)
            else:
                target.add_ephemeral(user=user, text=response.get("text", ""), blocks=checked, source="ack")
            self._changed()

    # -- contract ----------------------------------------------------------------------------
    def violation(self, method: str, rule: str, detail: str) -> None:
        with self._cond:
            self._violations.append(Violation(method, rule, detail))

    @property
    def violations(self) -> list[Violation]:
        """Every breach of Slack's contract seen so far (the fixtures assert this is empty)."""
        with self._cond:
            return list(self._violations)

    def take_violations(self) -> list[Violation]:
        """The violations so far, forgotten (for tests that cause them on purpose)."""
        with self._cond:
            taken, self._violations = self._violations, []
            return taken

    @property
    def findings(self) -> list[Violation]:
        """Report-only: texts with Slack control characters left unescaped (issue #12 phase 2)."""
        with self._cond:
            return list(self._findings)

    def check_payload(self, where: str, payload: Mapping[str, Any]) -> list[Any]:
        """Check a message payload (ack, response_url, Socket Mode ack); its parsed blocks."""
        if not payload.get("text") and not payload.get("blocks"):
            return []
        checked = check_message(payload.get("text"), payload.get("blocks"), mrkdwn=payload.get("mrkdwn", True))
        with self._cond:
            self._violations += [Violation(where, "invalid_blocks" if checked.error else "message", v)
                                 for v in checked.violations]
            self._findings += [Violation(where, "unescaped", f) for f in checked.findings]
        return checked.blocks

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

    def _changed(self) -> None:
        self._version += 1
        self._cond.notify_all()

    # -- request handling (called from server threads) ---------------------------------------
    def handle(self, method: str, params: dict[str, Any], token: str) -> tuple[int, dict[str, Any], dict[str, str]]:
        """Answer one Web API call: (status, JSON body, extra headers)."""
        with self._cond:
            injected = self._take_injection(method)
            if injected is not None:
                self._record(method, params, injected.status, injected.error)
                return injected.status, {"ok": False, "error": injected.error or "internal_error"}, injected.headers
            try:
                self._hold_to_contract(method, params, token)
            except _Refused as refused:
                self._record(method, params, refused.status, refused.error, throttled=refused.status == 429)
                return refused.status, {"ok": False, "error": refused.error}, refused.headers
            try:
                body = {"ok": True, **API[method](self, params)}
            except ChannelError as exc:
                self._record(method, params, 200, str(exc))
                return 200, {"ok": False, "error": str(exc)}, {}
            self._record(method, params, 200, None)
            return 200, body, {}

    def _hold_to_contract(self, method: str, params: dict[str, Any], token: str) -> None:
        contract = METHODS.get(method)
        if contract is None:
            self.violation(method, "unknown_method", "not a method fuelbot may call (sim.slack.contract)")
            raise _Refused("unknown_method")
        if not token.startswith("xox") and not token.startswith("xapp-"):
            raise _Refused("not_authed")
        if contract.app_token != token.startswith("xapp-"):
            self.violation(method, "token_type", f"{method} takes {'an app' if contract.app_token else 'a bot'} token")
            raise _Refused("not_allowed_token_type")
        scope = missing_scope(contract, self.scopes)
        if scope is not None:
            self.violation(method, "missing_scope", f"needs {scope}, which slack-manifest.yml does not ask for")
            raise _Refused("missing_scope")
        missing = missing_arguments(contract, params)
        if missing:
            self.violation(method, "missing_argument", ", ".join(missing))
            raise _Refused("channel_not_found" if "channel" in missing else
                           "no_text" if missing == [" or ".join(contract.any_of)] else "invalid_arguments")
        wait = self._limiter.take(contract, params)
        if wait is not None:
            raise _Refused("ratelimited", status=429, headers={"Retry-After": retry_after_header(wait)})
        if method in MESSAGE_METHODS and ("blocks" in params or params.get("text")):
            checked = check_message(params.get("text"), params.get("blocks"), mrkdwn=params.get("mrkdwn", True))
            self._violations += [Violation(method, "invalid_blocks" if checked.error else "message", v)
                                 for v in checked.violations]
            self._findings += [Violation(method, "unescaped", f) for f in checked.findings]
            if checked.error:
                raise _Refused(checked.error)
            if "blocks" in params:
                params["blocks"] = checked.blocks

    def handle_hook(self, hook_id: str, payload: dict[str, Any]) -> tuple[int, str]:
        """Answer a POST to a ``response_url``."""
        blocks = self.check_payload("hooks", payload)
        with self._cond:
            try:
                hook = self._hooks.use(hook_id)
                hooks.answer(hook, self._channel(hook.channel), payload, bot=self.bot_user_id, blocks=blocks)
            except ChannelError as exc:
                self._record(f"hooks/{hook_id}", payload, 404, str(exc))
                return 404, str(exc)
            self._record(f"hooks/{hook_id}", payload, 200, None)
            return 200, "ok"

    def handle_upload(self, file_id: str, body: bytes, content_type: str) -> tuple[int, str]:
        """Answer a POST of a file's bytes to its upload URL."""
        content = uploaded_bytes(body, content_type)
        with self._cond:
            refused = self.files.receive(file_id, content)
            if refused is not None:
                self._violations.append(Violation("upload", "upload_mismatch", refused))
                self._record(f"upload/{file_id}", {"bytes": len(content)}, 400, refused)
                return 400, refused
            self._record(f"upload/{file_id}", {"bytes": len(content)}, 200, None)
            return 200, f"OK - {len(content)}"

    def _take_injection(self, method: str) -> _Injection | None:
        queue = self._injections.get(method)
        if not queue:
            return None
        injection = queue[0]
        injection.times -= 1
        if injection.times <= 0:
            queue.pop(0)
        return injection

    def _record(self, method: str, params: Mapping[str, Any], status: int, error: str | None,
                *, throttled: bool = False) -> None:
        self._calls.append(ApiCall(method=method, params=dict(params), status=status, at=time.time(), error=error,
                                   throttled=throttled))
        self._changed()


class _Refused(Exception):
    """A call LocalSlack answers with an error before running the method."""

    def __init__(self, error: str, *, status: int = 200, headers: dict[str, str] | None = None) -> None:
        super().__init__(error)
        self.error = error
        self.status = status
        self.headers = headers or {}
