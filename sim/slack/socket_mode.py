"""LocalSocket: Slack's side of Socket Mode on ``ws://127.0.0.1``, for tests and the console.

Slack's Socket Mode, as a Bolt app sees it (docs.slack.dev/apis/events-api/using-socket-mode):
the app calls ``apps.connections.open`` (on LocalSlack) for a one-use ``ws://`` URL, dials it,
receives ``{"type": "hello"}``, then envelopes ``{"envelope_id", "type", "payload",
"accepts_response_payload"}`` that it acks with ``{"envelope_id", "payload"?}``. ``send_envelope``
plays Slack; ``wait_for_ack`` reads the answer. Slack also:

* pings each connection now and then (``ping_all``; the app must pong) and answers the app's pings;
* sends ``{"type": "disconnect", "reason": …}``: ``warning`` (this connection will be refreshed
  soon), ``refresh_requested`` (reconnect now; Slack closes it shortly after), ``link_disabled``
  (Socket Mode was turned off in the app's settings: no connection is accepted until it is back
  on), ``too_many_websockets`` (an app may hold at most ten connections; the eleventh is told so
  and closed);
* may lose a connection without a word (``drop_silently``: a half-open TCP connection);
* holds the app to its acks (``sim.slack.envelopes`` cites the sources): an ack names an envelope
  Slack sent, carries a ``payload`` only where ``accepts_response_payload`` allowed one, and
  arrives within 3 seconds. A missed ack is a violation, and the envelope goes out again (same
  envelope_id) at once, then after one and five minutes; ``retry_attempt`` / ``retry_reason``
  appear on ``events_api`` envelopes only. A slash command's ack payload is shown to the person
  as Slack's client shows it (``on_command_answer``); a late one never is.
  ``delay_acks`` plays a congested uplink: the app's next acks reach Slack late.

Envelopes go to the newest live connection (Slack picks one of an app's connections).
"""
from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any, Callable

from sim.slack.envelopes import Delivery, accepts_response_payload, check_envelope
from sim.slack.websocket import PING, Connection, Server

MAX_CONNECTIONS = 10
DISCONNECT_REASONS = ("warning", "refresh_requested", "link_disabled", "too_many_websockets")
REFRESH_CLOSE_SECONDS = 1.0     # Slack closes a refreshed connection shortly after asking
WATCH_SECONDS = 0.05            # how often missed acks and due retries are looked at


@dataclass(frozen=True)
class Ack:
    """The app's answer to one envelope; ``payload`` is None for a bare ack."""

    envelope_id: str
    payload: dict[str, Any] | None


class LocalSocket:
    """Slack's Socket Mode endpoint; ``start()`` it, hand ``issue_url()`` to the app."""

    def __init__(self, *, on_ack_payload: Callable[[dict[str, Any]], object] | None = None,
                 on_command_answer: Callable[[dict[str, Any], dict[str, Any]], object] | None = None,
                 on_violation: Callable[[str, str], object] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._cond = threading.Condition()
        self._tickets: set[str] = set()
        self._connections: list[Connection] = []
        self._acks: dict[str, Ack] = {}
        self._deliveries: dict[str, Delivery] = {}
        self._ack_delays: list[float] = []       # the next acks' extra transit times (delay_acks)
        self._server: Server | None = None
        self._running = False
        self._link_enabled = True
        self._on_ack_payload = on_ack_payload
        self._on_command_answer = on_command_answer
        self._on_violation = on_violation
        self._clock = clock
        self.accepted = 0                        # connections ever admitted (reconnects show here)

    def start(self) -> "LocalSocket":
        self._server = Server(("127.0.0.1", 0), Connection)
        self._server.owner = self
        self._running = True
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                         name="local-socket", daemon=True).start()
        threading.Thread(target=self._watch_acks, name="local-socket-acks", daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop accepting and drop every connection (their threads end on the EOF)."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._server = None
        with self._cond:
            self._running = False
            for connection in self._connections:
                connection.drop()

    def issue_url(self) -> str:
        """A fresh ``ws://`` URL with a one-connection ticket, as ``apps.connections.open`` returns."""
        if self._server is None:
            raise RuntimeError("LocalSocket is not started")
        ticket = uuid.uuid4().hex
        with self._cond:
            self._tickets.add(ticket)
        return f"ws://127.0.0.1:{self._server.server_address[1]}/link/?ticket={ticket}&app_id=A_FUELBOT"

    # -- playing Slack -------------------------------------------------------------------------
    @property
    def connected(self) -> int:
        """Live connections (a silently dropped one no longer counts)."""
        with self._cond:
            return len(self._live())

    def wait_for_connections(self, count: int, timeout: float = 5.0) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: len(self._live()) >= count, timeout)

    def wait_for_accepted(self, count: int, timeout: float) -> bool:
        """Block until ``count`` connections were ever admitted (a reconnect adds one)."""
        with self._cond:
            return self._cond.wait_for(lambda: self.accepted >= count and bool(self._live()), timeout)

    def send_envelope(self, type: str, payload: dict[str, Any], *, retry_attempt: int | None = None,
                      retry_reason: str | None = None, timeout: float = 5.0) -> str:
        """Deliver one envelope to the newest live connection (waiting up to ``timeout`` for one); its id.

        ``accepts_response_payload`` is set as Slack sets it for ``type`` and the payload's own type.
        ``retry_attempt`` plays an ``events_api`` retry whose earlier deliveries never reached the app.
        """
        check_envelope(type, payload)
        if retry_attempt is not None and type != "events_api":
            raise ValueError("Slack sets retry_attempt only on events_api envelopes, never on "
                             f"{type} (docs.slack.dev/apis/events-api/using-socket-mode)")
        delivery = Delivery(envelope_id=str(uuid.uuid4()), type=type, payload=payload,
                            accepts_payload=accepts_response_payload(type, payload),
                            attempt=retry_attempt or 0, retry_reason=retry_reason or "timeout")
        with self._cond:
            if not self._cond.wait_for(self._live, timeout):
                raise TimeoutError(f"no Socket Mode connection within {timeout}s")
            self._deliveries[delivery.envelope_id] = delivery
            connection = self._live()[-1]
            envelope = delivery.envelope()
            delivery.went_out(envelope, self._clock())
        connection.send_json(envelope)
        return delivery.envelope_id

    def wait_for_ack(self, envelope_id: str, timeout: float = 5.0) -> Ack:
        """The app's first ack of ``envelope_id``; TimeoutError if none comes within ``timeout`` seconds."""
        with self._cond:
            if not self._cond.wait_for(lambda: envelope_id in self._acks, timeout):
                raise TimeoutError(f"no ack for envelope {envelope_id} within {timeout}s")
            return self._acks[envelope_id]

    def wait_for_deliveries(self, envelope_id: str, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        """The envelopes sent for ``envelope_id`` once there are ``count`` (retries included)."""
        with self._cond:
            delivery = self._deliveries[envelope_id]
            if not self._cond.wait_for(lambda: len(delivery.sent) >= count, timeout):
                raise TimeoutError(f"envelope {envelope_id} went out {len(delivery.sent)} times, not {count}, "
                                   f"within {timeout}s")
            return list(delivery.sent)

    def delay_acks(self, seconds: float, *, count: int = 1) -> None:
        """The app's next ``count`` acks reach Slack ``seconds`` late (a congested uplink)."""
        with self._cond:
            self._ack_delays.extend([seconds] * count)

    def disconnect(self, reason: str, *, close_after: float | None = None) -> None:
        """Send ``{"type": "disconnect", "reason": reason}`` to every live connection, as Slack does.

        ``refresh_requested`` closes them ``REFRESH_CLOSE_SECONDS`` later (or ``close_after``);
        ``link_disabled`` closes them at once and refuses new ones until ``enable_link()``.
        """
        if reason not in DISCONNECT_REASONS:
            raise ValueError(f"Slack's disconnect reasons are {', '.join(DISCONNECT_REASONS)}")
        with self._cond:
            targets = list(self._live())
            if reason == "link_disabled":
                self._link_enabled = False
        for connection in targets:
            connection.send_json({"type": "disconnect", "reason": reason,
                                  "debug_info": {"host": "local-socket"}})
        if reason == "link_disabled":
            for connection in targets:
                connection.close()
        elif reason == "refresh_requested" or close_after is not None:
            delay = REFRESH_CLOSE_SECONDS if close_after is None else close_after
            for connection in targets:
                threading.Timer(delay, connection.close).start()

    def enable_link(self) -> None:
        """Socket Mode is turned back on in the app's settings."""
        with self._cond:
            self._link_enabled = True

    def drop_silently(self) -> None:
        """Every live connection goes half-open: no frame in either direction, no FIN, no close."""
        with self._cond:
            for connection in self._live():
                connection.silent = True
            self._cond.notify_all()

    def ping_all(self) -> None:
        """Ping every live connection, as Slack's servers do now and then."""
        with self._cond:
            targets = list(self._live())
        for connection in targets:
            connection.send(PING, b"local-socket")

    @property
    def pongs(self) -> int:
        """Pongs the live connections sent back to our pings."""
        with self._cond:
            return sum(c.pongs for c in self._live())

    # -- called from connection threads ------------------------------------------------------
    def admit(self, ticket: str) -> str | None:
        """None to accept a handshake, else the HTTP status line refusing it."""
        with self._cond:
            if ticket not in self._tickets:
                return "401 Unauthorized"
            self._tickets.discard(ticket)
            if not self._link_enabled:
                return "403 Forbidden"
            return None

    def attached(self, connection: Connection) -> None:
        with self._cond:
            too_many = len(self._live()) >= MAX_CONNECTIONS
            if not too_many:
                connection.send_json({"type": "hello", "num_connections": len(self._live()) + 1,
                                      "debug_info": {"host": "local-socket"},
                                      "connection_info": {"app_id": "A_FUELBOT"}})
                self._connections.append(connection)   # after hello: no envelope may overtake it
                self.accepted += 1
                self._cond.notify_all()
        if too_many:
            connection.send_json({"type": "disconnect", "reason": "too_many_websockets",
                                  "debug_info": {"host": "local-socket"}})
            connection.close()

    def detached(self, connection: Connection) -> None:
        with self._cond:
            if connection in self._connections:
                self._connections.remove(connection)
            self._cond.notify_all()

    def received(self, message: dict[str, Any]) -> None:
        """A frame from the app: an ack, possibly held back by ``delay_acks``."""
        with self._cond:
            delay = self._ack_delays.pop(0) if self._ack_delays else 0.0
        if delay:
            threading.Timer(delay, self._take_ack, args=(message,)).start()
        else:
            self._take_ack(message)

    def _take_ack(self, message: dict[str, Any]) -> None:
        envelope_id = message.get("envelope_id")
        payload = message.get("payload")
        problems: list[tuple[str, str]] = []
        shown: tuple[dict[str, Any], dict[str, Any]] | None = None
        with self._cond:
            delivery = self._deliveries.get(envelope_id) if isinstance(envelope_id, str) else None
            if delivery is None:
                problems.append(("unknown_envelope", f"an ack names envelope_id {envelope_id!r}, which Slack "
                                                     "never sent; the envelope it meant is not acknowledged"))
            else:
                first = not delivery.acked
                on_time = delivery.on_time(self._clock())
                delivery.acked = True
                self._acks.setdefault(delivery.envelope_id, Ack(delivery.envelope_id, payload))
                self._cond.notify_all()
                if payload and not delivery.accepts_payload:
                    problems.append(("payload_not_accepted", f"the ack of a {delivery.type} envelope "
                                                             f"({delivery.payload.get('type')}) carries a payload; "
                                                             "Slack ignores it (accepts_response_payload is false)"))
                elif payload and first and on_time:
                    shown = (delivery.payload, payload)
        self._report(problems)
        if shown is None:
            return
        if delivery is not None and delivery.type == "slash_commands" and self._on_command_answer is not None:
            self._on_command_answer(*shown)
        elif self._on_ack_payload is not None:
            self._on_ack_payload(shown[1])

    def _watch_acks(self) -> None:
        """Flag acks that missed Slack's 3 seconds and send the retries that are due."""
        while True:
            problems: list[tuple[str, str]] = []
            sends: list[tuple[Connection, dict[str, Any]]] = []
            with self._cond:
                self._cond.wait(WATCH_SECONDS)
                if not self._running:
                    return
                now = self._clock()
                for delivery in self._deliveries.values():
                    if delivery.missed(now):
                        then = "Slack gives up on it" if delivery.given_up else "Slack sends it again"
                        problems.append(("ack_late", f"{delivery.type} envelope {delivery.envelope_id} "
                                                      f"({delivery.payload.get('type') or delivery.type}) was not "
                                                      f"acknowledged within 3 s; {then}"))
                    live = self._live()
                    if delivery.due(now) and live:
                        envelope = delivery.envelope()
                        delivery.went_out(envelope, now)
                        sends.append((live[-1], envelope))
                if sends:
                    self._cond.notify_all()
            self._report(problems)
            for connection, envelope in sends:
                connection.send_json(envelope)

    def _report(self, problems: list[tuple[str, str]]) -> None:
        if self._on_violation is not None:
            for rule, detail in problems:
                self._on_violation(rule, detail)

    def _live(self) -> list[Connection]:
        return [c for c in self._connections if not c.silent]
