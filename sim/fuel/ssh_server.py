"""The master's sshd: root logs in with a password and runs commands (``ssh root@master CMD``).

paramiko's server mode on one port of our own. It answers as CentOS 6's OpenSSH 5.3 does
where a client can tell: the banner, an RSA host key, password authentication, and a command
ending with its exit status and stderr kept apart from stdout. Interactive shells are not
served (``ssh root@master`` without a command is refused): every command is an exec request.
Like the HTTP server it can stop listening while the master is down and listen again after.

What sshd writes to ``/var/log/secure`` (through ``SshHandlers.log``) is what OpenSSH 5.3 logs
at its default level INFO (auth.c ``auth_log``, packet.c, sshd.c): ``Accepted password for root
from IP port N ssh2``, ``Failed password for …``, ``Connection closed by IP`` when a client leaves
after the key exchange without authenticating (a host-key check), and ``Did not receive
identification string from IP`` when it leaves before sending its banner (a port probe). Never a
password: sshd does not log one.
"""
from __future__ import annotations

import itertools
import logging
import queue
import socket
import threading
from dataclasses import dataclass
from typing import Callable

import paramiko
# The stubs export these from paramiko.common only (paramiko re-exports them at runtime).
from paramiko.common import (AUTH_FAILED, AUTH_SUCCESSFUL, OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED,
                             OPEN_SUCCEEDED)

from sim.fuel.shell import Result
from sim.ports import bind_again

log = logging.getLogger(__name__)
BANNER = "SSH-2.0-OpenSSH_5.3"
# A client that reads the banner and leaves (a port probe, as fuelbot's install watch does) is
# routine: OpenSSH logs "Did not receive identification string" at INFO. paramiko's server logs it
# as an ERROR with a traceback, so the server's transports log under a name of their own, kept quiet.
TRANSPORT_LOG = "sim.fuel.sshd.transport"
logging.getLogger(TRANSPORT_LOG).setLevel(logging.CRITICAL)
_STDIN_COMMANDS = ("chpasswd",)      # commands that read what the client sends on stdin
_STDIN_LIMIT = 64 * 1024
_PIDS = itertools.count(2001)         # each connection is served by an sshd process of its own


def _unlogged(pid: int, line: str) -> None:
    """A server whose log no one reads."""


@dataclass(frozen=True)
class SshHandlers:
    """What the server asks the master: root's password check, the host key, running a command."""

    authenticate: Callable[[str, str], bool]
    host_key: Callable[[], paramiko.PKey]
    run: Callable[[str, bytes], Result]
    log: Callable[[int, str], None] = _unlogged     # (sshd's pid, the line sshd logs to /var/log/secure)


class _Session(paramiko.ServerInterface):
    """One connection: password auth, then any number of exec channels (queued for a worker)."""

    def __init__(self, handlers: SshHandlers, *, pid: int, peer: tuple[str, int]) -> None:
        self.handlers = handlers
        self.pid, self.peer = pid, peer
        self.auth_attempts = 0
        self.requests: queue.Queue[tuple[paramiko.Channel, str]] = queue.Queue()

    def get_allowed_auths(self, username: str) -> str:
        return "password"

    def check_auth_password(self, username: str, password: str) -> int:
        self.auth_attempts += 1
        ok = self.handlers.authenticate(username, password)
        who = username if username == "root" else f"invalid user {username}"   # CentOS 6 has root, not others
        self.handlers.log(self.pid, f"{'Accepted' if ok else 'Failed'} password for {who} from {self.peer[0]} "
                                    f"port {self.peer[1]} ssh2")
        return AUTH_SUCCESSFUL if ok else AUTH_FAILED

    def ended(self, transport: paramiko.Transport) -> None:
        """What sshd logs of a connection that never tried to log in."""
        if self.auth_attempts:
            return
        if transport.remote_version:
            self.handlers.log(self.pid, f"Connection closed by {self.peer[0]}")
        else:
            self.handlers.log(self.pid, f"Did not receive identification string from {self.peer[0]}")

    def check_channel_request(self, kind: str, chanid: int) -> int:
        return OPEN_SUCCEEDED if kind == "session" else OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED

    def check_channel_pty_request(self, *args: object) -> bool:
        return True

    def check_channel_exec_request(self, channel: paramiko.Channel, command: bytes) -> bool:
        self.requests.put((channel, command.decode("utf-8", "replace")))
        return True


class SshServer:
    """Serves ``handlers`` on ``host:port`` (0 = a free port) until stopped."""

    def __init__(self, handlers: SshHandlers, host: str = "127.0.0.1", port: int = 0) -> None:
        self.handlers = handlers
        self._address = (host, port)
        self._sock: socket.socket | None = None
        self._guard = threading.Lock()
        self._transports: set[paramiko.Transport] = set()
        self._closed = False

    @property
    def port(self) -> int:
        return self._address[1]

    @property
    def down(self) -> bool:
        return self._sock is None

    def start(self) -> None:
        """Listen (again, on the same port after :meth:`pause`)."""
        with self._guard:
            if self._closed or self._sock is not None:
                return
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            bind_again(sock, self._address)
            sock.listen(32)
            self._address = sock.getsockname()[:2]
            self._sock = sock
        threading.Thread(target=self._accept, args=(sock,), name="fuelsim-sshd", daemon=True).start()

    def pause(self) -> None:
        """Stop listening and cut every session (the machine went down)."""
        with self._guard:
            sock, self._sock = self._sock, None
            transports = list(self._transports)
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
        for transport in transports:
            transport.close()

    resume = start

    def stop(self) -> None:
        with self._guard:
            self._closed = True
        self.pause()

    def _accept(self, sock: socket.socket) -> None:
        while True:
            try:
                conn, _ = sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), name="fuelsim-ssh-session", daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            peer = conn.getpeername()[:2]
        except OSError:               # gone already
            conn.close()
            return
        transport = paramiko.Transport(conn)
        transport.set_log_channel(TRANSPORT_LOG)
        transport.local_version = BANNER
        with self._guard:
            if self._closed:
                conn.close()
                return
            self._transports.add(transport)
        session = _Session(self.handlers, pid=next(_PIDS), peer=peer)
        try:
            transport.add_server_key(self.handlers.host_key())
            transport.start_server(server=session)
            while transport.is_active():
                try:
                    channel, command = session.requests.get(timeout=0.2)
                except queue.Empty:
                    continue
                threading.Thread(target=self._exec, args=(channel, command), name="fuelsim-ssh-exec",
                                 daemon=True).start()
        except (paramiko.SSHException, EOFError, OSError) as exc:
            log.debug("fuelsim sshd: session ended: %s", exc)
        finally:
            with self._guard:
                self._transports.discard(transport)
            transport.close()
            session.ended(transport)

    def _exec(self, channel: paramiko.Channel, command: str) -> None:
        try:
            self._run(channel, command)
        except (paramiko.SSHException, EOFError, OSError) as exc:
            log.debug("fuelsim sshd: command channel ended: %s", exc)

    def _run(self, channel: paramiko.Channel, command: str) -> None:
        stdin = b""
        if any(word in command.split() for word in _STDIN_COMMANDS):
            chunks: list[bytes] = []
            channel.settimeout(30)
            while sum(map(len, chunks)) < _STDIN_LIMIT:
                chunk = channel.recv(4096)
                if not chunk:
                    break
                chunks.append(chunk)
            stdin = b"".join(chunks)
        result = self.handlers.run(command, stdin)
        if result.stdout:
            channel.sendall(result.stdout.encode())
        if result.stderr:
            channel.sendall_stderr(result.stderr.encode())
        channel.send_exit_status(result.status)
        channel.shutdown_write()
        channel.close()
