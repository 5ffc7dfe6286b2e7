"""Which network rides on which NIC: default assignment, the interfaces PUT, ``network_data``.

Default assignment (when a node joins a cluster) follows Nailgun 6.0: networks sorted by
``meta.map_priority`` (admin 0, public 1, the rest 2) are handed out over the NICs in order;
a NIC carries at most one untagged network, tagged ones stack onto the NIC of the last
untagged one, the admin network stays on the PXE NIC, and with too few NICs everything falls
back onto the last one used.
"""
from __future__ import annotations

import ipaddress
from typing import Any

from sim.fuel import networks
from sim.fuel.errors import bad_request
from sim.fuel.records import OVS_BOND_MODES, Bond, Cluster, NetworkGroup, Node, is_id
from sim.fuel.netcheck import untagged
from sim.fuel.state import ADMIN_NETWORK_ID, State


def default_assignment(node: Node, cluster: Cluster | None) -> dict[str, list[int]]:
    """NIC name -> network ids Nailgun would assign by default."""
    nics = sorted(node.nics, key=lambda n: n.id)
    assignment: dict[str, list[int]] = {n.name: [] for n in nics}
    admin = node.admin_nic
    if admin is None:
        return assignment
    assignment[admin.name].append(ADMIN_NETWORK_ID)
    if cluster is None:
        return assignment
    used_untagged = {admin.name}
    cursor = admin.name
    for group in sorted(cluster.networks, key=lambda g: (g.meta.get("map_priority", 2), g.id)):
        if untagged(group):
            free = next((n.name for n in nics if n.name not in used_untagged), None)
            if free is not None:
                used_untagged.add(free)
                cursor = free
        assignment[cursor].append(group.id)
    return assignment


def assign_defaults(node: Node, cluster: Cluster | None) -> None:
    node.bonds = []
    for nic, ids in zip(sorted(node.nics, key=lambda n: n.id), default_assignment(node, cluster).values()):
        nic.assigned = list(ids)


def interfaces_json(state: State, node: Node) -> list[dict[str, Any]]:
    names = state.network_names()
    return [n.to_json(names) for n in sorted(node.nics, key=lambda n: n.id)] + \
        [b.to_json(names) for b in node.bonds]


def default_interfaces_json(state: State, node: Node) -> list[dict[str, Any]]:
    cluster = state.clusters.get(node.cluster) if node.cluster else None
    names = state.network_names()
    defaults = default_assignment(node, cluster)
    result = []
    for nic in sorted(node.nics, key=lambda n: n.id):
        body = nic.to_json(names)
        body["assigned_networks"] = [{"id": i, "name": names.get(i, "")} for i in defaults[nic.name]]
        result.append(body)
    return result


def _where(iface: dict[str, Any]) -> Any:
    return iface.get("id") or iface.get("name")


def validate(state: State, node_id: Any, interfaces: Any) -> list[dict[str, Any]]:
    """``NetAssignmentValidator.validate`` + ``verify_data_correctness`` for one node."""
    if not isinstance(interfaces, list):
        raise bad_request(f"Node '{node_id}': there is no 'interfaces' list")
    node = state.nodes.get(node_id) if is_id(node_id) else None
    if node is None:
        raise bad_request(f"There is no node with ID '{node_id}' in DB")
    seen: set[Any] = set()
    for iface in interfaces:
        if not isinstance(iface, dict):
            raise bad_request(f"Node '{node_id}': each interface should be a dict (got '{iface}')")
        kind = iface.get("type")
        if kind not in ("ether", "bond"):
            raise bad_request(f"Node '{node_id}': each interface must have a type" if kind is None
                              else f"Node '{node_id}': unknown interface type")
        if kind == "ether" and "id" not in iface:
            raise bad_request(f"Node '{node_id}': each HW interface must have ID")
        if kind == "bond":
            _validate_bond(node_id, iface)
        nets = iface.get("assigned_networks")
        if not isinstance(nets, list):
            raise bad_request(f"Node '{node_id}', interface '{_where(iface)}': there is no 'assigned_networks' list")
        for net in nets:
            if not isinstance(net, dict):
                raise bad_request(f"Node '{node_id}', interface '{_where(iface)}': each assigned network "
                                  "should be a dict")
            if "id" not in net:
                raise bad_request(f"Node '{node_id}', interface '{_where(iface)}': each assigned network "
                                  "should have ID")
            key = net["id"] if isinstance(net["id"], (int, str)) else repr(net["id"])
            if key in seen:
                raise bad_request(f"Node '{node_id}': there is a duplicated network '{net['id']}' in assigned "
                                  f"networks (second occurrence is in interface '{_where(iface)}')")
            seen.add(key)
    _verify_correctness(state, node, interfaces)
    return interfaces


def _validate_bond(node_id: Any, iface: dict[str, Any]) -> None:
    if "name" not in iface:
        raise bad_request(f"Node '{node_id}': each bond interface must have name")
    if "mode" not in iface:
        raise bad_request(f"Node '{node_id}': each bond interface must have mode")
    if iface["mode"] not in OVS_BOND_MODES:
        raise bad_request(f"Node '{node_id}': bond interface '{iface['name']}' has unknown mode '{iface['mode']}'")
    slaves = iface.get("slaves")
    if not isinstance(slaves, list) or len(slaves) < 2:
        raise bad_request(f"Node '{node_id}': each bond interface must have two or more slaves")
    for slave in slaves:
        if not isinstance(slave, dict) or not isinstance(slave.get("name"), str):
            raise bad_request(f"Node '{node_id}', interface '{iface['name']}': each bond slave must have name")


def _verify_correctness(state: State, node: Node, interfaces: list[dict[str, Any]]) -> None:
    cluster = state.clusters.get(node.cluster) if node.cluster else None
    expected = {ADMIN_NETWORK_ID} | ({g.id for g in cluster.networks} if cluster else set())
    nics = {n.id: n for n in node.nics}
    names = {n.name: n for n in node.nics}
    bonded: set[int] = set()
    for iface in interfaces:
        if iface["type"] == "ether":
            if not is_id(iface["id"]) or iface["id"] not in nics:
                raise bad_request(f"Node '{node.id}': there is no interface with ID '{iface['id']}' in DB")
        else:
            for slave in iface["slaves"]:
                nic = names.get(slave["name"])
                if nic is None:
                    raise bad_request(f"Node '{node.id}': there is no interface '{slave['name']}' found for "
                                      f"bond '{iface['name']}' in DB")
                if nic.id in bonded:
                    raise bad_request(f"Node '{node.id}': interface '{nic.id}' is used in bonds more than once")
                bonded.add(nic.id)
        for net in iface["assigned_networks"]:
            if not is_id(net["id"]) or net["id"] not in expected:
                raise bad_request(f"Network '{net['id']}' doesn't exist for node {node.id}")
            expected.discard(net["id"])
            if net["id"] == ADMIN_NETWORK_ID and not _carries_pxe(node, iface):
                raise bad_request(f"Node '{node.id}': admin network can not be assigned to non-pxe interface "
                                  f"{_iface_name(iface, nics)}")
    if expected:
        raise bad_request(f"Node '{node.id}': {','.join(repr(str(i)) for i in sorted(expected))} network(s) "
                          "are left unassigned")
    for iface in interfaces:
        if iface["type"] == "ether" and iface["id"] in bonded and iface["assigned_networks"]:
            raise bad_request(f"Node '{node.id}': interface '{iface['id']}' cannot have assigned networks as it "
                              "is used in bond")


def _iface_name(iface: dict[str, Any], nics: dict[int, Any]) -> str:
    return iface.get("name") or (nics[iface["id"]].name if iface.get("id") in nics else str(iface.get("id")))


def _carries_pxe(node: Node, iface: dict[str, Any]) -> bool:
    admin = node.admin_nic
    if admin is None:
        return True
    if iface["type"] == "ether":
        return bool(iface["id"] == admin.id)
    return any(s["name"] == admin.name for s in iface["slaves"])


def apply(state: State, node: Node, interfaces: list[dict[str, Any]]) -> None:
    """Store a validated interfaces PUT and mark the node's ``interfaces`` change."""
    nics = {n.id: n for n in node.nics}
    node.bonds = []
    for nic in node.nics:
        nic.assigned = []
    for iface in interfaces:
        ids = [net["id"] for net in iface["assigned_networks"]]
        if iface["type"] == "ether":
            nics[iface["id"]].assigned = ids
        else:
            node.bonds.append(Bond(name=iface["name"], mode=iface["mode"],
                                   slaves=[s["name"] for s in iface["slaves"]], assigned=ids))
    if node.cluster in state.clusters:
        state.clusters[node.cluster].add_change("interfaces", node.id)


def network_data(cluster: Cluster, node: Node, addresses: dict[str, str]) -> list[dict[str, Any]]:
    """The node's ``network_data``: one row per assigned network, with IPs once allocated."""
    rows = []
    for group in networks.all_groups(cluster):
        dev = next((i.name for i in node.nics + node.bonds if group.id in i.assigned), None)
        row: dict[str, Any] = {"name": group.name, "vlan": group.vlan_start, "dev": dev}
        if group.cidr:
            try:
                net = ipaddress.ip_network(group.cidr, strict=False)
            except ValueError:
                continue
            row.update(cidr=str(net), netmask=str(net.netmask), brd=str(net.broadcast_address),
                       gateway=group.gateway or None)
            if group.name in addresses:
                row["ip"] = f"{addresses[group.name]}/{net.prefixlen}"
        rows.append(row)
    return rows


def allocate_addresses(cluster: Cluster, nodes: list[Node], admin_ips: dict[int, str | None]) -> dict[int, dict[str, str]]:
    """Hand out addresses per network in node-id order, after the VIPs (HA) and gateways."""
    taken = set(cluster.vips.values())
    out: dict[int, dict[str, str]] = {n.id: {} for n in nodes}
    for group in cluster.networks:
        if not group.cidr or not group.ip_ranges:
            continue
        pool = _pool(group, taken)
        for node in nodes:
            ip = next(pool, None)
            if ip is not None:
                out[node.id][group.name] = ip
    for node in nodes:
        if admin_ips.get(node.id):
            out[node.id]["fuelweb_admin"] = str(admin_ips[node.id])
    return out


def _pool(group: NetworkGroup, taken: set[str]) -> Any:
    for pair in group.ip_ranges:
        try:
            start, end = ipaddress.ip_address(pair[0]), ipaddress.ip_address(pair[1])
        except (ValueError, TypeError, IndexError, KeyError):
            continue
        if start.version != end.version:
            continue    # not a range: its two ends are of different IP versions
        address = start
        while int(address) <= int(end):
            if str(address) not in taken and str(address) != group.gateway:
                yield str(address)
            address += 1
