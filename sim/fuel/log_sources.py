"""Fuel 6.0's log sources (Nailgun ``settings.LOGS``) and how each kind of line is written.

Source: fuel-web 6.0 ``nailgun/nailgun/settings.yaml`` (``LOG_FORMATS``, ``LOG_TYPES``,
``LOG_GROUPS``, ``LOGS``). ``GET /api/logs/sources`` answers this table as it is, regexps and
all. Master sources are files in the Nailgun container (the host keeps them under
``/var/log/docker-logs``); remote sources live under ``/var/log/remote/<node dir>/`` where the
master's rsyslog writes what nodes send (fuel-library 6.0
``openstack/templates/30-server-remote-log.conf.erb``).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

UI_DATE_FORMAT = "%Y-%m-%d %H:%M:%S"       # settings.UI_LOG_DATE_FORMAT
TRUNCATE_LOG_ENTRIES = 100                 # settings.TRUNCATE_LOG_ENTRIES: max_entries by default
REMOTE_BASE = "/var/log/remote/"           # settings.SYSLOG_DIR

_SYSLOG_LEVELS = ["DEBUG", "INFO", "NOTICE", "WARNING", "ERR", "CRIT", "ALERT", "EMERG"]
_PYTHON_LEVELS = ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
REMOTE_SYSLOG = {
    "log_format_id": "remote_syslog",
    "regexp": r"^(?P<date>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?P<secfrac>\.\d{1,})?(?P<timezone>(Z|[+-]\d{2}:"
              r"\d{2}))?\s(?P<level>[a-z]{3,7}):\s(?P<text>.*)$",
    "date_format": "%Y-%m-%dT%H:%M:%S", "levels": _SYSLOG_LEVELS}
REMOTE_OPENSTACK = {
    "log_format_id": "remote_openstack",
    "regexp": r"^(?P<date>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?P<secfrac>\.\d{1,})?(?P<timezone>(Z|[+-]\d{2}:"
              r"\d{2}))?\s(?P<level>[a-z]{3,8}):\s+(?P<date_local>\d{4}-\d{2}-\d{2}\s\d{2}:\d{2}:\d{2}((.|,)\d{3})?)?"
              r"(?P<pid>\s+\d+\s+)?(?P<app_level>[A-Z]{3,8})?\s*(?P<text>.*)$",
    "date_format": "%Y-%m-%dT%H:%M:%S", "levels": _SYSLOG_LEVELS}
PYTHON = {
    "log_format_id": "python",
    "regexp": r"^(?P<date>\d{4}-\d{2}-\d{2}\s\d{2}:\d{2}:\d{2})(?P<msecs>\.\d{3})?\s(?P<level>[A-Z]+)\s(?P<text>.*)$",
    "date_format": "%Y-%m-%d %H:%M:%S", "levels": _PYTHON_LEVELS}

_LOCAL = {"remote": False, "multiline": True}
_REMOTE = {"remote": True, "multiline": True, "base": REMOTE_BASE}


def _master(source_id: str, name: str, fmt: dict[str, Any], path: str) -> dict[str, Any]:
    return {"id": source_id, "name": name, **_LOCAL, **fmt, "path": path}


def _node(source_id: str, name: str, group: str | None, path: str, fmt: dict[str, Any] = REMOTE_SYSLOG,
          **extra: Any) -> dict[str, Any]:
    return {"id": source_id, "name": name, **_REMOTE, **fmt, "group": group, **extra, "path": path}


_MAIN, _OTHER, _BOOT, _OS = None, "Other install logs", "Bootstrap logs", "Openstack logs"
_OPENSTACK_LOGS = (
    "nova-cert", "nova-consoleauth", "nova-scheduler", "nova-network", "nova-compute", "nova-conductor",
    "nova-objectstore", "nova-manage", "keystone", "keystone-all", "keystone-manage", "cinder-api",
    "cinder-volume", "cinder-scheduler", "cinder-manage", "glance-api", "glance-registry", "glance-manage",
    "glance-cache-cleaner", "glance-cache-pruner", "neutron-server", "neutron-ovs-cleanup",
    "neutron-rescheduling", "neutron-openvswitch-agent", "neutron-l3-agent", "neutron-dhcp-agent",
    "neutron-metadata-agent", "ceilometer-agent-central", "ceilometer-agent-notification",
    "ceilometer-alarm-evaluator", "ceilometer-alarm-notifier", "ceilometer-api", "ceilometer-collector",
    "ceilometer-dbsync", "heat-api-cfn", "heat-api-cloudwatch", "heat-api", "heat-engine", "heat-manage",
    "murano-api", "murano-manage", "sahara-api")

LOGS: list[dict[str, Any]] = [
    _master("app", "Web backend", PYTHON, "/var/log/nailgun/app.log"),
    _master("api", "REST API", PYTHON, "/var/log/nailgun/api.log"),
    _master("receiverd", "RPC consumer", PYTHON, "/var/log/nailgun/receiverd.log"),
    _master("astute", "Astute", REMOTE_SYSLOG, "/var/log/astute/astute.log"),
    _master("ostf", "HealthCheck", PYTHON, "/var/log/ostf.log"),
    # A fake source: listed, but refused ("Log source not found") unless Nailgun runs FAKE_TASKS.
    _node("fake-target-mcollective", "mcollective", _MAIN, "/var/tmp/fake-target-mcollective.log", fake=True),
    _node("install/puppet", "puppet", _MAIN, "puppet-apply.log"),
    _node("install/mco", "mcollective", _MAIN, "mcollective.log"),
    _node("zabbix", "zabbix", _MAIN, "zabbix_server.log"),
    _node("install/anaconda", "anaconda", _MAIN, "install/anaconda.log"),
    _node("install/syslog", "syslog", _MAIN, "install/syslog.log"),
    _node("install/storage", "storage", _OTHER, "install/storage.log"),
    _node("install/ks-pre", "kickstart-pre", _OTHER, "install/ks-pre.log"),
    _node("install/ks-post", "kickstart-post", _OTHER, "install/ks-post.log"),
    _node("install/debootstrap-ubuntu", "debootstrap", _OTHER, "debootstrap.log"),
    _node("install/in-target-ubuntu", "in-target", _OTHER, "in-target.log"),
    _node("bootstrap/dmesg", "dmesg", _BOOT, "bootstrap/dmesg.log"),
    _node("bootstrap/secure", "secure", _BOOT, "bootstrap/secure.log"),
    _node("bootstrap/messages", "messages", _BOOT, "bootstrap/messages.log"),
    _node("bootstrap/mco", "mcollective", _BOOT, "bootstrap/mcollective.log"),
    _node("bootstrap/agent", "agent", _BOOT, "bootstrap/agent.log"),
    *(_node(f"os/{name}", name, _OS, f"{name}.log", REMOTE_OPENSTACK) for name in _OPENSTACK_LOGS),
]
BY_ID = {source["id"]: source for source in LOGS}

# How a level reaches each kind of file: astute's Logger maps WARN/ERROR/FATAL to syslog words
# (fuel-astute 6.0 bin/astuted), rsyslog writes %syslogseverity-text% for what nodes send.
_SYSLOG_WORDS = {"DEBUG": "debug", "INFO": "info", "NOTICE": "notice", "WARNING": "warning", "ERROR": "err",
                 "ERR": "err", "CRITICAL": "crit", "CRIT": "crit"}


def master_line(source_id: str, level: str, text: str, when: datetime, *, pid: int = 395) -> str:
    """One line of a master log as its program writes it."""
    if source_id == "astute":   # fuel-astute 6.0 bin/astuted: "%Y-%m-%dT%H:%M:%S <level>: [pid] msg"
        return f"{when:%Y-%m-%dT%H:%M:%S} {_SYSLOG_WORDS.get(level, 'info')}: [{pid}] {text}"
    # fuel-web 6.0 nailgun/logger.py: '%(asctime)s.%(msecs)03d %(levelname)s [%(thread)x] (%(module)s) ...'
    level = {"ERR": "ERROR", "CRIT": "CRITICAL"}.get(level, level)
    return f"{when:%Y-%m-%d %H:%M:%S}.{when.microsecond // 1000:03d} {level} [7f5c1d4e2700] {text}"


def remote_line(level: str, text: str, when: datetime) -> str:
    """One line rsyslog writes for a node: RemoteLog template, rfc3339 cut at 32 characters."""
    stamp = when.astimezone().isoformat(timespec="microseconds")[:32]
    return f"{stamp} {_SYSLOG_WORDS.get(level, 'info')}: {text}"
