"""OSTF over HTTP: test sets per cluster, tests, test runs (start, poll, stop, restart), failures."""
from __future__ import annotations

import requests

from sim.fuel import FuelSimulator
from tests.fixtures.fuel_simulator import FuelHttp, wait_for

SANITY_IDENTITY = "fuel_health.tests.sanity.test_sanity_identity.SanityIdentityTest.test_list_services"


def deployed(api: FuelHttp, sim: FuelSimulator, *, mode: str = "multinode", settings: dict | None = None,
             roles: tuple[str, ...] = ("controller", "compute")) -> int:
    cid = int(api.post("/api/clusters", {"name": "health", "release": 1, "mode": mode}).json()["id"])
    if settings:
        assert api.call("PATCH", f"/api/clusters/{cid}/attributes", {"editable": settings}).status_code == 200
    nodes = [sim.inject_node() for _ in roles]
    api.post(f"/api/clusters/{cid}/assignment", [{"id": n["id"], "roles": [r]} for n, r in zip(nodes, roles)])
    assert api.wait_task(api.put(f"/api/clusters/{cid}/changes").json()["id"])["status"] == "ready"
    return cid


def run(api: FuelHttp, cid: int, testset: str, **extra: object) -> dict:
    reply = api.post("/ostf/testruns", [{"testset": testset, "metadata": {"cluster_id": cid, "config": {}}, **extra}])
    assert reply.status_code == 200, reply.text
    return reply.json()[0]


def finished(api: FuelHttp, run_id: int) -> dict:
    return wait_for(lambda: (r := api.get(f"/ostf/testruns/{run_id}").json())["status"] == "finished" and r,
                    10, f"test run {run_id}")


def test_testsets_follow_the_cluster(fuel_api: FuelHttp, fuelsim: FuelSimulator) -> None:
    multinode = int(fuel_api.post("/api/clusters", {"name": "m", "release": 1, "mode": "multinode"}).json()["id"])
    sets = fuel_api.get(f"/ostf/testsets/{multinode}").json()
    # heat is a hidden, always-on component in 6.0, so the platform tests are always offered
    assert sets == [{"id": "sanity", "name": "Sanity tests. Duration 30 sec - 2 min"},
                    {"id": "smoke", "name": "Functional tests. Duration 3 min - 14 min"},
                    {"id": "platform_tests", "name": "Platform services functional tests. Duration 3 min - 60 min"}]
    ha = int(fuel_api.post("/api/clusters", {"name": "h", "release": 1, "mode": "ha_compact"}).json()["id"])
    assert [s["id"] for s in fuel_api.get(f"/ostf/testsets/{ha}").json()] == ["sanity", "smoke", "ha", "platform_tests"]
    fuel_api.call("PATCH", f"/api/clusters/{multinode}/attributes",
                  {"editable": {"additional_components": {"heat": {"value": False}}}})
    assert [s["id"] for s in fuel_api.get(f"/ostf/testsets/{multinode}").json()] == ["sanity", "smoke"]
    tests = fuel_api.get(f"/ostf/tests/{multinode}").json()
    assert [t["id"] for t in tests] == sorted(t["id"] for t in tests)
    assert SANITY_IDENTITY in {t["id"] for t in tests}
    assert set(tests[0]) == {"id", "testset", "name", "description", "duration", "message", "step", "status", "taken"}
    assert not any(t["id"].endswith("test_list_networks_neutron") for t in tests)
    assert fuel_api.get("/ostf/testsets/99").status_code == 404
    assert requests.get(f"{fuelsim.url}/ostf/testsets/{ha}", cookies={"token": "x"}).status_code == 401


def test_sanity_run_goes_wait_running_running_success(fuel_api: FuelHttp, fuelsim: FuelSimulator) -> None:
    cid = deployed(fuel_api, fuelsim)
    fuelsim.set_speed(5)
    started = run(fuel_api, cid, "sanity")
    assert set(started) == {"id", "testset", "meta", "cluster_id", "status", "started_at", "ended_at", "tests"}
    assert started["status"] == "running" and started["ended_at"] is None
    assert {t["status"] for t in started["tests"]} <= {"wait_running", "running"}
    busy = fuel_api.post("/ostf/testruns", {"objects": [{"testset": "sanity", "metadata": {"cluster_id": cid}}]})
    assert busy.status_code == 200 and busy.json() == [{}]
    fuelsim.set_speed(200)
    done = finished(fuel_api, started["id"])
    statuses = {t["id"].rsplit(".", 1)[-1]: t["status"] for t in done["tests"]}
    assert statuses["test_list_services"] == "success" and statuses["test_002_internet_connectivity_from_compute"] == "success"
    assert all(isinstance(t["taken"], float) for t in done["tests"])
    last = fuel_api.get(f"/ostf/testruns/last/{cid}").json()
    assert [r["id"] for r in last] == [started["id"]]
    assert fuel_api.get("/ostf/testruns/12345").json() == {}
    assert [r["id"] for r in fuel_api.get("/ostf/testruns").json()] == [started["id"]]


def test_vcenter_caveats_skip_instance_tests(fuel_api: FuelHttp, fuelsim: FuelSimulator) -> None:
    cid = deployed(fuel_api, fuelsim, roles=("controller",),
                   settings={"common": {"libvirt_type": {"value": "vcenter"}}})
    done = finished(fuel_api, run(fuel_api, cid, "smoke")["id"])
    by_name = {t["id"].rsplit(".", 1)[-1]: t for t in done["tests"]}
    assert by_name["test_004_create_servers"]["status"] == "skipped"
    assert "VMDK" in by_name["test_004_create_servers"]["message"]
    assert by_name["test_volume_create"]["status"] == "skipped"
    assert by_name["test_create_flavor"]["status"] == "success"


def test_failure_injection_stop_and_restart(fuel_api: FuelHttp, fuelsim: FuelSimulator) -> None:
    cid = deployed(fuel_api, fuelsim)
    requests.post(f"{fuelsim.url}/_sim/faults/ostf", json={"test": "test_list_services", "step": 1,
                                                           "message": "Can not get list of services"}).raise_for_status()
    done = finished(fuel_api, run(fuel_api, cid, "sanity")["id"])
    failed = next(t for t in done["tests"] if t["id"] == SANITY_IDENTITY)
    assert (failed["status"], failed["step"], failed["message"]) == ("failure", 1, "Can not get list of services")
    fuelsim.clear_faults()
    fuelsim.set_speed(2)
    smoke = run(fuel_api, cid, "smoke", tests=[t["id"] for t in fuel_api.get(f"/ostf/tests/{cid}").json()
                                                if t["testset"] == "smoke"][:3])
    assert sum(t["status"] == "disabled" for t in smoke["tests"]) == len(smoke["tests"]) - 3
    stopped = fuel_api.put("/ostf/testruns", [{"id": smoke["id"], "status": "stopped"}]).json()[0]
    assert stopped["status"] == "finished"
    assert {t["status"] for t in stopped["tests"]} <= {"stopped", "disabled", "success"}
    fuelsim.set_speed(200)
    restarted = fuel_api.put("/ostf/testruns", [{"id": done["id"], "status": "restarted",
                                                 "tests": [SANITY_IDENTITY]}]).json()[0]
    assert restarted["id"] == done["id"] and restarted["status"] in ("running", "finished")
    again = finished(fuel_api, done["id"])
    assert next(t for t in again["tests"] if t["id"] == SANITY_IDENTITY)["status"] == "success"


def test_runs_on_an_undeployed_cluster_error_and_bad_requests(fuel_api: FuelHttp) -> None:
    cid = int(fuel_api.post("/api/clusters", {"name": "raw", "release": 1}).json()["id"])
    done = finished(fuel_api, run(fuel_api, cid, "sanity")["id"])
    assert {t["status"] for t in done["tests"]} == {"error"}
    assert done["tests"][0]["message"].startswith("Keystone client is not available")
    unknown = fuel_api.post("/ostf/testruns", [{"testset": "nope", "metadata": {"cluster_id": cid}}])
    assert unknown.status_code == 400
    assert fuel_api.post("/ostf/testruns", [{"testset": "sanity", "metadata": {"cluster_id": 99}}]).status_code == 400
    assert fuel_api.post("/ostf/testruns", "sanity").status_code == 400
    assert fuel_api.put("/ostf/testruns", [{"id": done["id"], "status": "paused"}]).status_code == 400
    assert fuel_api.put("/ostf/testruns", [{"id": 999, "status": "stopped"}]).json() == [{}]
