"""bot.web without a database: routing, what reaches Bolt (signed, well-formed), metrics access, cheap health."""
from __future__ import annotations

import hashlib
import hmac
import io
import json
import logging
import time
from urllib.parse import urlencode

import pytest
from slack_sdk.signature import SignatureVerifier

from bot.metrics import Metrics
from bot.web import FuelbotWSGI

SECRET = "test-signing-secret-0123456789"
FORM = "application/x-www-form-urlencoded"
COMMAND = urlencode({"command": "/fuel", "text": "help", "user_id": "U1", "channel_id": "C1"}).encode()


class ExplodingApp:
    """Bolt stand-in that fails loudly: any request that reaches it shows as a 500."""

    def __init__(self) -> None:
        self.dispatched = 0

    def dispatch(self, request):
        self.dispatched += 1
        raise RuntimeError("boom xoxb-123-456-secret")


def signed(body: bytes, *, secret: str = SECRET, age: float = 0) -> dict[str, str]:
    """Headers as Slack sends them: slack_sdk's signature, or the same HMAC on bytes it cannot decode."""
    timestamp = str(int(time.time() - age))
    try:
        signature = SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=body)
    except UnicodeDecodeError:
        signature = "v0=" + hmac.new(secret.encode(), f"v0:{timestamp}:".encode() + body, hashlib.sha256).hexdigest()
    return {"HTTP_X_SLACK_REQUEST_TIMESTAMP": timestamp, "HTTP_X_SLACK_SIGNATURE": signature}


def call(wsgi: FuelbotWSGI, method: str, path: str, body: bytes = b"", length: str | None = None,
         content_type: str = FORM, headers: dict[str, str] | None = None):
    captured = {}

    def start_response(status, response_headers):
        captured["status"] = status
    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": "", "SERVER_PROTOCOL": "HTTP/1.1",
               "CONTENT_LENGTH": length if length is not None else str(len(body)), "wsgi.input": io.BytesIO(body),
               "CONTENT_TYPE": content_type, **(headers or {})}
    chunks = wsgi(environ, start_response)
    return captured["status"], b"".join(chunks)


def wsgi(app: ExplodingApp | None = None, **options) -> FuelbotWSGI:
    return FuelbotWSGI(app=app or ExplodingApp(), session_factory=lambda: None,  # type: ignore[arg-type]
                       **{"signing_secret": SECRET, "metrics": Metrics(), **options})


def test_unknown_path_is_404() -> None:
    assert call(wsgi(), "GET", "/slack/events")[0].startswith("404")
    assert call(wsgi(), "POST", "/elsewhere")[0].startswith("404")


def test_without_a_signing_secret_the_events_route_is_404() -> None:
    """Socket Mode: Slack never POSTs here, so nobody else should either."""
    app = ExplodingApp()
    assert call(wsgi(app, signing_secret=None), "POST", "/slack/events", COMMAND, headers=signed(COMMAND))[0] \
        .startswith("404")
    assert app.dispatched == 0


def test_oversized_or_malformed_length_is_refused_before_reading() -> None:
    assert call(wsgi(), "POST", "/slack/events", length="50000000")[0].startswith("413")
    assert call(wsgi(), "POST", "/slack/events", length="-1")[0].startswith("413")


@pytest.mark.parametrize(("case", "body", "headers"), [
    ("unsigned", COMMAND, {}),
    ("forged", COMMAND, signed(COMMAND, secret="someone-elses-secret")),
    ("replayed after five minutes", COMMAND, signed(COMMAND, age=301)),
    ("unsigned garbage", b"\xff\xfe{{{not a form", {}),
    ("signed, then changed", COMMAND + b"&text=destroy", signed(COMMAND)),
])
def test_what_slack_did_not_sign_is_401_without_reaching_bolt_or_an_error_log(case, body, headers, caplog) -> None:
    app, metrics = ExplodingApp(), Metrics()
    with caplog.at_level(logging.INFO):
        status, answer = call(wsgi(app, metrics=metrics), "POST", "/slack/events", body, headers=headers)
    assert status.startswith("401"), case
    assert app.dispatched == 0 and not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert 'fuelbot_http_rejected_total{status="401"} 1.0' in metrics.render().decode()


@pytest.mark.parametrize(("case", "body", "content_type"), [
    ("JSON that does not parse", b'{"type": "event_callback", ', "application/json"),
    ("an envelope without a type", b'{"event": {}}', "application/json"),
    ("an event_callback without an event", b'{"type": "event_callback"}', "application/json"),
    ("a payload that is not JSON", urlencode({"payload": "{nope"}).encode(), FORM),
    ("an interaction without a user", urlencode({"payload": json.dumps({"type": "block_actions"})}).encode(), FORM),
    ("a command without its user", urlencode({"command": "/fuel", "text": "help", "channel_id": "C1"}).encode(), FORM),
    ("a form of nothing known", b"a=b", FORM),
    ("not UTF-8", b"command=%2Ffuel&text=\xff", FORM),
    ("another content type", b"<xml/>", "text/xml"),
])
def test_signed_but_malformed_is_400_without_reaching_bolt_or_an_error_log(case, body, content_type, caplog) -> None:
    app = ExplodingApp()
    with caplog.at_level(logging.INFO):
        status, _ = call(wsgi(app), "POST", "/slack/events", body, content_type=content_type, headers=signed(body))
    assert status.startswith("400"), case
    assert app.dispatched == 0 and not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_failing_dispatch_is_a_plain_500_with_a_scrubbed_log(caplog) -> None:
    app = ExplodingApp()
    status, body = call(wsgi(app), "POST", "/slack/events", COMMAND, headers=signed(COMMAND))
    assert app.dispatched == 1 and status.startswith("500") and b"boom" not in body
    assert "boom" in caplog.text and "xoxb-123" not in caplog.text


def test_metrics_are_off_on_the_public_port_unless_a_token_or_their_own_listener_says_so() -> None:
    assert call(wsgi(), "GET", "/metrics")[0].startswith("404")
    guarded = wsgi(metrics_token="metrics-token-0123456789")
    assert call(guarded, "GET", "/metrics")[0].startswith("401")
    assert call(guarded, "GET", "/metrics", headers={"HTTP_AUTHORIZATION": "Bearer wrong"})[0].startswith("401")
    status, body = call(guarded, "GET", "/metrics", headers={"HTTP_AUTHORIZATION": "Bearer metrics-token-0123456789"})
    assert status.startswith("200") and b"fuelbot_commands_total" in body
    status, body = call(wsgi(metrics_open=True), "GET", "/metrics")      # FUELBOT_METRICS_ADDRESS's listener
    assert status.startswith("200") and b"fuelbot_commands_total" in body


def test_healthz_asks_the_database_once_however_often_it_is_probed() -> None:
    opened = []

    def no_database():
        opened.append(1)
        raise OSError("database down")
    now = [100.0]
    probe = FuelbotWSGI(app=ExplodingApp(), metrics=Metrics(), session_factory=no_database,  # type: ignore[arg-type]
                        clock=lambda: now[0])
    statuses = [call(probe, "GET", "/healthz")[0] for _ in range(50)]
    assert statuses == ["503 Service Unavailable"] * 50 and len(opened) == 1
    now[0] += 2.5
    call(probe, "GET", "/healthz")
    assert len(opened) == 2
