"""The environment's Fuel networks: CIDRs, gateways, IP ranges, VLANs and how they overlap.

Fuel 6.0 runs the same checks when the network configuration is saved ("Address space
intersection between networks", gateway outside its network); catching them here means a
typo fails in ``check-lab`` instead of half-way through a deploy.
"""
from __future__ import annotations

import ipaddress
import re

from labspec.fuel60 import ENV_NETWORKS, VLAN_MAX
from labspec.model import Network, draft
from labspec.problems import ProblemLog
from labspec.reader import Reader
from labspec.section import Section

NETWORK_FIELDS = ("cidr", "gateway", "vlan", "ip_range")
NETWORKS_FIELDS = ENV_NETWORKS + ("vlan_tagging",)
_CIDR = re.compile(r"\d{1,3}(\.\d{1,3}){3}/\d{1,2}")  # prefix form only: Fuel wants it so


def cidr_problem(text: str) -> str | None:
    """What is wrong with an IPv4 CIDR such as ``10.0.0.0/24``, or None."""
    try:
        if not _CIDR.fullmatch(text):
            raise ValueError(text)
        net = ipaddress.IPv4Network(text, strict=False)
    except ValueError:
        return "is not a valid CIDR (expected e.g. 10.0.0.0/24)"
    if str(net) != text:
        return f"has host bits set (expected {net})"
    return None


def ipv4_problem(text: str) -> str | None:
    """What is wrong with an IPv4 address, or None."""
    try:
        ipaddress.IPv4Address(text)
    except ValueError:
        return "is not a valid IPv4 address (expected e.g. 10.0.0.1)"
    return None


def vlan_problem(vlan: int) -> str | None:
    """Port groups take 0 (no tag) to 4094; 4095 is vSphere's trunk-all, not a VLAN."""
    return None if 0 <= vlan <= VLAN_MAX else f"VLAN {vlan} is outside 0–{VLAN_MAX}"


def read_range(reader: Reader, section: Section, key: str) -> tuple[str, str] | None:
    """A ``[first, last]`` pair of IPv4 addresses with first <= last."""
    items = section.sequence(key, required=False) if section.has(key) else None
    if items is None:
        return None
    path = section.at(key)
    if len(items) != 2:
        reader.log.add(path, f"expected two addresses [first, last], got {len(items)}")
        return None
    first, last = (reader.text(node, p, check=ipv4_problem) for p, node in items)
    if first is None or last is None:
        return None
    if ipaddress.IPv4Address(first) > ipaddress.IPv4Address(last):
        reader.log.add(path, f"range starts at {first}, after its end {last}")
        return None
    return first, last


def read_networks(reader: Reader, section: Section | None) -> tuple[Network, ...] | None:
    """``environment.networks``: public, management, storage and fixed, all required."""
    if section is None:
        return None
    tagging = section.boolean("vlan_tagging", default=False)
    networks = []
    for name in ENV_NETWORKS:
        fields = section.section(name, NETWORK_FIELDS)
        if fields is not None:
            networks.append(_network(reader, fields, name, tagging))
    _check_overlaps(reader.log, section.path, networks)
    return tuple(networks)


def _network(reader: Reader, section: Section, name: str, tagging: bool | None) -> Network:
    log = reader.log
    cidr = section.text("cidr", check=cidr_problem)
    # Fuel routes the public network (and floating IPs) through this gateway; the others
    # have no gateway in Fuel 6.0's nova-network metadata.
    gateway = section.text("gateway", required=name == "public", check=ipv4_problem)
    vlan = section.integer("vlan", default=0, check=_fuel_vlan_problem) or None
    if vlan is not None and tagging is False:
        log.add(section.at("vlan"), f"VLAN {vlan} given but environment.networks.vlan_tagging is "
                                    "false (the article tags on the distributed switch instead)")
    ip_range = read_range(reader, section, "ip_range")
    if cidr is not None:
        net = ipaddress.IPv4Network(cidr)
        if gateway is not None:
            _check_inside(log, section.at("gateway"), f"gateway {gateway}", gateway, net, name)
        for address in ip_range or ():
            _check_inside(log, section.at("ip_range"), f"ip_range address {address}", address, net, name)
    return draft(Network, name=name, cidr=cidr, vlan=vlan, gateway=gateway, ip_range=ip_range)


def _fuel_vlan_problem(vlan: int) -> str | None:
    if 1 <= vlan <= VLAN_MAX:
        return None
    return f"VLAN {vlan} is outside 1–{VLAN_MAX} (leave vlan out for an untagged network)"


def _check_inside(log: ProblemLog, path: str, what: str, address: str,
                  net: ipaddress.IPv4Network, name: str) -> None:
    ip = ipaddress.IPv4Address(address)
    if ip not in net:
        log.add(path, f"{what} is outside {name}'s CIDR {net}")
    elif net.prefixlen < 31 and ip in (net.network_address, net.broadcast_address):
        log.add(path, f"{what} is {name}'s network or broadcast address")


def _check_overlaps(log: ProblemLog, path: str, networks: list[Network]) -> None:
    seen: list[tuple[Network, ipaddress.IPv4Network]] = []
    for network in networks:
        if network.cidr is None:
            continue
        net = ipaddress.IPv4Network(network.cidr)
        for other, other_net in seen:
            if net.overlaps(other_net):
                log.add(f"{path}.{network.name}.cidr",
                        f"{network.name} {net} overlaps {other.name} {other_net}; Fuel 6.0 refuses "
                        "intersecting address spaces")
        seen.append((network, net))


def check_floating(log: ProblemLog, path: str, floating: tuple[str, str] | None,
                   networks: tuple[Network, ...] | None) -> None:
    """Floating IPs must not be handed out from the public range Fuel assigns to nodes."""
    public = next((n for n in networks or () if n.name == "public"), None)
    if floating is None or public is None or public.ip_range is None:
        return
    lo, hi = (ipaddress.IPv4Address(a) for a in floating)
    p_lo, p_hi = (ipaddress.IPv4Address(a) for a in public.ip_range)
    if lo <= p_hi and p_lo <= hi:
        log.add(path, f"floating_range {floating[0]}–{floating[1]} intersects public ip_range "
                      f"{public.ip_range[0]}–{public.ip_range[1]}")
