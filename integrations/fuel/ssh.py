"""root's SSH session on the Fuel master (paramiko), with its host key recorded on first contact.

The first connection to an address records the key the master presents (trust on first use,
as ``ssh`` asks once); every later one must present the same key, checked by paramiko before
the password is sent, so a reinstalled master or a machine in the middle never gets root's
password. Where keys are kept is the caller's (``HostKeys``; fuelbot keeps them in its
database). A master reinstalled on purpose presents a new key: :func:`presented_key` reads it
without logging in (no password offered), and an admin who compared its fingerprint with the
master's console trusts it (``/fuel master <lab> --trust-key``, ``core.host_key_trust``).
Passwords go to paramiko only; every text that leaves this module is scrubbed.
"""
from __future__ import annotations

import base64
import logging
import socket
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:   # imported where a shell opens: paramiko and its crypto are ~20 MB a serve may never need
    import paramiko

from core.errors import MasterError
from core.host_key_trust import CONSOLE_COMMAND, HostKey, RecordedHostKey
from core.mrkdwn import inert
from core.redact import register_secret, scrub
from labspec.model import ROOT_DEFAULT

log = logging.getLogger(__name__)


class HostKeys(Protocol):
    """Where the masters' SSH host keys are remembered (``store.host_keys.HostKeyStore``)."""

    def recorded(self, address: str) -> tuple[str, str] | None:
        """(key type, base64 key) recorded for ``address`` (``host:port``), or None."""

    def record(self, address: str, key_type: str, key_base64: str) -> None:
        """Remember the key first seen at ``address``; an existing record is kept."""

    def forget(self, address: str) -> bool:
        """Drop the record of ``address`` (fuelbot reinstalls the master); False when none."""

    def entry(self, address: str) -> RecordedHostKey | None:
        """The key recorded for ``address`` and when, or None."""

    def replace(self, address: str, *, old: HostKey, new: HostKey) -> bool:
        """Record ``new`` for ``address`` if ``old`` is still what is recorded; False when it no longer is."""


@dataclass(frozen=True)
class CommandOutput:
    """What a command left: exit status, stdout, stderr."""

    command: str
    status: int
    stdout: str
    stderr: str


def trust_command(lab: str | None, presented: HostKey) -> str:
    """The fix for a changed key: compare on the console, then the command that trusts the new key."""
    return (f"check the master's console (`{CONSOLE_COMMAND}` prints its fingerprint); if it is {presented.sha256} "
            f"or {presented.md5.removeprefix('MD5:')}, the master was reinstalled and an admin trusts its new key with "
            f"`/fuel master {lab or 'LAB'} --trust-key {presented.sha256}`; otherwise find what answers at its "
            "address")


def presented_key(host: str, port: int, *, timeout: float, prefer: str | None = None) -> HostKey:
    """The host key sshd at ``host:port`` presents, read in the key exchange: no authentication is
    attempted, so no password (nor anything else) is offered. ``prefer`` asks for a key type first,
    as ``MasterShell`` does for the recorded one (paramiko's ``SSHClient`` prefers a known key's type).

    ``MasterError`` (retryable) when nothing answers.
    """
    import paramiko

    address = f"{host}:{port}"
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except OSError as exc:
        raise MasterError(f"Cannot reach SSH on the Fuel master at {address}: {_why(exc)}.",
                          fix="check that the master is up, then run the command again", retryable=True) from None
    transport = paramiko.Transport(sock)
    try:
        transport.banner_timeout = timeout
        options = transport.get_security_options()
        options.key_types = _key_types_preferring(prefer, tuple(options.key_types))
        transport.start_client(timeout=timeout)
        key = transport.get_remote_server_key()
        return HostKey(key.get_name(), key.get_base64())
    except (paramiko.SSHException, socket.timeout, OSError, EOFError) as exc:
        raise MasterError(scrub(f"Cannot read the SSH host key of the Fuel master at {address}: {_why(exc)}."),
                          fix="check that the master is up and that fuel.master_vm.ssh_port is its sshd's port",
                          retryable=True) from None
    finally:
        transport.close()


def _record_first_key(keys: HostKeys, address: str) -> "paramiko.MissingHostKeyPolicy":
    """The policy that records the key a master presents the first time (later ones must match it)."""
    import paramiko

    class RecordFirstKey(paramiko.MissingHostKeyPolicy):
        def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey) -> None:
            keys.record(address, key.get_name(), key.get_base64())
            log.info("recorded the SSH host key of the Fuel master at %s (%s %s)", address, key.get_name(),
                     HostKey(key.get_name(), key.get_base64()).sha256)
    return RecordFirstKey()


def _key_types_preferring(key_type: str | None, offered: tuple[str, ...]) -> tuple[str, ...]:
    """``offered`` with ``key_type``'s algorithm first, as ``SSHClient.connect`` orders them for a known key
    (an ``ssh-rsa`` key is asked for as ``rsa-sha2-512``, which signs with the same key)."""
    if key_type == "ssh-rsa":
        key_type = next((t for t in ("rsa-sha2-512", "rsa-sha2-256") if t in offered), key_type)
    if key_type not in offered:
        return offered
    return (key_type, *(t for t in offered if t != key_type))


class MasterShell:
    """Runs commands as root on one Fuel master; connects on first use, ``close()`` when done."""

    def __init__(self, *, host: str, port: int, password: str, keys: HostKeys, user: str = "root",
                 timeout: float = 15.0, lab: str | None = None) -> None:
        self.host, self.port, self.user, self.timeout = host, port, user, timeout
        self.lab = lab          # named in the fix for a changed key
        self.address = f"{host}:{port}"
        if password != ROOT_DEFAULT:     # 6.0's public default is named in messages, not a secret
            register_secret(password)
        self._password = password
        self._keys = keys
        self._client: paramiko.SSHClient | None = None

    def __repr__(self) -> str:
        return f"MasterShell({self.user}@{self.address})"

    def __enter__(self) -> "MasterShell":
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def connect(self) -> None:
        """Log in as root; raises ``MasterError`` naming what failed and what to do."""
        if not self.login_works():
            raise MasterError(f"The Fuel master at {self.address} refused {self.user}'s password over SSH.",
                              fix="set the lab's fuel.master_vm.root_password variable (FUEL_ROOT_PASSWORD) "
                                  "to the master's root password")

    def login_works(self) -> bool:
        """Log in as root; False when the password is refused, ``MasterError`` for anything else."""
        if self._client is not None:
            return True
        import paramiko

        client = paramiko.SSHClient()
        known = self._keys.recorded(self.address)
        if known is not None:
            client.get_host_keys().add(self._known_name(), known[0], paramiko.PKey.from_type_string(
                known[0], base64.b64decode(known[1])))
        client.set_missing_host_key_policy(_record_first_key(self._keys, self.address))
        try:
            client.connect(self.host, port=self.port, username=self.user, password=self._password,
                           look_for_keys=False, allow_agent=False, timeout=self.timeout,
                           banner_timeout=self.timeout, auth_timeout=self.timeout)
        except paramiko.BadHostKeyException as exc:
            client.close()
            presented = HostKey(exc.key.get_name(), exc.key.get_base64())
            recorded = HostKey(exc.expected_key.get_name(), exc.expected_key.get_base64())
            raise MasterError(
                f"The SSH host key of the Fuel master at {self.address} changed: it presented "
                f"{presented.key_type} {presented.sha256}, fuelbot recorded {recorded.key_type} {recorded.sha256}. "
                "Either the master was reinstalled or something else answers at its address; fuelbot sent no "
                "password.", fix=trust_command(self.lab, presented)) from None
        except paramiko.AuthenticationException:
            client.close()
            return False
        except (paramiko.SSHException, socket.timeout, OSError) as exc:
            client.close()
            raise MasterError(scrub(f"Cannot reach SSH on the Fuel master at {self.address}: {_why(exc)}."),
                              fix="check that the master is up and that fuel.master_vm.ssh_port is its "
                                  "sshd's port (22 on a real master)", retryable=True) from None
        self._client = client
        return True

    def run(self, command: str, *, stdin: str | None = None, check: bool = True) -> CommandOutput:
        """Run ``command``; with ``check``, a non-zero exit raises ``MasterError`` with its stderr.

        ``stdin`` (e.g. ``root:<password>`` for ``chpasswd``) is sent on the channel, never on
        the command line, so no secret shows in the master's process list or in our errors.
        """
        self.connect()
        assert self._client is not None
        import paramiko

        try:
            channel_in, out, err = self._client.exec_command(command, timeout=self.timeout)
            if stdin is not None:
                channel_in.write(stdin)
                channel_in.channel.shutdown_write()
            status = out.channel.recv_exit_status()
            # what the master prints may end in a Slack message: it may carry no mrkdwn token
            result = CommandOutput(command=command, status=status,
                                   stdout=inert(out.read().decode("utf-8", "replace")),
                                   stderr=inert(err.read().decode("utf-8", "replace")))
        except (paramiko.SSHException, socket.timeout, OSError, EOFError) as exc:
            self.close()
            raise MasterError(scrub(f"Lost SSH to the Fuel master at {self.address} during `{command}`: "
                                    f"{_why(exc)}; whether it ran is unknown."),
                              fix="look at the master, then run the step again (each step looks first)",
                              retryable=True) from None
        if check and result.status != 0:
            said = (result.stderr.strip() or result.stdout.strip() or "no output").splitlines()[-1]
            raise MasterError(scrub(f"`{command}` failed on the Fuel master at {self.address} "
                                    f"(exit {result.status}): {said}"),
                              fix="run it by hand on the master (ssh root@master) to see why")
        return result

    def _known_name(self) -> str:
        return self.host if self.port == 22 else f"[{self.host}]:{self.port}"


def _why(exc: BaseException) -> str:
    if isinstance(exc, socket.timeout):
        return "no answer in time"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0][:200]
