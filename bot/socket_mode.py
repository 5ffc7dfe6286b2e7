"""Socket Mode that stays connected: quick to notice a dead link, deliberate about Slack's disconnects.

slack_sdk's built-in client pings Slack every ``ping_interval`` and gives a connection up when no
pong came for four intervals (closing it can then wait up to 3 s for the reader's timeout); Bolt's
default of 10 s left a silently dropped connection (a NAT that forgot the flow, no FIN) deaf for
about 55 s. ``PING_SECONDS`` = 1 notices it within about 5 s and has a new connection within 8
(Slack's own Node SDK pings every ~1.7 s and gives up after 5 s without a pong).

Slack's ``disconnect`` messages (docs.slack.dev/apis/events-api/using-socket-mode):

* ``warning``: this connection will be refreshed soon. A new one is opened now, before the old
  one is closed, so nothing falls in between (the SDK's own reconnect does this). The old one is
  then closed at once: the SDK's close waits for the old reader's 3 s receive timeout, and the
  new connection is not read meanwhile, so an envelope sent on it (a click, a command) missed
  Slack's 3 s ack and was redelivered.
* ``refresh_requested``: reconnect now; same.
* ``too_many_websockets``: the app holds more than ten connections. Reconnecting at once would
  only knock another one off, so this process waits (30 s, doubling to 5 min) and logs what to
  change: fewer Socket Mode processes, ``python app.py worker`` for more job capacity, or HTTP.
* ``link_disabled``: Socket Mode was switched off in the app's settings. Nothing can connect until
  it is switched on again; the process says so and tries again every minute (doubling to 10 min),
  so it comes back by itself.

Any other failure to connect backs off from 1 s to a minute instead of spinning on
``apps.connections.open`` (a rate-limited method).
"""
from __future__ import annotations

import json
import logging
import socket
import threading
import time
from functools import partial
from typing import Any, Callable

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.builtin.connection import Connection

log = logging.getLogger(__name__)

PING_SECONDS = 1.0
MAX_CONNECTIONS_PER_APP = 10     # Slack's limit of open Socket Mode connections per app

# reason → (first wait, longest wait, what to tell the operator)
HOLDS: dict[str, tuple[float, float, str]] = {
    "too_many_websockets": (30.0, 300.0,
                            f"Slack refused this Socket Mode connection: the app already holds "
                            f"{MAX_CONNECTIONS_PER_APP}, Slack's limit. Run fewer `serve` processes in Socket Mode "
                            "(add `python app.py worker` processes for job capacity) or switch to HTTP mode."),
    "link_disabled": (60.0, 600.0,
                      "Socket Mode is switched off in the Slack app's settings, so fuelbot receives no commands. "
                      "Switch it back on (Settings → Socket Mode) or serve over HTTP; fuelbot keeps trying."),
}
RETRY_FIRST, RETRY_LONGEST = 1.0, 60.0


class ResilientSocketModeClient(SocketModeClient):
    """slack_sdk's built-in client, with a disconnect policy per reason and backoff on failures."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic, **kwargs: Any) -> None:
        self._clock = clock
        self._policy_lock = threading.Lock()
        self._hold_until = 0.0
        self._waits: dict[str, float] = {}
        self.last_disconnect: str | None = None
        super().__init__(**kwargs)

    def enqueue_message(self, message: str) -> None:
        reason = _disconnect_reason(message)
        if reason is not None:
            self.last_disconnect = reason
            log.info("Slack sent a Socket Mode disconnect (%s)", reason)
            if reason in HOLDS:
                self._hold(reason)
                return           # Slack closes the connection; reconnecting now would not help
        super().enqueue_message(message)

    def connect(self) -> None:
        """The SDK's connect, but the connection it replaces is closed without a 3 s wait."""
        old = self.current_session
        if old is not None:
            old.close = partial(_close_at_once, old)  # type: ignore[method-assign]
        super().connect()

    def connect_to_new_endpoint(self, force: bool = False) -> None:
        with self._policy_lock:
            if self._clock() < self._hold_until:
                return
        try:
            super().connect_to_new_endpoint(force=force)
        except Exception as exc:   # Slack or the network said no: wait before asking again
            self._hold("retry", note=f"{type(exc).__name__}: {exc}")
            return
        with self._policy_lock:
            self._waits.pop("retry", None)

    def _hold(self, reason: str, *, note: str = "") -> None:
        first, longest, advice = HOLDS.get(reason, (RETRY_FIRST, RETRY_LONGEST, "could not connect to Slack"))
        with self._policy_lock:
            wait = min(longest, self._waits.get(reason, first / 2) * 2)
            self._waits[reason] = wait
            self._hold_until = self._clock() + wait
        level = logging.ERROR if reason in HOLDS else logging.WARNING
        log.log(level, "%s%s; next Socket Mode attempt in %.0fs", advice, f" ({note})" if note else "", wait)


def _close_at_once(connection: Connection) -> None:
    """Close ``connection`` now: shutting its socket down wakes the reader blocked in recv (which
    holds the lock the SDK's close waits for) instead of waiting out its receive timeout."""
    sock = connection.sock
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:       # already gone
            pass
    connection.disconnect()


def _disconnect_reason(raw: str) -> str | None:
    if '"disconnect"' not in raw:
        return None
    try:
        message = json.loads(raw)
    except ValueError:
        return None
    if isinstance(message, dict) and message.get("type") == "disconnect":
        return str(message.get("reason") or "unknown")
    return None


class ResilientSocketModeHandler(SocketModeHandler):
    """Bolt's Socket Mode adapter on ``ResilientSocketModeClient``."""

    def __init__(self, app: App, app_token: str, *, ping_interval: float = PING_SECONDS) -> None:
        # Not super().__init__: it would start a second, plain client's threads just to drop them.
        self.app = app
        self.app_token = app_token
        self.client = ResilientSocketModeClient(app_token=app_token, logger=app.logger, web_client=app.client,
                                                proxy=app.client.proxy, ping_interval=ping_interval)
        self.client.socket_mode_request_listeners.append(self.handle)  # type: ignore[arg-type]
