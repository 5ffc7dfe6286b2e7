"""LocalSocket: Slack's side of Socket Mode on ``ws://127.0.0.1``, for tests and the console.

Slack's Socket Mode, as far as a Bolt app sees it: the app calls ``apps.connections.open`` (on
LocalSlack), dials the ``ws://`` URL it gets, receives ``{"type": "hello"}``, then envelopes
``{"envelope_id", "type", "payload", "accepts_response_payload"}``, and acks each one with
``{"envelope_id", "payload"?}``. ``send_envelope`` plays Slack; ``wait_for_ack`` reads the answer.

A minimal RFC 6455 server on the standard library: the HTTP Upgrade handshake, unfragmented
text frames both ways (client frames masked, ours not), ping → pong, and close echoed. A URL
works only with a ticket this server issued, as Slack's does. Envelopes go to the newest
connection (Slack picks one of up to ten).
"""
from __future__ import annotations

import base64
import hashlib
import json
import socket
import socketserver
import struct
import threading
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
TEXT, CLOSE, PING, PONG = 0x1, 0x8, 0x9, 0xA


@dataclass(frozen=True)
class Ack:
    """The app's answer to one envelope; ``payload`` is None for a bare ack."""

    envelope_id: str
    payload: dict[str, Any] | None


def accept_key(key: str) -> str:
    """``Sec-WebSocket-Accept`` for a client's ``Sec-WebSocket-Key`` (RFC 6455 §4.2.2)."""
    return base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()


def frame(opcode: int, data: bytes) -> bytes:
    """One unmasked, final frame, as a server sends it."""
    n = len(data)
    if n < 126:
        header = struct.pack("!BB", 0x80 | opcode, n)
    elif n < 1 << 16:
        header = struct.pack("!BBH", 0x80 | opcode, 126, n)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 127, n)
    return header + data


class _Connection(socketserver.StreamRequestHandler):
    server: "_Server"

    def handle(self) -> None:
        if not self._handshake():
            return
        self._lock = threading.Lock()
        try:
            self.send(TEXT, json.dumps({"type": "hello", "num_connections": 1,
                                        "debug_info": {"host": "local-socket"},
                                        "connection_info": {"app_id": "A_FUELBOT"}}).encode())
            self.server.owner._attach(self)   # after hello: no envelope may overtake it
            while (received := self._read_frame()) is not None:
                opcode, data = received
                if opcode == TEXT:
                    self.server.owner._record(json.loads(data))
                elif opcode == PING:
                    self.send(PONG, data)
                elif opcode == CLOSE:
                    self.send(CLOSE, data[:2])
                    return
        except (OSError, ValueError, struct.error):   # the client went away or sent garbage: drop it
            return
        finally:
            self.server.owner._detach(self)

    def _handshake(self) -> bool:
        request_line = self.rfile.readline(65537).decode("latin-1")
        headers: dict[str, str] = {}
        while (line := self.rfile.readline(65537).decode("latin-1").strip()):
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        parts = request_line.split()
        ticket = parse_qs(urlsplit(parts[1]).query).get("ticket", [""])[0] if len(parts) == 3 else ""
        key = headers.get("sec-websocket-key")
        if headers.get("upgrade", "").lower() != "websocket" or not key:
            self.wfile.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            return False
        if not self.server.owner._valid(ticket):
            self.wfile.write(b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n")
            return False
        self.wfile.write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                          f"Sec-WebSocket-Accept: {accept_key(key)}\r\n\r\n").encode())
        return True

    def _read_frame(self) -> tuple[int, bytes] | None:
        head = self.rfile.read(2)
        if len(head) < 2:
            return None
        opcode, length = head[0] & 0x0F, head[1] & 0x7F
        if length == 126:
            (length,) = struct.unpack("!H", self.rfile.read(2))
        elif length == 127:
            (length,) = struct.unpack("!Q", self.rfile.read(8))
        mask = self.rfile.read(4) if head[1] & 0x80 else b""
        data = self.rfile.read(length)
        if mask:
            data = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
        return opcode, data

    def send(self, opcode: int, data: bytes) -> None:
        with self._lock:
            self.wfile.write(frame(opcode, data))


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    owner: "LocalSocket"


class LocalSocket:
    """Slack's Socket Mode endpoint; ``start()`` it, hand ``issue_url()`` to the app."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._tickets: set[str] = set()
        self._connections: list[_Connection] = []
        self._acks: dict[str, Ack] = {}
        self._server: _Server | None = None

    def start(self) -> "LocalSocket":
        self._server = _Server(("127.0.0.1", 0), _Connection)
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
                try:
                    connection.connection.shutdown(socket.SHUT_RDWR)
                except OSError:   # already gone
                    pass

    def issue_url(self) -> str:
        """A fresh ``ws://`` URL with a one-connection ticket, as ``apps.connections.open`` returns."""
        if self._server is None:
            raise RuntimeError("LocalSocket is not started")
        ticket = uuid.uuid4().hex
        with self._cond:
            self._tickets.add(ticket)
        return f"ws://127.0.0.1:{self._server.server_address[1]}/link/?ticket={ticket}&app_id=A_FUELBOT"

    @property
    def connected(self) -> int:
        with self._cond:
            return len(self._connections)

    def send_envelope(self, type: str, payload: dict[str, Any], *, accepts_response_payload: bool = True,
                      retry_attempt: int | None = None, retry_reason: str | None = None,
                      timeout: float = 5.0) -> str:
        """Deliver one envelope to the newest connection (waiting up to ``timeout`` for one); its id."""
        envelope_id = str(uuid.uuid4())
        envelope: dict[str, Any] = {"envelope_id": envelope_id, "type": type, "payload": payload,
                                    "accepts_response_payload": accepts_response_payload}
        if retry_attempt is not None:
            envelope.update(retry_attempt=retry_attempt, retry_reason=retry_reason or "timeout")
        with self._cond:
            if not self._cond.wait_for(lambda: self._connections, timeout):
                raise TimeoutError(f"no Socket Mode connection within {timeout}s")
            connection = self._connections[-1]
        connection.send(TEXT, json.dumps(envelope).encode())
        return envelope_id

    def wait_for_ack(self, envelope_id: str, timeout: float = 5.0) -> Ack:
        """The app's ack of ``envelope_id``; TimeoutError if none comes within ``timeout`` seconds."""
        with self._cond:
            if not self._cond.wait_for(lambda: envelope_id in self._acks, timeout):
                raise TimeoutError(f"no ack for envelope {envelope_id} within {timeout}s")
            return self._acks[envelope_id]

    # -- called from connection threads ------------------------------------------------------
    def _valid(self, ticket: str) -> bool:
        with self._cond:
            if ticket not in self._tickets:
                return False
            self._tickets.discard(ticket)
            return True

    def _attach(self, connection: _Connection) -> None:
        with self._cond:
            self._connections.append(connection)
            self._cond.notify_all()

    def _detach(self, connection: _Connection) -> None:
        with self._cond:
            if connection in self._connections:
                self._connections.remove(connection)
            self._cond.notify_all()

    def _record(self, message: dict[str, Any]) -> None:
        if "envelope_id" not in message:
            return
        with self._cond:
            self._acks[message["envelope_id"]] = Ack(message["envelope_id"], message.get("payload"))
            self._cond.notify_all()
