"""The lab spec, written onto Fuel's Settings and Networks tabs (pure functions, no I/O).

Each ``apply_*`` mutates Fuel's JSON in place and returns the names of what it changed, so a
step can skip the PUT when nothing differs (re-running a deploy on a deployed lab must not try
to change a locked environment).
"""
from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

from labspec.model import Lab

SERVICES = ("sahara", "murano", "ceilometer")


def _set(tree: dict[str, Any], group: str, key: str, value: Any, changed: list[str]) -> None:
    """Set ``tree[group][key].value`` when the field exists and differs."""
    field = tree.get(group, {}).get(key)
    if not isinstance(field, dict) or field.get("value") == value:
        return
    field["value"] = value
    changed.append(f"{group}.{key}")


def apply_settings(lab: Lab, editable: dict[str, Any]) -> list[str]:
    """Write the spec's settings (Settings tab and the wizard's choices) into ``editable``."""
    env, settings, vc = lab.environment, lab.environment.settings, lab.vcenter
    vcenter_host = urlsplit(vc.url).hostname or vc.url
    changed: list[str] = []
    _set(editable, "access", "password", settings.openstack_password, changed)
    _set(editable, "common", "libvirt_type", env.compute, changed)
    _set(editable, "common", "auth_key", settings.public_key or "", changed)
    if env.compute == "vcenter":
        _set(editable, "vcenter", "host_ip", vcenter_host, changed)
        _set(editable, "vcenter", "vc_user", vc.user, changed)
        _set(editable, "vcenter", "vc_password", vc.password, changed)
        _set(editable, "vcenter", "cluster", vc.cluster, changed)
    if settings.syslog_host:
        _set(editable, "syslog", "syslog_server", settings.syslog_host, changed)
        _set(editable, "syslog", "syslog_port", str(settings.syslog_port), changed)
        _set(editable, "syslog", "syslog_transport", settings.syslog_transport, changed)
    _set(editable, "storage", "volumes_lvm", env.volumes == "lvm", changed)
    _set(editable, "storage", "volumes_vmdk", env.volumes == "vmdk", changed)
    _set(editable, "storage", "volumes_ceph", env.volumes == "ceph", changed)
    _set(editable, "storage", "images_ceph", env.images == "ceph", changed)
    _set(editable, "storage", "images_vcenter", env.images == "vcenter", changed)
    if env.images == "vcenter":
        _set(editable, "storage", "vc_host", vcenter_host, changed)
        _set(editable, "storage", "vc_user", vc.user, changed)
        _set(editable, "storage", "vc_password", vc.password, changed)
        _set(editable, "storage", "vc_datacenter", vc.datacenter, changed)
        _set(editable, "storage", "vc_datastore", settings.glance_vcenter_datastore or vc.datastore, changed)
    for service in SERVICES:
        _set(editable, "additional_components", service, service in env.services, changed)
    if settings.zabbix_password:
        _set(editable, "zabbix", "password", settings.zabbix_password, changed)
    _set(editable, "provision", "method", settings.provisioning, changed)
    _set(editable, "external_dns", "dns_list", ", ".join(env.dns_servers), changed)
    return changed


def _ip_range(cidr: str, gateway: str | None) -> list[str]:
    """Fuel's default range for a network: everything after the gateway (or the first host)."""
    net = ipaddress.ip_network(cidr, strict=False)
    hosts = list(net.hosts())
    start = 1 if gateway or len(hosts) < 2 else 0
    return [str(hosts[start]), str(hosts[-1])]


def apply_networks(lab: Lab, config: dict[str, Any]) -> list[str]:
    """Write the spec's networks and nova-network manager into Fuel's network configuration."""
    env = lab.environment
    changed: list[str] = []
    wanted = {n.name: n for n in env.networks}
    for group in config.get("networks", []):
        spec = wanted.get(group.get("name"))
        if spec is None or group.get("name") == "fuelweb_admin":
            continue
        values: dict[str, Any] = {"cidr": spec.cidr, "vlan_start": spec.vlan}
        if group["name"] != "fixed":
            values["gateway"] = spec.gateway or ""
            default = _public_range(spec.cidr) if group["name"] == "public" else _ip_range(spec.cidr, spec.gateway)
            first, last = spec.ip_range or default
            values["ip_ranges"] = [[first, last]]
        if group["name"] == "fixed":
            values.pop("cidr")  # nova-network's fixed network is described by networking_parameters
        for key, value in values.items():
            if group.get(key) != value:
                group[key] = value
                changed.append(f"{group['name']}.{key}")
    params = config.setdefault("networking_parameters", {})
    fixed = wanted.get("fixed")
    wanted_params: dict[str, Any] = {"net_manager": env.network_manager,
                                     "dns_nameservers": list(env.dns_servers)}
    if fixed is not None:
        size = ipaddress.ip_network(fixed.cidr, strict=False).num_addresses
        wanted_params.update(fixed_networks_cidr=fixed.cidr, fixed_network_size=size, fixed_networks_amount=1)
        if fixed.vlan is not None:
            wanted_params["fixed_networks_vlan_start"] = fixed.vlan
    if env.floating_range:
        wanted_params["floating_ranges"] = [list(env.floating_range)]
    else:
        public = wanted.get("public")
        if public is not None and not params.get("floating_ranges"):
            wanted_params["floating_ranges"] = [_floating_default(public.cidr)]
    for key, value in wanted_params.items():
        if params.get(key) != value:
            params[key] = value
            changed.append(f"networking_parameters.{key}")
    return changed


def _public_range(public_cidr: str) -> list[str]:
    """The lower half of the public network (after the gateway): the nodes' public IPs."""
    hosts = list(ipaddress.ip_network(public_cidr, strict=False).hosts())
    return [str(hosts[1]), str(hosts[len(hosts) // 2 - 1])]


def _floating_default(public_cidr: str) -> list[str]:
    """The upper half of the public network, as Fuel's default floating range is."""
    hosts = list(ipaddress.ip_network(public_cidr, strict=False).hosts())
    return [str(hosts[len(hosts) // 2]), str(hosts[-1])]
