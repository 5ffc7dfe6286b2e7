"""The ``environment`` section: what the Fuel wizard and Settings tab are told.

Mirrors the article's order: release, mode, compute, networking, storage, additional
services, then the Settings tab and the Networks tab (``labspec.addressing``).
"""
from __future__ import annotations

import re

from labspec.addressing import NETWORKS_FIELDS, check_floating, ipv4_problem, read_networks, read_range
from labspec.reader import Reader
from labspec.section import Section
from labspec.fuel60 import (COMPUTES, IMAGE_BACKENDS, MODES, NETWORK_MANAGERS, NETWORK_PROVIDERS,
                            PROVISIONING, SERVICES, SYSLOG_TRANSPORTS, VOLUME_BACKENDS)
from labspec.model import RELEASES, Environment, Settings, draft

ENVIRONMENT_FIELDS = ("name", "release", "release_version", "mode", "compute", "network_provider",
                      "network_manager", "storage", "services", "settings", "networks",
                      "dns_servers", "floating_range")
STORAGE_FIELDS = ("volumes", "images")
SETTINGS_FIELDS = ("openstack_password", "public_key", "syslog_host", "syslog_port",
                   "syslog_transport", "glance_vcenter_datastore", "zabbix_password", "provisioning")
DEFAULT_DNS = ("8.8.4.4", "8.8.8.8")   # Fuel 6.0's own defaults
_HOST = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]{0,62}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*")


def read_environment(reader: Reader, section: Section | None) -> Environment | None:
    """Read ``environment``; None when the section itself is missing or no mapping."""
    if section is None:
        return None
    release = section.choice("release", tuple(RELEASES), noun="release")
    storage = section.section("storage", STORAGE_FIELDS)
    environment = draft(
        Environment,
        name=section.text("name"),
        release=release,
        release_version=_release_version(reader, section, release),
        mode=section.choice("mode", MODES, noun="mode"),
        compute=section.choice("compute", COMPUTES, noun="compute (hypervisor)"),
        network_provider=section.choice("network_provider", NETWORK_PROVIDERS,
                                        noun="network provider", default="nova_network"),
        network_manager=section.choice("network_manager", NETWORK_MANAGERS, noun="network manager"),
        volumes=storage.choice("volumes", VOLUME_BACKENDS, noun="volume backend") if storage else None,
        images=storage.choice("images", IMAGE_BACKENDS, noun="image backend") if storage else None,
        services=section.texts("services", allowed=SERVICES, noun="service"),
        settings=_settings(reader, section.section("settings", SETTINGS_FIELDS)),
        networks=read_networks(reader, section.section("networks", NETWORKS_FIELDS)),
        dns_servers=section.texts("dns_servers", check=ipv4_problem) or DEFAULT_DNS,
        floating_range=read_range(reader, section, "floating_range"),
    )
    check_floating(reader.log, section.at("floating_range"), environment.floating_range,
                   environment.networks)
    _check_choices(reader, section, environment)
    return environment


def _release_version(reader: Reader, section: Section, release: str | None) -> str | None:
    version = section.text("release_version", required=False)
    if release is None:
        return version
    expected = RELEASES[release]
    if version is not None and version != expected:
        reader.log.add(section.at("release_version"),
                       f"'{version}' does not match release '{release}', which Fuel 6.0 ships "
                       f"as {expected}", allowed=tuple(sorted(set(RELEASES.values()))))
        return None
    return expected   # may be left out: the release names its version


def _settings(reader: Reader, section: Section | None) -> Settings | None:
    if section is None:
        return None
    return draft(
        Settings,
        openstack_password=section.secret("openstack_password", variable="OPENSTACK_PASSWORD"),
        public_key=section.text("public_key", required=False),
        syslog_host=section.text("syslog_host", required=False, check=_host_problem),
        syslog_port=section.integer("syslog_port", default=514, check=_port_problem),
        syslog_transport=section.choice("syslog_transport", SYSLOG_TRANSPORTS,
                                        noun="syslog transport", default="tcp"),
        glance_vcenter_datastore=section.text("glance_vcenter_datastore", required=False),
        zabbix_password=section.secret("zabbix_password", variable="ZABBIX_PASSWORD", required=False),
        provisioning=section.choice("provisioning", PROVISIONING, noun="provisioning method",
                                    default="image"),
    )


def _check_choices(reader: Reader, section: Section, env: Environment) -> None:
    """Combinations the Fuel 6.0 wizard greys out."""
    log = reader.log
    services = env.services or ()
    if "murano" in services and env.network_provider == "nova_network":
        log.add(section.at("services"), "murano needs neutron (with vCenter, NSX-mh); this "
                                        "environment uses nova_network")
    if env.compute is not None and env.compute != "vcenter":
        if env.volumes == "vmdk":
            log.add(section.at("storage.volumes"), "volumes: vmdk needs compute: vcenter")
        if env.images == "vcenter":
            log.add(section.at("storage.images"), "images: vcenter needs compute: vcenter")
    if env.images == "vcenter" and env.settings is not None and not env.settings.glance_vcenter_datastore:
        log.add(section.at("settings.glance_vcenter_datastore"),
                "images: vcenter needs the datastore Glance stores images in")


def _host_problem(text: str) -> str | None:
    if ipv4_problem(text) is None:
        return None
    # all digits and dots is a mistyped address, never a host name
    if len(text) <= 253 and _HOST.fullmatch(text) and not re.fullmatch(r"[\d.]+", text):
        return None
    return "is not an IPv4 address or host name"


def _port_problem(port: int) -> str | None:
    return None if 1 <= port <= 65535 else f"port {port} is outside 1–65535"
