"""Time on the simulated master: ``/etc/ntp.conf`` as 6.0 writes it, ntpd, and the commands that touch them.

    service ntpd start|stop|restart|status    CentOS 6's ``/etc/rc.d/init.d/ntpd`` (initscripts' wording)
    ntpdate [-q] [-u] [-b] [-t N] [-p N] SERVER…   ntp 4.2.6's ntpdate
    ntpq -p[n]                                what the running ntpd polls

A fresh install writes ``/etc/ntp.conf`` from astute.yaml's NTP1..NTP3 as fuel-library 6.0
(tag ``6.0``) does: ``nailgun/examples/host-only.pp`` hands ``[NTP1, NTP2, NTP3]`` to
``openstack::clocksync``, whose ``ntp`` class renders ``ntp/templates/ntp.conf.erb`` with the
RedHat ``restrict`` defaults of ``ntp/manifests/params.pp``; on a VM (``is_virtual``) ``tinker
panic 0`` and no local clock. ntpd reads the file when it starts, not after, so an edited file
shows in ``ntpq -p`` only after a restart. ntpdate cannot bind port 123 while ntpd runs (that is
why fuelmenu stops ntpd first), and a server the simulator is told is unreachable
(``Faults.ntp_unreachable``, ``POST /_sim/faults/ntp``) answers nothing. Callers hold the engine's lock.
"""
from __future__ import annotations

import hashlib
import ipaddress
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sim.fuel.engine import Engine
    from sim.fuel.shell import Result

NTP_CONF = "/etc/ntp.conf"
NTPD_PID = "/var/run/ntpd.pid"
_SERVER = re.compile(r"^server\s+(\S+)")
# ntp/manifests/params.pp (6.0), osfamily RedHat
_RESTRICT = ("default kod nomodify notrap nopeer noquery", "-6 default kod nomodify notrap nopeer noquery",
             "127.0.0.1", "-6 ::1")


def ntp_conf(servers: tuple[str, ...]) -> str:
    """``ntp.conf.erb`` rendered for a VM (``panic`` false, no ``udlc``) with 6.0's RedHat defaults."""
    lines = ["# ntp.conf: Managed by puppet.", "#",
             "# Keep ntpd from panicking in the event of a large clock skew",
             "# when a VM guest is suspended and resumed.", "tinker panic 0", "", "",
             "# Permit time synchronization with our time source, but do not",
             "# permit the source to query or modify the service on this system.",
             *(f"restrict {r}" for r in _RESTRICT), "", "",
             *(f"server {s}" for s in servers), "",
             "# Driftfile.", "driftfile /var/lib/ntp/drift", "", "", ""]
    return "\n".join(lines) + "\n"


def servers_in(conf: str) -> tuple[str, ...]:
    """The servers ntpd would poll: ``server`` lines, the local clock driver (127.127.x.x) left out."""
    found = (_SERVER.match(line.strip()) for line in conf.splitlines())
    return tuple(m.group(1) for m in found if m is not None and not m.group(1).startswith("127.127."))


def address(server: str) -> str:
    """What a name resolves to here: itself if an address, else a stable one in TEST-NET-3."""
    try:
        return str(ipaddress.IPv4Address(server))
    except ValueError:
        return f"203.0.113.{hashlib.sha256(server.encode()).digest()[0] % 250 + 1}"


def start_ntpd(engine: "Engine") -> None:
    """ntpd starts: reads ntp.conf and writes its pid file (the file's time is its start)."""
    host = engine.host
    host.ntpd_pid = host.next_pid()
    host.ntpd_servers = servers_in(host.files.get(NTP_CONF, b"").decode("utf-8", "replace"))
    host.files[NTPD_PID] = f"{host.ntpd_pid}\n".encode()
    host.mtimes[NTPD_PID] = engine.clock.wall_time(engine.now()).timestamp()


def service(engine: "Engine", args: list[str]) -> "Result":
    from sim.fuel.shell import Result, fail

    if len(args) != 2:
        return fail(1, "Usage: service < option > | --status-all | [ service_name [ command | --full-restart ] ]")
    name, action = args
    if name != "ntpd":
        return fail(1, f"{name}: unrecognized service")
    host = engine.host
    if action == "status":
        if host.ntpd_pid is None:
            return Result(3, "ntpd is stopped\n")
        return Result(0, f"ntpd (pid  {host.ntpd_pid}) is running...\n")
    if action == "stop":
        return _stop(engine)
    if action == "start":
        return _start(engine)
    if action == "restart":
        return _stop(engine).then(_start(engine))
    return Result(2, "Usage: /etc/init.d/ntpd {start|stop|status|restart|try-restart|force-reload}\n")


def _stop(engine: "Engine") -> "Result":
    from sim.fuel.shell import Result

    host = engine.host
    if host.ntpd_pid is None:                          # killproc: nothing to kill
        return Result(1, "Shutting down ntpd:                                        [FAILED]\n")
    host.ntpd_pid = None
    host.files.pop(NTPD_PID, None)
    host.mtimes.pop(NTPD_PID, None)
    return Result(0, "Shutting down ntpd:                                        [  OK  ]\n")


def _start(engine: "Engine") -> "Result":
    from sim.fuel.shell import Result

    if engine.host.ntpd_pid is not None:               # daemon(): already running, nothing printed
        return Result(0, "Starting ntpd: \n")
    start_ntpd(engine)
    return Result(0, "Starting ntpd:                                            [  OK  ]\n")


def ntpdate(engine: "Engine", args: list[str]) -> "Result":
    from sim.fuel.shell import Result, fail

    query, servers = False, []
    words = iter(args)
    for word in words:
        if word == "-q":
            query = True
        elif word in ("-u", "-b", "-s", "-B"):
            continue
        elif re.fullmatch(r"-[tpe]\d*(\.\d+)?", word):
            if len(word) == 2 and next(words, None) is None:
                return fail(2, f"ntpdate: option requires an argument -- '{word[1]}'")
        elif word.startswith("-"):
            return fail(2, f"ntpdate: unknown option -{word.lstrip('-')[:1]}")
        else:
            servers.append(word)
    pid = engine.host.next_pid()
    stamp = engine.clock.wall_time(engine.now()).strftime("%d %b %H:%M:%S").lstrip("0").rjust(15)
    said = f"{stamp} ntpdate[{pid}]:"
    if not servers:
        return fail(1, f"{said} no servers can be used, exiting")
    if engine.host.ntpd_pid is not None and not query:
        return fail(1, f"{said} the NTP socket is in use, exiting")
    answering = [s for s in servers if s not in engine.faults.ntp_unreachable]
    if not answering:
        return fail(1, f"{said} no server suitable for synchronization found")
    offset = 0.000123 + (pid % 997) / 100000
    best = address(answering[0])
    lines = [f"server {address(s)}, stratum 2, offset {offset:.6f}, delay 0.02591" for s in answering] if query else []
    lines.append(f"{said} adjust time server {best} offset {offset:.6f} sec")
    return Result(0, "\n".join(lines) + "\n")


def ntpq(engine: "Engine", args: list[str]) -> "Result":
    from sim.fuel.shell import Result, fail

    if not args or any(a not in ("-p", "-n", "-pn", "-np") for a in args) or not any("p" in a for a in args):
        return fail(1, "ntpq: this simulated master answers `ntpq -p' and `ntpq -pn' only")
    host = engine.host
    if host.ntpd_pid is None:
        return fail(1, "ntpq: read: Connection refused")
    numeric = any("n" in a for a in args)
    rows = ["     remote           refid      st t when poll reach   delay   offset  jitter",
            "=" * 78]
    for n, server in enumerate(host.ntpd_servers):
        shown = (address(server) if numeric else server)[:15]
        if server in engine.faults.ntp_unreachable:
            rows.append(f" {shown:<15} .INIT.          16 u    -   64    0    0.000    0.000   0.000")
        else:
            mark = "*" if n == 0 else "+"
            rows.append(f"{mark}{shown:<15} 193.190.230.65   2 u   33   64  377   25.910    0.123   0.045")
    return Result(0, "\n".join(rows) + "\n")
