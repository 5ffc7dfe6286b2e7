"""Nodes: agent registration and heartbeat, updates, role checks, (un)assignment to clusters.

Texts are Nailgun 6.0's (NodeValidator, NodeAssignmentValidator, NodeUnassignmentValidator,
NodeAgentHandler). Updates are validated in full before any is applied, so a bad item in a
bulk PUT changes nothing.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any

from sim.fuel import interfaces, log_story, releases
from sim.fuel.errors import HttpError, bad_request, not_found
from sim.fuel.records import NODE_STATUSES, Nic, Node, is_id
from sim.fuel.state import State

def discovered_message(meta: dict[str, Any]) -> str:
    """The text of the ``discover`` notification of a new node."""
    try:
        cores = str(meta["cpu"]["total"])
    except (KeyError, TypeError):
        cores = "unknown"
    try:
        ram = str(round(float(meta["memory"]["total"]) / 1073741824, 1))
    except (KeyError, TypeError, ValueError):
        ram = "unknown"
    try:
        hdd = str(round(float(sum(d["size"] for d in meta["disks"])) / 1000000000, 1))
    except (KeyError, TypeError, ValueError):
        hdd = "unknown"
    return f"New node is discovered: {cores} CPUs / {ram} GB RAM / {hdd} GB HDD"


def register(state: State, data: Any) -> Node:
    """``POST /api/nodes``: what nailgun-agent sends from a bootstrap node."""
    if not isinstance(data, dict):
        raise bad_request("Invalid json received")
    if data.get("status", "discover") != "discover":
        raise HttpError(403, "Only bootstrap nodes are allowed to be registered.")
    mac = data.get("mac")
    if not mac or not isinstance(mac, str):
        raise bad_request("No mac address specified")
    if state.node_by_any_mac(mac):
        raise HttpError(409, f"Node with mac {mac} already exists - doing nothing")
    sent_meta = data.get("meta")
    meta: dict[str, Any] = sent_meta if isinstance(sent_meta, dict) else {}
    sent_ifaces = meta.get("interfaces")
    raw_ifaces: list[Any] = sent_ifaces if isinstance(sent_ifaces, list) else []
    ifaces = [i for i in raw_ifaces if isinstance(i, dict) and i.get("name") and i.get("mac")]
    meta = {**meta, "interfaces": ifaces}
    mac = mac.lower()
    node = Node(id=state.next_id("node"), mac=mac, name=f"Untitled ({mac[-5:]})", ip=data.get("ip"),
                meta=meta, nics=[], manufacturer=data.get("manufacturer"),
                platform_name=data.get("platform_name"), os_platform=data.get("os_platform", "centos"),
                agent_checksum=data.get("agent_checksum"))
    node.nics = [Nic(id=state.next_id("nic"), name=str(i["name"]), mac=str(i["mac"]).lower(),
                     max_speed=i.get("max_speed"), current_speed=i.get("current_speed"))
                 for i in ifaces]
    if not any(n.mac == mac for n in node.nics):
        node.nics.insert(0, Nic(id=state.next_id("nic"), name="eth0", mac=mac, max_speed=None, current_speed=None))
    interfaces.assign_defaults(node, None)
    state.nodes[node.id] = node
    state.notify("discover", discovered_message(meta), node_id=node.id)
    state.log("app", "INFO", f"Node {node.id} ({mac}) registered")
    log_story.node_registered(state, node)
    return node


def agent_update(state: State, data: Any) -> dict[str, Any]:
    """``PUT /api/nodes/agent``: the agent's periodic report."""
    if not isinstance(data, dict):
        raise bad_request("Invalid json received")
    node = None
    if is_id(data.get("id")):
        node = state.nodes.get(data["id"])
    if node is None and isinstance(data.get("mac"), str):
        node = state.node_by_any_mac(data["mac"])
    if node is None:
        raise not_found("Node")
    back_online(state, node)
    checksum = data.get("agent_checksum")
    if checksum and checksum == node.agent_checksum:
        return {"id": node.id, "cached": True}
    node.agent_checksum = checksum or hashlib.md5(json.dumps(data, sort_keys=True).encode()).hexdigest()
    meta = data.get("meta")
    if isinstance(meta, dict):
        if not meta.get("disks"):
            meta = {**meta, "disks": node.meta.get("disks", [])}  # 6.0 ignores an empty disks list
        node.meta = {**node.meta, **meta}
    for key in ("manufacturer", "platform_name", "os_platform"):
        if isinstance(data.get(key), str):
            setattr(node, key, data[key])
    return {"id": node.id}


def back_online(state: State, node: Node) -> None:
    if not node.online:
        node.online = True
        state.notify("discover", f"Node '{node.name}' is back online", node_id=node.id)


def validate_roles(state: State, cluster_id: int, roles: Any) -> list[str]:
    """Release membership and conflicts of a role list (``NodeAssignmentValidator``)."""
    if not isinstance(roles, list) or any(not isinstance(r, str) for r in roles):
        raise bad_request("Role list must be list of strings")
    cluster = state.cluster(cluster_id)
    wanted = set(roles)
    invalid = sorted(wanted - set(releases.ROLES))
    if invalid:
        raise bad_request(f"{', '.join(invalid)} are not valid roles for node in "
                          f"{releases.name(cluster.release_id)} release")
    for role in roles:
        conflicting = sorted(set(releases.ROLES_METADATA[role].get("conflicts", [])) & (wanted - {role}))
        if conflicting:
            raise bad_request(f'Role "{role}" in conflict with role {", ".join(conflicting)}')
    return list(dict.fromkeys(roles))


def _find(state: State, item: dict[str, Any]) -> Node:
    if not item.get("mac") and not item.get("id"):
        raise bad_request("Neither MAC nor ID is specified")
    if item.get("id"):
        node = state.nodes.get(item["id"]) if is_id(item["id"]) else None
        if node is None:
            raise bad_request("Invalid ID specified")
        return node
    if not isinstance(item["mac"], str):
        raise bad_request("Invalid MAC is specified")
    node = state.node_by_any_mac(item["mac"])
    if node is None:
        raise bad_request("Invalid MAC is specified")
    return node


def _check_update(state: State, node: Node, item: dict[str, Any]) -> None:
    if "status" in item and item["status"] not in NODE_STATUSES:
        raise bad_request("Invalid status for node")
    for flag in ("pending_addition", "pending_deletion", "online"):
        if flag in item and not isinstance(item[flag], bool):
            raise bad_request(f"'{flag}' must be a boolean")
    if "name" in item and not isinstance(item["name"], str):
        raise bad_request("'name' must be a string")
    cluster_id = item.get("cluster_id", node.cluster)
    if "cluster_id" in item:
        if cluster_id is not None:
            if not is_id(cluster_id) or cluster_id not in state.clusters:
                raise bad_request("Invalid cluster ID")
            if node.cluster is not None and node.cluster != cluster_id:
                raise bad_request("Changing cluster on the fly is not allowed")
    for key in ("pending_roles", "roles"):
        if key in item:
            if cluster_id is None:
                if item[key]:
                    raise bad_request(f"Node '{node.id}' is not in an environment: its roles cannot be set")
                continue
            validate_roles(state, cluster_id, item[key])


def update(state: State, node: Node, item: dict[str, Any]) -> None:
    """Validate and apply one node update (``PUT /api/nodes/<id>``)."""
    if not isinstance(item, dict):
        raise bad_request("Invalid json received")
    _check_update(state, node, item)
    _apply(state, node, item)


def bulk_update(state: State, items: Any) -> list[Node]:
    """``PUT /api/nodes``: every item found by ``id`` or ``mac``; all checked before any is applied."""
    if not isinstance(items, list):
        raise bad_request("Invalid json list")
    found = []
    for item in items:
        if not isinstance(item, dict):
            raise bad_request("Invalid json list")
        node = _find(state, item)
        _check_update(state, node, item)
        found.append((node, item))
    for node, item in found:
        _apply(state, node, item)
    return [node for node, _ in found]


def _apply(state: State, node: Node, item: dict[str, Any]) -> None:
    if "cluster_id" in item and item["cluster_id"] != node.cluster:
        if item["cluster_id"] is None:
            remove_from_cluster(state, node)
        else:
            add_to_cluster(state, node, item["cluster_id"])
    for key in ("pending_roles", "roles"):
        if key in item and node.cluster is not None:
            setattr(node, key, list(dict.fromkeys(item[key])))
            if key == "pending_roles":
                state.clusters[node.cluster].add_change("disks", node.id)
    for key in ("pending_addition", "pending_deletion", "name", "status", "online", "kernel_params"):
        if key in item:
            setattr(node, key, item[key])


def add_to_cluster(state: State, node: Node, cluster_id: int) -> None:
    cluster = state.cluster(cluster_id)
    node.cluster, node.group_id = cluster_id, cluster_id
    interfaces.assign_defaults(node, cluster)
    node.network_data = interfaces.network_data(cluster, node, {})
    cluster.add_change("interfaces", node.id)


def remove_from_cluster(state: State, node: Node) -> None:
    """Detach a node (an undone addition): back to an unallocated discover node."""
    node.cluster = node.group_id = None
    node.roles, node.pending_roles = [], []
    node.pending_addition = node.pending_deletion = False
    node.network_data, node.fqdn, node.disks = [], None, None
    interfaces.assign_defaults(node, None)


def assign(state: State, cluster_id: int, data: Any) -> None:
    """``POST /api/clusters/<id>/assignment`` with ``[{"id", "roles"}]``."""
    state.cluster(cluster_id)
    if not isinstance(data, list):
        raise bad_request(f"{data!r} is not of type 'array'")
    for item in data:
        if not isinstance(item, dict) or "id" not in item or "roles" not in item:
            missing = "id" if not isinstance(item, dict) or "id" not in item else "roles"
            raise bad_request(f"'{missing}' is a required property")
        if not is_id(item["id"]):
            raise bad_request(f"{item['id']!r} is not of type 'integer'")
    ids = [item["id"] for item in data]
    not_found = [str(i) for i in ids if i not in state.nodes]
    if not_found:
        raise bad_request(f"Nodes with ids {','.join(not_found)} were not found.")
    assigned = [str(i) for i in ids if state.nodes[i].cluster is not None]
    if assigned:
        raise bad_request(f"Nodes with ids {','.join(assigned)} already assigned to environments. Nodes must be "
                          "unassigned before they can be assigned again.")
    roles = {item["id"]: validate_roles(state, cluster_id, item["roles"]) for item in data}
    for node_id, node_roles in roles.items():
        node = state.nodes[node_id]
        add_to_cluster(state, node, cluster_id)
        node.pending_roles, node.pending_addition = node_roles, True
        state.clusters[cluster_id].add_change("disks", node_id)


def unassign(state: State, cluster_id: int, data: Any) -> None:
    """``POST /api/clusters/<id>/unassignment``: discover nodes leave at once, others wait for deletion."""
    state.cluster(cluster_id)
    if not isinstance(data, list) or any(not isinstance(i, dict) or not is_id(i.get("id")) for i in data):
        raise bad_request("Invalid data: a list of {\"id\": <node id>} is expected")
    ids = [item["id"] for item in data]
    missing = [str(i) for i in ids if i not in state.nodes]
    if missing:
        raise bad_request(f"Nodes with ids {','.join(missing)} were not found.")
    idle = [str(i) for i in ids if state.nodes[i].cluster is None or state.nodes[i].pending_deletion]
    if idle:
        raise bad_request(f"Can't unassign nodes with ids {','.join(idle)} if they not assigned.")
    for node_id in ids:
        node = state.nodes[node_id]
        if node.status == "discover":
            remove_from_cluster(state, node)
        else:
            node.pending_deletion = True
