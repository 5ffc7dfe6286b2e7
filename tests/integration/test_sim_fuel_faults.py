"""Fault injection and robustness: /_sim controls, sick API behaviours, never a 500 from bad input."""
from __future__ import annotations

import json
import socket
import time

import pytest
import requests

from sim.fuel import FuelSimulator
from tests.fixtures.fuel_simulator import FuelHttp, wait_for


def test_status_faults_on_a_route_with_a_count(fuel_api: FuelHttp, fuelsim: FuelSimulator) -> None:
    added = requests.post(f"{fuelsim.url}/_sim/faults", json={"route": r"^/api/nodes$", "status": 503, "count": 2})
    assert added.status_code == 201
    assert [fuel_api.get("/api/nodes").status_code for _ in range(3)] == [503, 503, 200]
    assert fuel_api.get("/api/clusters").status_code == 200
    fuelsim.set_fault(route="/api/clusters", method="POST", status=500)
    assert fuel_api.get("/api/clusters").status_code == 200
    assert fuel_api.post("/api/clusters", {"name": "x", "release": 1}).status_code == 500
    assert requests.delete(f"{fuelsim.url}/_sim/faults").status_code == 204
    assert fuel_api.post("/api/clusters", {"name": "x", "release": 1}).status_code == 201


def test_error_rate_hits_about_that_share_of_calls(fuel_api: FuelHttp, fuelsim: FuelSimulator) -> None:
    fuelsim.set_fault(status=500, rate=0.3)
    codes = [fuel_api.get("/api/version").status_code for _ in range(200)]
    assert 30 <= codes.count(500) <= 90 and set(codes) == {200, 500}


def test_latency_and_dropped_connections(fuel_api: FuelHttp, fuelsim: FuelSimulator) -> None:
    fuelsim.set_fault(route="/api/releases", latency_ms=150, count=1)
    started = time.monotonic()
    assert fuel_api.get("/api/releases").status_code == 200
    assert time.monotonic() - started >= 0.15
    fuelsim.set_fault(route="/api/tasks", drop=True, count=1)
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{fuelsim.url}/api/tasks", headers=fuel_api.session.headers)
    assert fuel_api.get("/api/tasks").status_code == 200, "the server keeps serving"


def test_outage_refuses_connections_then_comes_back(fuel_api: FuelHttp, fuelsim: FuelSimulator) -> None:
    assert requests.post(f"{fuelsim.url}/_sim/outage", json={"seconds": 0.6}).status_code == 202
    time.sleep(0.2)
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{fuelsim.url}/api/version", timeout=2)
    wait_for(lambda: _answers(fuelsim.url), 5, "the API to come back")
    assert FuelHttp(fuelsim.url).get("/api/version").status_code == 200


def _answers(url: str) -> bool:
    try:
        return requests.get(f"{url}/api/version", timeout=1).status_code == 200
    except requests.ConnectionError:
        return False


def test_token_expiry_now(fuel_api: FuelHttp, fuelsim: FuelSimulator) -> None:
    assert fuel_api.get("/api/nodes").status_code == 200
    assert requests.post(f"{fuelsim.url}/_sim/tokens/expire").status_code == 200
    assert fuel_api.get("/api/nodes").status_code == 401
    fuel_api.login()
    assert fuel_api.get("/api/nodes").status_code == 200


def test_state_reset_speed_and_injection(fuel_api: FuelHttp, fuelsim: FuelSimulator) -> None:
    sim = fuelsim.url
    created = requests.post(f"{sim}/_sim/nodes", json={"memory_mb": 4096, "cpus": 8})
    assert created.status_code == 201 and created.json()["meta"]["cpu"]["total"] == 8
    fuel_api.post("/api/clusters", {"name": "x", "release": 1})
    state = requests.get(f"{sim}/_sim/state").json()
    assert {"clusters", "nodes", "tasks", "deploy_tasks_per_cluster", "request_counts", "sim_time",
            "speed"} <= set(state)
    assert len(state["nodes"]) == 1 and state["clusters"][0]["name"] == "x"
    assert state["request_counts"]["POST /api/clusters"] == 1
    assert requests.post(f"{sim}/_sim/speed", json={"speed": 7}).json() == {"speed": 7.0}
    assert requests.get(f"{sim}/_sim/state").json()["speed"] == 7.0
    assert requests.post(f"{sim}/_sim/speed", json={"speed": 0}).status_code == 400
    assert requests.post(f"{sim}/_sim/reset").status_code == 200
    after = requests.get(f"{sim}/_sim/state").json()
    assert after["clusters"] == [] and after["nodes"] == [] and after["request_counts"] == {"GET /_sim/state": 1}
    assert requests.post(f"{sim}/_sim/nodes", json={"cpus": "many"}).status_code == 400
    assert requests.post(f"{sim}/_sim/nodes", json={"colour": "red"}).status_code == 400
    assert requests.post(f"{sim}/_sim/nodes", json={"mac": "zz:zz"}).status_code == 400
    assert requests.post(f"{sim}/_sim/faults", json={"route": "(", "status": 500}).status_code == 400
    assert requests.post(f"{sim}/_sim/faults", json={"status": 99}).status_code == 400
    assert requests.post(f"{sim}/_sim/faults/node", json={"node": 1, "stage": "boot"}).status_code == 400


def test_powering_a_node_off_and_on(fuel_api: FuelHttp, fuelsim: FuelSimulator) -> None:
    node = fuelsim.inject_node()
    assert requests.post(f"{fuelsim.url}/_sim/nodes/{node['id']}/power", json={"on": False}).status_code == 200
    wait_for(lambda: not fuel_api.get(f"/api/nodes/{node['id']}").json()["online"], 5)
    fuelsim.power(node["id"], on=True)
    wait_for(lambda: fuel_api.get(f"/api/nodes/{node['id']}").json()["online"], 5)
    messages = [n["message"] for n in fuel_api.get("/api/notifications").json()]
    assert f"Node '{node['name']}' is back online" in messages


BAD_BODIES = ["", "{", "null", "[]", "{}", "[{}]", '"text"', "42", '[{"id": "x"}]', '{"nodes": "all"}',
              '{"editable": 1}', '[{"id": 1, "roles": "controller"}]', '{"networks": [{"id": null}]}',
              '[{"id": 1, "interfaces": [{"type": "ether"}]}]', '{"objects": [1]}', '[{"id": 1, "status": 5}]',
              "\xff\xfe", '{"networking_parameters": {"floating_ranges": [["a", "b"]]}, "networks": []}',
              '{"networking_parameters": {"fixed_networks_cidr": "x"}, "networks": []}']


def test_bad_input_never_gives_a_500(fuel_api: FuelHttp, fuelsim: FuelSimulator) -> None:
    node = fuelsim.inject_node()
    cid = fuel_api.post("/api/clusters", {"name": "fuzz", "release": 1}).json()["id"]
    fuel_api.post(f"/api/clusters/{cid}/assignment", [{"id": node["id"], "roles": ["controller"]}])
    targets = [("POST", "/api/clusters"), ("PUT", f"/api/clusters/{cid}"), ("PUT", f"/api/clusters/{cid}/attributes"),
               ("PATCH", f"/api/clusters/{cid}/attributes"),
               ("PUT", f"/api/clusters/{cid}/network_configuration/nova_network"),
               ("PUT", f"/api/clusters/{cid}/network_configuration/nova_network/verify"),
               ("POST", f"/api/clusters/{cid}/assignment"), ("POST", f"/api/clusters/{cid}/unassignment"),
               ("POST", "/api/nodes"), ("PUT", "/api/nodes"), ("PUT", "/api/nodes/agent"),
               ("PUT", f"/api/nodes/{node['id']}"), ("PUT", f"/api/nodes/{node['id']}/interfaces"),
               ("PUT", "/api/nodes/interfaces"), ("PUT", f"/api/nodes/{node['id']}/disks"),
               ("PUT", "/api/notifications"), ("POST", "/api/notifications"), ("POST", "/ostf/testruns"),
               ("PUT", "/ostf/testruns"), ("POST", "/keystone/v2.0/tokens"), ("PUT", "/api/releases/1/networks"),
               ("POST", "/_sim/nodes"), ("POST", "/_sim/faults"), ("POST", "/_sim/speed"), ("POST", "/_sim/outage"),
               ("PUT", "/api/settings")]
    for method, path in targets:
        for body in BAD_BODIES:
            reply = fuel_api.call(method, path, data=body.encode("latin-1"))
            assert reply.status_code < 500, (method, path, body, reply.status_code, reply.text)
    for path in ("/api/nodes?cluster_id=%ff", "/api/logs?source=app&max_entries=x", "/api/tasks?cluster_id=x",
                 "/api/clusters/99999999999999999999", "/ostf/testruns/last/0", "/api/logs?source=app&node=x"):
        assert fuel_api.get(path).status_code < 500, path
    assert fuel_api.get("/api/version").status_code == 200


def test_garbage_on_the_socket_does_not_kill_the_server(fuelsim: FuelSimulator) -> None:
    host, port = fuelsim.url.removeprefix("http://").split(":")
    for payload in (b"NONSENSE\r\n\r\n", b"GET / HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
                    b"\x00\x01\x02\r\n\r\n", b"PUT /api/nodes HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"):
        with socket.create_connection((host, int(port)), timeout=2) as conn:
            conn.sendall(payload)
            conn.settimeout(0.5)
            try:
                conn.recv(1024)
            except OSError:
                pass
    assert json.loads(requests.get(f"{fuelsim.url}/api/version").text)["release"] == "6.0"
