"""``dockerctl`` as fuel-library 6.0 installs it (``deployment/puppet/docker/templates/dockerctl.erb``
and ``functions.sh.erb``): list, check, restart, start, stop, shell, backup.

``backup`` follows ``functions.sh.erb``'s ``backup``: it refuses while Nailgun has running tasks
(``check_nailgun_tasks`` runs ``fuel task`` inside the nailgun container with the container's
admin/admin client settings, so once admin's password was changed that check fails and the
backup goes ahead, as on a real 6.0 master), commits and saves every container, archives the
system folders and writes ``/var/backup/fuel/backup_<date +%F_%H%S>/fuel_backup_<id>.tar.lrz``.
The simulated archive is a real tar file holding ``system-dirs.tar`` and one small tar per
container (6.0 compresses with lrzip; the name is kept, the content is plain tar).
"""
from __future__ import annotations

import io
import json
import tarfile
from typing import TYPE_CHECKING

from sim.fuel.host import CONTAINERS

if TYPE_CHECKING:
    from sim.fuel.engine import Engine
    from sim.fuel.shell import Result

BACKUP_ROOT = "/var/backup/fuel"   # dockerctl_config.erb BACKUP_ROOT
_PREFIX = "fuel-core-6.0-"
_SYSTEM_DIRS = ("/etc/puppet", "/etc/fuel", "/var/www/nailgun", "/root/.ssh")
_USAGE = """Please specify a command.
Usage:
  /usr/bin/dockerctl command

Available commands: (Note: work in progress)
  help: show this message
  build: create all Docker containers
  list: list container short names (-l for more output)
  start: start all Docker containers
  restart: restart one or more Docker containers
  stop: stop one or more Docker containers
  shell: start a shell or run a command in a Docker container
  logs: print console log from a container
  revert: reset container to original state
  destroy: destroy one or more containers
  copy: copy files in or out of container
  check: check of container is ready
  backup: back up entire deployment
  restore: restore backed up deployment
"""


def run(engine: "Engine", args: list[str]) -> "Result":
    from sim.fuel.shell import Result, fail

    if not args or args[0] == "help":
        return Result(1, _USAGE)
    action, target = args[0], (args[1] if len(args) > 1 else "all")
    now = engine.now()
    host = engine.host
    if action == "list":
        if "-l" in args[1:]:
            lines = [f"{'Name':<13}{'Image':<25}{'Status':<13}{'Full container name':<25}"]
            lines += [f"{c:<13}{'fuel/' + c + '_6.0':<25}{'Running':<13}{_PREFIX + c:<25}" for c in CONTAINERS]
            return Result(0, "\n".join(lines) + "\n")
        return Result(0, "".join(f"{c}\n" for c in CONTAINERS))
    if action in ("restart", "start", "stop", "check", "shell") and target != "all" and target not in CONTAINERS:
        # docker answers for the empty container name dockerctl passes it
        return fail(1, f"Error: No such container: {target}" if action != "shell"
                    else f"Could not get docker ID for container {target}. Is it running?")
    if action == "restart":
        for container in CONTAINERS if target == "all" else [target]:
            host.restart(container, now)
        return Result(0, "".join(f"{_PREFIX}{c}\n" for c in (CONTAINERS if target == "all" else [target])))
    if action == "check":
        out, status = [], 0
        for container in CONTAINERS if target == "all" else [target]:
            ready = host.serving(container, now)
            out.append(f"checking container {container}\n{container} is ready.\n" if ready else
                       f"checking container {container}\nERROR: {container} failed to start.\n")
            status = status or (0 if ready else 1)
        return Result(status, "".join(out))
    if action in ("start", "stop"):
        return Result(0, f"{_PREFIX}{target} is already running.\n" if action == "start" else f"Stopping {target}...\n")
    if action == "shell":
        return _shell(engine, target, args[2:])
    if action == "backup":
        return _backup(engine, args[1:])
    return Result(0, "Invalid selection.\n" + _USAGE.split("\n", 1)[1])


def _shell(engine: "Engine", container: str, command: list[str]) -> "Result":
    from sim.fuel.shell import Result, fail

    if not command:
        return fail(1, "this simulated master runs commands in containers, not interactive shells: "
                       f"dockerctl shell {container} COMMAND")
    if container == "cobbler" and command == ["cobbler", "sync"]:
        engine.host.cobbler_syncs += 1
        stamp = engine.clock.wall_time(engine.now()).strftime("%Y-%m-%d_%H%M%S")
        return Result(0, f"task started: {stamp}_sync\ntask started (id=Sync, time=...)\n"
                         "running pre-sync triggers\ncleaning trees\n"
                         "copying bootloaders\ncopying distros to tftpboot\nrendering DHCP files\n"
                         "generating /etc/dhcp.conf\nrendering TFTPD files\nrunning post-sync triggers\n"
                         "*** TASK COMPLETE ***\n")
    if container == "cobbler" and command[:1] == ["cobbler"]:
        return fail(1, f"usage\n=====\ncobbler <distro|profile|system|repo|image|mgmtclass|package|file> ... "
                       f"[add|edit|copy|getks*|list|remove|rename|report] [options|--help]\n"
                       f"cobbler {command[1] if len(command) > 1 else ''}: unknown in this simulated master")
    return fail(126, f"lxc-attach: failed to exec '{command[0]}' in {_PREFIX}{container}: "
                     "this simulated container runs `cobbler sync' only")


def _backup(engine: "Engine", args: list[str]) -> "Result":
    from sim.fuel.shell import Result, fail

    host = engine.host
    now = engine.now()
    wall = engine.clock.wall_time(now)
    backup_id = wall.strftime("%Y-%m-%d_%H%S")          # functions.sh.erb: $(date +%F_%H%S)
    if args:
        prefix = args[0].rstrip("/") + "/"
        if not any(p.startswith(prefix) for p in host.files):
            return fail(1, f"Unrecognized backup destination. Valid options include:\n"
                           f"  (blank)           - backup to {BACKUP_ROOT}\n"
                           f"  /path/to/backup   - local backup directory\n"
                           f"  user@server:/path - backup using rsync to server")
        backup_dir = args[0].rstrip("/")
    else:
        backup_dir = f"{BACKUP_ROOT}/backup_{backup_id}"
    client_logs_in = engine.tokens.password == "admin"   # the nailgun container's fuelclient settings
    running = [t for t in engine.state.tasks.values() if t.status == "running"]
    if client_logs_in and running:
        return fail(1, "There are currently running Fuel tasks. Please wait for them to finish or cancel them.")
    out = ["Reading container data...\n"]
    for container in CONTAINERS:
        out.append(f"Committing {_PREFIX}{container}...\nSaving {_PREFIX}{container}...\n")
    out.append("Archiving system folders\nCompressing archives...\n")
    archive = f"{backup_dir}/fuel_backup_{backup_id}.tar.lrz"
    host.files[archive] = _archive(engine, backup_id)
    host.mtimes[archive] = wall.timestamp()
    out.append("Cleaning up...\n")
    out.append(f"Backup complete. File is available at {archive}\n")
    return Result(0, "".join(out))


def _archive(engine: "Engine", backup_id: str) -> bytes:
    system = io.BytesIO()
    with tarfile.open(fileobj=system, mode="w") as tar:
        for path, data in sorted(engine.host.files.items()):
            if path.startswith(tuple(d + "/" for d in _SYSTEM_DIRS)):
                _add(tar, path.lstrip("/"), data)
    outer = io.BytesIO()
    with tarfile.open(fileobj=outer, mode="w") as tar:
        _add(tar, "system-dirs.tar", system.getvalue())
        for container in CONTAINERS:
            image = f"fuel/{container}_6.0_{backup_id}"
            manifest = json.dumps([{"Config": f"{container}.json", "RepoTags": [image]}]).encode()
            inner = io.BytesIO()
            with tarfile.open(fileobj=inner, mode="w") as image_tar:
                _add(image_tar, "manifest.json", manifest)
            _add(tar, image.replace("/", "__") + ".tar", inner.getvalue())
    return outer.getvalue()


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))
