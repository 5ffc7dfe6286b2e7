"""The checks ``PUT /clusters/<id>/changes`` runs before starting Astute (6.0 order).

A failing check does not refuse the request: the ``deploy`` task comes back with status
``error`` and the check's message, and the cluster keeps its status.
"""
from __future__ import annotations

import ipaddress

from sim.fuel import attributes, netcheck, networks
from sim.fuel.records import Cluster, Node


def first_failure(cluster: Cluster, nodes: list[Node]) -> str | None:
    """The message of the first failing check, or None when deployment may start."""
    for check in (_networks, _online, _controllers, _ceph, _public_addresses):
        message = check(cluster, nodes)
        if message:
            return message
    return None


def _networks(cluster: Cluster, nodes: list[Node]) -> str | None:
    groups = networks.all_groups(cluster)
    messages, _ = netcheck.check_configuration(cluster.net_provider, groups, cluster.networking_parameters)
    if not messages:
        messages, _ = netcheck.check_untagged_intersection(groups, [n for n in nodes if not n.pending_deletion])
    return "\n".join(messages) or None


def _online(cluster: Cluster, nodes: list[Node]) -> str | None:
    offline = [n for n in nodes if not n.online and not n.pending_deletion and n.status != "ready"]
    if offline:
        names = ",".join(n.full_name for n in offline)
        return f'Nodes "{names}" are offline. Remove them from environment and try again.'
    return None


def _controllers(cluster: Cluster, nodes: list[Node]) -> str | None:
    if not any("controller" in n.all_roles for n in nodes):
        return f"Not enough controllers, {cluster.mode} mode requires at least 1 controller"
    return None


def _ceph(cluster: Cluster, nodes: list[Node]) -> str | None:
    storage = cluster.editable.get("storage")
    if not isinstance(storage, dict) or not any("_ceph" in key and isinstance(item, dict) and item.get("value") is True
               for key, item in storage.items()):
        return None
    osds = sum("ceph-osd" in n.all_roles for n in nodes)
    try:
        pool_size = int(attributes.value(cluster.editable, "storage", "osd_pool_size", 2))
    except (TypeError, ValueError):
        pool_size = 2
    if osds < pool_size:
        return (f"Number of OSD nodes ({osds}) cannot be less than the Ceph object replication factor "
                f"({pool_size}). Please either assign ceph-osd role to more nodes, or reduce Ceph replication "
                "factor in the Settings tab.")
    return None


def _public_addresses(cluster: Cluster, nodes: list[Node]) -> str | None:
    public = networks.network_by_name(cluster, "public")
    if public is None:
        return None
    size = 0
    for first, last in public.ip_ranges:
        try:
            size += int(ipaddress.ip_address(last)) - int(ipaddress.ip_address(first)) + 1
        except ValueError:
            continue
    if size < len(nodes):
        return (f"Not enough IP addresses. Public network must have at least {len(nodes)} IP addresses for the "
                "current environment.")
    return None
