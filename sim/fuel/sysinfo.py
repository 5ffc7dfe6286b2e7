"""What an admin reads about the master's host: ``uptime``, ``df`` and ``docker ps``.

``uptime`` counts from the last time the installed system started (a disk boot, or the first
boot after the installer). ``docker ps`` prints what docker 0.10 (CentOS 6's ``docker-io``, which
6.0's master runs its containers with) prints: tab-aligned columns with ``STATUS`` such as
``Up 2 hours`` in ``utils.HumanDuration``'s words, each container named ``fuel-core-6.0-<name>``
and up since the later of the boot and its last ``dockerctl restart``. ``df -h`` (``-P`` too)
shows 6.0's layout: ``/boot`` and the ``os`` volume group's ``root``, ``var`` and ``varlog``;
``/var`` fills with backups and the per-node logs. Callers hold the engine's lock.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from sim.fuel.host import CONTAINERS

if TYPE_CHECKING:
    from sim.fuel.engine import Engine
    from sim.fuel.shell import Result

_GIB = 1024 ** 3
_MIB = 1024 ** 2
# (device, mount, size, used at install); /var's use grows with what the master stores
_FILESYSTEMS = (("/dev/mapper/os-root", "/", int(9.7 * _GIB), int(2.6 * _GIB)),
                ("tmpfs", "/dev/shm", 1 * _GIB, 0),
                ("/dev/sda3", "/boot", 194 * _MIB, 56 * _MIB),
                ("/dev/mapper/os-var", "/var", 18 * _GIB, int(5.3 * _GIB)),
                ("/dev/mapper/os-varlog", "/var/log", int(9.7 * _GIB), 300 * _MIB))
_NODE_LOGS = 150 * _MIB                 # what each node's remote logs take under /var/log
_PORTS = {"nginx": "0.0.0.0:8000->8000/tcp, 0.0.0.0:8080->8080/tcp", "keystone": "0.0.0.0:5000->5000/tcp",
          "ostf": "0.0.0.0:8777->8777/tcp", "rabbitmq": "0.0.0.0:5672->5672/tcp", "postgres": "5432/tcp"}


def human_duration(seconds: float) -> str:
    """docker 0.10's ``utils.HumanDuration``."""
    whole = int(seconds)
    if whole < 1:
        return "Less than a second"
    if whole < 60:
        return f"{whole} seconds"
    minutes = whole // 60
    if minutes == 1:
        return "About a minute"
    if minutes < 60:
        return f"{minutes} minutes"
    hours = minutes // 60
    if hours == 1:
        return "About an hour"
    if hours < 48:
        return f"{hours} hours"
    if hours < 24 * 7 * 2:
        return f"{hours // 24} days"
    if hours < 24 * 30 * 3:
        return f"{hours // 24 // 7} weeks"
    return f"{hours // 24 // 30} months"


def uptime(engine: "Engine") -> "Result":
    from sim.fuel.shell import Result

    now = engine.now()
    up = max(0, int(now - engine.master.booted_at))
    days, rest = divmod(up, 86400)
    hours, minutes = rest // 3600, rest % 3600 // 60
    since = (f"{days} day{'s' if days != 1 else ''}, " if days else "") + (
        f"{hours:2d}:{minutes:02d}" if hours else f"{minutes} min")
    clock = engine.clock.wall_time(now).strftime("%H:%M:%S")
    return Result(0, f" {clock} up {since},  1 user,  load average: 0.08, 0.12, 0.10\n")


def df(engine: "Engine", args: list[str]) -> "Result":
    from sim.fuel.shell import Result, fail

    unknown = [a for a in args if a.startswith("-") and a not in ("-h", "-P", "-hP", "-Ph")]
    if unknown:
        return fail(1, f"df: invalid option -- '{unknown[0].lstrip('-')[:1]}'")
    human = any("h" in a for a in args if a.startswith("-"))
    stored = sum(len(data) for path, data in engine.host.files.items() if path.startswith("/var/"))
    nodes = len(engine.state.nodes)
    rows = [("Filesystem", "Size" if human else "1024-blocks", "Used", "Avail", "Use%", "Mounted on")]
    for device, mount, size, used in _FILESYSTEMS:
        used += stored if mount == "/var" else (nodes * _NODE_LOGS if mount == "/var/log" else 0)
        used = min(used, size)
        free = size - used
        percent = f"{-(-used * 100 // size)}%" if used else "0%"
        show = _human if human else (lambda n: str(n // 1024))
        rows.append((device, show(size), show(used) if used or not human else "0", show(free), percent, mount))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = [f"{r[0]:<{widths[0]}} {r[1]:>{widths[1]}} {r[2]:>{widths[2]}} {r[3]:>{widths[3]}} "
             f"{r[4]:>{widths[4]}} {r[5]}" for r in rows]
    return Result(0, "\n".join(lines) + "\n")


def _human(size: int) -> str:
    """coreutils' ``-h``: one decimal below 10, powers of 1024, rounded up."""
    for unit, factor in (("T", 1024 ** 4), ("G", _GIB), ("M", _MIB), ("K", 1024)):
        if size >= factor:
            value = size / factor
            return f"{-(-value * 10 // 1) / 10:.1f}{unit}" if value < 10 else f"{-(-value // 1):.0f}{unit}"
    return str(size)


def docker(engine: "Engine", args: list[str]) -> "Result":
    from sim.fuel.shell import Result, fail

    if args[:1] != ["ps"]:
        return fail(1, f"docker: this simulated master answers `docker ps' only (got {' '.join(args) or 'nothing'})")
    now, host = engine.now(), engine.host
    header = ("CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES")
    rows = []
    for index, name in enumerate(CONTAINERS):
        since = max(engine.master.booted_at, host.started.get(name, float("-inf")))
        created = human_duration(now - engine.master.booted_at)
        status = f"Up {human_duration(now - since)}"     # 0.10 has no "Restarting": the process runs again
        rows.append((f"{0x5ad7a9ab43be + index * 0x1111:012x}", f"fuel/{name}_6.0:latest",
                     '"/usr/local/bin/star', f"{created} ago", status, _PORTS.get(name, ""),
                     f"fuel-core-6.0-{name}"))
    # docker 0.10 api/client: tabwriter.NewWriter(out, 20, 1, 3, ' ', 0)
    widths = [max(20, max(len(r[i]) for r in [header, *rows]) + 3) for i in range(len(header) - 1)]
    lines = ["".join(cell.ljust(width) for cell, width in zip(row, widths)) + row[-1] for row in [header, *rows]]
    return Result(0, "\n".join(lines) + "\n")
