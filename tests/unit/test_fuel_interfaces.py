"""Planning "Configure interfaces": networks moved to the NIC with the spec's MAC."""
from __future__ import annotations

import pytest

from core.errors import FuelError
from integrations.fuel.models import AssignedNetwork, Interface
from integrations.fuel.nodes import plan_interfaces

IDS = {"fuelweb_admin": 1, "public": 2, "management": 3, "storage": 4, "fixed": 5}


def _nic(i: int, *networks: str) -> Interface:
    return Interface(name=f"eth{i}", id=10 + i, mac=f"00:50:56:aa:00:0{i}",
                     assigned_networks=tuple(AssignedNetwork(IDS[n], n) for n in networks))


# What Fuel's default assignment gives a five-NIC node: admin + tagged networks on eth0,
# one untagged network per NIC after that.
DEFAULT = [_nic(0, "fuelweb_admin", "management", "storage"), _nic(1, "public"), _nic(2, "fixed"),
           _nic(3), _nic(4)]
ARTICLE = {"00:50:56:aa:00:00": ["fuelweb_admin"], "00:50:56:aa:00:01": ["public"],
           "00:50:56:aa:00:02": ["management"], "00:50:56:aa:00:03": ["storage"],
           "00:50:56:AA:00:04": ["fixed"]}


def test_the_articles_one_network_per_nic_layout() -> None:
    planned = plan_interfaces(DEFAULT, ARTICLE, IDS)
    assert [i.network_names for i in planned] == [("fuelweb_admin",), ("public",), ("management",),
                                                  ("storage",), ("fixed",)]
    assert planned[2].assigned_networks == (AssignedNetwork(3, "management"),)
    assert [i.id for i in planned] == [10, 11, 12, 13, 14]


def test_already_planned_layout_is_left_as_is() -> None:
    planned = plan_interfaces(DEFAULT, ARTICLE, IDS)
    assert plan_interfaces(planned, ARTICLE, IDS) == planned


def test_unnamed_networks_stay_where_fuel_put_them() -> None:
    planned = plan_interfaces(DEFAULT, {"00:50:56:aa:00:03": ["storage"]}, IDS)
    assert [i.network_names for i in planned] == [("fuelweb_admin", "management"), ("public",),
                                                  ("fixed",), ("storage",), ()]


def test_admin_network_stays_on_the_admin_nic_even_if_not_named() -> None:
    planned = plan_interfaces(DEFAULT, {"00:50:56:aa:00:01": ["public", "management"]}, IDS)
    assert planned[0].network_names == ("fuelweb_admin", "storage")
    assert planned[1].network_names == ("public", "management")


def test_admin_network_on_another_nic_is_refused() -> None:
    with pytest.raises(FuelError, match="fuelweb_admin must stay on the admin NIC eth0"):
        plan_interfaces(DEFAULT, {"00:50:56:aa:00:01": ["fuelweb_admin"]}, IDS, node_id=3)


def test_unknown_mac_lists_the_nodes_nics() -> None:
    with pytest.raises(FuelError, match=r"Node 3 has no NIC with MAC 00:00:00:00:00:99; its NICs are "
                                        r"eth0 00:50:56:aa:00:00"):
        plan_interfaces(DEFAULT, {"00:00:00:00:00:99": ["public"]}, IDS, node_id=3)


def test_unknown_network_lists_the_environments_networks() -> None:
    with pytest.raises(FuelError, match="cannot carry network 'private'.*fixed, fuelweb_admin"):
        plan_interfaces(DEFAULT, {"00:50:56:aa:00:01": ["private"]}, IDS, node_id=3)


def test_a_network_on_two_nics_is_refused() -> None:
    with pytest.raises(FuelError, match="listed on two NICs"):
        plan_interfaces(DEFAULT, {"00:50:56:aa:00:01": ["public"], "00:50:56:aa:00:02": ["public"]}, IDS)


def test_bonds_keep_their_slaves() -> None:
    bond = Interface(name="ovs-bond0", type="bond", mode="active-backup", slaves=("eth1", "eth2"),
                     assigned_networks=(AssignedNetwork(2, "public"),))
    planned = plan_interfaces([DEFAULT[0], bond], {"00:50:56:aa:00:00": ["public"]}, IDS)
    assert planned[1].slaves == ("eth1", "eth2") and planned[1].network_names == ()
    assert planned[0].network_names == ("fuelweb_admin", "management", "storage", "public")
