"""Reaching and logging in to a Fuel master: the simulator, a foreign server, and nothing at all."""
from __future__ import annotations

import logging
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Iterator

import pytest
import requests

from core.errors import FuelError
from integrations.fuel import FuelClient
from sim.fuel import FuelSimulator
from labspec.model import FuelMaster

TOKENS = "POST /keystone/v2.0/tokens"


def _client(sim: FuelSimulator, **kw: Any) -> FuelClient:
    kw.setdefault("password", "admin")
    return FuelClient(url=sim.url, user=kw.pop("user", "admin"), retries=2, backoff=0.01, timeout=5, **kw)


def test_nothing_is_sent_until_the_first_call_then_one_login(fuelsim: FuelSimulator) -> None:
    client = _client(fuelsim)
    assert sum(client.request_count.values()) == 0 and fuelsim.state()  # constructing sends nothing
    client.clusters()
    client.releases()
    assert client.request_count == {"GET /api/version": 1, TOKENS: 1, "GET /api/clusters": 1,
                                    "GET /api/releases": 1}


def test_from_master_reads_the_lab_spec(fuelsim: FuelSimulator) -> None:
    master = FuelMaster(url=fuelsim.url + "/api/v1/", user="admin", password="admin")
    client = FuelClient.from_master(master, retries=0)
    assert client.url == fuelsim.url and client.version().release == "6.0"
    assert "admin'" in repr(client) and "password" not in repr(client)


def test_an_expired_token_is_refreshed_once_and_the_call_succeeds(fuelsim: FuelSimulator) -> None:
    client = _client(fuelsim)
    cluster = _cluster(client)
    fuelsim.expire_tokens()
    # a call that starts something is safe to resend after a 401: Nailgun never ran it
    task = client.update_network_configuration(cluster.id, "nova_network",
                                               client.network_configuration(cluster.id, "nova_network"))
    assert task.status.value == "ready"
    assert client.request_count[TOKENS] == 2
    assert client.request_count["GET /api/clusters/{cluster_id}/network_configuration/{provider}"] == 2


def test_bad_credentials_name_the_user_and_the_variables(fuelsim: FuelSimulator) -> None:
    client = _client(fuelsim, user="fuelbot", password="wrong-password-42")
    with pytest.raises(FuelError) as caught:
        client.clusters()
    err = caught.value
    assert (err.status, err.retryable, err.method) == (401, False, "POST")
    assert "user 'fuelbot'" in str(err) and "FUEL_USER/FUEL_PASSWORD" in str(err)
    assert "wrong-password-42" not in f"{err} {err.server_message} {err.url}"
    assert client.request_count[TOKENS] == 1  # a refused password is not retried


def test_no_login_when_the_master_does_not_require_auth(
        fuelsim_factory: Callable[..., FuelSimulator]) -> None:
    sim = fuelsim_factory(auth_required=False)
    client = _client(sim)
    assert client.clusters() == []
    assert TOKENS not in client.request_count


def test_password_and_token_never_reach_logs_or_errors(
        fuelsim_factory: Callable[..., FuelSimulator], caplog: pytest.LogCaptureFixture) -> None:
    fuelsim = fuelsim_factory(admin_password="pa55-word-xyz")
    sent: list[str] = []
    session = requests.Session()
    session.hooks["response"].append(
        lambda r, *a, **k: sent.append(r.request.headers.get("X-Auth-Token") or ""))
    client = _client(fuelsim, password="pa55-word-xyz", session=session)
    caplog.set_level(logging.DEBUG)
    client.clusters()
    fuelsim.set_fault(route="^/api/clusters/77$", status=503)
    with pytest.raises(FuelError) as caught:
        client.cluster(77)
    token = next(t for t in sent if t)
    text = " ".join(r.getMessage() for r in caplog.records) + f" {caught.value} {caught.value.url}"
    assert token not in text and "pa55-word-xyz" not in text


# -- not a Fuel master, or nothing at all -----------------------------------------------------


@pytest.fixture
def foreign_server() -> Iterator[Callable[[int, bytes], str]]:
    """A plain web server that answers every path with the given status and body."""
    servers: list[ThreadingHTTPServer] = []

    def start(status: int, body: bytes) -> str:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_POST = do_GET

            def log_message(self, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_a_404_on_api_version_is_not_a_fuel_master(foreign_server: Callable[[int, bytes], str]) -> None:
    url = foreign_server(404, b"<html><body><h1>404 Not Found</h1></body></html>")
    with pytest.raises(FuelError) as caught:
        FuelClient(url=url, user="admin", password="admin", retries=0).clusters()
    assert str(caught.value).startswith(f"The server at {url} is not a Fuel master "
                                        "(GET /api/version answered 404); check FUEL_URL")
    assert not caught.value.retryable


def test_an_html_page_is_not_a_fuel_master(foreign_server: Callable[[int, bytes], str]) -> None:
    url = foreign_server(200, b"<!DOCTYPE html><html><title>vCenter</title></html>")
    with pytest.raises(FuelError, match=r"is not a Fuel master \(GET /api/version answered an HTML page\)"):
        FuelClient(url=url, user="admin", password="admin", retries=0).version()


def test_the_sims_ui_port_without_api_prefix_still_works(fuelsim: FuelSimulator) -> None:
    # people paste http://10.20.0.2:8000/ or .../api; both mean the same master
    assert FuelClient(url=fuelsim.url + "/api", user="admin", password="admin").version().release == "6.0"


def test_an_unreachable_master_is_retryable_and_named() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    client = FuelClient(url=url, user="admin", password="admin", retries=2, backoff=0.01, timeout=2)
    with pytest.raises(FuelError) as caught:
        client.clusters()
    err = caught.value
    assert err.retryable and err.status is None
    assert str(err).startswith(f"Cannot reach the Fuel master at {url} (GET /api/version: "
                               "connection refused); check FUEL_URL")
    assert client.request_count["GET /api/version"] == 3  # first try + 2 retries


def _cluster(client: FuelClient) -> Any:
    release = client.find_release("Juno on CentOS 6.5", "2014.2-6.0")
    return client.create_cluster(name="auth", release_id=release.id, mode="multinode")
