"""Nodes over HTTP: agent registration, listing, updates, roles, (un)assignment, interfaces, disks."""
from __future__ import annotations

import requests

from sim.fuel import FuelSimulator
from tests.fixtures.fuel_simulator import FuelHttp, wait_for

NODE_FIELDS = {"id", "name", "mac", "ip", "fqdn", "status", "online", "progress", "error_type", "cluster",
               "group_id", "roles", "pending_roles", "pending_addition", "pending_deletion", "manufacturer",
               "platform_name", "os_platform", "kernel_params", "meta", "network_data"}


def agent_body(mac: str, **extra: object) -> dict:
    return {"mac": mac, "ip": "10.20.0.200", "status": "discover", "is_agent": True, "manufacturer": "Dell",
            "platform_name": "R620", "agent_checksum": "abc",
            "meta": {"interfaces": [{"name": "eth0", "mac": mac, "max_speed": 1000},
                                    {"name": "eth1", "mac": "aa:bb:cc:00:00:02", "max_speed": 1000},
                                    {"mac": "ignored-no-name"}],
                     "cpu": {"total": 4}, "memory": {"total": 8 * 1024 ** 3},
                     "disks": [{"name": "sda", "size": 500 * 1000 ** 3}]}, **extra}


def new_cluster(api: FuelHttp, name: str = "env") -> int:
    return int(api.post("/api/clusters", {"name": name, "release": 1, "mode": "multinode"}).json()["id"])


def test_agent_registers_a_discover_node_without_a_token(fuelsim: FuelSimulator, fuel_api: FuelHttp) -> None:
    reply = requests.post(f"{fuelsim.url}/api/nodes", json=agent_body("AA:BB:CC:00:00:01"))
    assert reply.status_code == 201
    node = reply.json()
    assert set(node) == NODE_FIELDS
    assert node["mac"] == "aa:bb:cc:00:00:01" and node["status"] == "discover" and node["online"] is True
    assert node["name"] == "Untitled (00:01)" and node["cluster"] is None and node["fqdn"] is None
    assert [i["name"] for i in node["meta"]["interfaces"]] == ["eth0", "eth1"]
    message = fuel_api.get("/api/notifications").json()[-1]["message"]
    assert message == "New node is discovered: 4 CPUs / 8.0 GB RAM / 500.0 GB HDD"
    dup = requests.post(f"{fuelsim.url}/api/nodes", json=agent_body("aa:bb:cc:00:00:01"))
    assert dup.status_code == 409 and "already exists - doing nothing" in dup.text
    nic_dup = requests.post(f"{fuelsim.url}/api/nodes", json=agent_body("aa:bb:cc:00:00:02"))
    assert nic_dup.status_code == 409
    ready = requests.post(f"{fuelsim.url}/api/nodes", json=agent_body("aa:bb:cc:00:00:09", status="ready"))
    assert ready.status_code == 403 and ready.text == "Only bootstrap nodes are allowed to be registered."
    assert requests.post(f"{fuelsim.url}/api/nodes", json={"status": "discover"}).text == "No mac address specified"


def test_agent_heartbeat_put(fuelsim: FuelSimulator) -> None:
    node = requests.post(f"{fuelsim.url}/api/nodes", json=agent_body("aa:bb:cc:00:00:01")).json()
    cached = requests.put(f"{fuelsim.url}/api/nodes/agent", json=agent_body("aa:bb:cc:00:00:01"))
    assert cached.status_code == 200 and cached.json() == {"id": node["id"], "cached": True}
    changed = requests.put(f"{fuelsim.url}/api/nodes/agent/", json={"id": node["id"], "agent_checksum": "new"})
    assert changed.json() == {"id": node["id"]}
    by_nic = requests.put(f"{fuelsim.url}/api/nodes/agent", json={"mac": "AA:BB:CC:00:00:02"})
    assert by_nic.json()["id"] == node["id"]
    assert requests.put(f"{fuelsim.url}/api/nodes/agent", json={"mac": "00:00:00:00:00:00"}).status_code == 404


def test_listing_filters_and_get(fuel_api: FuelHttp, fuelsim: FuelSimulator) -> None:
    a, b = fuelsim.inject_node(), fuelsim.inject_node()
    cid = new_cluster(fuel_api)
    fuel_api.put("/api/nodes", [{"id": a["id"], "cluster_id": cid, "pending_roles": ["controller"],
                                 "pending_addition": True}])
    assert [n["id"] for n in fuel_api.get("/api/nodes").json()] == [a["id"], b["id"]]
    assert [n["id"] for n in fuel_api.get(f"/api/nodes?cluster_id={cid}").json()] == [a["id"]]
    assert [n["id"] for n in fuel_api.get("/api/nodes?cluster_id=").json()] == [b["id"]]
    assert fuel_api.get("/api/nodes?cluster_id=x").status_code == 400
    got = fuel_api.get(f"/api/nodes/{a['id']}").json()
    assert got["cluster"] == cid and got["pending_roles"] == ["controller"] and got["pending_addition"] is True
    assert got["network_data"], "a node in a cluster lists its networks"
    assert fuel_api.get("/api/nodes/999").text == "Node not found"
    assert fuel_api.get("/api/nodes/allocation/stats").json() == {"total": 2, "unallocated": 1}


def test_bulk_update_by_id_or_mac_with_role_checks(fuel_api: FuelHttp, fuelsim: FuelSimulator) -> None:
    a, b = fuelsim.inject_node(), fuelsim.inject_node()
    cid = new_cluster(fuel_api)
    reply = fuel_api.put("/api/nodes", [
        {"id": a["id"], "cluster_id": cid, "pending_roles": ["controller"], "pending_addition": True},
        {"mac": b["mac"].upper(), "cluster_id": cid, "pending_roles": ["compute"], "pending_addition": True,
         "name": "compute-1"}])
    assert reply.status_code == 200
    assert [(n["id"], n["pending_roles"], n["name"]) for n in reply.json()] == [
        (a["id"], ["controller"], a["name"]), (b["id"], ["compute"], "compute-1")]
    conflict = fuel_api.put("/api/nodes", [{"id": a["id"], "pending_roles": ["controller", "compute"]}])
    assert conflict.status_code == 400 and conflict.text == 'Role "controller" in conflict with role compute'
    unknown = fuel_api.put("/api/nodes", [{"id": a["id"], "pending_roles": ["dragon"]}])
    assert unknown.text == "dragon are not valid roles for node in Juno on CentOS 6.5 release"
    other = new_cluster(fuel_api, "other")
    moved = fuel_api.put("/api/nodes", [{"id": a["id"], "cluster_id": other}])
    assert moved.text == "Changing cluster on the fly is not allowed"
    assert fuel_api.put("/api/nodes", [{"name": "x"}]).text == "Neither MAC nor ID is specified"
    assert fuel_api.put("/api/nodes", [{"id": 999}]).text == "Invalid ID specified"
    assert fuel_api.put("/api/nodes", [{"mac": "00:11:22:33:44:55"}]).text == "Invalid MAC is specified"
    assert fuel_api.put("/api/nodes", {"id": 1}).status_code == 400
    atomic = fuel_api.put("/api/nodes", [{"id": b["id"], "name": "changed"}, {"id": 999}])
    assert atomic.status_code == 400 and fuel_api.get(f"/api/nodes/{b['id']}").json()["name"] == "compute-1"
    undo = fuel_api.put(f"/api/nodes/{b['id']}", {"cluster_id": None, "pending_roles": [], "pending_addition": False})
    assert undo.status_code == 200 and undo.json()["cluster"] is None and undo.json()["network_data"] == []


def test_assignment_and_unassignment(fuel_api: FuelHttp, fuelsim: FuelSimulator) -> None:
    a, b = fuelsim.inject_node(), fuelsim.inject_node()
    cid = new_cluster(fuel_api)
    reply = fuel_api.post(f"/api/clusters/{cid}/assignment", [{"id": a["id"], "roles": ["controller"]},
                                                             {"id": b["id"], "roles": ["compute", "cinder"]}])
    assert reply.status_code == 200 and reply.content == b""
    node = fuel_api.get(f"/api/nodes/{b['id']}").json()
    assert node["cluster"] == cid and node["pending_roles"] == ["compute", "cinder"] and node["pending_addition"]
    again = fuel_api.post(f"/api/clusters/{cid}/assignment", [{"id": a["id"], "roles": ["controller"]}])
    assert again.status_code == 400 and again.text.startswith(f"Nodes with ids {a['id']} already assigned")
    c = fuelsim.inject_node()
    bad = fuel_api.post(f"/api/clusters/{cid}/assignment", [{"id": c["id"], "roles": ["controller", "compute"]}])
    assert bad.status_code == 400 and "in conflict with role" in bad.text
    assert fuel_api.post(f"/api/clusters/{cid}/assignment", [{"id": c["id"]}]).status_code == 400
    assert fuel_api.post(f"/api/clusters/{cid}/assignment", [{"id": 999, "roles": []}]).status_code == 400
    assert fuel_api.post("/api/clusters/77/assignment", [{"id": c["id"], "roles": []}]).status_code == 404
    gone = fuel_api.post(f"/api/clusters/{cid}/unassignment", [{"id": b["id"]}])
    assert gone.status_code == 200 and gone.content == b""
    assert fuel_api.get(f"/api/nodes/{b['id']}").json()["cluster"] is None
    twice = fuel_api.post(f"/api/clusters/{cid}/unassignment", [{"id": b["id"]}])
    assert twice.status_code == 400 and "if they not assigned" in twice.text


def test_delete_node_is_204_and_the_agent_registers_it_again(fuel_api: FuelHttp, fuelsim: FuelSimulator) -> None:
    node = fuelsim.inject_node()
    assert fuel_api.delete(f"/api/nodes/{node['id']}").status_code == 204
    assert fuel_api.get(f"/api/nodes/{node['id']}").status_code == 404
    back = wait_for(lambda: [n for n in fuel_api.get("/api/nodes").json() if n["mac"] == node["mac"]], 5)
    assert back[0]["id"] != node["id"] and back[0]["status"] == "discover"


def test_interfaces_default_assignment_and_put(fuel_api: FuelHttp, fuelsim: FuelSimulator) -> None:
    node = fuelsim.inject_node(nics=3)
    cid = new_cluster(fuel_api)
    nets = {n["name"]: n["id"] for n in
            fuel_api.get(f"/api/clusters/{cid}/network_configuration/nova_network").json()["networks"]}
    unallocated = fuel_api.get(f"/api/nodes/{node['id']}/interfaces").json()
    assert [i["assigned_networks"] for i in unallocated][0] == [{"id": nets["fuelweb_admin"], "name": "fuelweb_admin"}]
    fuel_api.post(f"/api/clusters/{cid}/assignment", [{"id": node["id"], "roles": ["controller"]}])
    ifaces = fuel_api.get(f"/api/nodes/{node['id']}/interfaces").json()
    assert set(ifaces[0]) == {"id", "name", "type", "mac", "state", "current_speed", "max_speed", "assigned_networks"}
    layout = {i["name"]: [n["name"] for n in i["assigned_networks"]] for i in ifaces}
    # 6.0 default: admin on the PXE NIC, public (untagged) on the next NIC, tagged ones stacked with it
    assert layout == {"eth0": ["fuelweb_admin"], "eth1": ["public", "management", "storage", "fixed"], "eth2": []}
    for iface in ifaces:
        iface["assigned_networks"] = [n for n in iface["assigned_networks"] if n["name"] != "fixed"]
    ifaces[2]["assigned_networks"] = [{"id": nets["fixed"]}]
    put = fuel_api.put(f"/api/nodes/{node['id']}/interfaces", ifaces)
    assert put.status_code == 200 and [n["name"] for n in put.json()[2]["assigned_networks"]] == ["fixed"]
    assert {"name": "interfaces", "node_id": node["id"]} in fuel_api.get(f"/api/clusters/{cid}").json()["changes"]
    defaults = fuel_api.get(f"/api/nodes/{node['id']}/interfaces/default_assignment").json()
    assert [n["name"] for n in defaults[1]["assigned_networks"]] == ["public", "management", "storage", "fixed"]


def test_interface_put_validation(fuel_api: FuelHttp, fuelsim: FuelSimulator) -> None:
    node = fuelsim.inject_node(nics=2)
    cid = new_cluster(fuel_api)
    fuel_api.post(f"/api/clusters/{cid}/assignment", [{"id": node["id"], "roles": ["controller"]}])
    ifaces = fuel_api.get(f"/api/nodes/{node['id']}/interfaces").json()
    path = f"/api/nodes/{node['id']}/interfaces"
    admin = ifaces[0]["assigned_networks"][0]
    moved = [dict(ifaces[0], assigned_networks=[]), dict(ifaces[1], assigned_networks=ifaces[1]["assigned_networks"] + [admin])]
    reply = fuel_api.put(path, moved)
    assert reply.status_code == 400 and reply.text == (
        f"Node '{node['id']}': admin network can not be assigned to non-pxe interface eth1")
    dup = [ifaces[0], dict(ifaces[1], assigned_networks=ifaces[1]["assigned_networks"] + [admin])]
    assert "duplicated network" in fuel_api.put(path, dup).text
    left = [ifaces[0], dict(ifaces[1], assigned_networks=[])]
    assert "network(s) are left unassigned" in fuel_api.put(path, left).text
    assert "there is no interface with ID" in fuel_api.put(path, [dict(ifaces[0], id=99999), ifaces[1]]).text
    assert fuel_api.put(path, [{"id": ifaces[0]["id"]}]).text == f"Node '{node['id']}': each interface must have a type"
    assert fuel_api.put(path, {"x": 1}).status_code == 400
    bulk = fuel_api.put("/api/nodes/interfaces", [{"id": node["id"], "interfaces": ifaces}])
    assert bulk.status_code == 200 and bulk.json()[0]["id"] == node["id"]
    assert fuel_api.put("/api/nodes/interfaces", [{"interfaces": ifaces}]).text == "Each node should have ID"
    bond = [dict(ifaces[0]), dict(ifaces[1], assigned_networks=[]),
            {"type": "bond", "name": "ovs-bond0", "mode": "balance-slb", "slaves": [{"name": "eth1"}],
             "assigned_networks": ifaces[1]["assigned_networks"]}]
    assert "two or more slaves" in fuel_api.put(path, bond).text


def test_disks(fuel_api: FuelHttp, fuelsim: FuelSimulator) -> None:
    node = fuelsim.inject_node(disk_gb=100)
    cid = new_cluster(fuel_api)
    fuel_api.post(f"/api/clusters/{cid}/assignment", [{"id": node["id"], "roles": ["controller"]}])
    disks = fuel_api.get(f"/api/nodes/{node['id']}/disks").json()
    assert [(d["name"], [v["name"] for v in d["volumes"]]) for d in disks] == [("sda", ["os", "image"])]
    assert sum(v["size"] for v in disks[0]["volumes"]) == disks[0]["size"]
    disks[0]["volumes"] = [{"name": "os", "size": 20000}, {"name": "image", "size": 1000}]
    put = fuel_api.put(f"/api/nodes/{node['id']}/disks", disks)
    assert put.status_code == 200 and put.json()[0]["volumes"][0]["size"] == 20000
    disks[0]["volumes"] = [{"name": "os", "size": 10 ** 9}]
    assert fuel_api.put(f"/api/nodes/{node['id']}/disks", disks).status_code == 400
    assert fuel_api.get(f"/api/nodes/{node['id']}/disks/defaults").json()[0]["volumes"][0]["size"] != 20000
    assert fuel_api.get(f"/api/nodes/{node['id']}/volumes").status_code == 200
