"""The Fuel master's own setup in ``fuel.master_vm``: its admin network, DNS, NTP, hostname,
root's password and feature groups, read and checked.

Fuel 6.0's checks are the model: the installer's boot line takes ``ip``, ``netmask``, ``gw``,
``dns1`` and ``hostname`` (fuel-main ``iso/ks.template``); fuelmenu refuses an NTP server name
of 255 characters or more or with characters outside ``[a-zA-Z0-9-.]`` (fuel-web 6.0
``fuelmenu/modules/ntpsetup.py``) and wants a hostname with a domain (``dnsandhostname.py``).
The lab needs the ``experimental`` feature group for image-based provisioning and for the
``zabbix-server`` role (both hidden behind it in 6.0's ``openstack.yaml``).
"""
from __future__ import annotations

import ipaddress
import re

from labspec.addressing import ipv4_problem
from labspec.model import Environment, MasterSetup, NodeSpec
from labspec.problems import ProblemLog
from labspec.reader import Check
from labspec.section import Section

SETUP_FIELDS = ("ip", "netmask", "gateway", "dns", "ntp", "hostname", "root_password", "feature_groups", "ssh_port")
FEATURE_GROUPS = ("mirantis", "experimental")   # the groups 6.0's openstack.yaml and UI test for
_HOSTNAME = re.compile(r"(?=.{1,255}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+")
_NTP_SERVER = re.compile(r"[a-zA-Z0-9.-]{1,254}")


def read_setup(section: Section) -> MasterSetup:
    """The setup fields of ``fuel.master_vm``; an absent field takes Fuel 6.0's default."""
    default = MasterSetup()
    dns = section.texts("dns", check=ipv4_problem)
    ntp = section.texts("ntp", check=_ntp_problem)
    groups = section.texts("feature_groups", allowed=FEATURE_GROUPS, noun="feature group")
    return MasterSetup(
        ip=_text(section, "ip", default.ip, ipv4_problem),
        netmask=_text(section, "netmask", default.netmask, _netmask_problem),
        gateway=_text(section, "gateway", default.gateway, ipv4_problem),
        dns=default.dns if dns is None or not section.has("dns") else dns,
        ntp=default.ntp if ntp is None or not section.has("ntp") else ntp,
        hostname=_text(section, "hostname", default.hostname, _hostname_problem),
        root_password=(section.secret("root_password", variable="FUEL_ROOT_PASSWORD") or ""
                       if section.has("root_password") else default.root_password),
        feature_groups=groups if section.has("feature_groups") and groups is not None else (),
        ssh_port=section.integer("ssh_port", default=default.ssh_port, check=_port_problem) or default.ssh_port,
    )


def needed_groups(environment: Environment | None, nodes: tuple[NodeSpec, ...] | None) -> tuple[str, ...]:
    """The feature groups the lab needs: experimental for image provisioning or a Zabbix node."""
    reasons = experimental_reasons(environment, nodes)
    return ("mirantis", "experimental") if reasons else ("mirantis",)


def experimental_reasons(environment: Environment | None, nodes: tuple[NodeSpec, ...] | None) -> list[str]:
    reasons = []
    if environment is not None and environment.settings is not None and environment.settings.provisioning == "image":
        reasons.append("environment.settings.provisioning is image")
    if any(node.roles and "zabbix-server" in node.roles for node in nodes or ()):
        reasons.append("a node has the zabbix-server role")
    return reasons


def check(setup: MasterSetup | None, path: str, log: ProblemLog, *, environment: Environment | None,
          nodes: tuple[NodeSpec, ...] | None) -> MasterSetup | None:
    """Cross-field checks; returns the setup with its feature groups defaulted from the lab."""
    if setup is None:
        return None
    if setup.ip and setup.netmask and not log.has_problem(f"{path}.ip") and not log.has_problem(f"{path}.netmask"):
        network = ipaddress.IPv4Network(f"{setup.ip}/{setup.netmask}", strict=False)
        shown = f"{network} (ip {setup.ip}, netmask {setup.netmask})"
        if network.prefixlen < 31 and ipaddress.IPv4Address(setup.ip) in (network.network_address,
                                                                          network.broadcast_address):
            log.add(f"{path}.ip", f"{setup.ip} is not a host address in {network}; pick one such as "
                                  "Fuel 6.0's default 10.20.0.2 in 10.20.0.0/24")
        if setup.gateway and not log.has_problem(f"{path}.gateway"):
            if ipaddress.IPv4Address(setup.gateway) not in network:
                log.add(f"{path}.gateway", f"{setup.gateway} is outside the admin network {shown}")
            elif setup.gateway == setup.ip:
                log.add(f"{path}.gateway", f"{setup.gateway} is the master's own address")
        _check_overlap(log, path, network, environment)
    if not setup.dns:
        log.add(f"{path}.dns", "needs at least one DNS server (the installer's dns1)")
    if not 1 <= len(setup.ntp) <= 3 and not log.has_problem(f"{path}.ntp"):
        log.add(f"{path}.ntp", f"lists {len(setup.ntp)} NTP servers; fuelmenu keeps one to three (NTP1-NTP3 in "
                               "/etc/fuel/astute.yaml)")
    reasons = experimental_reasons(environment, nodes)
    groups = setup.feature_groups
    if not groups:
        groups = needed_groups(environment, nodes)
    elif reasons and "experimental" not in groups:
        log.add(f"{path}.feature_groups", f"lacks experimental, which the lab needs ({'; '.join(reasons)})",
                allowed=FEATURE_GROUPS)
    return MasterSetup(ip=setup.ip, netmask=setup.netmask, gateway=setup.gateway, dns=setup.dns, ntp=setup.ntp,
                       hostname=setup.hostname, root_password=setup.root_password, feature_groups=groups,
                       ssh_port=setup.ssh_port)


def _check_overlap(log: ProblemLog, path: str, admin: ipaddress.IPv4Network, environment: Environment | None) -> None:
    for network in (environment.networks or ()) if environment is not None else ():
        if network is None or not network.cidr:
            continue
        try:
            other = ipaddress.IPv4Network(network.cidr, strict=False)
        except ValueError:
            continue
        if admin.overlaps(other):
            log.add(f"{path}.ip", f"the admin network {admin} overlaps the {network.name} network {other}; "
                                  "Fuel's admin (PXE) network must stand alone")


def _text(section: Section, key: str, default: str, check: Check) -> str:
    if not section.has(key):
        return default
    return section.text(key, check=check) or ""


def _netmask_problem(text: str) -> str | None:
    try:
        prefix = ipaddress.IPv4Network(f"0.0.0.0/{text}").prefixlen
    except ValueError:
        return "is not a netmask (expected e.g. 255.255.255.0)"
    return None if 8 <= prefix <= 30 else f"leaves /{prefix}; the admin network needs room for the master and nodes"


def _hostname_problem(text: str) -> str | None:
    if _HOSTNAME.fullmatch(text):
        return None
    return "is not a fully qualified host name (expected e.g. fuel.domain.tld; fuelmenu wants a domain)"


def _ntp_problem(text: str) -> str | None:
    return None if _NTP_SERVER.fullmatch(text) else (
        "is not an NTP server name or address (fuelmenu allows letters, digits, - and . under 255 characters)")


def _port_problem(port: int) -> str | None:
    return None if 1 <= port <= 65535 else f"{port} is not a TCP port (1–65535)"
