"""NetworkCheck, table-driven: each broken configuration gives Nailgun 6.0's message."""
from __future__ import annotations

import copy
from typing import Any

import pytest

from sim.fuel import networks
from sim.fuel.records import Cluster, Nic, Node
from sim.fuel.netcheck import check_configuration, check_untagged_intersection
from sim.fuel.state import State


def cluster(provider: str = "nova_network") -> Cluster:
    state = State()
    made = Cluster(id=1, name="env", mode="multinode", net_provider=provider, release_id=1,
                   net_segment_type="vlan" if provider == "neutron" else None)
    networks.create_for_cluster(state, made)
    return made


def run(made: Cluster, nets: dict[str, dict[str, Any]] | None = None, params: dict[str, Any] | None = None):
    data = {"networks": [dict(id=next(n.id for n in networks.all_groups(made) if n.name == name), **fields)
                         for name, fields in (nets or {}).items()],
            "networking_parameters": params or {}}
    groups, merged = networks.candidate(made, copy.deepcopy(data))
    return check_configuration(made.net_provider, groups, merged)


ARTICLE = {"public": {"cidr": "10.0.0.0/24", "gateway": "10.0.0.1", "ip_ranges": [["10.0.0.2", "10.0.0.127"]]},
           "management": {"cidr": "10.0.1.0/24", "vlan_start": None},
           "storage": {"cidr": "10.0.2.0/24", "vlan_start": None}}
ARTICLE_PARAMS = {"fixed_networks_cidr": "12.0.0.0/24", "floating_ranges": [["10.0.0.128", "10.0.0.254"]]}


def test_defaults_and_the_article_configuration_pass() -> None:
    assert run(cluster()) == ([], [])
    assert run(cluster("neutron")) == ([], [])
    assert run(cluster(), ARTICLE, ARTICLE_PARAMS) == ([], [])


@pytest.mark.parametrize("nets, params, message", [
    ({"storage": {"cidr": "192.168.0.0/24"}}, None, "Address space intersection between networks:\nmanagement, storage."),
    ({"management": {"cidr": "10.20.0.0/24"}}, None, "Address space intersection between networks:\nadmin (PXE), management."),
    (None, {"fixed_networks_cidr": "192.168.1.0/24"}, "Address space intersection between networks:\nfixed, storage."),
    (None, {"floating_ranges": [["192.168.0.10", "192.168.0.20"]]},
     "Address space intersection between floating range '192.168.0.10-192.168.0.20' and 'management' network."),
    (None, {"floating_ranges": [["172.16.0.100", "172.16.0.200"]]},
     "Address space intersection between range of public network and floating range."),
    ({"public": {"ip_ranges": [["172.16.0.2", "172.16.1.5"]]}}, None, "Public gateway and public ranges are not in one CIDR."),
    ({"public": {"gateway": "172.16.0.5"}}, None, "Address intersection between public gateway and IP range of public network."),
    ({"storage": {"vlan_start": 101}}, None,
     "management, storage networks use the same VLAN ID(s). You should assign different VLAN IDs to every network."),
    ({"storage": {"vlan_start": 5000}}, None, "VLAN ID(s) is out of range for storage network."),
    ({"storage": {"cidr": "127.0.1.0/24"}}, None,
     "storage network address space is inside loopback range (127.0.0.0/8). It must have no intersection with loopback range."),
    ({"storage": {"cidr": "240.0.0.0/24"}}, None,
     "storage network address space does not belong to A, B, C network classes. It must belong to either A, B or C network class."),
    ({"public": {"gateway": "172.16.9.1"}}, None, "Public gateway 172.16.9.1 is not in public address space 172.16.0.0/24."),
    ({"storage": {"cidr": "nonsense"}}, None, "invalid IPNetwork nonsense"),
    ({"management": {"vlan_start": "x"}}, None, "invalid literal for int() with base 10: 'x'"),
])
def test_nova_network_findings(nets: dict | None, params: dict | None, message: str) -> None:
    messages, result = run(cluster(), nets, params)
    assert message in messages


def test_result_rows_name_the_networks() -> None:
    made = cluster()
    ids = {n.name: n.id for n in made.networks}
    _, result = run(made, {"storage": {"cidr": "192.168.0.0/24"}})
    assert result == [{"ids": [ids["management"], ids["storage"]], "errors": ["cidr"]}]


def test_neutron_findings() -> None:
    made = cluster("neutron")
    messages, _ = run(made, None, {"floating_ranges": [["10.0.0.2", "10.0.0.10"]]})
    assert messages == ["Floating address range 10.0.0.2:10.0.0.10 is not in public address space 172.16.0.0/24."]
    messages, _ = run(made, {"storage": {"vlan_start": 1005}})
    assert messages[0].startswith("VLAN tags of storage network(s) intersect with VLAN ID range defined for Neutron L2.")
    messages, _ = run(made, None, {"internal_gateway": "10.1.1.1"})
    assert messages == ["Internal gateway 10.1.1.1 is not in internal address space 192.168.111.0/24."]


def test_untagged_intersection_names_node_and_networks() -> None:
    made = cluster()
    groups = networks.all_groups(made)
    public = next(g.id for g in groups if g.name == "public")
    node = Node(id=1, mac="aa:00:00:00:00:01", name="node-1", ip=None, meta={},
                nics=[Nic(1, "eth0", "aa:00:00:00:00:01", 1000, 1000, [1, public])])
    messages, _ = check_untagged_intersection(groups, [node])
    assert messages == ['Some untagged networks are assigned to the same physical interface. You should assign them '
                        'to different physical interfaces. Affected:\n"admin (PXE)", "public" networks at node "node-1"']
