"""Network configuration and verification over HTTP (nova-network and neutron)."""
from __future__ import annotations

from sim.fuel import FuelSimulator
from tests.fixtures.fuel_simulator import FuelHttp

TWO_NODES = "At least two nodes are required to be in the environment for network verification."


def new_cluster(api: FuelHttp, **extra: object) -> int:
    body = {"name": "env", "release": 1, "mode": "multinode", **extra}
    return int(api.post("/api/clusters", body).json()["id"])


def config_path(cid: int, provider: str = "nova_network") -> str:
    return f"/api/clusters/{cid}/network_configuration/{provider}"


def by_name(config: dict) -> dict:
    return {n["name"]: n for n in config["networks"]}


def test_nova_network_configuration_shape(fuel_api: FuelHttp) -> None:
    cid = new_cluster(fuel_api)
    config = fuel_api.get(config_path(cid)).json()
    nets = by_name(config)
    assert list(nets) == ["fuelweb_admin", "public", "management", "storage", "fixed"]
    admin = nets["fuelweb_admin"]
    assert admin["cidr"] == "10.20.0.0/24" and admin["group_id"] is None and admin["ip_ranges"] == [
        ["10.20.0.129", "10.20.0.254"]]
    assert nets["public"]["gateway"] == "172.16.0.1" and nets["public"]["ip_ranges"] == [["172.16.0.2", "172.16.0.127"]]
    assert (nets["management"]["vlan_start"], nets["storage"]["vlan_start"]) == (101, 102)
    assert nets["fixed"]["cidr"] is None and nets["fixed"]["meta"]["ext_net_data"]
    assert all(isinstance(n["id"], int) and set(n) >= {"cidr", "gateway", "vlan_start", "ip_ranges", "meta",
                                                       "group_id"} for n in config["networks"])
    params = config["networking_parameters"]
    assert params["net_manager"] == "FlatDHCPManager" and params["fixed_networks_cidr"] == "10.0.0.0/16"
    assert params["floating_ranges"] == [["172.16.0.128", "172.16.0.254"]]
    assert params["dns_nameservers"] == ["8.8.4.4", "8.8.8.8"]
    assert "public_vip" not in config


def test_neutron_configuration_and_ha_vips(fuel_api: FuelHttp) -> None:
    cid = new_cluster(fuel_api, mode="ha_compact", net_provider="neutron", net_segment_type="gre")
    config = fuel_api.get(config_path(cid, "neutron")).json()
    assert [n["name"] for n in config["networks"]] == ["fuelweb_admin", "public", "management", "storage", "private"]
    assert config["networking_parameters"]["segmentation_type"] == "gre"
    assert config["public_vip"] and config["management_vip"]
    wrong = fuel_api.get(config_path(cid))
    assert wrong.status_code == 400 and wrong.text == "Wrong net provider - environment uses 'neutron'"
    change = fuel_api.put(config_path(cid, "neutron"), {"networking_parameters": {"segmentation_type": "vlan"}})
    assert change.status_code == 400 and change.text == "Change of 'segmentation_type' is prohibited"
    ok = fuel_api.put(config_path(cid, "neutron"), {"networks": [], "networking_parameters": {"base_mac": "fa:16:3e:00:00:01"}})
    assert ok.status_code == 202 and ok.json()["status"] == "ready"


def test_put_saves_a_sound_configuration(fuel_api: FuelHttp) -> None:
    cid = new_cluster(fuel_api)
    config = fuel_api.get(config_path(cid)).json()
    nets = by_name(config)
    nets["management"].update(cidr="192.168.10.0/24", vlan_start=None)
    reply = fuel_api.put(config_path(cid), config)
    assert reply.status_code == 202
    task = reply.json()
    assert task["name"] == "check_networks" and task["status"] == "ready" and task["progress"] == 100
    saved = by_name(fuel_api.get(config_path(cid)).json())["management"]
    assert saved["cidr"] == "192.168.10.0/24" and saved["vlan_start"] is None
    assert saved["ip_ranges"] == [["192.168.10.1", "192.168.10.254"]]
    assert {"name": "networks", "node_id": None} in fuel_api.get(f"/api/clusters/{cid}").json()["changes"]


def test_put_reports_nailgun_check_errors_in_the_task(fuel_api: FuelHttp) -> None:
    cid = new_cluster(fuel_api)
    config = fuel_api.get(config_path(cid)).json()
    nets = by_name(config)

    def check(changes: dict[str, dict], params: dict | None = None) -> dict:
        body = {"networks": [dict(nets[name], **fields) for name, fields in changes.items()],
                "networking_parameters": params or {}}
        reply = fuel_api.put(config_path(cid), body)
        assert reply.status_code == 202
        return reply.json()

    overlap = check({"storage": {"cidr": "192.168.0.0/24"}})
    assert overlap["status"] == "error" and overlap["name"] == "check_networks"
    assert overlap["message"] == "Address space intersection between networks:\nmanagement, storage."
    assert overlap["result"] == [{"ids": [nets["management"]["id"], nets["storage"]["id"]], "errors": ["cidr"]}]
    admin = check({"management": {"cidr": "10.20.0.0/16"}})
    assert "admin (PXE), management" in admin["message"]
    bad = check({"storage": {"cidr": "10.0.0.0/33"}})
    assert bad["status"] == "error" and "10.0.0.0/33" in bad["message"]
    gateway = check({"public": {"gateway": "10.9.9.1"}})
    assert gateway["message"] == "Public gateway 10.9.9.1 is not in public address space 172.16.0.0/24."
    assert gateway["result"] == [{"ids": [nets["public"]["id"]], "errors": ["gateway"]}]
    ranges = check({"public": {"ip_ranges": [["172.16.0.2", "172.16.1.10"]]}})
    assert ranges["message"] == "Public gateway and public ranges are not in one CIDR."
    vlans = check({"storage": {"vlan_start": 101}})
    assert vlans["message"] == ("management, storage networks use the same VLAN ID(s). You should assign "
                                "different VLAN IDs to every network.")
    fixed = check({}, {"fixed_networks_cidr": "192.168.1.0/24"})
    assert "fixed, storage" in fixed["message"]
    unknown = fuel_api.put(config_path(cid), {"networks": [{"id": 999}]})
    assert unknown.status_code == 202 and unknown.json()["message"] == "Invalid network ID: 999"
    assert by_name(fuel_api.get(config_path(cid)).json())["storage"]["cidr"] == "192.168.1.0/24", "nothing saved"
    assert fuel_api.put(config_path(cid), {"networks": {}}).text == "'networks' is expected to be an array"
    assert fuel_api.put(config_path(cid), {"networks": [{"cidr": "1.2.3.0/24"}]}).status_code == 400
    assert fuel_api.put(config_path(cid), [1]).status_code == 400


def test_verify_needs_two_nodes(fuel_api: FuelHttp, fuelsim: FuelSimulator) -> None:
    cid = new_cluster(fuel_api)
    config = fuel_api.get(config_path(cid)).json()
    node = fuelsim.inject_node()
    fuel_api.post(f"/api/clusters/{cid}/assignment", [{"id": node["id"], "roles": ["controller"]}])
    reply = fuel_api.put(config_path(cid) + "/verify", config)
    assert reply.status_code == 202
    task = reply.json()
    assert (task["name"], task["status"], task["progress"], task["message"]) == ("check_networks", "error", 100, TWO_NODES)


def test_verify_passes_on_a_sound_lab(fuel_api: FuelHttp, fuelsim: FuelSimulator) -> None:
    cid = new_cluster(fuel_api)
    nodes = [fuelsim.inject_node(), fuelsim.inject_node()]
    fuel_api.post(f"/api/clusters/{cid}/assignment", [{"id": n["id"], "roles": [r]}
                                                     for n, r in zip(nodes, ["controller", "compute"])])
    config = fuel_api.get(config_path(cid)).json()
    task = fuel_api.put(config_path(cid) + "/verify", config).json()
    assert task["name"] == "verify_networks" and task["status"] == "running"
    again = fuel_api.put(config_path(cid) + "/verify", config)
    assert again.status_code == 400 and again.text == "You cannot delete running task manually"
    done = fuel_api.wait_task(task["id"])
    assert done["status"] == "ready" and done["result"] == [] and done["progress"] == 100
    names = [t["name"] for t in fuel_api.get(f"/api/tasks?cluster_id={cid}").json()]
    assert names == ["verify_networks", "check_dhcp"]
    rerun = fuel_api.put(config_path(cid) + "/verify", config).json()
    assert [t["id"] for t in fuel_api.get(f"/api/tasks?cluster_id={cid}").json()][0] == rerun["id"]


def test_verify_fails_when_the_pxe_port_group_refuses_promiscuous_mode(fuel_api: FuelHttp,
                                                                      fuelsim: FuelSimulator) -> None:
    cid = new_cluster(fuel_api)
    nodes = [fuelsim.inject_node(promiscuous=False), fuelsim.inject_node(promiscuous=False)]
    fuel_api.post(f"/api/clusters/{cid}/assignment", [{"id": n["id"], "roles": [r]}
                                                     for n, r in zip(nodes, ["controller", "compute"])])
    task = fuel_api.put(config_path(cid) + "/verify", fuel_api.get(config_path(cid)).json()).json()
    done = fuel_api.wait_task(task["id"])
    assert done["status"] == "error"
    assert [(r["uid"], r["interface"], r["mac"], r["absent_vlans"]) for r in done["result"]] == [
        (n["id"], "eth0", n["mac"], [0]) for n in nodes]
    assert set(done["result"][0]) == {"uid", "name", "interface", "mac", "absent_vlans"}
    assert all(n["name"] in done["message"] for n in nodes)


def test_verify_fails_for_the_node_on_another_pxe_vlan(fuel_api: FuelHttp, fuelsim: FuelSimulator) -> None:
    cid = new_cluster(fuel_api)
    nodes = [fuelsim.inject_node(pxe_vlan=3), fuelsim.inject_node(pxe_vlan=3), fuelsim.inject_node(pxe_vlan=4)]
    fuel_api.post(f"/api/clusters/{cid}/assignment", [{"id": n["id"], "roles": [r]} for n, r in
                                                     zip(nodes, ["controller", "compute", "compute"])])
    task = fuel_api.put(config_path(cid) + "/verify", fuel_api.get(config_path(cid)).json()).json()
    done = fuel_api.wait_task(task["id"])
    assert done["status"] == "error" and [r["uid"] for r in done["result"]] == [nodes[2]["id"]]


def test_verify_reports_offline_nodes_and_bad_config(fuel_api: FuelHttp, fuelsim: FuelSimulator) -> None:
    cid = new_cluster(fuel_api)
    nodes = [fuelsim.inject_node(), fuelsim.inject_node(online=False)]
    fuel_api.post(f"/api/clusters/{cid}/assignment", [{"id": n["id"], "roles": [r]}
                                                     for n, r in zip(nodes, ["controller", "compute"])])
    config = fuel_api.get(config_path(cid)).json()
    task = fuel_api.wait_task(fuel_api.put(config_path(cid) + "/verify", config).json()["id"])
    assert task["status"] == "error" and task["message"] == f"Node(s) {nodes[1]['name']} didn't return data."
    by_name(config)["storage"]["cidr"] = "192.168.0.0/24"
    bad = fuel_api.put(config_path(cid) + "/verify", config).json()
    assert bad["name"] == "check_networks" and bad["status"] == "error" and "intersection" in bad["message"]


def test_network_changes_are_refused_once_deployed(fuel_api: FuelHttp, fuelsim: FuelSimulator) -> None:
    cid = new_cluster(fuel_api)
    node = fuelsim.inject_node()
    fuel_api.post(f"/api/clusters/{cid}/assignment", [{"id": node["id"], "roles": ["controller"]}])
    config = fuel_api.get(config_path(cid)).json()
    fuel_api.wait_task(fuel_api.put(f"/api/clusters/{cid}/changes").json()["id"])
    locked = fuel_api.put(config_path(cid), config)
    assert locked.status_code == 403 and locked.text == "Network configuration can't be changed after, or in deploy."
    attrs = fuel_api.get(f"/api/clusters/{cid}/attributes").json()
    denied = fuel_api.put(f"/api/clusters/{cid}/attributes", attrs)
    assert denied.status_code == 403 and denied.text == "Environment attributes can't be changed after, or in deploy."
