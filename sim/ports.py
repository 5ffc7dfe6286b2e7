"""A port a simulated server can give back during an outage and take again afterwards.

A server that goes down (a master powered off, an nginx outage) closes its listening socket and
later binds the same port again, as the real machine would. A port the kernel chose (``port 0``)
comes from its ephemeral range, from which it also picks the source port of every outgoing
connection and the port of every other ``port 0`` server on the machine (the tests' other
workers): meanwhile, one of them may take it, and the comeback fails "Address already in use".
So ``port 0`` here means a free port *below* the ephemeral range, which the kernel never hands
out by itself.
"""
from __future__ import annotations

import errno
import random
import socket
import time
from pathlib import Path
from typing import Any

EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
LOWEST = 10000                   # above the well-known and most registered services' ports
TRIES = 200
REBIND_SECONDS = 5.0


def _ephemeral_low() -> int:
    try:
        return int(EPHEMERAL_RANGE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768             # Linux's default range starts here


def stable_port(host: str, port: int = 0) -> int:
    """``port``, or for 0 a port free on ``host`` that the kernel will not give anyone else."""
    if port:
        return port
    high = _ephemeral_low()
    if high - LOWEST < 1000:     # an unusual range: leave the choice to the kernel
        return 0
    for candidate in random.sample(range(LOWEST, high), TRIES):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((host, candidate))
            except OSError:
                continue
        return candidate
    return 0


def bind_again(sock: socket.socket, address: tuple[Any, ...]) -> None:
    """Bind ``sock`` to ``address`` after an outage, waiting out a moment of "in use"
    (an outgoing connection that happened to leave from that port)."""
    deadline = time.monotonic() + REBIND_SECONDS
    while True:
        try:
            sock.bind(address)
            return
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE or time.monotonic() >= deadline:
                raise
            time.sleep(0.05)
