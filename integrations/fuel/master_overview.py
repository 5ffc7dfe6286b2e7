"""What ``/fuel master`` shows of a Fuel master, read from what root's commands print on 6.0.

    hostname             the master's name
    uptime               " 10:15:32 up 3 days,  2:10,  1 user,  load average: …" (procps)
    dockerctl check      "checking container X" then "X is ready." or "ERROR: X failed to start."
                         per container (fuel-library 6.0 ``functions.sh.erb`` ``check_ready``)
    docker ps            docker 0.10's table; ``STATUS`` "Up 2 hours", ``NAMES`` fuel-core-6.0-X
    df -hP               POSIX one-line rows: filesystem, size, used, avail, use%, mount

Parsers take the text and never fail: a line they do not understand is left out.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from integrations.fuel.ssh import MasterShell

CONTAINER_PREFIX = "fuel-core-6.0-"
_READY = re.compile(r"^(\S+) is ready\.$")
_FAILED = re.compile(r"^ERROR: (\S+) failed to start\.$")
_UP = re.compile(r"\bup\s+(.*?),\s+\d+\s+users?,")
_SHOWN_MOUNTS = ("/", "/var", "/var/log")


@dataclass(frozen=True)
class Service:
    """One of the master's containers: ready per ``dockerctl check``, up since per ``docker ps``."""

    name: str
    ready: bool
    up: str | None = None          # "2 hours" (docker's words), None when docker did not list it


@dataclass(frozen=True)
class Filesystem:
    mount: str
    size: str
    used_percent: int


@dataclass(frozen=True)
class FeatureGroups:
    """The groups ``/etc/fuel/version.yaml`` lists and those Nailgun runs with (read when it started)."""

    listed: tuple[str, ...]
    running: tuple[str, ...]


@dataclass(frozen=True)
class DefaultLogins:
    """Which of 6.0's default logins still work: ``admin``/``admin`` (Keystone), ``root``/``r00tme`` (SSH)."""

    admin: bool
    root: bool


@dataclass(frozen=True)
class MasterOverview:
    """The master at a glance: release, feature groups, address, its services, disks."""

    url: str
    ssh: str                         # host:port of its sshd
    release: str                     # version.yaml's
    build: str | None
    groups: FeatureGroups
    hostname: str
    uptime: str | None
    services: tuple[Service, ...]
    disks: tuple[Filesystem, ...]


def services(check: str, ps: str) -> tuple[Service, ...]:
    """Containers in ``dockerctl check`` order, with their uptime from ``docker ps``."""
    up = uptimes(ps)
    found = []
    for line in check.splitlines():
        match = _READY.match(line.strip()) or _FAILED.match(line.strip())
        if match is not None:
            name = match.group(1)
            found.append(Service(name=name, ready=match.re is _READY, up=up.get(name)))
    return tuple(found)


def uptimes(ps: str) -> dict[str, str]:
    """Container short name → how long it has been up, from ``docker ps``'s aligned columns."""
    lines = ps.splitlines()
    if not lines or "STATUS" not in lines[0] or "NAMES" not in lines[0]:
        return {}
    header = lines[0]
    status_at, ports_at, names_at = header.index("STATUS"), header.find("PORTS"), header.index("NAMES")
    found = {}
    for line in lines[1:]:
        name = line[names_at:].strip()
        status = line[status_at:ports_at if ports_at > status_at else names_at].strip()
        if name.startswith(CONTAINER_PREFIX) and status.startswith("Up "):
            found[name[len(CONTAINER_PREFIX):]] = status[3:]
    return found


def uptime(text: str) -> str | None:
    """``3 days,  2:10`` → ``3 days, 2:10``."""
    match = _UP.search(text)
    return re.sub(r"\s+", " ", match.group(1)).strip() if match else None


def filesystems(df: str) -> tuple[Filesystem, ...]:
    """The mounts worth showing (/, /var, /var/log) from ``df -hP``."""
    found = []
    for line in df.splitlines()[1:]:
        parts = line.split()
        if len(parts) >= 6 and parts[5] in _SHOWN_MOUNTS and parts[4].endswith("%"):
            try:
                found.append(Filesystem(mount=parts[5], size=parts[1], used_percent=int(parts[4][:-1])))
            except ValueError:
                continue
    return tuple(found)


def read(shell: MasterShell, *, url: str, release: str, build: str | None, groups: FeatureGroups) -> MasterOverview:
    """Run the commands above as root and put the answers together."""
    def out(command: str) -> str:
        return shell.run(command, check=False).stdout
    return MasterOverview(url=url, ssh=shell.address, release=release, build=build, groups=groups,
                          hostname=out("hostname").strip(), uptime=uptime(out("uptime")),
                          services=services(out("dockerctl check"), out("docker ps")),
                          disks=filesystems(out("df -hP")))
