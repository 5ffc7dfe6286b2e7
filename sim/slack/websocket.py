"""A minimal RFC 6455 WebSocket server connection on the standard library, for LocalSocket.

The HTTP Upgrade handshake, unfragmented frames both ways (client frames masked, ours not), ping
answered with pong, close echoed. What the connection means to Slack (tickets, hello, envelopes,
disconnects) is ``sim.slack.socket_mode``'s business, reached through ``server.owner``.
"""
from __future__ import annotations

import base64
import hashlib
import json
import socket
import socketserver
import struct
import threading
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

if TYPE_CHECKING:
    from sim.slack.socket_mode import LocalSocket

WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
TEXT, CLOSE, PING, PONG = 0x1, 0x8, 0x9, 0xA


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


class Connection(socketserver.StreamRequestHandler):
    """One app connection. ``silent`` makes it a half-open one: nothing read is answered or
    acted on and nothing is sent, while TCP stays up (a NAT that forgot the flow)."""

    server: "Server"
    silent = False
    pongs = 0

    def handle(self) -> None:
        self._lock = threading.Lock()
        if not self._handshake():
            return
        owner = self.server.owner
        try:
            owner.attached(self)
            while (received := self._read_frame()) is not None:
                opcode, data = received
                if self.silent:
                    continue
                if opcode == TEXT:
                    owner.received(json.loads(data))
                elif opcode == PING:
                    self.send(PONG, data)
                elif opcode == PONG:
                    self.pongs += 1
                elif opcode == CLOSE:
                    self.send(CLOSE, data[:2])
                    return
        except (OSError, ValueError, struct.error):   # the client went away or sent garbage: drop it
            return
        finally:
            owner.detached(self)

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
        refusal = self.server.owner.admit(ticket)
        if refusal is not None:
            self.wfile.write(f"HTTP/1.1 {refusal}\r\nContent-Length: 0\r\n\r\n".encode())
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
        if self.silent:
            return
        with self._lock:
            self.wfile.write(frame(opcode, data))

    def send_json(self, message: dict[str, Any]) -> None:
        self.send(TEXT, json.dumps(message).encode())

    def close(self) -> None:
        """Close as Slack does after a refresh: a close frame, then the TCP connection."""
        try:
            self.send(CLOSE, struct.pack("!H", 1000))
        except OSError:
            pass
        self.drop()

    def drop(self) -> None:
        """Cut the TCP connection without a word."""
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:   # already gone
            pass


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    owner: "LocalSocket"
