"""Default network-to-NIC assignment (6.0 rules) and network_data rendering."""
from __future__ import annotations

import pytest

from sim.fuel import interfaces, networks
from sim.fuel.records import Cluster, Nic, Node
from sim.fuel.state import State


def node_with(nic_count: int) -> Node:
    nics = [Nic(i + 1, f"eth{i}", f"aa:00:00:00:00:0{i}", 1000, 1000) for i in range(nic_count)]
    return Node(id=1, mac=nics[0].mac, name="n", ip="10.20.0.129", meta={}, nics=nics)


def layout(node: Node, made: Cluster) -> dict[str, list[str]]:
    names = {1: "fuelweb_admin", **{g.id: g.name for g in made.networks}}
    return {nic: [names[i] for i in ids] for nic, ids in interfaces.default_assignment(node, made).items()}


@pytest.fixture
def made() -> Cluster:
    cluster = Cluster(id=1, name="env", mode="multinode", net_provider="nova_network", release_id=1)
    networks.create_for_cluster(State(), cluster)
    return cluster


@pytest.mark.parametrize("count, expected", [
    (1, {"eth0": ["fuelweb_admin", "public", "management", "storage", "fixed"]}),
    (2, {"eth0": ["fuelweb_admin"], "eth1": ["public", "management", "storage", "fixed"]}),
    (5, {"eth0": ["fuelweb_admin"], "eth1": ["public", "management", "storage", "fixed"], "eth2": [], "eth3": [],
         "eth4": []}),
])
def test_default_assignment_with_tagged_networks(made: Cluster, count: int, expected: dict) -> None:
    assert layout(node_with(count), made) == expected


def test_untagged_networks_each_take_a_nic(made: Cluster) -> None:
    for group in made.networks:
        if group.name in ("management", "storage"):
            group.vlan_start = None
    assert layout(node_with(5), made) == {"eth0": ["fuelweb_admin"], "eth1": ["public"], "eth2": ["management"],
                                          "eth3": ["storage", "fixed"], "eth4": []}


def test_unallocated_nodes_carry_only_the_admin_network() -> None:
    assert interfaces.default_assignment(node_with(2), None) == {"eth0": [1], "eth1": []}


def test_network_data_rows_and_addresses(made: Cluster) -> None:
    node = node_with(2)
    interfaces.assign_defaults(node, made)
    addresses = interfaces.allocate_addresses(made, [node], {node.id: node.ip})[node.id]
    rows = {r["name"]: r for r in interfaces.network_data(made, node, addresses)}
    assert rows["public"]["ip"] == "172.16.0.2/24" and rows["public"]["dev"] == "eth1"
    assert rows["management"]["vlan"] == 101 and rows["management"]["ip"] == "192.168.0.1/24"
    assert rows["fuelweb_admin"]["ip"] == "10.20.0.129/24" and rows["fuelweb_admin"]["dev"] == "eth0"
    assert "ip" not in rows["fixed"]
