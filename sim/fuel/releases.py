"""The two stock Fuel 6.0 releases (``nailgun/fixtures/openstack.yaml`` at the 6.0 tag).

Roles, conflicts, restrictions and network metadata follow the fixture; long descriptions are
kept because the UI (and the bot's help texts) show them.
"""
from __future__ import annotations

import copy
from typing import Any

from sim.fuel.attributes import default_editable, generated_metadata
from sim.fuel.errors import not_found
from sim.fuel.records import is_id

VERSION = "2014.2-6.0"
ROLES = ("controller", "compute", "cinder", "ceph-osd", "mongo", "zabbix-server")
MODES_METADATA = {
    "ha_compact": {"description": (
        "This configuration Deploys OpenStack ready for high availability (HA). Controller services "
        "are prepared for HA by setting up a base MySQL/Galera, RabbitMQ and HAProxy so that additional "
        "controllers can be deployed NOW, or scaled out LATER. 3 or more controllers are required for a "
        "true HA environment.")},
    "multinode": {"description": (
        "In this configuration the OpenStack controller is deployed separately from the compute and "
        "cinder nodes. This mode assumes the presence of 1 controller node and 1 or more compute/cinder "
        "nodes. You can add more nodes to scale your cloud later.")},
}
ROLES_METADATA: dict[str, dict[str, Any]] = {
    "controller": {"name": "Controller", "conflicts": ["compute"], "update_required": ["compute", "cinder"],
                   "has_primary": True, "description": (
                       "The controller initiates orchestration activities and provides an external API.  "
                       "Other components like Glance (image storage), Keystone (identity management), "
                       "Horizon (OpenStack dashboard) and Nova-Scheduler are installed on the controller "
                       "as well.")},
    "compute": {"name": "Compute", "description": (
        "A compute node creates, manages and terminates virtual machine instances."),
        "restrictions": [{"condition": "settings:common.libvirt_type.value == 'vcenter'",
                          "message": "Computes cannot be used with vCenter"}]},
    "cinder": {"name": "Storage - Cinder", "description": (
        "Cinder provides scheduling of block storage resources, typically delivered over iSCSI, VMWare "
        "vCenter, and other compatible backend storage systems. Block storage can be used for database "
        "storage, expandable file systems, or providing a server with access to raw block level devices."),
        "restrictions": [{"condition": "settings:storage.volumes_lvm.value == false and "
                                       "settings:storage.volumes_vmdk.value == false",
                          "message": "Cinder LVM or VMDK should be enabled in settings"}]},
    "ceph-osd": {"name": "Storage - Ceph OSD", "update_once": ["controller"], "description": (
        "Ceph storage can be configured to provide storage for block volumes (Cinder), images (Glance) "
        "and ephemeral instance storage (Nova). It can also provide object storage through the S3 and "
        "Swift API (See settings to enable each)."),
        "restrictions": [{"condition": "settings:common.libvirt_type.value == 'vcenter'",
                          "message": "Ceph cannot be used with vCenter"}]},
    "mongo": {"name": "Telemetry - MongoDB", "conflicts": ["compute", "ceph-osd"], "description": (
        "A feature-complete and recommended database for storage of metering data from OpenStack "
        "Telemetry (Ceilometer)."),
        "restrictions": [{"condition": "cluster:status == 'operational'",
                          "message": "MongoDB node can not be added to an operational environment."},
                         {"condition": "settings:additional_components.ceilometer.value != true",
                          "message": "Ceilometer should be enabled."}]},
    "zabbix-server": {"name": "Zabbix Server", "description": "Zabbix monitoring system server.",
                      "conflicts": ["controller", "compute", "cinder", "ceph-osd", "mongo"],
                      "restrictions": [{"condition": "not ('experimental' in version:feature_groups)",
                                        "action": "hide"}]},
}


def _net(name: str, *, cidr: str | None = None, vlan: int | None = None, notation: str | None = "cidr",
         priority: int = 2, **extra: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "cidr": cidr, "vlan_start": vlan, "use_gateway": False,
                            "notation": notation, "render_type": "cidr" if notation == "cidr" else None,
                            "map_priority": priority, "configurable": True, "assign_vip": False}
    meta.update(extra)
    return meta


def _networks(provider: str) -> list[dict[str, Any]]:
    public_last = "172.16.0.127" if provider == "nova_network" else "172.16.0.126"
    public = _net("public", cidr="172.16.0.0/24", notation="ip_ranges", priority=1, gateway="172.16.0.1",
                  ip_range=["172.16.0.2", public_last], use_gateway=True, render_type=None,
                  render_addr_mask="public", assign_vip=True)
    if provider == "neutron":
        public["floating_range_var"] = "floating_ranges"
    management = _net("management", cidr="192.168.0.0/24", vlan=101, render_addr_mask="internal",
                      assign_vip=True)
    storage = _net("storage", cidr="192.168.1.0/24", vlan=102, render_addr_mask="storage")
    if provider == "nova_network":
        last = _net("fixed", notation=None, render_type=None, render_addr_mask=None, configurable=False,
                    ext_net_data=["fixed_networks_vlan_start", "fixed_networks_amount"])
    else:
        last = _net("private", notation=None, render_type=None, render_addr_mask=None, configurable=False,
                    seg_type="vlan", neutron_vlan_range=True)
    return [public, management, storage, last]


NETWORKS_METADATA: dict[str, Any] = {
    "nova_network": {"networks": _networks("nova_network"), "config": {
        "net_manager": "FlatDHCPManager", "fixed_networks_cidr": "10.0.0.0/16",
        "fixed_networks_vlan_start": 103, "fixed_network_size": 256, "fixed_networks_amount": 1,
        "floating_ranges": [["172.16.0.128", "172.16.0.254"]], "dns_nameservers": ["8.8.4.4", "8.8.8.8"]}},
    "neutron": {"networks": _networks("neutron"), "config": {
        "vlan_range": [1000, 1030], "gre_id_range": [2, 65535], "base_mac": "fa:16:3e:00:00:00",
        "internal_cidr": "192.168.111.0/24", "internal_gateway": "192.168.111.1",
        "floating_ranges": [["172.16.0.130", "172.16.0.254"]], "dns_nameservers": ["8.8.4.4", "8.8.8.8"]}},
}

_RELEASES: dict[int, dict[str, Any]] = {
    1: {"name": "Juno on CentOS 6.5", "operating_system": "CentOS", "os": "centos", "description": (
        "This option will install the OpenStack Juno packages using a CentOS based operating system. "
        "With high availability features built in, you are getting a robust, enterprise-grade OpenStack "
        "deployment.")},
    2: {"name": "Juno on Ubuntu 12.04.4", "operating_system": "Ubuntu", "os": "ubuntu", "description": (
        "This option will install the OpenStack Juno packages using Ubuntu as a base operating system. "
        "With high availability features built in, you are getting a robust, enterprise-grade OpenStack "
        "deployment.")},
}


def release_ids() -> list[int]:
    return sorted(_RELEASES)


def exists(release_id: Any) -> bool:
    return is_id(release_id) and release_id in _RELEASES


def name(release_id: int) -> str:
    return str(_RELEASES[release_id]["name"])


def operating_system(release_id: int) -> str:
    return str(_RELEASES[release_id]["operating_system"])


def networks_metadata(release_id: int) -> dict[str, Any]:
    """A fresh copy of the release's ``networks_metadata``."""
    if release_id not in _RELEASES:
        raise not_found("Release")
    return copy.deepcopy(NETWORKS_METADATA)


def release_json(release_id: int) -> dict[str, Any]:
    """``GET /api/releases/<id>`` for a stock release."""
    if release_id not in _RELEASES:
        raise not_found("Release")
    spec = _RELEASES[release_id]
    os_dir = spec["os"] + "/x86_64" + (" precise main" if spec["os"] == "ubuntu" else "")
    return {
        "id": release_id, "name": spec["name"], "version": VERSION, "can_update_from_versions": [],
        "description": spec["description"], "operating_system": spec["operating_system"],
        "state": "available", "is_deployable": True,
        "modes_metadata": copy.deepcopy(MODES_METADATA), "roles": list(ROLES),
        "roles_metadata": copy.deepcopy(ROLES_METADATA), "wizard_metadata": {},
        "attributes_metadata": {"editable": default_editable(spec["operating_system"]),
                                "generated": generated_metadata(spec["operating_system"])},
        "orchestrator_data": {
            "repo_metadata": {VERSION: f"http://10.20.0.2:8080/{VERSION}/{os_dir}"},
            "puppet_manifests_source": f"rsync://10.20.0.2:/puppet/{VERSION}/manifests/",
            "puppet_modules_source": f"rsync://10.20.0.2:/puppet/{VERSION}/modules/"},
    }
