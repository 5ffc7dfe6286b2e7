"""Endpoint parsing, TLS contexts, Change text and error translation, without a server."""
from __future__ import annotations

import ssl

import pytest
from pyVmomi import vim, vmodl

from core.errors import VSphereError
from integrations.vsphere.faults import translate
from integrations.vsphere.info import Change
from integrations.vsphere.session import Endpoint, parse_endpoint, ssl_context
from labspec.model import VCenterTarget


@pytest.mark.parametrize("url, endpoint", [
    ("http://127.0.0.1:8989/sdk", Endpoint("http", "127.0.0.1", 8989, "/sdk")),
    ("https://vc.example.com/sdk", Endpoint("https", "vc.example.com", 443, "/sdk")),
    ("https://vc.example.com", Endpoint("https", "vc.example.com", 443, "/sdk")),
    ("http://[::1]:8989/sdk/", Endpoint("http", "::1", 8989, "/sdk")),
])
def test_parse_endpoint(url, endpoint):
    assert parse_endpoint(url) == endpoint


@pytest.mark.parametrize("url", ["vc.example.com", "ftp://vc/sdk", "https://", "http://vc:99999/sdk"])
def test_bad_urls_name_the_setting(url):
    with pytest.raises(VSphereError) as caught:
        parse_endpoint(url)
    assert "VCENTER_URL" in caught.value.fix


def _target(**kw):
    fields = dict(url="https://vc/sdk", user="u", password="p", datacenter="D", cluster="C", datastore="S")
    fields.update(kw)
    return VCenterTarget(**fields)


def test_tls_is_verified_unless_insecure():
    assert ssl_context(_target()).verify_mode == ssl.CERT_REQUIRED
    assert ssl_context(_target()).check_hostname is True
    insecure = ssl_context(_target(insecure=True))
    assert (insecure.verify_mode, insecure.check_hostname) == (ssl.CERT_NONE, False)


URL = "https://vc/sdk"


@pytest.mark.parametrize("exc, text, retryable", [
    (vim.fault.InvalidLogin(), f"vCenter at {URL} refused the login for user alice", False),
    (ConnectionRefusedError(111, "Connection refused"), f"vCenter at {URL} is unreachable", True),
    (TimeoutError("timed out"), "is unreachable", True),
    (ssl.SSLCertVerificationError(1, "certificate verify failed"), "TLS verification", False),
    (vim.fault.DuplicateName(name="pxe"), "refused doing it: vim.fault.DuplicateName", False),
    (vmodl.fault.ManagedObjectNotFound(), "vmodl.fault.ManagedObjectNotFound", False),
])
def test_translate(exc, text, retryable):
    err = translate(exc, url=URL, user="alice", action="doing it")
    assert isinstance(err, VSphereError)
    assert text in str(err) and err.retryable is retryable


def test_translate_keeps_programming_errors():
    with pytest.raises(KeyError):
        translate(KeyError("bug"), url=URL, user="alice", action="doing it")


def test_change_text():
    assert str(Change("pxe", "distributed-portgroup", "unchanged")) == "unchanged"
    change = Change("pxe", "distributed-portgroup", "updated", ("promiscuous off→on",))
    assert str(change) == "updated: promiscuous off→on" and change.changed
    noted = Change("br100", "standard-portgroup", "created", ("on h0",), notes=("not on h1: vcsim",))
    assert noted.describe() == "standard-portgroup `br100`: created: on h0 (not on h1: vcsim)"


@pytest.mark.parametrize("url, allow_http, refused", [
    ("http://vc.example.com/sdk", False, True),
    ("http://vc.example.com/sdk", True, False),
    ("http://127.0.0.1:8989/sdk", False, False),
    ("http://localhost:8989/sdk", False, False),
    ("http://[::1]:8989/sdk", False, False),
    ("https://vc.example.com/sdk", False, False),
])
def test_plain_http_only_to_this_machine_or_when_the_spec_says_so(url, allow_http, refused):
    from integrations.vsphere.transport import require_safe_scheme
    if refused:
        with pytest.raises(VSphereError, match="unencrypted"):
            require_safe_scheme(_target(url=url, allow_http=allow_http))
    else:
        require_safe_scheme(_target(url=url, allow_http=allow_http))


def test_a_thumbprint_pins_the_certificate_whatever_signed_it():
    import hashlib

    from integrations.vsphere.transport import PinnedContext, ThumbprintMismatch, fingerprint
    der = b"a certificate"
    context = ssl_context(_target(thumbprint=fingerprint(der).lower()))
    assert isinstance(context, PinnedContext) and context.verify_mode == ssl.CERT_NONE
    context.check_peer(der)
    with pytest.raises(ThumbprintMismatch, match="SHA256 fingerprint"):
        context.check_peer(b"another certificate")
    sha1 = hashlib.sha1(der).hexdigest()
    ssl_context(_target(thumbprint=sha1)).check_peer(der)          # a 20-byte pin is SHA-1
    err = translate(ThumbprintMismatch("differs"), url=URL, user="u", action="x")
    assert "not the pinned one" in str(err) and "vcenter.thumbprint" in err.fix
