"""Answers of later Fuel releases, which the 6.0 simulator cannot give, against a tiny local server.

Each ``check_*`` function is a contract: it runs here against a stub speaking 6.1+/8.0 and in
``tests/integration/test_fuel_client_compat.py`` against the 6.0 simulator, so the client is
held to both shapes.
"""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator

import pytest

from core.errors import FuelError
from integrations.fuel import FuelClient
from integrations.fuel.enums import TaskName, TaskStatus

# -- contracts shared with the simulator run -------------------------------------------------


def check_server_message_is_carried(client: FuelClient, missing_cluster_id: int) -> None:
    with pytest.raises(FuelError) as caught:
        client.cluster(missing_cluster_id)
    err = caught.value
    assert (err.status, err.method, err.retryable) == (404, "GET", False)
    assert err.server_message == "Cluster not found"
    assert str(err).endswith(f"GET /api/clusters/{missing_cluster_id}: Cluster not found")


def check_assignment_answer_is_accepted(client: FuelClient, cluster_id: int, node_id: int) -> None:
    assert client.assign_roles(cluster_id, {node_id: ["controller"]}) is None
    assert client.node(node_id).pending_roles == ("controller",)


def check_network_save_reports_a_ready_check(client: FuelClient, cluster_id: int) -> None:
    config = client.network_configuration(cluster_id, "nova_network")
    task = client.update_network_configuration(cluster_id, "nova_network", config)
    assert (task.name, task.status) == (TaskName.CHECK_NETWORKS, TaskStatus.READY)


# -- the stub ---------------------------------------------------------------------------------

VERSION = {"release": "8.0", "api": "1", "auth_required": False, "feature_groups": []}
NODE = {"id": 3, "name": "n3", "mac": "00:50:56:aa:00:03", "status": "discover", "online": True,
        "cluster": 1, "pending_roles": ["controller"], "pending_addition": True}
NETWORKS = {"networks": [{"id": 2, "name": "public", "cidr": "172.16.0.0/24", "ip_ranges": []}],
            "networking_parameters": {"net_manager": "FlatDHCPManager"}}


class Stub:
    """Routes (method, path) to (status, body); a body of ``bytes`` is sent as it is."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], tuple[int, Any]] = {
            ("GET", "/api/version"): (200, VERSION),
            ("GET", "/api/nodes/3"): (200, NODE),
            ("GET", "/api/clusters/1/network_configuration/nova_network"): (200, NETWORKS),
        }
        self.seen: list[tuple[str, str]] = []


def _handler(stub: Stub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            path = self.path.split("?")[0]
            stub.seen.append((self.command, path))
            status, body = stub.routes.get((self.command, path), (404, {"message": "Not Found"}))
            raw = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        do_GET = do_PUT = do_POST = do_DELETE = _answer

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def stub() -> Iterator[tuple[Stub, FuelClient]]:
    state = Stub()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02},
                              daemon=True)
    thread.start()
    client = FuelClient(url=f"http://127.0.0.1:{server.server_port}", user="admin",
                        password="stub-password", retries=1, backoff=0.01, timeout=5)
    try:
        yield state, client
    finally:
        client.close()
        server.shutdown()
        server.server_close()


def test_json_error_bodies_of_61_and_later(stub: tuple[Stub, FuelClient]) -> None:
    state, client = stub
    state.routes[("GET", "/api/clusters/999")] = (404, {"message": "Cluster not found", "errors": []})
    check_server_message_is_carried(client, 999)


def test_null_answer_to_assignment_of_later_releases(stub: tuple[Stub, FuelClient]) -> None:
    state, client = stub
    state.routes[("POST", "/api/clusters/1/assignment")] = (200, b"null")
    check_assignment_answer_is_accepted(client, 1, 3)


@pytest.mark.parametrize("status, body", [
    (200, {"id": 7, "name": "check_networks", "status": "ready", "progress": 100, "cluster": 1}),  # 7.0
    (200, NETWORKS),                                                                             # 8.0+
])
def test_network_save_answers_of_later_releases(stub: tuple[Stub, FuelClient], status: int,
                                                body: Any) -> None:
    state, client = stub
    state.routes[("PUT", "/api/clusters/1/network_configuration/nova_network")] = (status, body)
    check_network_save_reports_a_ready_check(client, 1)
