"""Cluster settings: the 6.0 ``editable`` tree, the ``generated`` secrets, and their update rules.

The tree mirrors ``attributes_metadata.editable`` of the 6.0 ``openstack.yaml`` group by group
(access, vcenter, nsx_plugin, additional_components, common, public_network_assignment,
corosync, syslog, zabbix, provision, external_dns, external_ntp, kernel_params, storage and,
on CentOS, vlan_splinters); labels are shortened where they only explain themselves.
"""
from __future__ import annotations

import copy
import secrets
import string
from typing import Any

from sim.fuel.errors import bad_request

_IPV4 = r"^(([\d]|[1-9][\d]|1[\d]{2}|2[0-4][\d]|25[0-5])\.){3}([\d]|[1-9][\d]|1[\d]{2}|2[0-4][\d]|25[0-5])$"
_NON_EMPTY = r"\S"
_HIDE_UNLESS_VCENTER = [{"condition": "settings:common.libvirt_type.value != 'vcenter'", "action": "hide"}]
_GLANCE_VCENTER = [{"condition": "settings:storage.images_vcenter.value == false or "
                                 "settings:common.libvirt_type.value != 'vcenter'", "action": "hide"}]
_EXPERIMENTAL_ONLY = [{"condition": "not ('experimental' in version:feature_groups)", "action": "hide"}]


def _field(kind: str, value: Any, label: str, weight: int, description: str = "", **extra: Any) -> dict[str, Any]:
    item = {"value": value, "label": label, "description": description, "weight": weight, "type": kind}
    item.update({k: v for k, v in extra.items() if v is not None})
    return item


def _text(value: Any, label: str, weight: int, description: str = "", regex: str | None = None,
          error: str | None = None, **extra: Any) -> dict[str, Any]:
    return _field("text", value, label, weight, description,
                  regex={"source": regex, "error": error} if regex else None, **extra)


def _password(value: str, label: str, weight: int, description: str = "", **extra: Any) -> dict[str, Any]:
    item = _text(value, label, weight, description, **extra)
    item["type"] = "password"
    return item


def _check(value: bool, label: str, weight: int, description: str = "", **extra: Any) -> dict[str, Any]:
    return _field("checkbox", value, label, weight, description, **extra)


def _radio(value: str, label: str, weight: int, values: list[tuple[str, str]], **extra: Any) -> dict[str, Any]:
    return _field("radio", value, label, weight, values=[{"data": d, "label": lbl, "description": ""}
                                                          for d, lbl in values], **extra)


def _meta(label: str, weight: int, **extra: Any) -> dict[str, Any]:
    return {"label": label, "weight": weight, **extra}


def default_editable(operating_system: str = "CentOS") -> dict[str, Any]:
    """A fresh copy of the release's default ``editable`` settings tree."""
    tree: dict[str, Any] = {
        "access": {"metadata": _meta("Access", 10),
                   "user": _text("admin", "username", 10, "Username for Administrator"),
                   "password": _password("admin", "password", 20, "Password for Administrator"),
                   "tenant": _text("admin", "tenant", 30, "Tenant (project) name for Administrator"),
                   "email": _text("admin@localhost", "email", 40, "Email address for Administrator")},
        "vcenter": {"metadata": _meta("vCenter", 20, restrictions=_HIDE_UNLESS_VCENTER),
                    "use_vcenter": _field("hidden", True, "", 5),
                    "host_ip": _text("", "vCenter IP", 10, "IP Address of vCenter", _IPV4,
                                     "Specify valid IPv4 address"),
                    "vc_user": _text("", "Username", 20, "vCenter admin username", _NON_EMPTY, "Empty username"),
                    "vc_password": _password("", "Password", 30, "vCenter admin password",
                                             regex={"source": _NON_EMPTY, "error": "Empty password"}),
                    "cluster": _text("", "Cluster", 40, "vCenter cluster name. If you have multiple clusters, "
                                     "use comma to separate names",
                                     r"^([^,\ ]+([\ ]*[^,\ ])*)(,[^,\ ]+([\ ]*[^,\ ])*)*$", "Invalid cluster list"),
                    "datastore_regex": _text("", "Datastore regexp", 50, "The Datastore regexp setting "
                                             "specifies the data stores to use with Compute.",
                                             r"^(\S.*\S|\S|)$", "Invalid datastore regexp"),
                    "vlan_interface": _text("", "ESXi VLAN interface", 60, "Physical ESXi host ethernet "
                                            "adapter for VLAN networking (e.g. vmnic1)")},
        "nsx_plugin": {"metadata": _meta("VMware NSX", 20, enabled=False, restrictions=[
            {"condition": "cluster:net_provider != 'neutron' or networking_parameters:net_l23_provider != 'nsx'",
             "action": "hide"}]),
            "nsx_username": _text("admin", "NSX username", 20), "nsx_password": _password("", "NSX password", 30),
            "transport_zone_uuid": _text("", "Transport zone UUID", 40),
            "l3_gw_service_uuid": _text("", "L3 service UUID", 50),
            "nsx_controllers": _text("", "NSX controller endpoint", 60),
            "packages_url": _text("", "URL to NSX bits", 70),
            "connector_type": _field("select", "stt", "NSX connector type", 80, values=[
                {"data": d, "label": d} for d in ("gre", "ipsec_gre", "stt", "ipsec_stt", "bridge")]),
            "replication_mode": _check(True, "NSX cluster has Service nodes", 90)},
        "additional_components": {"metadata": _meta("Additional Components", 20),
                                  "sahara": _check(False, "Install Sahara", 10),
                                  "murano": _check(False, "Install Murano", 20,
                                                   restrictions=["cluster:net_provider != 'neutron'"]),
                                  "heat": _field("hidden", True, "", 30),
                                  "ceilometer": _check(False, "Install Ceilometer", 40)},
        "common": {"metadata": _meta("Common", 30),
                   "debug": _check(False, "OpenStack debug logging", 20),
                   "nova_quota": _check(False, "Nova quotas", 25),
                   "libvirt_type": _radio("qemu", "Hypervisor type", 30,
                                          [("kvm", "KVM"), ("qemu", "QEMU"), ("vcenter", "vCenter")]),
                   "auto_assign_floating_ip": _check(False, "Auto assign floating IP", 40,
                                                     restrictions=["cluster:net_provider == 'neutron'"]),
                   "compute_scheduler_driver": _radio(
                       "nova.scheduler.filter_scheduler.FilterScheduler", "Scheduler driver", 40,
                       [("nova.scheduler.filter_scheduler.FilterScheduler", "Filter scheduler"),
                        ("nova.scheduler.simple.SimpleScheduler", "Simple scheduler")]),
                   "use_cow_images": _check(True, "Use qcow format for images", 50),
                   "resume_guests_state_on_host_boot": _check(True, "Resume guests state on host boot", 60),
                   "auth_key": _text("", "Public Key", 70, "Public key(s) to include in authorized_keys on "
                                     "deployed nodes"),
                   "disable_offload": _check(True, "Disable generic offload on physical nics", 80)},
        "public_network_assignment": {
            "metadata": _meta("Public network assignment", 50, restrictions=[
                {"condition": "cluster:net_provider != 'neutron'", "action": "hide"}]),
            "assign_to_all_nodes": _check(False, "Assign public network to all nodes", 10)},
        "corosync": {"metadata": _meta("Corosync", 50, restrictions=[{"condition": "true", "action": "hide"}]),
                     "group": _text("226.94.1.1", "Group", 10), "port": _text("12000", "Port", 20),
                     "verified": _check(False, "Need to pass network verification.", 10)},
        "syslog": {"metadata": _meta("Syslog", 50),
                   "syslog_server": _text("", "Hostname", 10, "Remote syslog hostname"),
                   "syslog_port": _text("514", "Port", 20, "Remote syslog port",
                                        "^([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}"
                                        "|655[0-2][0-9]|6553[0-5])$", "Invalid Syslog port"),
                   "syslog_transport": _radio("tcp", "Syslog transport protocol", 30, [("udp", "UDP"), ("tcp", "TCP")])},
        "zabbix": {"metadata": _meta("Zabbix Access", 70, restrictions=_EXPERIMENTAL_ONLY),
                   "username": _text("admin", "username", 10, "Username for Zabbix Administrator"),
                   "password": _password("zabbix", "password", 20, "Password for Zabbix Administrator")},
        "provision": {"metadata": _meta("Provision", 80, restrictions=_EXPERIMENTAL_ONLY),
                      "method": _radio("cobbler", "Provision method", 10, [
                          ("image", "Image"), ("cobbler", "Classic (use anaconda or debian-installer)")])},
        "external_dns": {"metadata": _meta("Upstream DNS", 90),
                         "dns_list": _text("8.8.8.8", "DNS list", 10, "List of upstream DNS servers, "
                                           "separated by comma")},
        "external_ntp": {"metadata": _meta("Upstream NTP", 100),
                         "ntp_list": _text("0.pool.ntp.org, 1.pool.ntp.org", "NTP servers list", 10,
                                           "List of upstream NTP servers, separated by comma")},
        "kernel_params": {"metadata": _meta("Kernel parameters", 40),
                          "kernel": _text("console=ttyS0,9600 console=tty0 rootdelay=90 nomodeset",
                                          "Initial parameters", 45, "Default kernel parameters")},
        "storage": {"metadata": _meta("Storage", 60),
                    "volumes_lvm": _check(True, "Cinder LVM over iSCSI for volumes", 10),
                    "iser": _check(False, "iSER protocol for volumes (Cinder)", 11),
                    "volumes_vmdk": _check(False, "VMware vCenter for volumes (Cinder)", 15),
                    "volumes_ceph": _check(False, "Ceph RBD for volumes (Cinder)", 20),
                    "images_ceph": _check(False, "Ceph RBD for images (Glance)", 30),
                    "images_vcenter": _check(False, "VMWare vCenter/ESXi datastore for images (Glance)", 35),
                    "vc_host": _text("", "vCenter/ESXi IP", 45, "IP Address of vCenter/ESXi", _IPV4,
                                     "Specify valid IPv4 address", restrictions=_GLANCE_VCENTER),
                    "vc_user": _text("", "Username", 50, "vCenter/ESXi admin username", restrictions=_GLANCE_VCENTER),
                    "vc_password": _password("", "Password", 55, "vCenter/ESXi admin password",
                                             restrictions=_GLANCE_VCENTER),
                    "vc_datastore": _text("", "Datastore name", 60, restrictions=_GLANCE_VCENTER),
                    "vc_datacenter": _text("", "Datacenter name", 65, restrictions=_GLANCE_VCENTER),
                    "vc_image_dir": _text("/openstack_glance", "Datastore Images directory", 70,
                                          restrictions=_GLANCE_VCENTER),
                    "ephemeral_ceph": _check(False, "Ceph RBD for ephemeral volumes (Nova)", 75),
                    "objects_ceph": _check(False, "Ceph RadosGW for objects (Swift API)", 80),
                    "osd_pool_size": _text("2", "Ceph object replication factor", 85, "", r"^[1-9]\d*$",
                                           "Invalid number")},
    }
    if operating_system == "CentOS":
        tree["kernel_params"]["kernel"]["value"] = ("console=ttyS0,9600 console=tty0 biosdevname=0 "
                                                    "crashkernel=none rootdelay=90 nomodeset")
        tree["vlan_splinters"] = {"metadata": _meta("VLAN Splinters", 50, toggleable=True, enabled=False),
                                  "vswitch": _radio("disabled", "Open VSwitch VLAN Splinters feature", 55,
                                                    [("soft", "soft trunks"), ("hard", "hard trunks"),
                                                     ("kernel_lt", "Fedora longterm kernel")])}
    return tree


_GENERATED_PASSWORDS = {"mysql": ["root_password"], "keystone": ["db_password", "admin_token"],
                        "glance": ["db_password", "user_password"], "nova": ["db_password", "user_password"],
                        "rabbit": ["password"], "swift": ["user_password"],
                        "cinder": ["db_password", "user_password"], "sahara": ["user_password", "db_password"],
                        "murano": ["user_password", "rabbit_password", "db_password"],
                        "heat": ["user_password", "rabbit_password", "db_password"],
                        "ceilometer": ["db_password", "user_password", "metering_secret"],
                        "zabbix": ["db_password", "db_root_password"]}


def generated_metadata(operating_system: str) -> dict[str, Any]:
    """The release's ``generated`` metadata: generator descriptions, not values."""
    tree: dict[str, Any] = {group: {key: {"generator": "password"} for key in keys}
                            for group, keys in _GENERATED_PASSWORDS.items()}
    tree["cobbler"] = {"profile": {"generator": "identical",
                                   "generator_arg": "centos-x86_64" if operating_system == "CentOS"
                                   else "ubuntu_1204_x86_64"}}
    return tree


def generate(operating_system: str) -> dict[str, Any]:
    """A cluster's ``generated`` attributes: fresh passwords, as Nailgun makes them at creation."""
    alphabet = string.ascii_letters + string.digits
    tree: dict[str, Any] = {group: {key: "".join(secrets.choice(alphabet) for _ in range(24)) for key in keys}
                            for group, keys in _GENERATED_PASSWORDS.items()}
    tree["nova"]["state_path"] = "/var/lib/nova"
    tree["cobbler"] = {"profile": generated_metadata(operating_system)["cobbler"]["profile"]["generator_arg"]}
    tree["base_syslog"] = {"syslog_server": "10.20.0.2", "syslog_port": "514"}
    return tree


def deep_merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """Nailgun's ``dict_merge``: nested dicts merge, everything else in ``patch`` replaces."""
    result = copy.deepcopy(base)
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = deep_merge(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def validate_update(data: Any) -> dict[str, Any]:
    """``AttributesValidator.validate``: the body of an attributes PUT or PATCH."""
    if not isinstance(data, dict):
        raise bad_request("Invalid json received")
    if "generated" in data:
        raise bad_request("It is not allowed to update generated attributes")
    if "editable" in data and not isinstance(data["editable"], dict):
        raise bad_request("Editable attributes should be a dictionary")
    return data


def value(editable: dict[str, Any], group: str, name: str, default: Any = None) -> Any:
    """A setting's value, tolerating the half-filled trees clients send."""
    item = editable.get(group, {}).get(name) if isinstance(editable.get(group), dict) else None
    if isinstance(item, dict):
        return item.get("value", default)
    return default
