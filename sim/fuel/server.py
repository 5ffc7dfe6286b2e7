"""HTTP plumbing: a threading HTTP/1.1 server on one port, like the master's nginx on 8000.

Besides serving, it can "go away" for a while (``go_away``): the listening socket is closed
(new connections are refused) and open connections are cut, then it listens again on the
same port.
"""
from __future__ import annotations

import logging
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sim.fuel.dispatch import Dispatcher
from sim.fuel.errors import DropConnection
from sim.ports import bind_again

log = logging.getLogger(__name__)
_MAX_BODY = 64 * 1024 * 1024


class FuelHttpServer(ThreadingHTTPServer):
    """Serves an :class:`Dispatcher`; restartable on the same port after an outage."""

    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], app: Dispatcher) -> None:
        super().__init__(address, _Handler)
        self.app = app
        self.down = False
        self._connections: set[socket.socket] = set()
        self._guard = threading.Lock()
        self._serve_thread: threading.Thread | None = None
        self._closed = False
        self.in_outage = False

    # ----- lifecycle ------------------------------------------------------------------------------------
    def start(self) -> None:
        self._serve_thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05},
                                              name="fuelsim-http", daemon=True)
        self._serve_thread.start()

    def stop(self) -> None:
        with self._guard:
            self._closed = True
        if not self.down:
            self.shutdown()
        self.server_close()
        self._cut_connections()

    def go_away(self, seconds: float) -> None:
        """Refuse and cut connections for ``seconds`` (wall), then listen again on the same port."""
        threading.Thread(target=self._outage, args=(seconds,), name="fuelsim-outage", daemon=True).start()

    def _outage(self, seconds: float) -> None:
        time.sleep(0.05)  # let the request that asked for the outage get its answer out
        self.in_outage = True
        try:
            if self.pause():
                time.sleep(seconds)
                self.resume()
        finally:
            self.in_outage = False

    def pause(self) -> bool:
        """Stop listening (connections are refused) and cut open ones; False if already down."""
        with self._guard:
            if self._closed or self.down:
                return False
            self.down = True
        self.shutdown()
        self.socket.close()
        self._cut_connections()
        return True

    def resume(self) -> None:
        """Listen again on the same port after :meth:`pause`."""
        with self._guard:
            if self._closed or not self.down:
                return
            self.socket = socket.socket(self.address_family, self.socket_type)
            self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            bind_again(self.socket, self.server_address)
            self.server_activate()
            self.down = False
        self.start()

    # ----- connection tracking --------------------------------------------------------------------------
    def track(self, conn: socket.socket) -> None:
        with self._guard:
            self._connections.add(conn)

    def untrack(self, conn: socket.socket) -> None:
        with self._guard:
            self._connections.discard(conn)

    def _cut_connections(self) -> None:
        with self._guard:
            connections = list(self._connections)
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("fuelsim: connection from %s ended with an error", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True   # headers and body go out as two writes: no 40 ms delayed-ACK stall
    server: FuelHttpServer

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.untrack(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("fuelsim: " + format, *args)

    def _drop(self) -> None:
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _read_body(self) -> bytes | None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = self.headers.get("Content-Length")
        if not length:
            return b""
        size = int(length)
        if not 0 <= size <= _MAX_BODY:
            raise ValueError(length)
        return self.rfile.read(size)

    def _dispatch(self) -> None:
        if self.server.down:
            self._drop()
            return
        try:
            body = self._read_body()
        except ValueError:
            self.send_error(400, "Invalid Content-Length")
            return
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            response = self.server.app.handle(self.command, self.path, headers, body or b"")
        except DropConnection:
            self._drop()
            return
        payload = b"" if response.status in (204, 304) else response.encode()
        self.send_response(response.status)
        headers = {"Content-Type": "application/json", **response.headers}   # nginx's /dump sets its own
        headers["Content-Length"] = str(len(payload))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _dispatch
