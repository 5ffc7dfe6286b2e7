"""VSphereClient sessions against a real vcsim: login, refusals, re-login, restart, TLS, call counting."""
from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from core.errors import VSphereError
from core.redact import scrub
from sim.vcenter.process import VcsimProcess
from integrations.vsphere import VSphereClient
from labspec.model import VCenterTarget
from tests.fixtures.vcenter_simulator import admin_session, target_for


def test_connect_reads_inventory_and_counts_calls(vsphere_target):
    with VSphereClient.connect(vsphere_target) as client:
        after_login = client.calls
        stores = client.datastores()
        hosts = client.hosts()
        assert after_login == 2                      # RetrieveServiceContent + Login
        assert [d.name for d in stores] == ["LocalDS_0"]
        assert [h.name for h in hosts] == ["DC0_C0_H0", "DC0_C0_H1", "DC0_C0_H2"]
        assert client.calls > after_login


def test_wrong_password_is_refused_with_the_fix(vcsim):
    target = target_for(vcsim, password="not-the-password")
    with pytest.raises(VSphereError) as caught:
        VSphereClient.connect(target)
    err = caught.value
    assert str(err).startswith(f"vCenter at {vcsim.url} refused the login for user fuelbot")
    assert err.obj == vcsim.url
    assert err.fix == "check VCENTER_USER / VCENTER_PASSWORD"
    assert err.retryable is False
    assert "not-the-password" not in scrub(str(err))


def test_unreachable_url_is_retryable_and_names_the_url():
    with socket.socket() as probe:                   # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/sdk"
    target = VCenterTarget(url=url, user="fuelbot", password="embedded-vcsim", datacenter="DC0",
                           cluster="DC0_C0", datastore="LocalDS_0")
    with pytest.raises(VSphereError) as caught:
        VSphereClient.connect(target)
    assert caught.value.retryable is True
    assert url in str(caught.value)


def test_terminated_session_logs_in_again_transparently(vcsim, vsphere_target):
    with VSphereClient.connect(vsphere_target) as client:
        before = client.vms()
        start = client.calls
        client.vms()
        live_cost = client.calls - start
        with admin_session(vcsim) as admin:
            manager = admin.content.sessionManager
            mine = manager.currentSession.key
            others = [s.key for s in manager.sessionList if s.key != mine]
            manager.TerminateSession(others)
        start = client.calls
        assert client.vms() == before
        assert client.calls - start == live_cost + 2     # the refused call and the Login


def test_morefs_survive_a_vcsim_restart_on_the_same_port(vcsim_binary, tmp_path):
    first = VcsimProcess.start(log_path=tmp_path / "first.log")
    port = first.port
    client = VSphereClient.connect(target_for(first))
    try:
        assert [d.name for d in client.datastores()] == ["LocalDS_0"]
        first.stop()
        with pytest.raises(VSphereError) as caught:
            client.datastores()
        assert caught.value.retryable is True
        with VcsimProcess.start(port=port, log_path=tmp_path / "second.log") as second:
            assert second.port == port
            assert [h.name for h in client.hosts()] == ["DC0_C0_H0", "DC0_C0_H1", "DC0_C0_H2"]
    finally:
        client.close()
        first.stop()


@pytest.mark.parametrize("field, value, spec_field", [
    ("datacenter", "DC9", "vcenter.datacenter"),
    ("cluster", "no-such-cluster", "vcenter.cluster"),
    ("datastore", "nope", "vcenter.datastore"),
])
def test_unknown_target_object_names_it_and_the_spec_field(vcsim, field, value, spec_field):
    with VSphereClient(target_for(vcsim, **{field: value})) as client:
        with pytest.raises(VSphereError) as caught:
            client.vms()
    assert caught.value.obj == value
    assert spec_field in (caught.value.fix or "")
    assert repr(value) in str(caught.value)


def test_closed_client_refuses_work(vsphere_target):
    client = VSphereClient.connect(vsphere_target)
    client.close()
    client.close()                                   # twice is fine
    with pytest.raises(VSphereError, match="closed"):
        client.vms()


def test_is_simulator_detects_vcsim(vsphere_target):
    with VSphereClient(vsphere_target) as client:
        assert client.is_simulator is True


# TLS --------------------------------------------------------------------------------------------
def test_tls_is_verified_by_default(vcsim_binary, tmp_path):
    # vcsim's default certificate is Go's test cert: unverifiable, so the default must refuse it.
    with VcsimProcess.start(extra_args=["-tls"], log_path=tmp_path / "vcsim.log") as tls_vcsim:
        assert tls_vcsim.url.startswith("https://")
        with pytest.raises(VSphereError) as caught:
            VSphereClient.connect(target_for(tls_vcsim))
        assert "TLS verification" in str(caught.value)
        assert "ca_file" in caught.value.fix and "insecure" in caught.value.fix
        with VSphereClient.connect(target_for(tls_vcsim, insecure=True)) as client:
            assert [d.name for d in client.datastores()] == ["LocalDS_0"]


def test_tls_with_ca_file(vcsim_binary, tmp_path):
    if shutil.which("openssl") is None:
        pytest.skip("openssl CLI not installed: cannot make a test certificate")
    cert, key = tmp_path / "tls.crt", tmp_path / "tls.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    args = ["-tls", "-tls-cert", str(cert), "-tls-key", str(key)]
    with VcsimProcess.start(extra_args=args, log_path=tmp_path / "vcsim.log") as tls_vcsim:
        with pytest.raises(VSphereError, match="TLS verification"):
            VSphereClient.connect(target_for(tls_vcsim))
        with VSphereClient.connect(target_for(tls_vcsim, ca_file=str(cert))) as client:
            assert client.datastores()[0].name == "LocalDS_0"


def test_missing_ca_file_names_it(vcsim_binary, tmp_path: Path):
    with VcsimProcess.start(extra_args=["-tls"], log_path=tmp_path / "vcsim.log") as tls_vcsim:
        missing = str(tmp_path / "nope.pem")
        with pytest.raises(VSphereError) as caught:
            VSphereClient(target_for(tls_vcsim, ca_file=missing))
        assert caught.value.obj == missing


def test_https_client_against_plain_http_vcsim_says_so(vcsim):
    target = target_for(vcsim, url=vcsim.url.replace("http://", "https://"))
    with pytest.raises(VSphereError) as caught:
        VSphereClient.connect(target)
    assert "TLS" in str(caught.value) and "http/https" in str(caught.value)


def test_idle_expired_session_logs_in_again(vcsim_binary, tmp_path):
    with VcsimProcess.start(session_idle="1s", log_path=tmp_path / "vcsim.log") as sim:
        with VSphereClient.connect(target_for(sim)) as client:
            before = client.datastores()
            start = client.calls
            client.datastores()
            live_cost = client.calls - start
            time.sleep(2.2)                          # vcsim expires sessions idle for more than 1 s
            start = client.calls
            assert client.datastores() == before
            assert client.calls - start == live_cost + 2  # the refused call and the Login


# Pinning, plain http, kept sessions -------------------------------------------------------------
def _fingerprint(url: str) -> str:
    import ssl
    from urllib.parse import urlsplit

    from integrations.vsphere.transport import fingerprint
    parts = urlsplit(url)
    return fingerprint(ssl.PEM_cert_to_DER_cert(ssl.get_server_certificate((parts.hostname, parts.port))))


def test_a_pinned_thumbprint_is_checked_on_every_connection(vcsim_binary, tmp_path):
    with VcsimProcess.start(extra_args=["-tls"], log_path=tmp_path / "vcsim.log") as tls_vcsim:
        pin = _fingerprint(tls_vcsim.url)
        with VSphereClient.connect(target_for(tls_vcsim, thumbprint=pin)) as client:
            assert [d.name for d in client.datastores()] == ["LocalDS_0"]   # no CA needed: the pin is the trust
        wrong = "AB:" * 31 + "AB"
        with pytest.raises(VSphereError) as caught:
            VSphereClient.connect(target_for(tls_vcsim, thumbprint=wrong))
        assert "not the pinned one" in str(caught.value) and pin in str(caught.value)
        assert "vcenter.thumbprint" in caught.value.fix


def test_plain_http_to_a_remote_vcenter_is_refused_before_any_traffic():
    target = VCenterTarget(url="http://vc.example.com/sdk", user="fuelbot", password="pw", datacenter="DC0",
                           cluster="DC0_C0", datastore="LocalDS_0")
    with pytest.raises(VSphereError) as caught:
        VSphereClient(target)
    assert "unencrypted" in str(caught.value) and "allow_http" in caught.value.fix


def test_kept_sessions_log_in_once_per_vcenter_and_survive_their_clients(vcsim, vsphere_target):
    from integrations.vsphere.pool import VSphereSessions
    sessions = VSphereSessions()
    try:
        first = sessions.client(vsphere_target)
        first.vms()
        first.close()                                 # the watch's tick is over; the session is not
        second = sessions.client(vsphere_target)
        before = second.calls
        assert second.vms() is not None
        assert second.calls - before <= 4             # no Login: the session is still open
        assert len(sessions) == 1
        with admin_session(vcsim) as admin:
            users = [s.userName for s in admin.content.sessionManager.sessionList]
        assert users.count("fuelbot") == 2            # fuelbot's kept session and this admin session
    finally:
        sessions.close()
    assert second is first                            # one client per lab target, with what it resolved
    with pytest.raises(VSphereError, match="closed"):
        second.vms()
