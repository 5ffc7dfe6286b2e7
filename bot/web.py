"""fuelbot's HTTP face as one WSGI app: Slack's request URL, a health check and Prometheus metrics.

    POST /slack/events   Slack's requests: the signature is checked on the raw body first (401),
                         then the payload's shape (400), then Bolt; 404 without a signing secret
                         (Socket Mode only)
    GET  /healthz        200 {"status": "ok", "database": "ok", "scheduler": "running", "outbox_pending": n};
                         503 when the database does not answer or the scheduler has stopped; the
                         answer is reused for a second or two, so a flood of probes costs nothing
    GET  /metrics        Prometheus text, only where the settings say: on its own listener
                         (FUELBOT_METRICS_ADDRESS) or with ``Authorization: Bearer FUELBOT_METRICS_TOKEN``
    GET  /jobs/<id>      a job's page, behind a signed expiring link (``bot.job_page``)

``FuelbotWSGI`` is a plain WSGI callable; ``bot.http_server`` serves it (waitress, bounded);
``serve_socket_mode`` connects the same Bolt app through Socket Mode when ``SLACK_APP_TOKEN`` is set
(``bot.socket_mode``: dead links noticed within seconds, each disconnect reason handled).
"""
from __future__ import annotations

import hmac
import json
import logging
import threading
import time
from typing import Any, Callable, Iterable, Sequence, cast

from slack_bolt import App, BoltRequest
from slack_bolt.adapter.wsgi.http_response import WsgiHttpResponse
from sqlalchemy import text
from sqlalchemy.orm import Session

from bot import slack_request
from bot.http_server import ServerHandle as ServerHandle, serve_http as serve_http   # where fuelbot serves WSGI
from bot.metrics import CONTENT_TYPE, Metrics
from bot.slack_app import RECEIVED_AT
from bot.socket_mode import PING_SECONDS, ResilientSocketModeHandler
from core.redact import scrub
from jobs.outbox import pending_count

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
MAX_BODY_BYTES = 1_000_000       # Slack's payloads are a few kB; refuse anything absurd before reading it
HEALTH_REUSE_SECONDS = 2.0

StartResponse = Callable[..., Any]


class FuelbotWSGI:
    """The WSGI callable: routes Slack, health and metrics requests."""

    def __init__(self, *, app: App, metrics: Metrics, session_factory: Callable[[], Session],
                 signing_secret: str | None = None, scheduler_running: Callable[[], bool] | None = None,
                 job_pages: Callable[[dict, StartResponse], Iterable[bytes]] | None = None,
                 metrics_open: bool = False, metrics_token: str | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._app = app
        self._verifier = slack_request.Signature(signing_secret) if signing_secret else None
        self._job_pages = job_pages
        self._metrics = metrics
        self._metrics_open = metrics_open
        self._metrics_token = metrics_token
        self._session_factory = session_factory
        self._scheduler_running = scheduler_running
        self._clock = clock
        self._health_lock = threading.Lock()
        self._health: tuple[float, tuple[int, dict[str, Any]]] | None = None

    def __call__(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        received_at = time.perf_counter()
        method, path = environ.get("REQUEST_METHOD", "GET"), environ.get("PATH_INFO", "/")
        if path == EVENTS_PATH and method == "POST" and self._verifier is not None:
            return self._slack(environ, start_response, received_at)
        if path == "/healthz" and method == "GET":
            status, body = self.cached_health()
            return _respond(start_response, status, json.dumps(body).encode(), "application/json")
        if path == "/metrics" and method == "GET" and (self._metrics_open or self._metrics_token):
            if not self._metrics_open and not _bearer_matches(environ, self._metrics_token or ""):
                return _respond(start_response, 401, b"Unauthorized", "text/plain; charset=utf-8",
                                [("WWW-Authenticate", 'Bearer realm="fuelbot metrics"')])
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
        raw = environ["wsgi.input"].read(length) if length else b""
        assert self._verifier is not None           # routed here only with a signing secret
        headers = _headers(environ)
        verdict = slack_request.check(raw, headers, self._verifier)
        if verdict.status != 200:
            # Anyone can POST here: a refusal is counted, and logged below ERROR (no body, no headers).
            self._metrics.http_rejected(verdict.status)
            log.info("refused a request to %s: %s (%d)", EVENTS_PATH, verdict.reason, verdict.status)
            return _respond(start_response, verdict.status, verdict.reason.encode(), "text/plain; charset=utf-8")
        body = raw.decode("utf-8")                  # the verdict says it is UTF-8
        try:
            bolt_response = self._app.dispatch(BoltRequest(
                body=body, query=str(environ.get("QUERY_STRING") or ""), headers=cast("dict[str, str | Sequence[str]]", headers),
                context={RECEIVED_AT: received_at}))
        except Exception as exc:   # the server would log the traceback, request body and all
            log.error("Bolt failed to dispatch a request: %s", scrub(f"{type(exc).__name__}: {exc}"))
            return _respond(start_response, 500, b"Internal Server Error", "text/plain; charset=utf-8")
        response = WsgiHttpResponse(status=bolt_response.status, headers=bolt_response.headers,
                                    body=bolt_response.body)
        start_response(response.status, response.get_headers())
        return response.get_body()

    def cached_health(self) -> tuple[int, dict[str, Any]]:
        """``health()``, reused for ``HEALTH_REUSE_SECONDS``: probes are free, the database is asked once."""
        with self._health_lock:
            now = self._clock()
            if self._health is None or now - self._health[0] >= HEALTH_REUSE_SECONDS:
                self._health = (now, self.health())
            return self._health[1]

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


def _respond(start_response: StartResponse, status: int, body: bytes, content_type: str,
             extra: list[tuple[str, str]] | None = None) -> list[bytes]:
    reason = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 413: "Payload Too Large",
              500: "Internal Server Error", 503: "Service Unavailable"}[status]
    start_response(f"{status} {reason}", [("Content-Type", content_type), ("Content-Length", str(len(body))),
                                          *(extra or [])])
    return [body]


def _headers(environ: dict) -> dict[str, str]:
    """The request's headers, lower-case names (WSGI spells them HTTP_X_SLACK_SIGNATURE, and keeps the
    body's type and length apart), as Bolt's WSGI adapter hands them on."""
    headers = {key[5:].replace("_", "-").lower(): str(value) for key, value in environ.items()
               if key.startswith("HTTP_")}
    headers["content-type"] = str(environ.get("CONTENT_TYPE") or "")
    if environ.get("CONTENT_LENGTH"):
        headers["content-length"] = str(environ["CONTENT_LENGTH"])
    return headers


def _bearer_matches(environ: dict, token: str) -> bool:
    given = str(environ.get("HTTP_AUTHORIZATION") or "")
    return bool(token) and hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


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
