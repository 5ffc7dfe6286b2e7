"""Run vcsim as a child process and know its URL, credentials and log.

vcsim prints its SDK URL as the first stdout line; its stderr (panics, fault traces, and with
tracing a line per call) goes to a log file, because a pipe nobody drains would eventually block it.
"""
from __future__ import annotations

import os
import selectors
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Sequence
from urllib.parse import urlsplit

from core.errors import VSphereError
from core.redact import register_secret
from sim.vcenter.build import ensure_vcsim_binary

_LOG_TAIL_BYTES = 3000
ARTICLE_ISO = "iso/MirantisOpenStack-6.0.iso"   # on LocalDS_0, where the article's Fuel master boots from
_STOP_GRACE_SECONDS = 5.0


class VcsimProcess:
    """A running vcsim; stop it with :meth:`stop` or by leaving a ``with`` block."""

    def __init__(self, *, popen: subprocess.Popen[bytes], url: str, user: str, password: str,
                 log_path: Path, owns_log: bool) -> None:
        self._popen = popen
        self._url = url
        self._user = user
        self._password = password
        self._log_path = log_path
        self._owns_log = owns_log

    @classmethod
    def start(cls, *, port: int = 0, user: str = "fuelbot", password: str = "embedded-vcsim",
              hosts_per_cluster: int = 3, datastores: int = 1, delay_ms: int = 0,
              session_idle: str | None = None, log_path: Path | None = None, iso: str | None = ARTICLE_ISO,
              extra_args: Sequence[str] = (), startup_timeout: float = 30.0) -> "VcsimProcess":
        """Start vcsim on 127.0.0.1:``port`` (0 = a free port) and wait until it serves.

        ``iso`` puts a file at that path on the first datastore (the Fuel ISO of the article's lab).
        ``extra_args`` are main.go's flags: inventory options, ``-lenient``, ``-tls``...
        """
        binary = ensure_vcsim_binary()
        register_secret(password)
        owns_log = log_path is None
        if log_path is None:
            fd, name = tempfile.mkstemp(prefix="vcsim-", suffix=".log")
            os.close(fd)
            log_path = Path(name)
        argv = [str(binary), "-l", f"127.0.0.1:{port}", "-user", user, "-pass", password,
                "-host", str(hosts_per_cluster), "-ds", str(datastores), "-delay", str(delay_ms)]
        if session_idle:
            argv += ["-session-idle", session_idle]
        if iso:
            argv += ["-iso", iso]
        argv += list(extra_args)
        with open(log_path, "ab") as log:
            popen = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log)
        try:
            url = _read_url(popen, deadline=time.monotonic() + startup_timeout)
        except BaseException as exc:
            _terminate(popen)
            message = str(exc) if isinstance(exc, VSphereError) else f"vcsim did not start: {exc!r}"
            raise VSphereError(f"{message}\n--- {log_path} (tail) ---\n{_tail(log_path)}",
                               obj=str(binary), fix=f"read {log_path}; try another port than {port}"
                               if port else f"read {log_path}") from exc
        return cls(popen=popen, url=url, user=user, password=password, log_path=log_path, owns_log=owns_log)

    @property
    def url(self) -> str:
        """The SDK URL, e.g. ``http://127.0.0.1:8989/sdk``."""
        return self._url

    @property
    def host_port(self) -> str:
        """``host:port`` of the URL."""
        return urlsplit(self._url).netloc

    @property
    def port(self) -> int:
        """The TCP port vcsim listens on."""
        return int(urlsplit(self._url).port or 0)

    @property
    def pid(self) -> int:
        """The child's process id."""
        return self._popen.pid

    @property
    def user(self) -> str:
        """The only user vcsim accepts."""
        return self._user

    @property
    def password(self) -> str:
        """The only password vcsim accepts."""
        return self._password

    @property
    def log_path(self) -> Path:
        """Where vcsim's stderr goes."""
        return self._log_path

    @property
    def running(self) -> bool:
        """True while the child has not exited."""
        return self._popen.poll() is None

    def log_tail(self) -> str:
        """The last few kilobytes of vcsim's log."""
        return _tail(self._log_path)

    def stop(self) -> None:
        """Stop vcsim (SIGINT lets it delete its temporary datastore folders), SIGKILL if it hangs."""
        _terminate(self._popen)
        if self._owns_log:
            self._log_path.unlink(missing_ok=True)

    def __enter__(self) -> "VcsimProcess":
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else f"exited {self._popen.returncode}"
        return f"VcsimProcess(url={self._url!r}, user={self._user!r}, pid={self.pid}, {state})"


def _read_url(popen: subprocess.Popen[bytes], *, deadline: float) -> str:
    """Read vcsim's first stdout line without blocking past ``deadline``."""
    assert popen.stdout is not None
    buffer = b""
    with selectors.DefaultSelector() as selector:
        selector.register(popen.stdout, selectors.EVENT_READ)
        while b"\n" not in buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise VSphereError("vcsim did not print its URL in time")
            if not selector.select(timeout=min(remaining, 0.5)):
                if popen.poll() is not None:
                    raise VSphereError(f"vcsim exited with status {popen.returncode} before serving")
                continue
            chunk = os.read(popen.stdout.fileno(), 4096)
            if not chunk:
                popen.wait(timeout=_STOP_GRACE_SECONDS)
                raise VSphereError(f"vcsim exited with status {popen.returncode} before serving")
            buffer += chunk
    url = buffer.split(b"\n", 1)[0].decode().strip()
    if not url.startswith(("http://", "https://")):
        raise VSphereError(f"vcsim printed {url!r} instead of its URL")
    return url


def _terminate(popen: subprocess.Popen[bytes]) -> None:
    if popen.poll() is None:
        popen.send_signal(signal.SIGINT)
        try:
            popen.wait(timeout=_STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            popen.kill()
            popen.wait()
    if popen.stdout is not None:
        popen.stdout.close()


def _tail(path: Path) -> str:
    try:
        with open(path, "rb") as log:
            log.seek(0, os.SEEK_END)
            log.seek(max(0, log.tell() - _LOG_TAIL_BYTES))
            return log.read().decode(errors="replace")
    except OSError as exc:
        return f"(log unreadable: {exc})"
