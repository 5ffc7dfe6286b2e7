"""The master's operating system as root sees it: files, root's password, host key, containers.

A fresh install (``reinstall``) writes what 6.0 writes: ``/etc/fuel/version.yaml`` (fuel-main
``iso/module.mk``: ``VERSION:`` with ``feature_groups`` first), ``/etc/fuel/astute.yaml``
(fuelmenu's ``settings.yaml`` defaults, with the address, gateway, DNS and hostname the boot
parameters gave), ``/etc/ntp.conf`` from its NTP1..NTP3 with ntpd started on it (see
:mod:`sim.fuel.ntp`), root's password ``r00tme`` (``iso/ks.template``: ``rootpw r00tme``) and a new
SSH host key. Nailgun reads ``version.yaml`` when its container starts, so an edited
``feature_groups`` shows in ``/api/version`` only after ``dockerctl restart nailgun``.
Callers hold the engine's lock.
"""
from __future__ import annotations

from datetime import datetime

import yaml
import paramiko

from sim.fuel.config import SimConfig
from sim.fuel.master import BootParams
from sim.fuel.ntp import NTP_CONF, NTPD_PID, ntp_conf, servers_in

VERSION_YAML = "/etc/fuel/version.yaml"
ASTUTE_YAML = "/etc/fuel/astute.yaml"
SECURE_LOG = "/var/log/secure"
# fuel-library 6.0 deployment/puppet/docker/templates/dockerctl_config.erb CONTAINER_SEQUENCE
CONTAINERS = ("postgres", "rabbitmq", "keystone", "rsync", "astute", "rsyslog", "nailgun", "ostf", "nginx",
              "cobbler", "mcollective")
BUILD = {"build_number": "58", "build_id": "2014-12-26_14-21-46", "nailgun_sha": "5f91157",
         "astute_sha": "16b252d", "fuellib_sha": "fde8ba5", "ostf_sha": "a9afb68", "fuelmain_sha": "81d38d6"}


def version_yaml(groups: tuple[str, ...]) -> str:
    """The file as fuel-main's ``iso/module.mk`` writes it (echo lines, then the repos' shas)."""
    lines = ["VERSION:", "  feature_groups:", *(f"    - {g}" for g in groups),
             '  production: "docker"', '  release: "6.0"', '  api: "1.0"']
    lines += [f'  {key}: "{value}"' for key, value in BUILD.items()]
    return "\n".join(lines) + "\n"


def astute_yaml(params: BootParams) -> str:
    """fuelmenu ``--save-only`` with the defaults of fuel-web 6.0 ``fuelmenu/settings.yaml``."""
    short, _, domain = params.hostname.partition(".")
    network = params.ip.rsplit(".", 1)[0]
    data = {"HOSTNAME": short, "DNS_DOMAIN": domain or "domain.tld", "DNS_SEARCH": domain or "domain.tld",
            "DNS_UPSTREAM": params.dns1, "NTP1": "0.pool.ntp.org", "NTP2": "1.pool.ntp.org",
            "NTP3": "2.pool.ntp.org",
            "ADMIN_NETWORK": {"interface": "eth0", "ipaddress": params.ip, "netmask": params.netmask,
                              "cidr": f"{network}.0/24", "size": "256", "dhcp_pool_start": f"{network}.3",
                              "dhcp_pool_end": f"{network}.254"},
            "FUEL_ACCESS": {"user": "admin", "password": "admin"}}
    return yaml.safe_dump(data, default_flow_style=False)


def ntp_servers(params: BootParams) -> tuple[str, ...]:
    """NTP1..NTP3 of the astute.yaml an install writes (host-only.pp 6.0 passes all three to clocksync)."""
    data = yaml.safe_load(astute_yaml(params))
    return tuple(str(data[key]) for key in ("NTP1", "NTP2", "NTP3"))


class MasterHost:
    """Files, root's password, the host key and container restarts of one master."""

    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self.reinstall(BootParams(), now=0.0)

    def reinstall(self, params: BootParams, *, now: float) -> None:
        """The disk as a fresh install leaves it."""
        self.params = params
        self.files: dict[str, bytes] = {
            VERSION_YAML: version_yaml(tuple(self.config.feature_groups)).encode(),
            ASTUTE_YAML: astute_yaml(params).encode(),
            "/etc/hostname": (params.hostname + "\n").encode(),
            SECURE_LOG: b"",                        # sshd's authentication log (rsyslog, CentOS 6)
            NTP_CONF: ntp_conf(ntp_servers(params)).encode(),
        }
        self.mtimes: dict[str, float] = {}          # path -> when it was written (epoch), if since the install
        self.root_password = self.config.root_password
        self._host_key: paramiko.PKey | None = None
        self.nailgun_groups: tuple[str, ...] = tuple(self.config.feature_groups)
        self.nailgun_broken: str | None = None      # why nailgun would not start, after a restart
        self.restarting: dict[str, float] = {}      # container -> when it serves again
        self.started: dict[str, float] = {}         # container -> when it last (re)started, if since boot
        self.booted_at = now
        self.cobbler_syncs = 0                      # `cobbler sync` runs since the install (for tests)
        self.root_password_changes = 0
        self.last_pid = 1020                        # the pid the last process started got
        self.ntpd_pid: int | None = self.next_pid()  # ntpd, started at boot on the ntp.conf above
        self.ntpd_servers: tuple[str, ...] = servers_in(self.files[NTP_CONF].decode())
        self.files[NTPD_PID] = f"{self.ntpd_pid}\n".encode()

    def next_pid(self) -> int:
        self.last_pid += 1
        return self.last_pid

    @property
    def host_key(self) -> paramiko.PKey:
        """sshd's RSA host key (CentOS 6's OpenSSH 5.3 has no ed25519); made on first use."""
        if self._host_key is None:
            self._host_key = paramiko.RSAKey.generate(2048)
        return self._host_key

    def log_secure(self, line: str, *, at: datetime) -> None:
        """Append to ``/var/log/secure`` as rsyslog writes it: ``Nov 30 14:05:01 fuel sshd[2001]: …``."""
        stamp = f"{at:%b} {at.day:2d} {at:%H:%M:%S}"
        host = self.params.hostname.split(".")[0]
        self.files[SECURE_LOG] = self.files.get(SECURE_LOG, b"") + f"{stamp} {host} {line}\n".encode()
        self.mtimes[SECURE_LOG] = at.timestamp()

    # ----- containers --------------------------------------------------------------------------------
    def restart(self, container: str, now: float) -> None:
        """``docker restart``: the container stops serving for ``restart_time``, then reads its config."""
        self.restarting[container] = now + self.config.restart_time
        self.started[container] = now
        if container == "nailgun":
            self.nailgun_groups, self.nailgun_broken = self._read_feature_groups()

    def serving(self, container: str, now: float) -> bool:
        if now < self.restarting.get(container, 0.0):
            return False
        return not (container == "nailgun" and self.nailgun_broken)

    def _read_feature_groups(self) -> tuple[tuple[str, ...], str | None]:
        text = self.files.get(VERSION_YAML)
        if text is None:
            return self.nailgun_groups, f"IOError: [Errno 2] No such file or directory: '{VERSION_YAML}'"
        try:
            data = yaml.safe_load(text)
            groups = data["VERSION"]["feature_groups"]
        except (yaml.YAMLError, KeyError, TypeError) as exc:
            return self.nailgun_groups, f"cannot read {VERSION_YAML}: {exc}"
        if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
            return self.nailgun_groups, f"{VERSION_YAML}: feature_groups is not a list of names"
        return tuple(groups), None
