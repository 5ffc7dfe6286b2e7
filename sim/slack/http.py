"""LocalSlack's HTTP face: the Web API under ``/api/``, ``response_url``s under ``/hooks/``, file
upload URLs under ``/upload/``, and permalinks under ``/archives/``.

Bodies arrive as Slack accepts them: JSON (``chat.postMessage`` from slack_sdk), form-encoded
(most other methods), query parameters (GET), or raw bytes (a file upload).
"""
from __future__ import annotations

import json
import socket
import time
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from sim.slack.contract import METHODS
from sim.slack.web_api import token_of

if TYPE_CHECKING:
    from sim.slack.workspace import LocalSlack


def handler_for(slack: LocalSlack) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:   # keep test output quiet
            return

        def do_GET(self) -> None:
            self._dispatch(b"")

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self._dispatch(self.rfile.read(length) if length else b"")

        def _dispatch(self, raw: bytes) -> None:
            url = urlsplit(self.path)
            content_type = self.headers.get("Content-Type") or ""
            if url.path.startswith("/upload/"):
                status, text = slack.handle_upload(url.path[len("/upload/"):], raw, content_type)
                self._reply(status, text.encode(), "text/plain; charset=utf-8", {})
                return
            params: dict[str, Any] = dict(parse_qsl(url.query))
            body = raw.decode("utf-8") if raw else ""
            method = url.path[len("/api/"):]
            if body and "json" in content_type and method in METHODS and not METHODS[method].json_body:
                slack.violation(method, "json_body", f"{method} takes form-encoded arguments only; the JSON "
                                "body was not read")
            elif body and "json" in content_type:
                params.update(json.loads(body))
            elif body:
                params.update(parse_qsl(body, keep_blank_values=True))
            if url.path.startswith("/hooks/"):
                status, text = slack.handle_hook(url.path[len("/hooks/"):], params)
                self._reply(status, text.encode(), "text/plain; charset=utf-8", {})
            elif url.path.startswith("/api/"):
                token = token_of(self.headers.get("Authorization") or "", params)
                answer = slack.handle(url.path[len("/api/"):], params, token)
                if answer.drop:                  # an outage that closes the connection without a word
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if answer.delay:
                    time.sleep(answer.delay)
                self._reply(answer.status, json.dumps(answer.body).encode(), "application/json; charset=utf-8",
                            answer.headers)
            else:
                self._reply(200 if url.path.startswith("/archives/") else 404, b"", "text/plain", {})

        def _reply(self, status: int, body: bytes, content_type: str, headers: dict[str, str]) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name, value)
            try:
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):    # the caller gave up waiting, as on Slack
                self.close_connection = True

    return Handler
