"""A lab spec cannot make fuelbot send its own secrets anywhere: the malicious spec of issue #17.

Whoever may edit a spec can point ``fuel.url`` at any host; the discovery watch logs in to every
lab's Fuel master once a minute. A listener stands in for the attacker's host and must receive
nothing, while the same spec with a variable the admin allows does reach it (so the listener
would have heard a leak).
"""
from __future__ import annotations

import json
import threading
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

import pytest

from wiring import build_runtime
from commands.api import Invocation
from commands.handlers import handle
from core.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
CANARY = "sig-canary-9f3e2d1c"


class Listener:
    """An HTTP server that answers like a Fuel master wanting a token and records every request."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, str]] = []
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                return

            def _answer(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode("utf-8", "replace")
                listener.requests.append((self.command, self.path, body))
                data = {"release": "6.0", "auth_required": True} if self.path == "/api/version" else {}
                raw = json.dumps(data).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            do_GET = do_POST = do_PUT = _answer

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    running = Listener()
    try:
        yield running
    finally:
        running.stop()


def _runtime(tmp_path: Path, database_url: str, vcsim, listener: Listener, password_ref: str):
    labs = tmp_path / "labs"
    labs.mkdir()
    spec = (ROOT / "labs" / "lab1.yaml").read_text()
    spec = spec.replace("${FUEL_URL:-http://127.0.0.1:8000}", listener.url).replace("${FUEL_PASSWORD:-admin}",
                                                                                     password_ref)
    (labs / "lab1.yaml").write_text(spec)
    environ = {"SLACK_SIGNING_SECRET": CANARY, "FUEL_PASSWORD": CANARY, "VCENTER_URL": vcsim.url,
               "VCENTER_USER": vcsim.user, "VCENTER_PASSWORD": vcsim.password, "LAB1_CHANNEL": "C0LAB"}
    settings = replace(Settings.from_env(environ), database_url=database_url, labs_dir=labs)
    return build_runtime(settings)


def test_a_spec_naming_the_signing_secret_sends_nothing_anywhere(tmp_path, migrated_database_url, vcsim,
                                                                  listener) -> None:
    runtime = _runtime(tmp_path, migrated_database_url, vcsim, listener, "${SLACK_SIGNING_SECRET}")
    runtime.watch_discovery()                 # what the ticker does once a minute
    assert listener.requests == []
    reply = handle(Invocation(user_id="UVIEW001", channel_id="C0LAB", text="preflight lab1"), runtime.services)
    assert not reply.ok and "fuel.password: ${SLACK_SIGNING_SECRET} is fuelbot's own setting" in reply.text
    assert CANARY not in reply.text and str(tmp_path) not in reply.text
    assert listener.requests == []


def test_the_same_spec_with_an_allowed_variable_does_reach_its_fuel_master(tmp_path, migrated_database_url, vcsim,
                                                                           listener) -> None:
    """The control: the listener hears a login when the spec is allowed to send one."""
    runtime = _runtime(tmp_path, migrated_database_url, vcsim, listener, "${FUEL_PASSWORD}")
    runtime.watch_discovery()
    assert [(method, path) for method, path, _ in listener.requests][:2] == [
        ("GET", "/api/version"), ("POST", "/keystone/v2.0/tokens")]
    assert CANARY in listener.requests[1][2]
