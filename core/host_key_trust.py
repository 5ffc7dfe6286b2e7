"""Trusting a Fuel master's new SSH host key: the fingerprint an admin types, and whether it may replace the record.

What an experienced admin does by hand after a reinstall is ``ssh-keygen -R`` and a fresh first
contact, having compared the fingerprint ``ssh`` shows with the one the machine's console prints.
``/fuel master <lab> --trust-key <fingerprint>`` is that, in one step that cannot skip the
comparison: the key the master presents now replaces the recorded one only when the fingerprint
typed (read on the master's console) is that key's.

The console of a Fuel 6.0 master (CentOS 6.5, OpenSSH 5.3) prints MD5 fingerprints
(``ssh-keygen -lf /etc/ssh/ssh_host_rsa_key.pub`` → ``2048 a1:b2:…:ff … (RSA)``); OpenSSH 6.8 and
later print ``SHA256:…``. Both are accepted, as either form is what someone reads off a console.
Pure values only: the key is read by ``integrations.fuel.ssh`` and kept by ``store.host_keys``.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

SHA256, MD5 = "SHA256", "MD5"
_SHA256_TEXT = re.compile(r"(?:SHA256:)?([A-Za-z0-9+/]{43})=?", re.IGNORECASE)   # ssh-keygen drops the "="
_MD5_TEXT = re.compile(r"(?:MD5:)?((?:[0-9a-f]{2}:){15}[0-9a-f]{2})", re.IGNORECASE)
CONSOLE_COMMAND = "ssh-keygen -lf /etc/ssh/ssh_host_rsa_key.pub"    # what to run on the master's console


class NotAFingerprint(ValueError):
    """The text is neither ``SHA256:<43 base64 characters>`` nor an MD5 ``aa:bb:…`` (16 pairs)."""


@dataclass(frozen=True)
class HostKey:
    """An SSH host key as ``known_hosts`` holds it: its type (``ssh-rsa``) and its base64 blob."""

    key_type: str
    key_base64: str

    @property
    def sha256(self) -> str:
        """``SHA256:…`` as OpenSSH 6.8+ prints it (base64 without its padding)."""
        digest = hashlib.sha256(base64.b64decode(self.key_base64)).digest()
        return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")

    @property
    def md5(self) -> str:
        """``MD5:aa:bb:…`` as CentOS 6's OpenSSH 5.3 prints it (without the ``MD5:``)."""
        digest = hashlib.md5(base64.b64decode(self.key_base64), usedforsecurity=False).hexdigest()
        return "MD5:" + ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))

    @property
    def described(self) -> str:
        """``ssh-rsa SHA256:… (MD5:…)``: both forms, so either console's output can be compared."""
        return f"{self.key_type} {self.sha256} ({self.md5})"


@dataclass(frozen=True)
class RecordedHostKey:
    """The key fuelbot recorded for a master's sshd, and when."""

    address: str
    key: HostKey
    recorded_at: datetime


@dataclass(frozen=True)
class Fingerprint:
    """A fingerprint as typed: ``SHA256:…`` or MD5, in the canonical spelling ``ssh-keygen`` prints."""

    algorithm: str
    value: str

    @classmethod
    def parse(cls, text: str) -> "Fingerprint":
        """``SHA256:abc…`` (its prefix optional) or ``a1:b2:…`` / ``MD5:a1:b2:…``; NotAFingerprint otherwise."""
        text = text.strip()
        if match := _MD5_TEXT.fullmatch(text):
            return cls(MD5, match.group(1).lower())
        if (match := _SHA256_TEXT.fullmatch(text)) and _decodes(match.group(1)):
            return cls(SHA256, match.group(1))
        if text.upper().startswith(SHA256) or (len(text) >= 40 and ":" not in text):
            raise NotAFingerprint("a SHA256 fingerprint is `SHA256:` and 43 base64 characters")
        if text.upper().startswith(MD5) or text.count(":") >= 8:
            raise NotAFingerprint("an MD5 fingerprint is 16 hex pairs `a1:b2:…`, as CentOS 6 prints it")
        raise NotAFingerprint("a fingerprint is `SHA256:` and 43 base64 characters, or 16 hex pairs "
                              "`a1:b2:…` (MD5, as CentOS 6 prints it)")

    def __str__(self) -> str:
        return f"{self.algorithm}:{self.value}"

    def matches(self, key: HostKey) -> bool:
        """Whether this is ``key``'s fingerprint (base64 is case-sensitive; hex is not)."""
        return str(self) == (key.sha256 if self.algorithm == SHA256 else key.md5)


def _decodes(text: str) -> bool:
    try:
        return len(base64.b64decode(text + "=", validate=True)) == 32
    except binascii.Error:
        return False


class Verdict(StrEnum):
    """What a ``--trust-key`` comes to, judged from the record, the presented key and what was typed."""

    NOTHING_RECORDED = "nothing recorded"   # the next contact records whatever the master presents
    UNCHANGED = "unchanged"                 # the master presents the recorded key: nothing to trust
    MISMATCH = "mismatch"                   # the typed fingerprint is not the presented key's: refused
    TRUSTED = "trusted"                     # the presented key replaces the recorded one


def judge(recorded: HostKey | None, presented: HostKey, typed: Fingerprint) -> Verdict:
    """Nothing to do without a record or with an unchanged key; otherwise the typed fingerprint decides."""
    if recorded is None:
        return Verdict.NOTHING_RECORDED
    if recorded == presented:
        return Verdict.UNCHANGED
    return Verdict.TRUSTED if typed.matches(presented) else Verdict.MISMATCH


@dataclass(frozen=True)
class KeyTrust:
    """The outcome of a ``--trust-key``: the verdict and the keys it was judged on."""

    address: str
    verdict: Verdict
    typed: Fingerprint
    presented: HostKey
    recorded: HostKey | None
