"""The Fuel master's NTP servers as the lab's spec sets them (``fuel.master_vm.ntp``), applied as 6.0 does.

NTP is not a boot parameter of the 6.0 ISO, so an install keeps fuelmenu's defaults
(0-2.pool.ntp.org). Where 6.0 keeps them:

- ``/etc/fuel/astute.yaml`` ``NTP1``..``NTP3``: fuel-menu ``fuelmenu/modules/ntpsetup.py`` saves its
  three fields there (``''`` for an empty one) with ``yaml.safe_dump``, one ``NTPn: value`` line each;
- ``/etc/ntp.conf``: fuel-library 6.0 (tag ``6.0``, fde8ba5) ``nailgun/examples/host-only.pp``
  passes ``[NTP1, NTP2, NTP3]`` to ``openstack::clocksync``, whose ``ntp`` class renders
  ``ntp/templates/ntp.conf.erb``: one ``server NAME`` line per server, in one block (the local
  clock ``server 127.127.1.0`` only on hardware, after it).

fuelmenu then applies them: ``service ntpd stop``, ``ntpdate -t5 NTP1``, ``service ntpd start``, and
an ``ntpdate`` that fails is a warning ("NTP errors are not fatal"); so is it here.

The action looks first: the files are edited (with GNU sed, refusing a file laid out otherwise)
only when they differ from the spec, and ntpd restarted only when they were edited, when it is
not running, or when it started before ``/etc/ntp.conf`` was last written (a crash between the
edit and the restart: ``stat`` of its pid file, written as it starts, against the file's), so a
second run changes nothing.
"""
from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from typing import Callable

import yaml

from core.errors import MasterError
from integrations.fuel.master_outcome import Outcome
from integrations.fuel.ssh import MasterShell

ASTUTE_YAML = "/etc/fuel/astute.yaml"
NTP_CONF = "/etc/ntp.conf"
NTPD_PID = "/var/run/ntpd.pid"          # CentOS 6 /etc/sysconfig/ntpd: OPTIONS="-u ntp:ntp -p /var/run/ntpd.pid -g"
KEYS = ("NTP1", "NTP2", "NTP3")
_SERVER = re.compile(r"^server\s+(\S+)")
_LOCAL_CLOCK = "127.127."               # ntpd's reference clock drivers, not a server on the network
EditPlan = Callable[[str, tuple[str, ...]], list[str]]


@dataclass(frozen=True)
class NtpState:
    """The master's NTP servers where 6.0 keeps them, and whether ntpd runs with them."""

    listed: tuple[str, ...]             # astute.yaml NTP1..NTP3, empty ones left out
    configured: tuple[str, ...]         # /etc/ntp.conf's ``server`` lines (the local clock left out)
    running: bool                       # ``service ntpd status`` says it runs
    stale: bool                         # ntpd started before /etc/ntp.conf was last written

    def matches(self, wanted: tuple[str, ...]) -> bool:
        return self.listed == self.configured == wanted and self.running and not self.stale


class NotEditable(ValueError):
    """A file laid out differently from what 6.0 writes: fuelbot leaves it to a person."""


def astute_servers(text: str) -> tuple[str, ...]:
    """NTP1..NTP3 of astute.yaml, empty ones left out (host-only.pp in later releases purges them too)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        raise NotEditable(f"{ASTUTE_YAML} is not YAML") from None
    if not isinstance(data, dict):
        raise NotEditable(f"{ASTUTE_YAML} is not the mapping fuelmenu writes")
    return tuple(str(data[key]) for key in KEYS if data.get(key) not in (None, ""))


def conf_servers(text: str) -> tuple[str, ...]:
    """The servers of ntp.conf's ``server`` lines, in order; the local clock driver left out."""
    found = (_SERVER.match(line.strip()) for line in text.splitlines())
    return tuple(m.group(1) for m in found if m is not None and not m.group(1).startswith(_LOCAL_CLOCK))


def astute_edit(text: str, wanted: tuple[str, ...]) -> list[str]:
    """sed's ``-e`` arguments that set NTP1..NTP3 to ``wanted`` (``''`` past its end), as fuelmenu saves them."""
    lines = text.splitlines()
    script = []
    for index, key in enumerate(KEYS):
        at = [n for n, line in enumerate(lines) if re.match(rf"{key}:( |$)", line)]
        if len(at) != 1:
            raise NotEditable(f"{ASTUTE_YAML} has {len(at)} top-level {key} lines, not the one fuelmenu writes")
        value = wanted[index] if index < len(wanted) else "''"
        script += ["-e", f"s/^{key}:.*$/{key}: {value}/"]
    return script


def conf_edit(text: str, wanted: tuple[str, ...]) -> list[str]:
    """sed's ``-e`` arguments that put ``server X`` lines for ``wanted`` where 6.0's template put its block."""
    lines = text.splitlines()
    at = [n for n, line in enumerate(lines, start=1)
          if (m := _SERVER.match(line)) is not None and not m.group(1).startswith(_LOCAL_CLOCK)]
    if not at or at != list(range(at[0], at[0] + len(at))):
        raise NotEditable(f"{NTP_CONF} does not hold its servers in one block of `server` lines as 6.0's "
                          "ntp.conf.erb writes them")
    inserts = [arg for server in wanted for arg in ("-e", f"{at[0]}i\\server {server}")]
    return inserts + [arg for n in at for arg in ("-e", f"{n}d")]


def read(shell: MasterShell) -> NtpState:
    """The servers in astute.yaml and ntp.conf, and ntpd's state, as root reads them."""
    return _state(shell, *_files(shell))


def ensure(shell: MasterShell, wanted: tuple[str, ...]) -> Outcome:
    """astute.yaml and ntp.conf list ``wanted``; ntpd restarted with them (fuelmenu's stop, ntpdate, start)."""
    astute, conf = _files(shell)
    state = _state(shell, astute, conf)
    edited = []
    if state.listed != wanted:
        _edit(shell, ASTUTE_YAML, _plan(shell, astute_edit, astute, wanted))
        edited.append("astute.yaml")
    if state.configured != wanted:
        _edit(shell, NTP_CONF, _plan(shell, conf_edit, conf, wanted))
        edited.append("ntp.conf")
    if edited and _servers(shell, *_files(shell)) != (wanted, wanted):
        raise MasterError(f"Editing {ASTUTE_YAML} and {NTP_CONF} on the Fuel master at {shell.address} did not "
                          f"leave the NTP servers {', '.join(wanted)}", fix="set them with `fuelmenu` (Time Sync)")
    shown = f"NTP servers {', '.join(wanted)}"
    if not edited and state.running and not state.stale:
        return Outcome(False, shown)
    shell.run("service ntpd stop", check=False)          # fails harmlessly when ntpd is not running
    sync = shell.run(shlex.join(["ntpdate", "-t5", wanted[0]]), check=False)
    shell.run("service ntpd start")
    warning = None
    if sync.status != 0:
        said = (sync.stderr.strip() or sync.stdout.strip() or "no output").splitlines()[-1]
        warning = (f"`ntpdate -t5 {wanted[0]}` could not set the master's clock ({said}); the servers are set and "
                   "ntpd keeps trying (NTP errors are not fatal, as fuelmenu says)")
    what = f"{' and '.join(edited)} edited, ntpd restarted" if edited else "ntpd restarted to read ntp.conf"
    return Outcome(True, f"{shown}: {what}", warning)


def _files(shell: MasterShell) -> tuple[str, str]:
    return shell.run(f"cat {ASTUTE_YAML}").stdout, shell.run(f"cat {NTP_CONF}").stdout


def _servers(shell: MasterShell, astute: str, conf: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(astute.yaml's servers, ntp.conf's servers)."""
    try:
        return astute_servers(astute), conf_servers(conf)
    except NotEditable as problem:
        raise MasterError(f"{problem} on the Fuel master at {shell.address}",
                          fix=f"repair {ASTUTE_YAML} (fuelmenu's settings) by hand") from None


def _state(shell: MasterShell, astute: str, conf: str) -> NtpState:
    listed, configured = _servers(shell, astute, conf)
    running = shell.run("service ntpd status", check=False).status == 0
    stale = False
    if running:
        # ``%y``: "2014-12-26 14:21:35.123456789 +0000", to the nanosecond on ext4; one zone, so text order is time order
        times = shell.run(shlex.join(["stat", "-c", "%y", NTP_CONF, NTPD_PID]), check=False).stdout.splitlines()
        stale = len(times) == 2 and times[1] < times[0]
    return NtpState(listed=listed, configured=configured, running=running, stale=stale)


def _plan(shell: MasterShell, plan: EditPlan, text: str, wanted: tuple[str, ...]) -> list[str]:
    try:
        return plan(text, wanted)
    except NotEditable as problem:
        raise MasterError(f"{problem} on the Fuel master at {shell.address}; fuelbot will not edit it",
                          fix="set the NTP servers with `fuelmenu` (Time Sync) on the master") from None


def _edit(shell: MasterShell, path: str, script: list[str]) -> None:
    shell.run(shlex.join(["sed", "-i", *script, path]))
