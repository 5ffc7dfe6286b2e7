"""bot.web routing that needs no database: unknown paths, oversized bodies, a failing dispatcher."""
from __future__ import annotations

import io

from bot.metrics import Metrics
from bot.web import FuelbotWSGI


class ExplodingApp:
    def dispatch(self, request):
        raise RuntimeError("boom xoxb-123-456-secret")


def call(wsgi: FuelbotWSGI, method: str, path: str, body: bytes = b"", length: str | None = None):
    captured = {}

    def start_response(status, headers):
        captured["status"] = status
    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": "", "SERVER_PROTOCOL": "HTTP/1.1",
               "CONTENT_LENGTH": length if length is not None else str(len(body)), "wsgi.input": io.BytesIO(body),
               "CONTENT_TYPE": "application/x-www-form-urlencoded"}
    chunks = wsgi(environ, start_response)
    return captured["status"], b"".join(chunks)


def wsgi() -> FuelbotWSGI:
    return FuelbotWSGI(app=ExplodingApp(), metrics=Metrics(), session_factory=lambda: None)


def test_unknown_path_is_404() -> None:
    assert call(wsgi(), "GET", "/slack/events")[0].startswith("404")
    assert call(wsgi(), "POST", "/elsewhere")[0].startswith("404")


def test_oversized_or_malformed_length_is_refused_before_reading() -> None:
    assert call(wsgi(), "POST", "/slack/events", length="50000000")[0].startswith("413")
    assert call(wsgi(), "POST", "/slack/events", length="-1")[0].startswith("413")


def test_a_failing_dispatch_is_a_plain_500_with_a_scrubbed_log(caplog) -> None:
    status, body = call(wsgi(), "POST", "/slack/events", b"a=b")
    assert status.startswith("500") and b"boom" not in body
    assert "boom" in caplog.text and "xoxb-123" not in caplog.text


def test_metrics_without_a_database() -> None:
    status, body = call(wsgi(), "GET", "/metrics")
    assert status.startswith("200") and b"fuelbot_commands_total" in body
