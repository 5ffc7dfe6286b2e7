"""Fuel 6.0's logs over HTTP: sources, per-node logs of a failing lab, refusals, the logs package."""
from __future__ import annotations

import io
import tarfile

import requests

from core.redact import scrub
from sim.fuel import FuelSimulator
from tests.fixtures.fuel_simulator import FuelHttp
from tests.integration.test_sim_fuel_deploy import deploy, lab


def logs(api: FuelHttp, **params: object) -> requests.Response:
    return api.get("/api/logs", params=params)


def use_image_provisioning(api: FuelHttp, cid: int) -> None:
    editable = api.get(f"/api/clusters/{cid}/attributes").json()["editable"]
    editable["provision"]["method"]["value"] = "image"
    editable["access"]["password"]["value"] = "Op3nSt4ck-secret"
    assert api.put(f"/api/clusters/{cid}/attributes", {"editable": editable}).status_code == 200


def test_sources_are_6_0_settings_and_a_node_lists_only_the_files_it_has(fuel_api: FuelHttp,
                                                                         fuelsim: FuelSimulator) -> None:
    sources = {s["id"]: s for s in fuel_api.get("/api/logs/sources").json()}
    assert sources["astute"]["path"] == "/var/log/astute/astute.log" and sources["astute"]["remote"] is False
    assert sources["install/puppet"]["path"] == "puppet-apply.log" and sources["install/puppet"]["base"] == \
        "/var/log/remote/"
    assert sources["install/anaconda"]["levels"][-4:] == ["ERR", "CRIT", "ALERT", "EMERG"]
    assert sources["app"]["levels"] == ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
    node = fuelsim.inject_node()
    assert node is not None
    discovered = {s["id"] for s in fuel_api.get(f"/api/logs/sources/nodes/{node['id']}").json()}
    assert discovered == {"bootstrap/messages", "bootstrap/agent"}, "a discovered node has its bootstrap logs"
    agent = logs(fuel_api, source="bootstrap/agent", node=node["id"]).json()
    assert agent["entries"][0][1] == "INFO" and f"registered in Nailgun as id {node['id']}" in agent["entries"][0][2]
    assert fuel_api.get("/api/logs/sources/nodes/999").status_code == 404


def test_bad_input_is_refused_as_6_0_refuses_it(fuel_api: FuelHttp, fuelsim: FuelSimulator) -> None:
    node = fuelsim.inject_node()
    assert node is not None
    cases = [({}, 400, "'source' must be specified"),
             ({"source": "app", "max_entries": "ten"}, 400, "Invalid 'max_entries' value"),
             ({"source": "app", "from": "x"}, 400, "Invalid 'from' value"),
             ({"source": "app", "to": "x"}, 400, "Invalid 'to' value"),
             ({"source": "app", "date_after": "yesterday"}, 400, "Invalid 'date_after' value"),
             ({"source": "puppet"}, 404, "Log source not found"),
             ({"source": "fake-target-mcollective", "node": node["id"]}, 404, "Log source not found"),
             ({"source": "install/puppet"}, 400, "'node' must be specified"),
             ({"source": "install/puppet", "node": 999}, 404, "Node not found"),
             ({"source": "install/puppet", "node": "x"}, 404, "Node not found"),
             ({"source": "install/puppet", "node": node["id"]}, 404, "Log file not found"),
             ({"source": "app", "level": "ERR"}, 400, "Invalid level"),
             ({"source": "astute", "level": "ERROR"}, 400, "Invalid level"),
             ({"source": "astute", "level": "err"}, 400, "Invalid level")]
    for params, status, text in cases:
        reply = logs(fuel_api, **params)
        assert (reply.status_code, reply.text) == (status, text), params


def test_pages_go_backwards_by_byte_offsets_and_levels_keep_the_worse_ones(fuel_api: FuelHttp,
                                                                          fuelsim: FuelSimulator) -> None:
    for _ in range(4):
        fuelsim.inject_node()
    newest = logs(fuel_api, source="app", max_entries=2).json()
    assert len(newest["entries"]) == 2 and newest["has_more"] is True and 0 < newest["from"] < newest["to"]
    assert newest["entries"][0][0] >= newest["entries"][1][0], "newest first"
    older = logs(fuel_api, source="app", max_entries=2, fetch_older="true", **{"from": newest["from"]}).json()
    assert older["entries"] and older["entries"][0] != newest["entries"][0] and older["from"] < newest["from"]
    nothing_new = logs(fuel_api, source="app", to=newest["to"]).json()
    assert nothing_new == {"entries": [], "from": -1, "to": newest["to"], "has_more": False}
    cid, nodes = lab(fuel_api, fuelsim, [["controller"]])
    fuelsim.fail_node(nodes[0]["id"], stage="deploy", message="Could not start Service[nova-api]")
    fuel_api.wait_task(deploy(fuel_api, cid)["id"])
    puppet_all = logs(fuel_api, source="install/puppet", node=nodes[0]["id"]).json()["entries"]
    warnings = logs(fuel_api, source="install/puppet", node=nodes[0]["id"], level="WARNING").json()["entries"]
    assert {e[1] for e in puppet_all} >= {"NOTICE", "WARNING", "ERR"}
    assert {e[1] for e in warnings} == {"WARNING", "ERR"}


def test_a_failed_image_provisioning_leaves_its_cause_in_the_logs_not_the_task(fuel_api: FuelHttp,
                                                                               fuelsim: FuelSimulator) -> None:
    cid, (ctrl, comp) = lab(fuel_api, fuelsim, [["controller"], ["compute"]])
    use_image_provisioning(fuel_api, cid)
    fuelsim.fail_node(comp["mac"], stage="provision", message="Failed to write image to /dev/sda: No space left")
    task = fuel_api.wait_task(deploy(fuel_api, cid)["id"])
    assert task["message"] == "At least one of nodes have failed during provisioning"   # astute image_provision
    node = fuel_api.get(f"/api/nodes/{comp['id']}").json()
    assert (node["status"], node["error_type"], node["progress"]) == ("error", "provision", 0)
    messages = logs(fuel_api, source="bootstrap/messages", node=comp["id"], level="ERR").json()["entries"]
    assert [e[2] for e in messages][::-1] == ["provision: Failed to write image to /dev/sda: No space left",
                                              "provision: Provisioning failed, exit code 1"]
    astute = [e[2] for e in logs(fuel_api, source="astute", level="ERR").json()["entries"]]
    provision = next(t for t in fuel_api.get(f"/api/tasks?cluster_id={cid}").json() if t["name"] == "provision")
    assert f"[395] {provision['uuid']}: Provision command returned non zero exit code on node: {comp['id']}" in astute
    everything = " ".join(e[2] for e in logs(fuel_api, source="astute", max_entries=500).json()["entries"])
    assert "'provision' method called with data" in everything


def test_a_failed_deployment_notifies_unknown_error_and_the_astute_log_shows_secrets_to_scrub(
        fuel_api: FuelHttp, fuelsim: FuelSimulator) -> None:
    cid, (ctrl, comp) = lab(fuel_api, fuelsim, [["controller"], ["compute"]])
    use_image_provisioning(fuel_api, cid)
    fuelsim.fail_node(comp["id"], stage="deploy", message="nova-compute did not start: libvirtd is not running")
    task = fuel_api.wait_task(deploy(fuel_api, cid)["id"])
    name = fuel_api.get(f"/api/nodes/{comp['id']}").json()["name"]
    assert task["message"] == f"Deployment has failed. Check these nodes:\n'{name}'"
    notes = [n for n in fuel_api.get("/api/notifications").json() if n["topic"] == "error"]
    assert [n["message"] for n in notes] == [f"Failed to deploy node '{name}': Unknown error", task["message"]]
    assert notes[0]["node_id"] == comp["id"] and notes[0]["cluster"] == cid
    puppet = logs(fuel_api, source="install/puppet", node=comp["id"], level="ERR").json()["entries"]
    assert puppet[0][2] == ("(/Stage[main]/Nova::Compute/Service[nova-compute]/ensure) change from notrun to 0 "
                            "failed: nova-compute did not start: libvirtd is not running")
    data = next(e[2] for e in logs(fuel_api, source="astute", max_entries=500).json()["entries"]
                if "'deploy' method called" in e[2])
    assert '"password"=>"Op3nSt4ck-secret"' in data, "astute.log carries the RPC message, passwords and all"
    assert "Op3nSt4ck-secret" not in scrub(data) and "db_password" in scrub(data)


def test_the_logs_package_is_a_task_then_a_real_tarball_under_dump(fuel_api: FuelHttp,
                                                                   fuelsim: FuelSimulator) -> None:
    cid, (ctrl,) = lab(fuel_api, fuelsim, [["controller"]])
    fuel_api.wait_task(deploy(fuel_api, cid)["id"])
    started = fuel_api.put("/api/logs/package")
    assert started.status_code == 202 and started.json()["cluster"] is None
    again = fuel_api.put("/api/logs/package")
    assert (again.status_code, again.text) == (400, "Dump already running")
    done = fuel_api.wait_task(started.json()["id"])
    assert done["status"] == "ready" and done["message"].startswith("/dump/fuel-snapshot-")
    assert done["message"].endswith(".tgz")
    assert "Snapshot is ready. Visit Support page to download" in [
        n["message"] for n in fuel_api.get("/api/notifications").json()]
    download = requests.get(fuelsim.url + done["message"], timeout=10)    # nginx: no token needed
    assert download.status_code == 200 and download.headers["Content-Type"] == "application/octet-stream"
    top = done["message"].removeprefix("/dump/").removesuffix(".tgz")
    with tarfile.open(fileobj=io.BytesIO(download.content), mode="r:gz") as archive:
        names = archive.getnames()
        fqdn = fuel_api.get(f"/api/nodes/{ctrl['id']}").json()["fqdn"]
        astute = archive.extractfile(f"{top}/10.20.0.2/var/log/docker-logs/astute/astute.log")
        assert astute is not None and b"'deploy' method called" in astute.read()
    assert f"{top}/10.20.0.2/var/log/docker-logs/remote/{fqdn}/puppet-apply.log" in names
    assert f"{top}/{fqdn}/var/log/puppet.log" in names and f"{top}/{fqdn}/etc/astute.yaml" in names
    assert f"{top}/10.20.0.2/commands/uptime.txt" in names
    assert fuel_api.put("/api/logs/package").status_code == 202, "a finished dump does not block the next"
    missing = requests.get(f"{fuelsim.url}/dump/fuel-snapshot-nope.tgz", timeout=10)
    assert missing.status_code == 404 and b"nginx" in missing.content


def test_a_failing_dump_ends_the_task_in_error_with_a_notification(fuel_api: FuelHttp,
                                                                   fuelsim: FuelSimulator) -> None:
    fuelsim.fail_dump("Dump is timed out")
    task = fuel_api.wait_task(fuel_api.put("/api/logs/package").json()["id"])
    assert (task["status"], task["message"]) == ("error", "Dump is timed out")
    assert requests.post(f"{fuelsim.url}/_sim/faults/dump", json={}, timeout=10).status_code == 400
