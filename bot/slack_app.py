"""The Bolt app: ``/fuel`` and fuelbot's buttons, turned into plain invocations and answered.

Listeners do three things: build an ``Invocation`` / ``ActionInvocation`` from the payload, hand
it to ``commands.handlers``, render the ``Reply``. Nothing slow happens before an ack: handlers
only touch the database (jobs run elsewhere), and user groups come from a cache. Should the
database stall anyway, the ack goes out after two seconds saying so, and the answer follows on
the ``response_url``. A crash becomes a short apology with a reference, never a traceback in Slack; the log gets the
(scrubbed) details under that reference.

Slack's redeliveries never double anything: commands carry their ``trigger_id`` as the
invocation's ``delivery_id`` (handlers dedupe on it) and events are deduped on ``event_id``.
"""
from __future__ import annotations


import logging
import re
import threading
import time
import traceback
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, Callable, Protocol

from slack_bolt import Ack, App, BoltContext, BoltRequest, BoltResponse, Respond
from slack_bolt.middleware import Middleware
from slack_sdk import WebClient

from bot.metrics import Metrics
from bot.render import SlackMessage, base_action_id, render_reply
from bot.slack_client import quick_client, quiet_slack_logging, slack_client
from bot.usergroups import GroupDirectory
from commands import handlers as commands_handlers
from commands.api import ActionInvocation, CommandServices, Invocation, Reply
from commands.catalog import BY_NAME
from core.buttons import ButtonAction
from core.errors import FuelbotError
from core.mrkdwn import inert
from core.redact import scrub
from core.settings import Settings

log = logging.getLogger(__name__)

COMMAND = "/fuel"
RECEIVED_AT = "fuelbot_received_at"      # context key: when the request reached us (ack latency)
EVENT_DEDUPE_SECONDS = 600.0              # longer than Slack's last retry (~5 minutes)
LISTENER_THREADS = 32                     # commands and click answers; Bolt's default of 5 is easy to exhaust
ACK_BUDGET_SECONDS = 2.0                  # Slack gives 3 s; keep room for the network and Slack itself
SLOW_TEXT = "⏳ Working on it — fuelbot is slow to answer right now; the reply will follow here."


def crash_reply(ref: str) -> Reply:
    """The apology for a crash: a reference to find it in the log, and nothing else."""
    return Reply(text=f"Something went wrong on fuelbot's side (ref {ref}); the error is logged.", ok=False)


class CommandHandlers(Protocol):
    """What the edge calls: ``commands.handlers`` (a unit test passes its own)."""

    def handle(self, invocation: Invocation, services: CommandServices) -> Reply: ...

    def handle_action(self, action: ActionInvocation, services: CommandServices) -> Reply: ...


def build_app(*, settings: Settings, services: CommandServices, client: WebClient | None = None,
              metrics: Metrics, handlers: CommandHandlers = commands_handlers) -> App:
    """The Bolt app for ``settings``; ``client`` overrides the Web API client (tests, LocalSlack)."""
    logger = quiet_slack_logging()
    client = client or slack_client(settings, metrics)
    # process_before_response: a command's listener answers in its ack (handlers only touch the
    # database), so Bolt need not poll a pool for the ack every 10 ms; the handler still runs on
    # our pool under a deadline. Clicks ack first and answer in a lazy listener.
    pool = ThreadPoolExecutor(LISTENER_THREADS, "fuelbot-listener")
    app = App(client=client, signing_secret=settings.slack_signing_secret, token_verification_enabled=False,
              process_before_response=True, logger=logger, listener_executor=pool)
    directory = None
    if services.policy.needs_groups:
        directory = GroupDirectory(client=quick_client(client, metrics), groups=services.policy.groups,
                                   metrics=metrics)
    edge = _Edge(services=services, metrics=metrics, handlers=handlers, directory=directory, pool=pool)
    app.use(StampAndDedupe(SeenEvents(ttl=EVENT_DEDUPE_SECONDS)))
    app.command(COMMAND)(edge.on_command)
    app.action(re.compile(rf"^({'|'.join(ButtonAction)})(:\d+)?$"))(ack=edge.ack_click, lazy=[edge.on_action])
    app.action(re.compile(r".*"))(ack=edge.ack_click, lazy=[edge.on_unknown_action])

    @app.error
    def on_error(error: Exception) -> None:
        log.error("unhandled error in Bolt: %s", scrub(f"{type(error).__name__}: {error}"))

    return app


class _Edge:
    """The listeners, sharing the services, the metrics and the group cache."""

    def __init__(self, *, services: CommandServices, metrics: Metrics, handlers: Any,
                 directory: GroupDirectory | None, pool: ThreadPoolExecutor) -> None:
        self._pool = pool
        self._services = services
        self._metrics = metrics
        self._handlers = handlers
        self._directory = directory

    def _groups(self, user_id: str) -> frozenset[str]:
        return self._directory.groups_for(user_id) if self._directory is not None else frozenset()

    def on_command(self, ack: Ack, command: dict, context: BoltContext, respond: Respond) -> None:
        text = command.get("text") or ""
        pending = self._pool.submit(self._run_command, command)
        try:
            reply, message, outcome = pending.result(timeout=ACK_BUDGET_SECONDS)
        except FutureTimeout:
            # The database is stalling: ack inside Slack's 3 s, answer on response_url when done.
            ack(text=SLOW_TEXT, response_type="ephemeral")
            self._metrics.ack_latency("command", _since(context))
            pending.add_done_callback(lambda done: self._answer_late(done, respond, text))
            return
        ack(text=message.text, blocks=list(message.blocks),
            response_type="ephemeral" if reply.ephemeral else "in_channel")
        self._metrics.ack_latency("command", _since(context))
        self._metrics.command(command_label(text), outcome)

    def _run_command(self, command: dict) -> tuple[Reply, SlackMessage, str]:
        try:
            invocation = Invocation(user_id=command["user_id"], channel_id=command["channel_id"],
                                    text=inert(command.get("text") or ""), delivery_id=command.get("trigger_id"),
                                    user_groups=self._groups(command["user_id"]),
                                    direct=is_direct(command["channel_id"], command.get("channel_name")))
            reply, outcome = self._answer(lambda: self._handlers.handle(invocation, self._services), "command")
            return reply, render_reply(reply), outcome   # a reply that cannot be rendered is a crash, caught here
        except Exception:
            reply = crash_reply(_log_crash("command"))
            return reply, render_reply(reply), "error"

    def _answer_late(self, done: Future, respond: Respond, text: str) -> None:
        reply, message, outcome = done.result()
        self._metrics.command(command_label(text), outcome)
        try:
            respond(text=message.text, blocks=list(message.blocks),
                    response_type="ephemeral" if reply.ephemeral else "in_channel")
        except Exception as exc:
            log.error("late answer to a command could not be sent: %s", scrub(f"{type(exc).__name__}: {exc}"))

    def ack_click(self, ack: Ack, context: BoltContext) -> None:
        """Clicks are answered through response_url, so ack at once and answer in the lazy listener."""
        ack()
        self._metrics.ack_latency("action", _since(context))

    def on_action(self, body: dict, action: dict, respond: Respond, client: WebClient) -> None:
        name = base_action_id(action.get("action_id", ""))
        user_id = body["user"]["id"]
        channel_id = _channel_of(body)
        try:
            invocation = ActionInvocation(user_id=user_id, channel_id=channel_id, action_id=name,
                                          value=inert(str(action.get("value") or "")),
                                          delivery_id=body.get("trigger_id"),
                                          user_groups=self._groups(user_id),
                                          direct=is_direct(channel_id, (body.get("channel") or {}).get("name")))
            reply, outcome = self._answer(lambda: self._handlers.handle_action(invocation, self._services),
                                          "action")
        except Exception:
            reply, outcome = crash_reply(_log_crash("action")), "error"
        self._metrics.action(name, outcome)
        self._send(reply, body=body, respond=respond, client=client, user_id=user_id, channel_id=channel_id)

    def on_unknown_action(self, body: dict, respond: Respond, client: WebClient) -> None:
        self._metrics.action("unknown", "refused")
        reply = Reply(text="That button is not one fuelbot knows any more; `/fuel help` lists what it can do.",
                      ok=False)
        self._send(reply, body=body, respond=respond, client=client, user_id=body["user"]["id"],
                   channel_id=_channel_of(body))

    def _answer(self, call: Callable[[], Reply], kind: str) -> tuple[Reply, str]:
        try:
            reply = call()
        except FuelbotError as exc:   # its text is safe to show by contract
            return Reply(text=scrub(str(exc)), ok=False), "refused"
        except Exception:
            return crash_reply(_log_crash(kind)), "error"
        return reply, "ok" if reply.ok else "refused"

    def _send(self, reply: Reply, *, body: dict, respond: Respond, client: WebClient, user_id: str,
              channel_id: str) -> None:
        """Answer a click: in place of an ephemeral prompt, else as a new message to the clicker.

        Slack changes an ephemeral message only through its response_url (``chat.update`` cannot
        find it), so a click on one replaces it: its buttons go and cannot be clicked again.
        """
        message = render_reply(reply)
        response_type = "ephemeral" if reply.ephemeral else "in_channel"
        on_ephemeral = bool((body.get("container") or {}).get("is_ephemeral"))
        if body.get("response_url"):
            try:
                response = respond(text=message.text, blocks=list(message.blocks), response_type=response_type,
                                   replace_original=on_ephemeral)
                status = response.status_code
            except Exception as exc:   # unreachable: fall back to the Web API
                status = None
                log.warning("response_url failed (%s); falling back to the Web API", type(exc).__name__)
            self._metrics.slack_call("response_url", status=status)
            if status == 200:
                return
            # Used up (5 uses in 30 minutes) or expired: the Web API still reaches the person.
        try:
            if reply.ephemeral:
                client.chat_postEphemeral(channel=channel_id, user=user_id, **message.as_kwargs())
            else:
                client.chat_postMessage(channel=channel_id, **message.as_kwargs())
        except Exception as exc:
            log.error("could not answer a click by %s in %s: %s", user_id, channel_id,
                      scrub(f"{type(exc).__name__}: {exc}"))


class StampAndDedupe(Middleware):
    """Stamp when a request arrived (Socket Mode: no web layer did) and drop an event seen before.

    A ``Middleware`` object, not a decorated function: Bolt calls it directly, where a function
    middleware has its arguments worked out by inspection on every request.
    """

    def __init__(self, seen: SeenEvents) -> None:
        self._seen = seen

    def process(self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]) -> BoltResponse:
        req.context.setdefault(RECEIVED_AT, time.perf_counter())
        body = req.body
        event_id = body.get("event_id") if isinstance(body, dict) else None
        if event_id and not self._seen.first_time(event_id):
            return BoltResponse(status=200, body="")
        return next()


class SeenEvents:
    """Event ids seen in the last ``ttl`` seconds (Slack redelivers events up to ~5 minutes later)."""

    def __init__(self, *, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._seen: dict[str, float] = {}

    def first_time(self, event_id: str) -> bool:
        now = self._clock()
        with self._lock:
            if len(self._seen) > 10_000:
                self._seen = {k: v for k, v in self._seen.items() if v > now}
            expires = self._seen.get(event_id)
            if expires is not None and expires > now:
                return False
            self._seen[event_id] = now + self._ttl
            return True


def command_label(text: str) -> str:
    """The catalog name of the command in ``text`` (bounded metric labels), or ``unknown``."""
    words = text.strip().lower().split()
    if not words:
        return "help"
    for name in (" ".join(words[:2]), words[0]):
        if name in BY_NAME:
            return name
    return "unknown"


def is_direct(channel_id: str, channel_name: str | None) -> bool:
    """Whether a command or click came from a DM or group DM (Slack names them so in payloads)."""
    name = channel_name or ""
    return channel_id.startswith("D") or name == "directmessage" or name.startswith("mpdm-")


def _channel_of(body: dict) -> str:
    return (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id") or ""


def _since(context: BoltContext) -> float:
    return time.perf_counter() - context.get(RECEIVED_AT, time.perf_counter())


def _log_crash(kind: str) -> str:
    ref = uuid.uuid4().hex[:8]
    # The traceback is scrubbed as text: exception messages can carry URLs with passwords.
    log.error("%s crashed (ref %s):\n%s", kind, ref, scrub(traceback.format_exc()))
    return ref
