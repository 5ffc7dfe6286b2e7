"""LocalSlack: Slack's Web API, ``response_url``s and file uploads on 127.0.0.1, strict as Slack.

A first-class component, not a mock of Bolt: the console talks to fuelbot through it, and the
integration tests assert on what a person in a conversation would see. ``WebClient(base_url=
local_slack.base_url)`` works unchanged. Every call passes ``sim.slack.guard`` (Slack's contract,
with the scopes slack-manifest.yml grants; breaches are recorded as ``violations``, which the
fixtures assert empty) and then the methods of ``sim.slack.web_api`` (conversations and who may
use them, messages, ephemerals, uploads). ``sim.slack.faults`` injects outages and 429s;
``apps.connections.open`` hands out a URL of ``socket``, a ``LocalSocket``: Socket Mode end to end.
"""
from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import replace
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

import yaml

from core.slack_ids import USER_ID
from sim.slack import hooks
from sim.slack.calls import Answer, ApiCall
from sim.slack.channels import Channel, ChannelError, ChannelSnapshot, Kind
from sim.slack.contract import Violation
from sim.slack.faults import Faults, Outage
from sim.slack.files import FileStore, StoredFile, uploaded_bytes
from sim.slack.guard import ContractGuard, Refused
from sim.slack.http import handler_for
from sim.slack.socket_mode import LocalSocket
from sim.slack.web_api import API

MANIFEST = Path(__file__).resolve().parents[2] / "slack-manifest.yml"
RESPONSE_URL_USES = hooks.RESPONSE_URL_USES


def manifest_scopes(path: Path = MANIFEST) -> frozenset[str]:
    """The bot scopes fuelbot's app manifest asks for: what an install grants."""
    manifest = yaml.safe_load(path.read_text(encoding="utf-8"))
    return frozenset(manifest["oauth_config"]["scopes"]["bot"])


class LocalSlack:
    """Slack's Web API stand-in; ``start()`` it, point a ``WebClient`` at ``base_url``.

    ``channels`` (id → name) are public channels everyone is in, the bot too; ``add_channel``
    makes private channels, DMs and group DMs. ``rate_scale`` speeds the rate limits' clock.
    """

    def __init__(self, *, team_id: str = "T_LOCAL", bot_user_id: str = "U0FUELBOT",
                 channels: Mapping[str, str] | None = None, usergroups: Mapping[str, list[str]] | None = None,
                 scopes: Iterable[str] | None = None, rate_scale: float = 1.0,
                 clock: Callable[[], float] = time.time) -> None:
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.scopes = frozenset(scopes) if scopes is not None else manifest_scopes()
        self._guard = ContractGuard(scopes=self.scopes, rate_scale=rate_scale)
        self._cond = threading.Condition(threading.RLock())
        self._version = 0
        self._channels: dict[str, Channel] = {}
        for channel_id, name in (channels or {"C0LAB": "lab"}).items():
            self.add_channel(channel_id, name)
        self._usergroups = {k: list(v) for k, v in (usergroups or {}).items()}
        self._calls: list[ApiCall] = []
        self._faults = Faults()
        self._hooks = hooks.ResponseUrls(clock)
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
                self._socket = LocalSocket(on_ack_payload=lambda p: self.check_payload("socket", p),
                                           on_command_answer=self._show_socket_answer,
                                           on_violation=lambda rule, detail: self.violation("socket", rule, detail),
                                           ).start()
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
        with self._cond:
            self._faults.rate_limit(method, times=times, retry_after=retry_after)

    def fail(self, method: str, *, error: str, times: int = 1, status: int = 200, after: bool = False) -> None:
        """The next ``times`` calls of ``method`` fail with ``error`` (``status`` 200 means ok:false);
        ``after``: each takes effect first, as Slack warns an ``internal_error`` may have."""
        with self._cond:
            self._faults.fail(method, error=error, times=times, status=status, after=after)

    def slow(self, method: str, *, seconds: float, times: int = 1) -> None:
        """The next ``times`` calls of ``method`` take effect but answer only after ``seconds``."""
        with self._cond:
            self._faults.slow(method, seconds=seconds, times=times)

    def outage(self, *, status: int = 503, error: str = "service_unavailable", drop: bool = False) -> None:
        """Every Web API call answers ``status``/``error`` (or loses its connection) until ``restore()``."""
        with self._cond:
            self._faults.outage = Outage(status=status, error=error, drop=drop)

    def restore(self) -> None:
        """The outage is over."""
        with self._cond:
            self._faults.outage = None

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

    def _show_socket_answer(self, command: Mapping[str, Any], response: dict[str, Any]) -> None:
        """A slash command's answer in its Socket Mode ack, shown as its HTTP answer would be."""
        self.show_command_response(channel=str(command.get("channel_id")), user=str(command.get("user_id")),
                                   command=f"{command.get('command')} {command.get('text')}".strip(),
                                   response=response)

    # -- contract ----------------------------------------------------------------------------
    def violation(self, method: str, rule: str, detail: str) -> None:
        with self._cond:
            self._guard.violation(method, rule, detail)

    @property
    def violations(self) -> list[Violation]:
        """Every breach of Slack's contract seen so far (the fixtures assert this is empty)."""
        with self._cond:
            return list(self._guard.violations)

    def take_violations(self) -> list[Violation]:
        """The violations so far, forgotten (for tests that cause them on purpose)."""
        with self._cond:
            taken, self._guard.violations = self._guard.violations, []
            return taken

    def check_payload(self, where: str, payload: Mapping[str, Any]) -> list[Any]:
        """Check a message payload (ack, response_url, Socket Mode ack); its parsed blocks."""
        with self._cond:
            return self._guard.check_payload(where, payload)

    # -- observation -------------------------------------------------------------------------
    @property
    def version(self) -> int:
        with self._cond:
            return self._version

    def calls(self, method: str | None = None) -> list[ApiCall]:
        with self._cond:
            return [c for c in self._calls if method is None or c.method == method]

    def files_in(self, channel_id: str, thread_ts: str | None = None) -> list[StoredFile]:
        """The files shared in a conversation (or in one thread of it), oldest first, with their bytes."""
        with self._cond:
            return self.files.shared(channel_id, thread_ts)

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
    def handle(self, method: str, params: dict[str, Any], token: str) -> Answer:
        """Answer one Web API call (an outage or an injected fault first, as Slack's would come)."""
        with self._cond:
            outage = self._faults.outage
            if outage is not None:
                self._record(method, params, 0 if outage.drop else outage.status, "dropped" if outage.drop
                             else outage.error)
                return Answer(outage.status, {"ok": False, "error": outage.error}, drop=outage.drop)
            injected = self._faults.take(method)
            if injected is not None and not injected.after:
                self._record(method, params, injected.status, injected.error)
                return Answer(injected.status, {"ok": False, "error": injected.error or "internal_error"},
                              injected.headers)
            answer = self._run(method, params, token)
            if injected is not None:      # the call took effect; its caller hears something else, or late
                took = answer.body.get("ok") is True
                if injected.error is not None:
                    answer = Answer(injected.status, {"ok": False, "error": injected.error}, injected.headers)
                answer = replace(answer, delay=injected.delay)
                self._record(method, params, answer.status, answer.body.get("error"), took_effect=took)
                return answer
            self._record(method, params, answer.status, answer.body.get("error"),
                         throttled=answer.status == 429)
            return answer

    def _run(self, method: str, params: dict[str, Any], token: str) -> Answer:
        try:
            self._guard.admit(method, params, token)
        except Refused as refused:
            return Answer(refused.status, {"ok": False, "error": refused.error}, refused.headers)
        try:
            return Answer(200, {"ok": True, **API[method](self, params)})
        except ChannelError as exc:
            return Answer(200, {"ok": False, "error": str(exc)})

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
                self._guard.violation("upload", "upload_mismatch", refused)
                self._record(f"upload/{file_id}", {"bytes": len(content)}, 400, refused)
                return 400, refused
            self._record(f"upload/{file_id}", {"bytes": len(content)}, 200, None)
            return 200, f"OK - {len(content)}"

    def _record(self, method: str, params: Mapping[str, Any], status: int, error: str | None,
                *, throttled: bool = False, took_effect: bool | None = None) -> None:
        self._calls.append(ApiCall(method=method, params=dict(params), status=status, at=time.time(), error=error,
                                   throttled=throttled, took_effect=error is None if took_effect is None
                                   else took_effect))
        self._changed()

