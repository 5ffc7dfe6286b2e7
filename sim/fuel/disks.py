"""A node's disk layout (``GET/PUT /api/nodes/<id>/disks``), sizes in MB as Nailgun gives them.

The default layout is a simplified ``volumes_metadata``: the base system (``os``) takes what
it needs on the first disk and the role's volume group (image, vm, cinder, ceph, mongo,
mysql) takes the rest of every disk.
"""
from __future__ import annotations

import copy
from typing import Any

from sim.fuel.errors import bad_request
from sim.fuel.records import Node
from sim.fuel.state import State

_ROLE_VOLUME = {"controller": "image", "compute": "vm", "cinder": "cinder", "ceph-osd": "ceph",
                "mongo": "mongo", "zabbix-server": "mysql"}
_OS_MB = 15360
_MB = 1024 * 1024


def default_layout(node: Node) -> list[dict[str, Any]]:
    roles = node.all_roles
    role_volumes = [_ROLE_VOLUME[r] for r in roles if r in _ROLE_VOLUME]
    names = ["os"] + role_volumes
    layout = []
    reported = node.meta.get("disks")
    for index, disk in enumerate(reported if isinstance(reported, list) else []):
        try:
            size = int(disk["size"]) // _MB
            name = str(disk["name"])
        except (KeyError, TypeError, ValueError):
            continue
        volumes = {volume: 0 for volume in names}
        free = size
        if index == 0:
            volumes["os"] = min(size, _OS_MB) if role_volumes else size
            free -= volumes["os"]
        if role_volumes:
            volumes[role_volumes[0]] = free
        layout.append({"id": disk.get("disk", f"disk/by-path/{name}"), "name": name, "size": size,
                       "extra": disk.get("extra", []),
                       "volumes": [{"name": v, "size": s} for v, s in volumes.items()]})
    return layout


def layout(node: Node) -> list[dict[str, Any]]:
    return copy.deepcopy(node.disks) if node.disks is not None else default_layout(node)


def update(state: State, node: Node, data: Any) -> list[dict[str, Any]]:
    """Check a PUT body against the node's disks and store it; marks the ``disks`` change."""
    current = {d["id"]: d for d in layout(node)}
    if not isinstance(data, list):
        raise bad_request("Invalid json list")
    for disk in data:
        if not isinstance(disk, dict) or not isinstance(disk.get("id"), str) or disk["id"] not in current:
            raise bad_request(f"Node '{node.id}': unknown disk {disk!r}")
        volumes = disk.get("volumes")
        if not isinstance(volumes, list) or not all(
                isinstance(v, dict) and isinstance(v.get("name"), str) and isinstance(v.get("size"), int)
                and v["size"] >= 0 for v in volumes):
            raise bad_request(f"Node '{node.id}': disk {disk['id']} has invalid volumes")
        if sum(v["size"] for v in volumes) > current[disk["id"]]["size"]:
            raise bad_request(f"Not enough free space on disk: {disk['id']}")
    for disk in data:
        current[disk["id"]]["volumes"] = [{"name": v["name"], "size": v["size"]} for v in disk["volumes"]]
    node.disks = list(current.values())
    if node.cluster in state.clusters:
        state.clusters[node.cluster].add_change("disks", node.id)
    return layout(node)
