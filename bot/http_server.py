"""fuelbot's HTTP server: waitress, with a cap on connections and a deadline to send a whole request.

A thread per connection (wsgiref's ThreadingMixIn, before) let 400 slow sockets hold 400 threads
for ever. waitress reads requests in one event loop and hands only complete requests to a small
pool of threads (Bolt's WSGI adapter reads ``wsgi.input`` as any WSGI server gives it), stops
accepting past ``connections`` open ones, and refuses bodies past ``max_body`` with a 413 before
reading them. Its ``channel_timeout`` is an idle timeout, though: a client that sends one byte
every few seconds is never idle. So a connection here also has ``read_timeout`` seconds to deliver
each request whole (as nginx's ``client_header_timeout`` does); one that is still incomplete
then, or silent that long, is dropped.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.server import TcpWSGIServer

log = logging.getLogger(__name__)

WSGIApp = Callable[[dict, Callable[..., Any]], Iterable[bytes]]


@dataclass(frozen=True)
class ServingLimits:
    """How much of the server one client may hold (``FUELBOT_HTTP_*`` settings)."""

    connections: int = 500          # open connections; past it, new ones wait in the listen backlog
    read_timeout: float = 10.0      # seconds to deliver one whole request, and to stay silent between two
    threads: int = 8                # requests handled at once (Bolt acks within 3 s; jobs run elsewhere)
    max_body: int = 1_000_000       # Slack's payloads are a few kB


class _DeadlineChannel(HTTPChannel):
    """A connection that remembers when the request it is still receiving began."""

    request_began: float | None = None

    def received(self, data: bytes) -> bool:
        if data and self.request is None:
            self.request_began = time.time()
        handled = bool(super().received(data))
        if self.request is None:
            self.request_began = None
        return handled


class _Server(TcpWSGIServer):
    channel_class = _DeadlineChannel
    read_timeout = 10.0

    def maintenance(self, now: float) -> None:   # waitress passes time.time(), a float
        """waitress closes idle connections; this also closes those too slow to send a request."""
        super().maintenance(now)   # type: ignore[arg-type]
        cutoff = now - self.read_timeout
        channels: dict[int, HTTPChannel] = _loose(self).active_channels
        for channel in list(channels.values()):
            began = getattr(channel, "request_began", None)
            if began is not None and began < cutoff and not channel.requests:
                channel.will_close = True


class ServerHandle:
    """A running HTTP server: ``url`` is its base URL, ``stop()`` closes it and every connection."""

    def __init__(self, server: _Server, thread: threading.Thread) -> None:
        self._server = server
        self._thread = thread
        self.url = f"http://{_loose(server).effective_host}:{_loose(server).effective_port}"

    def stop(self) -> None:
        """Close the server and its connections; a second call, or one after the loop ended, does no harm."""
        # Everything in the event loop's map is closed by the loop's own thread (the trigger runs
        # the thunk there); the loop ends when the map is empty.
        server = _loose(self._server)

        def close_all() -> None:
            for dispatcher in list(server._map.values()):
                if dispatcher is not server.trigger:
                    dispatcher.close()
            server.trigger.close()
        if self._thread.is_alive():
            try:
                server.trigger.pull_trigger(close_all)
            except OSError:        # the trigger is closed already: the loop is ending by itself
                pass
            self._thread.join(timeout=5)
        if self._thread.is_alive():
            log.warning("the HTTP server's loop did not end within 5 s of its stop")
        elif server._map:          # the loop ended before it ran close_all: nobody else touches the map now
            close_all()
        self._server.task_dispatcher.shutdown(timeout=5)


def _loose(server: _Server) -> Any:
    """The server untyped: types-waitress 3.0.1 declares ``trigger`` an int and ``active_channels`` one
    channel, and leaves out ``effective_host``/``effective_port``/``_map``, all of which waitress 3.0.2 has."""
    return server


def serve_http(app: WSGIApp, host: str, port: int, *, limits: ServingLimits = ServingLimits()) -> ServerHandle:
    """Serve the WSGI ``app`` on ``host:port`` (0 picks a free port) in a background thread."""
    adjustments = Adjustments(host=host, port=port, threads=limits.threads, connection_limit=limits.connections,
                              channel_timeout=max(1, int(limits.read_timeout)), cleanup_interval=1,
                              max_request_body_size=limits.max_body, asyncore_use_poll=True,
                              ident="fuelbot", log_socket_errors=False, ipv6=False)
    # waitress logs "Task queue depth is N" at WARNING for each request that waits for a thread: a
    # burst of 50 commands made 50 lines, and formatting them cost as much as answering.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    server = _Server(app, map={}, adj=adjustments)
    server.read_timeout = limits.read_timeout
    thread = threading.Thread(target=server.run, name=f"http-{_loose(server).effective_port}", daemon=True)
    thread.start()
    return ServerHandle(server, thread)
