"""The HTTP edge under a slow-loris: bounded connections and a deadline per request, on loopback.

Before, wsgiref's thread per connection let 400 sockets that trickle a header byte now and then
hold 400 threads for ever. Here 400 such sockets (more than the connection cap) are opened
against the real Bolt app served as ``python app.py serve`` serves it; a signed ``/fuel help``
is still answered, no thread is spent per socket, and every slow socket is dropped. Bounded: it
ends by itself within about half a minute whatever happens.
"""
from __future__ import annotations

import select
import socket
import threading
import time

from bot.http_server import ServingLimits, serve_http
from sim.slack.signing import post_signed, slash_command_form
from tests.fixtures.slack import ALICE, CHANNEL, BotStack

SLOW_SOCKETS = 400
LIMITS = ServingLimits(connections=150, read_timeout=1.5)
GIVE_UP_AFTER = 30.0


def _open_slow(port: int, count: int) -> list[socket.socket]:
    sockets = []
    for _ in range(count):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        sock.connect_ex(("127.0.0.1", port))          # beyond the cap they wait in the listen backlog
        sockets.append(sock)
    return sockets


def _trickle(sockets: list[socket.socket], closed: set[int], stop: threading.Event) -> None:
    """Send the start of a request, then one header byte per socket every 0.2 s: never idle, never done."""
    started = set()
    while not stop.is_set():
        for index, sock in enumerate(sockets):
            if index in closed:
                continue
            try:
                readable, _, _ = select.select([sock], [], [], 0)
                if readable and sock.recv(1024) == b"":
                    closed.add(index)                 # the server hung up on us
                    continue
                sock.send(b"X" if index in started else b"POST /slack/events HTTP/1.1\r\nHost: fuelbot\r\nX-Slow: ")
                started.add(index)
            except BlockingIOError:
                continue                              # not connected yet (still in the backlog)
            except OSError:
                closed.add(index)
        stop.wait(0.2)


def test_a_slow_loris_holds_no_thread_and_is_dropped_while_slack_is_answered(bot_stack: BotStack) -> None:
    server = serve_http(bot_stack.wsgi, "127.0.0.1", 0, limits=LIMITS)
    port = int(server.url.rsplit(":", 1)[1])
    threads_before = threading.active_count()
    sockets = _open_slow(port, SLOW_SOCKETS)
    closed: set[int] = set()
    stop = threading.Event()
    trickler = threading.Thread(target=_trickle, args=(sockets, closed, stop), daemon=True)
    trickler.start()
    deadline = time.monotonic() + GIVE_UP_AFTER
    try:
        time.sleep(0.5)                                # the loris is in place
        assert threading.active_count() <= threads_before + LIMITS.threads + 2   # no thread per socket
        body = slash_command_form(text="help", user_id=ALICE, channel_id=CHANNEL, channel_name="lab",
                                  team_id=bot_stack.local_slack.team_id,
                                  response_url=bot_stack.local_slack.new_response_url(channel=CHANNEL, user=ALICE))
        answer = post_signed(f"{server.url}/slack/events", body, secret=bot_stack.signing_secret, timeout=20)
        assert answer.status == 200 and "fuelbot" in answer.body
        assert answer.elapsed < 15                     # at worst after some slow sockets were dropped
        while len(closed) < SLOW_SOCKETS and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(closed) == SLOW_SOCKETS, f"{SLOW_SOCKETS - len(closed)} slow sockets still open"
    finally:
        stop.set()
        trickler.join(timeout=5)
        for sock in sockets:
            sock.close()
        server.stop()
