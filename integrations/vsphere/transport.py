"""How fuelbot reaches a vCenter: the endpoint, TLS verification or pinning, and plain-http policy.

* TLS is verified against the system CAs (or ``ca_file``) unless ``insecure`` says otherwise.
* ``thumbprint`` pins the certificate: every TLS handshake of the session (version probe and
  every pooled SOAP connection) checks the peer certificate's SHA-256 (or SHA-1) fingerprint,
  whatever CA signed it. pyvmomi's own ``thumbprint`` is only consulted after CA verification
  failed, so a CA-valid impostor would pass it; this check runs on every handshake.
* Plain ``http://`` carries the password in clear text: refused unless the host is this machine
  or the spec says ``allow_http: true``.
"""
from __future__ import annotations

import hashlib
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from core.errors import VSphereError
from labspec.model import VCenterTarget
from labspec.vcenter import is_loopback

URL_FIX = "set VCENTER_URL like https://vcenter.example.com/sdk"
HTTP_FIX = "use https://, or set vcenter.allow_http: true for a lab vCenter on a network you trust"
PIN_FIX = ("if vCenter's certificate was replaced on purpose, put its new SHA-256 fingerprint in "
           "vcenter.thumbprint; otherwise this is not the vCenter you pinned")
_ALGORITHMS = {20: "sha1", 32: "sha256"}


@dataclass(frozen=True)
class Endpoint:
    """Where a vCenter SDK listens, parsed from a ``VCenterTarget.url``."""

    scheme: str
    host: str
    port: int
    path: str

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}{self.path}"


def parse_endpoint(url: str) -> Endpoint:
    """Parse ``http(s)://host[:port][/path]``; the path defaults to ``/sdk``."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise VSphereError(f"vCenter URL {url!r} is malformed: {exc}", obj=url, fix=URL_FIX) from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise VSphereError(f"vCenter URL {url!r} must look like https://vcenter/sdk", obj=url, fix=URL_FIX)
    default_port = 443 if parts.scheme == "https" else 80
    return Endpoint(scheme=parts.scheme, host=parts.hostname, port=port or default_port,
                    path=parts.path.rstrip("/") or "/sdk")


def require_safe_scheme(target: VCenterTarget) -> None:
    """Refuse plain http to a vCenter that is not on this machine, unless the spec allows it."""
    if target.url.startswith("http://") and not target.allow_http and not is_loopback(target.url):
        raise VSphereError(f"vCenter URL {target.url} is plain http://, which would send the password of "
                           f"{target.user} unencrypted", obj=target.url, fix=HTTP_FIX)


class ThumbprintMismatch(ssl.SSLCertVerificationError):
    """The peer's certificate is not the pinned one."""


def fingerprint(der: bytes, algorithm: str = "sha256") -> str:
    """``AB:CD:…`` as ``openssl x509 -fingerprint`` prints it."""
    digest = hashlib.new(algorithm, der).hexdigest().upper()
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


class _PinnedSocket(ssl.SSLSocket):
    def do_handshake(self, block: bool = False) -> None:
        super().do_handshake(block)
        context = self.context
        if isinstance(context, PinnedContext):
            context.check_peer(self.getpeercert(binary_form=True))


class PinnedContext(ssl.SSLContext):
    """A client context that trusts exactly one certificate, by fingerprint."""

    sslsocket_class = _PinnedSocket
    pin: str = ""

    @classmethod
    def for_thumbprint(cls, thumbprint: str) -> "PinnedContext":
        context = cls(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False       # the pin identifies the server, not the name
        context.verify_mode = ssl.CERT_NONE
        context.pin = thumbprint.replace(":", "").upper()
        return context

    def check_peer(self, der: bytes | None) -> None:
        algorithm = _ALGORITHMS.get(len(self.pin) // 2, "sha256")
        seen = fingerprint(der or b"", algorithm)
        if seen.replace(":", "") != self.pin:
            raise ThumbprintMismatch(f"the certificate's {algorithm.upper()} fingerprint is {seen}, not the "
                                     f"pinned {fingerprint_text(self.pin)}")


def fingerprint_text(pin: str) -> str:
    return ":".join(pin[i:i + 2] for i in range(0, len(pin), 2))


def ssl_context(target: VCenterTarget) -> ssl.SSLContext:
    """Pinned when ``thumbprint``; unverified when ``insecure``; else verified (``ca_file`` adds a CA)."""
    if target.thumbprint:
        return PinnedContext.for_thumbprint(target.thumbprint)
    if target.insecure:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    try:
        return ssl.create_default_context(cafile=target.ca_file)
    except (OSError, ssl.SSLError) as exc:
        raise VSphereError(f"cannot read the CA bundle {target.ca_file!r}: {exc}", obj=target.ca_file,
                           fix="point vcenter.ca_file at a readable PEM file") from exc
