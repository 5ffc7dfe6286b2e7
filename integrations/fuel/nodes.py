"""Nodes: listing, roles, and which NIC carries which Fuel network.

``plan_interfaces`` is the pure part of "Configure interfaces": given what the node has and
which networks each MAC must carry, it returns the new interface list or says precisely why
it cannot (unknown MAC, unknown network, admin network moved off the admin NIC).
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any, Callable, Iterable, Literal, Mapping, Sequence

from core.errors import FuelError
from integrations.fuel.models import (ADMIN_NETWORK, AssignedNetwork, Interface,
                                      NetworkConfiguration, Node)
from integrations.fuel.session import FuelSession

NODE = "/api/nodes/{node_id}"
INTERFACES = NODE + "/interfaces"


class NodesAPI:
    """Nailgun's node, assignment and interface endpoints."""

    def __init__(self, session: FuelSession,
                 network_configuration: Callable[[int, str], dict[str, Any]]) -> None:
        self._s = session
        # ClustersAPI.network_configuration, passed in so that nodes does not import clusters
        self._network_configuration = network_configuration

    def nodes(self, cluster_id: int | None | Literal["unallocated"] = None) -> list[Node]:
        """All nodes; those of ``cluster_id``; or, with ``"unallocated"``, those in no cluster."""
        params: dict[str, str | int] | None
        if cluster_id is None:
            params = None
        elif cluster_id == "unallocated":
            params = {"cluster_id": ""}  # Nailgun reads an empty cluster_id as "no cluster"
        else:
            params = {"cluster_id": int(cluster_id)}
        return [Node.from_json(n) for n in self._s.call("GET", "/api/nodes", params=params) or ()]

    def node(self, node_id: int) -> Node:
        return Node.from_json(self._s.call("GET", NODE, node_id=node_id))

    def update_nodes(self, updates: list[dict[str, Any]]) -> list[Node]:
        """Bulk ``PUT /api/nodes``: each dict names a node by ``id`` (or ``mac``) and the new fields."""
        data = self._s.call("PUT", "/api/nodes", body=updates, idempotent=True)
        return [Node.from_json(n) for n in data or ()]

    def assign_roles(self, cluster_id: int, roles: Mapping[int, Sequence[str]]) -> None:
        """Put nodes into the environment with these pending roles (``POST .../assignment``).

        Not retried: resent after a lost answer it fails with "already assigned".
        """
        body = [{"id": int(node_id), "roles": list(node_roles)} for node_id, node_roles in roles.items()]
        self._s.call("POST", "/api/clusters/{cluster_id}/assignment", body=body, idempotent=False,
                     cluster_id=cluster_id)  # 6.0 answers an empty body, later ``null``

    def unassign(self, cluster_id: int, node_ids: Iterable[int]) -> None:
        """Take nodes out (undeployed ones at once, deployed ones marked for deletion)."""
        body = [{"id": int(n)} for n in node_ids]
        self._s.call("POST", "/api/clusters/{cluster_id}/unassignment", body=body, idempotent=False,
                     cluster_id=cluster_id)

    def interfaces(self, node_id: int) -> list[Interface]:
        return [Interface.from_json(i) for i in self._s.call("GET", INTERFACES, node_id=node_id) or ()]

    def update_interfaces(self, node_id: int,
                          interfaces: Sequence[Interface | Mapping[str, Any]]) -> list[Interface]:
        body = [i.to_json() if isinstance(i, Interface) else dict(i) for i in interfaces]
        data = self._s.call("PUT", INTERFACES, body=body, idempotent=True, node_id=node_id)
        if not data:  # tolerate an empty answer: the PUT succeeded, read back what Fuel kept
            return self.interfaces(node_id)
        return [Interface.from_json(i) for i in data]

    def assign_networks_by_mac(self, node_id: int,
                               networks_by_mac: Mapping[str, Sequence[str]]) -> list[Interface]:
        """Put each listed network on the NIC with that MAC; PUT only when something changes."""
        current = self.interfaces(node_id)
        ids = {n.name: n.id for i in current for n in i.assigned_networks}
        wanted = {name for names in networks_by_mac.values() for name in names}
        if not wanted <= set(ids):  # a network on no NIC yet: its id is in the cluster's config
            ids.update(self._cluster_network_ids(node_id))
        planned = plan_interfaces(current, networks_by_mac, ids, node_id=node_id)
        if planned == current:
            return current
        return self.update_interfaces(node_id, planned)

    def _cluster_network_ids(self, node_id: int) -> dict[str, int]:
        node = self.node(node_id)
        if node.cluster is None:
            raise FuelError(f"Node {node_id} ({node.name}) is in no environment, so it has no "
                            "networks to assign; assign it a role first")
        cluster = self._s.call("GET", "/api/clusters/{cluster_id}", cluster_id=node.cluster)
        config = NetworkConfiguration.from_json(
            self._network_configuration(node.cluster, cluster.get("net_provider", "nova_network")))
        return {n.name: n.id for n in config.networks}


def plan_interfaces(current: Sequence[Interface], networks_by_mac: Mapping[str, Sequence[str]],
                    network_ids: Mapping[str, int], *, node_id: int | str = "?") -> list[Interface]:
    """The interface list with every named network moved onto its MAC's NIC.

    Networks not named anywhere stay where Fuel put them; ``fuelweb_admin`` always stays on
    the admin NIC (Fuel refuses anything else), whatever the mapping says about it.
    """
    by_mac = {(i.mac or "").lower(): i for i in current if i.mac}
    wanted = {mac.lower(): list(names) for mac, names in networks_by_mac.items()}
    unknown_macs = sorted(set(wanted) - set(by_mac))
    if unknown_macs:
        raise FuelError(f"Node {node_id} has no NIC with MAC {', '.join(unknown_macs)}; its NICs are "
                        + ", ".join(f"{i.name} {i.mac}" for i in current if i.mac))
    admin_nic = next((i.name for i in current if ADMIN_NETWORK in i.network_names), None)
    moved: dict[str, str] = {}  # network name -> interface name it must end up on
    for mac, names in wanted.items():
        nic = by_mac[mac]
        for name in names:
            if name not in network_ids:
                raise FuelError(f"Node {node_id} cannot carry network '{name}': the environment has "
                                f"{', '.join(sorted(network_ids))}")
            if name == ADMIN_NETWORK and admin_nic is not None and nic.name != admin_nic:
                raise FuelError(f"Node {node_id}: {ADMIN_NETWORK} must stay on the admin NIC "
                                f"{admin_nic}, not {nic.name} ({mac}); "
                                "fix the NIC order in the lab spec")
            if moved.get(name, nic.name) != nic.name:
                raise FuelError(f"Node {node_id}: network '{name}' is listed on two NICs "
                                f"({moved[name]} and {nic.name}); a network can be on one NIC only")
            moved[name] = nic.name
    planned = []
    for iface in current:
        keep = [n for n in iface.assigned_networks if moved.get(n.name, iface.name) == iface.name]
        kept = {n.name for n in keep}
        add = [AssignedNetwork(id=network_ids[name], name=name) for name, target in moved.items()
               if target == iface.name and name not in kept]
        networks = tuple(keep + add)
        planned.append(iface if networks == iface.assigned_networks
                       else replace(iface, assigned_networks=networks))
    return planned
