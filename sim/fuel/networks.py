"""A cluster's network configuration: creation from the release, the GET shape, PUT merging.

Validation of a candidate configuration lives in :mod:`netcheck`; this module only builds and
applies configurations.
"""
from __future__ import annotations

import copy
import ipaddress
from typing import Any

from sim.fuel import releases
from sim.fuel.errors import HttpError, bad_request
from sim.fuel.records import Cluster, NetworkGroup, is_id
from sim.fuel.state import ADMIN_NETWORK_ID, State

ADMIN_NETWORK = NetworkGroup(
    id=ADMIN_NETWORK_ID, name="fuelweb_admin", cidr="10.20.0.0/24", gateway=None, vlan_start=None,
    ip_ranges=[["10.20.0.129", "10.20.0.254"]], group_id=None, release=None,
    meta={"notation": "ip_ranges", "render_type": None, "assign_vip": False, "configurable": False,
          "unmovable": True, "use_gateway": True, "render_addr_mask": None, "map_priority": 0})
MASTER_IP = "10.20.0.2"


def admin_network() -> NetworkGroup:
    return copy.deepcopy(ADMIN_NETWORK)


def cidr_range(cidr: str, use_gateway: bool) -> list[str]:
    """Nailgun's default IP range of a ``cidr``-notation network."""
    net = ipaddress.ip_network(cidr, strict=False)
    first = net.network_address + (2 if use_gateway else 1)
    return [str(first), str(net.broadcast_address - 1)]


def create_for_cluster(state: State, cluster: Cluster) -> None:
    """Give a new cluster its network groups and parameters from the release metadata."""
    metadata = releases.networks_metadata(cluster.release_id)[cluster.net_provider]
    group_id = cluster.id  # one default node group per cluster, numbered like the cluster
    for meta in metadata["networks"]:
        meta = copy.deepcopy(meta)
        if meta["name"] == "private" and cluster.net_segment_type == "gre":
            meta["seg_type"] = "gre"
            meta.pop("neutron_vlan_range", None)
            meta.update(vlan_start=103, notation="cidr", cidr="192.168.2.0/24", render_type="cidr")
        cidr = meta.get("cidr")
        ranges: list[list[str]] = []
        if meta.get("ip_range"):
            ranges = [list(meta["ip_range"])]
        elif cidr and meta.get("notation") == "cidr":
            ranges = [cidr_range(cidr, bool(meta.get("use_gateway")))]
        cluster.networks.append(NetworkGroup(
            id=state.next_id("network"), name=meta["name"], cidr=cidr, gateway=meta.get("gateway"),
            vlan_start=meta.get("vlan_start"), ip_ranges=ranges, meta=meta, group_id=group_id,
            release=cluster.release_id))
    params = copy.deepcopy(metadata["config"])
    if cluster.net_provider == "neutron":
        params["segmentation_type"] = cluster.net_segment_type or "vlan"
        params["net_l23_provider"] = cluster.net_l23_provider
    cluster.networking_parameters = params
    if cluster.mode == "ha_compact":
        cluster.vips = {"public_vip": "172.16.0.2", "management_vip": "192.168.0.2"}


def network_by_name(cluster: Cluster, name: str) -> NetworkGroup | None:
    return next((n for n in cluster.networks if n.name == name), None)


def all_groups(cluster: Cluster) -> list[NetworkGroup]:
    """The admin network followed by the cluster's own."""
    return [admin_network()] + list(cluster.networks)


def configuration_json(cluster: Cluster) -> dict[str, Any]:
    """``GET /api/clusters/<id>/network_configuration/<provider>``."""
    body: dict[str, Any] = {"net_provider": cluster.net_provider,
                            "networks": [n.to_json() for n in all_groups(cluster)],
                            "networking_parameters": copy.deepcopy(cluster.networking_parameters)}
    body.update(cluster.vips)
    return body


def check_provider(cluster: Cluster, provider: str) -> None:
    if provider != cluster.net_provider:
        raise bad_request(f"Wrong net provider - environment uses '{cluster.net_provider}'")


def validate_update(cluster: Cluster, data: Any) -> dict[str, Any]:
    """``NetworkConfigurationValidator.validate_networks_update`` (plus the neutron rule)."""
    if not isinstance(data, dict) or not data:
        raise bad_request("No valid data received")
    networks = data.get("networks", [])
    if not isinstance(networks, list):
        raise bad_request("'networks' is expected to be an array")
    for net in networks:
        if not isinstance(net, dict) or "id" not in net:
            raise bad_request(f"No 'id' param presents for '{net}' network")
    params = data.get("networking_parameters", {})
    if not isinstance(params, dict):
        raise bad_request("'networking_parameters' is expected to be an object")
    if cluster.net_provider == "neutron":
        for key in ("segmentation_type", "net_l23_provider"):
            if key in params and params[key] != cluster.networking_parameters.get(key):
                raise bad_request(f"Change of '{key}' is prohibited")
    return data


def candidate(cluster: Cluster, data: dict[str, Any]) -> tuple[list[NetworkGroup], dict[str, Any]]:
    """The configuration ``data`` would produce (admin network first), without saving it.

    Raises HttpError(400) for ids that are not networks of the cluster, like NetworkCheck does.
    """
    groups = {n.id: copy.deepcopy(n) for n in all_groups(cluster)}
    for net in data.get("networks", []):
        group = groups.get(net["id"]) if is_id(net["id"]) else None
        if group is None:
            raise HttpError(400, f"Invalid network ID: {net['id']}")
        if group.id == ADMIN_NETWORK_ID:
            continue  # fuelweb_admin belongs to the master, PUT ignores it
        for key in ("cidr", "gateway", "vlan_start", "ip_ranges"):
            if key in net:
                setattr(group, key, copy.deepcopy(net[key]))
        if isinstance(group.vlan_start, str) and group.vlan_start.strip().isdigit():
            group.vlan_start = int(group.vlan_start)  # the DB column is an integer
        if group.meta.get("notation") == "cidr" and group.cidr:
            # Nailgun derives the range of a cidr-notation network from its CIDR, whatever was sent
            try:
                group.ip_ranges = [cidr_range(str(group.cidr), bool(group.meta.get("use_gateway")))]
            except ValueError:
                pass  # netcheck reports the bad CIDR
    params = copy.deepcopy(cluster.networking_parameters)
    params.update(copy.deepcopy(data.get("networking_parameters", {})))
    ordered = [groups[ADMIN_NETWORK_ID]] + [groups[n.id] for n in cluster.networks]
    return ordered, params


def save(cluster: Cluster, groups: list[NetworkGroup], params: dict[str, Any]) -> None:
    """Store a checked candidate and mark the ``networks`` change."""
    cluster.networks = [g for g in groups if g.id != ADMIN_NETWORK_ID]
    cluster.networking_parameters = params
    cluster.add_change("networks")
