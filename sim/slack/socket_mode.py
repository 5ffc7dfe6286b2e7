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
* sets ``retry_attempt`` / ``retry_reason`` on redelivered ``events_api`` envelopes only.

Envelopes go to the newest live connection (Slack picks one of an app's connections).
"""
from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from typing import Any, Callable

from sim.slack.websocket import PING, Connection, Server

MAX_CONNECTIONS = 10
DISCONNECT_REASONS = ("warning", "refresh_requested", "link_disabled", "too_many_websockets")
REFRESH_CLOSE_SECONDS = 1.0     # Slack closes a refreshed connection shortly after asking


@dataclass(frozen=True)
class Ack:
    """The app's answer to one envelope; ``payload`` is None for a bare ack."""

    envelope_id: str
    payload: dict[str, Any] | None


class LocalSocket:
    """Slack's Socket Mode endpoint; ``start()`` it, hand ``issue_url()`` to the app."""

    def __init__(self, *, on_ack_payload: Callable[[dict[str, Any]], object] | None = None) -> None:
        self._cond = threading.Condition()
        self._tickets: set[str] = set()
        self._connections: list[Connection] = []
        self._acks: dict[str, Ack] = {}
        self._server: Server | None = None
        self._link_enabled = True
        self._on_ack_payload = on_ack_payload
        self.accepted = 0                        # connections ever admitted (reconnects show here)

    def start(self) -> "LocalSocket":
        self._server = Server(("127.0.0.1", 0), Connection)
        self._server.owner = self
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                         name="local-socket", daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop accepting and drop every connection (their threads end on the EOF)."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._server = None
        with self._cond:
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

    def send_envelope(self, type: str, payload: dict[str, Any], *, accepts_response_payload: bool = True,
                      retry_attempt: int | None = None, retry_reason: str | None = None,
                      timeout: float = 5.0) -> str:
        """Deliver one envelope to the newest live connection (waiting up to ``timeout`` for one); its id."""
        if retry_attempt is not None and type != "events_api":
            raise ValueError("Slack sets retry_attempt only on events_api envelopes, never on "
                             f"{type} (docs.slack.dev/apis/events-api/using-socket-mode)")
        envelope_id = str(uuid.uuid4())
        envelope: dict[str, Any] = {"envelope_id": envelope_id, "type": type, "payload": payload,
                                    "accepts_response_payload": accepts_response_payload}
        if retry_attempt is not None:
            envelope.update(retry_attempt=retry_attempt, retry_reason=retry_reason or "timeout")
        with self._cond:
            if not self._cond.wait_for(self._live, timeout):
                raise TimeoutError(f"no Socket Mode connection within {timeout}s")
            connection = self._live()[-1]
        connection.send_json(envelope)
        return envelope_id

    def wait_for_ack(self, envelope_id: str, timeout: float = 5.0) -> Ack:
        """The app's ack of ``envelope_id``; TimeoutError if none comes within ``timeout`` seconds."""
        with self._cond:
            if not self._cond.wait_for(lambda: envelope_id in self._acks, timeout):
                raise TimeoutError(f"no ack for envelope {envelope_id} within {timeout}s")
            return self._acks[envelope_id]

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
        if "envelope_id" not in message:
            return
        payload = message.get("payload")
        if payload and self._on_ack_payload is not None:
            self._on_ack_payload(payload)
        with self._cond:
            self._acks[message["envelope_id"]] = Ack(message["envelope_id"], payload)
            self._cond.notify_all()

    def _live(self) -> list[Connection]:
        return [c for c in self._connections if not c.silent]
