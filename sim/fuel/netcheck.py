"""Nailgun 6.0's ``NetworkCheck``: static checks of a network configuration.

Checks run in groups, in Nailgun's order; like ``expose_error_messages`` the first group that
finds problems ends the check, and its messages (newline-joined) and ``result`` rows
(``{"ids": [...], "errors": [...]}``) become the ``check_networks`` task's message and result.
A value Nailgun's netaddr would choke on ends the check with netaddr-like text, as the
exception text is what Nailgun's ``_call_silently`` puts into the task.
"""
from __future__ import annotations

import ipaddress
from itertools import combinations, product
from typing import Any, Callable, Iterable

from sim.fuel.records import NetworkGroup, Node
from sim.fuel.state import ADMIN_NETWORK_ID

Span = tuple[int, int]   # first and last address as integers
Finding = tuple[list[str], list[dict[str, Any]]]


class CheckFailed(Exception):
    """A value that cannot even be parsed; its text becomes the task message."""


def _net(cidr: Any) -> ipaddress.IPv4Network:
    try:
        return ipaddress.IPv4Network(str(cidr), strict=False)
    except (ValueError, TypeError):
        raise CheckFailed(f"invalid IPNetwork {cidr}") from None


def _addr(value: Any) -> int:
    try:
        return int(ipaddress.IPv4Address(str(value)))
    except (ValueError, TypeError):
        raise CheckFailed(f"failed to detect a valid IP address from {value!r}") from None


def _span(cidr: Any) -> Span:
    net = _net(cidr)
    return int(net.network_address), int(net.broadcast_address)


def _range(pair: Any) -> Span:
    if not isinstance(pair, (list, tuple)) or len(pair) != 2:
        raise CheckFailed(f"invalid IP range {pair!r}")
    first, last = _addr(pair[0]), _addr(pair[1])
    if first > last:
        raise CheckFailed(f"lower bound IP greater than upper bound! {pair[0]} > {pair[1]}")
    return first, last


def _ranges(value: Any) -> list[Span]:
    if not isinstance(value, list):
        raise CheckFailed(f"invalid IP ranges {value!r}")
    return [_range(pair) for pair in value]


def _overlap(a: Span, b: Span) -> bool:
    return a[0] <= b[1] and b[0] <= a[1]


def _inside(inner: Span, outer: Span) -> bool:
    return outer[0] <= inner[0] and inner[1] <= outer[1]


def _vlan(value: Any) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise CheckFailed(f"invalid literal for int() with base 10: {value!r}") from None


def _name(group: NetworkGroup) -> str:
    return "admin (PXE)" if group.id == ADMIN_NETWORK_ID else group.name


def _public(groups: list[NetworkGroup]) -> NetworkGroup:
    return next(g for g in groups if g.name == "public")


def check_configuration(provider: str, groups: list[NetworkGroup], params: dict[str, Any]) -> Finding:
    """Run ``NetworkCheck.check_configuration``; ([], []) when the configuration is sound."""
    nova: list[Callable[[list[NetworkGroup], dict[str, Any]], Finding]] = [
        _public_floating, _address_spaces, _networks_amount, _vlan_ids]
    neutron: list[Callable[[list[NetworkGroup], dict[str, Any]], Finding]] = [
        _neutron_address_spaces, _neutron_segmentation]
    common: list[Callable[[list[NetworkGroup], dict[str, Any]], Finding]] = [_gateways, _classes, _subnet_broadcast]
    try:
        for check in (neutron if provider == "neutron" else nova) + common:
            messages, result = check(groups, params)
            if messages:
                return messages, result
    except CheckFailed as exc:
        return [str(exc)], []
    except (TypeError, ValueError, KeyError, IndexError, AttributeError) as exc:
        return [str(exc)], []   # Nailgun's _call_silently puts any exception text into the task
    return [], []


def _public_floating(groups: list[NetworkGroup], params: dict[str, Any]) -> Finding:
    pub = _public(groups)
    msgs: list[str] = []
    result: list[dict[str, Any]] = []
    pub_ranges, floating = _ranges(pub.ip_ranges), _ranges(params.get("floating_ranges", []))
    gateway, cidr = _addr(pub.gateway), _span(pub.cidr)
    reported_cidr = False
    for name, spans in (("public", pub_ranges), ("floating", floating)):
        ids = [pub.id] if name == "public" else []
        for a, b in combinations(spans, 2):
            if _overlap(a, b):
                msgs.append(f"Address space intersection between ranges of {name} network.")
                result.append({"ids": ids, "errors": ["ip_ranges"]})
        for span in spans:
            if span[0] <= gateway <= span[1]:
                msgs.append(f"Address intersection between public gateway and IP range of {name} network.")
                result.append({"ids": ids, "errors": ["gateway", "ip_ranges"]})
            if name == "public" and not _inside(span, cidr) and not reported_cidr:
                reported_cidr = True
                msgs.append("Public gateway and public ranges are not in one CIDR.")
                result.append({"ids": ids, "errors": ["gateway", "ip_ranges"]})
    if msgs:
        return msgs, result
    for a, b in combinations(pub_ranges + floating, 2):
        if _overlap(a, b):
            msgs.append("Address space intersection between range of public network and floating range.")
            result.append({"ids": [pub.id], "errors": ["ip_ranges"]})
    return msgs, result


def _address_spaces(groups: list[NetworkGroup], params: dict[str, Any]) -> Finding:
    msgs: list[str] = []
    result: list[dict[str, Any]] = []
    with_cidr = [g for g in groups if g.cidr]
    for a, b in combinations(with_cidr, 2):
        if _overlap(_span(a.cidr), _span(b.cidr)):
            msgs.append(f"Address space intersection between networks:\n{_name(a)}, {_name(b)}.")
            result.append({"ids": [a.id, b.id], "errors": ["cidr"]})
    fixed = _span(params.get("fixed_networks_cidr"))
    for group in with_cidr:
        if _overlap(fixed, _span(group.cidr)):
            msgs.append(f"Address space intersection between networks:\nfixed, {_name(group)}.")
            result.append({"ids": [group.id], "errors": ["cidr"]})
    for group, span in product([g for g in with_cidr if g.name != "public"],
                               _ranges(params.get("floating_ranges", []))):
        if _overlap(_span(group.cidr), span):
            floating = f"{ipaddress.IPv4Address(span[0])}-{ipaddress.IPv4Address(span[1])}"
            msgs.append(f"Address space intersection between floating range '{floating}' and "
                        f"'{_name(group)}' network.")
            result.append({"ids": [group.id], "errors": ["cidr", "floating_ranges"]})
    return msgs, result


def _networks_amount(groups: list[NetworkGroup], params: dict[str, Any]) -> Finding:
    try:
        size, amount = int(params.get("fixed_network_size", 0)), int(params.get("fixed_networks_amount", 0))
    except (TypeError, ValueError) as exc:
        raise CheckFailed(str(exc)) from None
    cidr = _net(params.get("fixed_networks_cidr"))
    if params.get("net_manager") != "FlatDHCPManager" and size * amount > cidr.num_addresses:
        return ([f"Number of fixed networks ({amount}) doesn't fit into fixed CIDR ({cidr}) and size of one "
                 f"fixed network ({size})."],
                [{"ids": [], "errors": ["fixed_network_size", "fixed_networks_amount"]}])
    return [], []


def _vlan_ids(groups: list[NetworkGroup], params: dict[str, Any]) -> Finding:
    msgs: list[str] = []
    result: list[dict[str, Any]] = []
    tagged: dict[str, tuple[int, int]] = {}
    for g in groups:
        vlan = _vlan(g.vlan_start)
        if vlan is not None:
            tagged[_name(g)] = (vlan, 0)
    fixed_vlan = _vlan(params.get("fixed_networks_vlan_start"))
    if fixed_vlan:
        tagged["fixed"] = (fixed_vlan, int(params.get("fixed_networks_amount", 1)) - 1)
    ids = {_name(g): g.id for g in groups}
    for name, (start, extra) in tagged.items():
        if start < 2 or start + extra > 4094:
            msgs.append(f"VLAN ID(s) is out of range for {name} network.")
            result.append({"ids": [ids[name]] if name in ids else [], "errors": ["vlan_start"]})
    for a, b in combinations(tagged, 2):
        (s1, e1), (s2, e2) = tagged[a], tagged[b]
        if s1 <= s2 + e2 and s2 <= s1 + e1:
            msgs.append(f"{a}, {b} networks use the same VLAN ID(s). You should assign different VLAN IDs "
                        "to every network.")
            result.append({"ids": [ids[n] for n in (a, b) if n in ids], "errors": ["vlan_start"]})
    return msgs, result


def _neutron_address_spaces(groups: list[NetworkGroup], params: dict[str, Any]) -> Finding:
    msgs: list[str] = []
    result: list[dict[str, Any]] = []
    for a, b in combinations([g for g in groups if g.cidr], 2):
        if _overlap(_span(a.cidr), _span(b.cidr)):
            msgs.append(f"Address space intersection between networks:\n{_name(a)}, {_name(b)}")
            result.append({"ids": [a.id, b.id], "errors": ["cidr"]})
    if msgs:
        return msgs, result
    pub = _public(groups)
    cidr = _span(pub.cidr)
    floating_pairs = params.get("floating_ranges") or [[None, None]]
    floating = _range(floating_pairs[0])
    if not _inside(floating, cidr):
        return ([f"Floating address range {floating_pairs[0][0]}:{floating_pairs[0][1]} is not in public "
                 f"address space {pub.cidr}."], [{"ids": [pub.id], "errors": ["cidr", "ip_ranges"]}])
    spans = _ranges(pub.ip_ranges)
    for first, second in combinations(spans + [floating], 2):
        if _overlap(first, second):
            which = "public and external network" if floating in (first, second) else "public network"
            msgs.append(f"Address space intersection between ranges of {which}.")
            result.append({"ids": [pub.id], "errors": ["ip_ranges"]})
    gateway = _addr(pub.gateway)
    for span in spans + [floating]:
        if span[0] <= gateway <= span[1]:
            msgs.append("Address intersection between public gateway and IP range of public network.")
            result.append({"ids": [pub.id], "errors": ["gateway", "ip_ranges"]})
        if not _inside(span, cidr):
            msgs.append("Public gateway and public ranges are not in one CIDR.")
            result.append({"ids": [pub.id], "errors": ["gateway", "ip_ranges"]})
    internal = _net(params.get("internal_cidr"))
    internal_gw = _addr(params.get("internal_gateway"))
    if not int(internal.network_address) <= internal_gw <= int(internal.broadcast_address):
        msgs.append(f"Internal gateway {params.get('internal_gateway')} is not in internal address space "
                    f"{internal}.")
        result.append({"ids": [], "name": ["internal"], "errors": ["gateway"]})
    if _overlap(floating, (int(internal.network_address), int(internal.broadcast_address))):
        msgs.append("Intersection between internal CIDR and floating range.")
        result.append({"ids": [], "name": ["internal", "external"], "errors": ["cidr", "ip_ranges"]})
    return msgs, result


def _neutron_segmentation(groups: list[NetworkGroup], params: dict[str, Any]) -> Finding:
    tagged = {g.name: _vlan(g.vlan_start) for g in groups if g.vlan_start is not None}
    if params.get("segmentation_type") == "vlan" and tagged:
        low, high = (params.get("vlan_range") or [0, 0])[:2]
        inside = [name for name, vlan in tagged.items() if vlan is not None and low <= vlan <= high]
        if inside:
            return ([f"VLAN tags of {', '.join(inside)} network(s) intersect with VLAN ID range defined for "
                     "Neutron L2. Networks VLAN tags must not intersect with Neutron L2 VLAN ID range."], [])
    values = list(tagged.values())
    same = [name for name, vlan in tagged.items() if values.count(vlan) >= 2]
    if same:
        return ([f"{', '.join(same)} networks use the same VLAN tags. You should assign different VLAN tag "
                 "to every network."], [])
    return [], []


def _gateways(groups: list[NetworkGroup], params: dict[str, Any]) -> Finding:
    """A gateway outside its network's CIDR (6.0 only checks this for neutron's internal network;
    the wording is that check's)."""
    msgs: list[str] = []
    result: list[dict[str, Any]] = []
    for g in groups:
        if g.gateway and g.cidr and g.id != ADMIN_NETWORK_ID:
            first, last = _span(g.cidr)
            if not first <= _addr(g.gateway) <= last:
                msgs.append(f"{g.name.capitalize()} gateway {g.gateway} is not in {g.name} address space {g.cidr}.")
                result.append({"ids": [g.id], "errors": ["gateway"]})
    return msgs, result


def _classes(groups: list[NetworkGroup], params: dict[str, Any]) -> Finding:
    msgs: list[str] = []
    result: list[dict[str, Any]] = []
    for g in groups:
        if not g.cidr:
            continue
        net = _net(g.cidr)
        if net.subnet_of(ipaddress.IPv4Network("224.0.0.0/3")):
            msgs.append(f"{_name(g)} network address space does not belong to A, B, C network classes. It "
                        "must belong to either A, B or C network class.")
            result.append({"ids": [g.id], "errors": ["cidr", "ip_ranges"]})
        elif net.subnet_of(ipaddress.IPv4Network("127.0.0.0/8")):
            msgs.append(f"{_name(g)} network address space is inside loopback range (127.0.0.0/8). It must "
                        "have no intersection with loopback range.")
            result.append({"ids": [g.id], "errors": ["cidr", "ip_ranges"]})
    return msgs, result


def _subnet_broadcast(groups: list[NetworkGroup], params: dict[str, Any]) -> Finding:
    msgs: list[str] = []
    result: list[dict[str, Any]] = []
    for g in groups:
        if g.meta.get("notation") != "ip_ranges" or not g.cidr:
            continue
        net = _net(g.cidr)
        edges = (int(net.network_address), int(net.broadcast_address))
        if g.gateway and _addr(g.gateway) in edges:
            msgs.append(f"{_name(g)} network gateway address is equal to either subnet address or broadcast "
                        "address of the network.")
            result.append({"ids": [g.id], "errors": ["gateway"]})
        for pair, span in zip(g.ip_ranges or [], _ranges(g.ip_ranges or [])):
            if any(span[0] <= e <= span[1] for e in edges):
                msgs.append(f"{_name(g)} network IP range [{pair[0]}-{pair[1]}] intersect with either subnet "
                            "address or broadcast address of the network.")
                result.append({"ids": [g.id], "errors": ["ip_ranges"]})
    return msgs, result


def untagged(group: NetworkGroup) -> bool:
    """Carried untagged on its NIC (and so exclusive to it)."""
    return group.vlan_start is None and not group.meta.get("ext_net_data") \
        and not group.meta.get("neutron_vlan_range")


def check_untagged_intersection(groups: list[NetworkGroup], nodes: Iterable[Node]) -> Finding:
    """``check_untagged_intersection``: at most one untagged network per physical interface."""
    by_id = {g.id: g for g in groups}
    affected: list[str] = []
    for node in nodes:
        for nic in node.nics + node.bonds:
            crossed = [_name(by_id[n]) for n in nic.assigned if n in by_id and untagged(by_id[n])]
            if len(crossed) > 1:
                nets = ", ".join(f'"{n}"' for n in crossed)
                affected.append(f'{nets} networks at node "{node.name}"')
    if affected:
        return (["Some untagged networks are assigned to the same physical interface. You should assign them "
                 "to different physical interfaces. Affected:\n" + "\n".join(affected)],
                [{"ids": [], "errors": []}])
    return [], []
