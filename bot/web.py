"""fuelbot's HTTP face as one WSGI app: Slack's request URL, a health check and Prometheus metrics.

    POST /slack/events   Bolt (signature and timestamp verified by Bolt); 404 when fuelbot has no
                         signing secret (Socket Mode only), rather than Bolt's 500
    GET  /healthz        200 {"status": "ok", "database": "ok", "scheduler": "running", "outbox_pending": n};
                         503 when the database does not answer or the scheduler has stopped
    GET  /metrics        Prometheus text
    GET  /jobs/<id>      a job's page, behind a signed expiring link (``bot.job_page``)

``FuelbotWSGI`` is a plain WSGI callable; ``serve_http`` runs it on a threaded wsgiref server;
``serve_socket_mode`` connects the same Bolt app through Socket Mode when ``SLACK_APP_TOKEN`` is set
(``bot.socket_mode``: dead links noticed within seconds, each disconnect reason handled).
"""
from __future__ import annotations

import json
import logging
import threading
import time
from socketserver import ThreadingMixIn
from typing import Any, Callable, Iterable
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt import App, BoltRequest
from slack_bolt.adapter.wsgi.http_request import WsgiHttpRequest
from slack_bolt.adapter.wsgi.http_response import WsgiHttpResponse
from sqlalchemy import text
from sqlalchemy.orm import Session

from bot.metrics import CONTENT_TYPE, Metrics
from bot.slack_app import RECEIVED_AT
from bot.socket_mode import PING_SECONDS, ResilientSocketModeHandler
from core.redact import scrub
from jobs.outbox import pending_count

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
MAX_BODY_BYTES = 1_000_000       # Slack's payloads are a few kB; refuse anything absurd before reading it

StartResponse = Callable[..., Any]


class FuelbotWSGI:
    """The WSGI callable: routes Slack, health and metrics requests."""

    def __init__(self, *, app: App, metrics: Metrics, session_factory: Callable[[], Session],
                 scheduler_running: Callable[[], bool] | None = None,
                 job_pages: Callable[[dict, StartResponse], Iterable[bytes]] | None = None,
                 slack_over_http: bool = True) -> None:
        self._app = app
        self._job_pages = job_pages
        self._metrics = metrics
        self._session_factory = session_factory
        self._scheduler_running = scheduler_running
        self._slack_over_http = slack_over_http

    def __call__(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        received_at = time.perf_counter()
        method, path = environ.get("REQUEST_METHOD", "GET"), environ.get("PATH_INFO", "/")
        if path == EVENTS_PATH and method == "POST" and self._slack_over_http:
            return self._slack(environ, start_response, received_at)
        if path == "/healthz" and method == "GET":
            status, body = self.health()
            return _respond(start_response, status, json.dumps(body).encode(), "application/json")
        if path == "/metrics" and method == "GET":
            return _respond(start_response, 200, self._metrics.render(), CONTENT_TYPE)
        if path.startswith("/jobs/") and self._job_pages is not None:
            return self._job_pages(environ, start_response)
        return _respond(start_response, 404, b"Not Found", "text/plain; charset=utf-8")

    def _slack(self, environ: dict, start_response: StartResponse, received_at: float) -> Iterable[bytes]:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY_BYTES:
            return _respond(start_response, 413, b"Payload Too Large", "text/plain; charset=utf-8")
        request = WsgiHttpRequest(environ)
        try:
            bolt_response = self._app.dispatch(BoltRequest(
                body=request.get_body(), query=request.query_string, headers=request.get_headers(),
                context={RECEIVED_AT: received_at}))
        except Exception as exc:   # wsgiref would print the traceback, request body and all, to stderr
            log.error("Bolt failed to dispatch a request: %s", scrub(f"{type(exc).__name__}: {exc}"))
            return _respond(start_response, 500, b"Internal Server Error", "text/plain; charset=utf-8")
        response = WsgiHttpResponse(status=bolt_response.status, headers=bolt_response.headers,
                                    body=bolt_response.body)
        start_response(response.status, response.get_headers())
        return response.get_body()

    def health(self) -> tuple[int, dict[str, Any]]:
        """(status, body) of ``/healthz``."""
        body: dict[str, Any] = {"status": "ok"}
        status = 200
        try:
            with self._session_factory() as session:
                session.execute(text("SELECT 1"))
                body["outbox_pending"] = pending_count(session)
            body["database"] = "ok"
        except Exception as exc:   # the point of a health check is to report this, not raise it
            body.update(database=f"error: {type(exc).__name__}", outbox_pending=None)
            status = 503
        if self._scheduler_running is None:
            body["scheduler"] = "unknown"
        elif self._scheduler_running():
            body["scheduler"] = "running"
        else:
            body["scheduler"] = "stopped"    # nothing would be delivered or run: not healthy
            status = 503
        if status != 200:
            body["status"] = "unavailable"
        return status, body


def _respond(start_response: StartResponse, status: int, body: bytes, content_type: str) -> list[bytes]:
    reason = {200: "OK", 404: "Not Found", 413: "Payload Too Large", 500: "Internal Server Error",
              503: "Service Unavailable"}[status]
    start_response(f"{status} {reason}", [("Content-Type", content_type), ("Content-Length", str(len(body)))])
    return [body]


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128      # socketserver's default backlog of 5 resets bursts of Slack requests


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:   # access logs belong to a proxy, not stderr
        return


class ServerHandle:
    """A running HTTP server: ``url`` is its base URL, ``stop()`` shuts it down."""

    def __init__(self, server: WSGIServer, thread: threading.Thread) -> None:
        self._server = server
        self._thread = thread
        host = server.server_address[0]
        self.url = f"http://{host.decode() if isinstance(host, bytes) else host}:{server.server_port}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def serve_http(app: Callable[[dict, StartResponse], Iterable[bytes]], host: str, port: int) -> ServerHandle:
    """Serve the WSGI ``app`` on ``host:port`` (0 picks a free port) in a background thread."""
    server = make_server(host, port, app, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                              name=f"http-{server.server_address[1]}", daemon=True)
    thread.start()
    return ServerHandle(server, thread)


class SocketModeHandle:
    """A Socket Mode connection; ``stop()`` closes it."""

    def __init__(self, handler: ResilientSocketModeHandler) -> None:
        self._handler = handler

    @property
    def connected(self) -> bool:
        return self._handler.client.is_connected()

    def stop(self) -> None:
        self._handler.close()


def serve_socket_mode(app: App, app_token: str, *, ping_interval: float = PING_SECONDS) -> SocketModeHandle:
    """Connect ``app`` through Socket Mode (``xapp-…`` token with ``connections:write``), non-blocking.

    The handler reconnects by itself (``bot.socket_mode``); its Web API calls go through
    ``app.client`` (same base URL).
    """
    handler = ResilientSocketModeHandler(app, app_token, ping_interval=ping_interval)
    handler.connect()
    return SocketModeHandle(handler)
