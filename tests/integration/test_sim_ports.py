"""A simulated server's port survives its outages: chosen out of the kernel's ephemeral range,
bound again once whoever borrowed it meanwhile lets it go."""
from __future__ import annotations

import socket
import threading
import time

import pytest

from sim.ports import _ephemeral_low, bind_again, stable_port


def test_port_zero_is_a_free_port_below_the_ephemeral_range() -> None:
    port = stable_port("127.0.0.1")
    assert 10000 <= port < _ephemeral_low()
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))


def test_a_port_asked_for_is_kept() -> None:
    assert stable_port("127.0.0.1", 8000) == 8000


def test_a_comeback_waits_until_the_port_is_free_again() -> None:
    port = stable_port("127.0.0.1")
    borrower = socket.socket()
    borrower.bind(("127.0.0.1", port))
    borrower.listen(1)
    threading.Timer(0.3, borrower.close).start()
    started = time.monotonic()
    with socket.socket() as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        bind_again(server, ("127.0.0.1", port))
        assert server.getsockname()[1] == port
    assert time.monotonic() - started >= 0.25


def test_a_port_that_stays_taken_fails_as_the_kernel_says(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sim.ports.REBIND_SECONDS", 0.2)
    with socket.socket() as holder, socket.socket() as server:
        holder.bind(("127.0.0.1", 0))
        holder.listen(1)
        with pytest.raises(OSError, match="in use"):
            bind_again(server, holder.getsockname())
