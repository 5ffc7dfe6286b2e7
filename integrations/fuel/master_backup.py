"""Fuel 6.0's backup of its master, as its documentation has it: ``dockerctl backup``, as root.

The 6.0 FAQ ("How do I backup and restore Fuel Master Node?") and fuel-library's
``deployment/puppet/docker/templates/functions.sh.erb`` (``backup``): it refuses while Nailgun
has running tasks, commits and saves every container, archives the system folders and ends with
``Backup complete. File is available at /var/backup/fuel/backup_<id>/fuel_backup_<id>.tar.lrz``
(``BACKUP_ROOT`` of ``dockerctl_config``). The backups are the ``fuel_backup_*`` files under
that folder, listed with GNU find (the master runs CentOS 6), with their size and time.
"""
from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from datetime import datetime, timezone

from core.errors import MasterError
from integrations.fuel.ssh import MasterShell

BACKUP_ROOT = "/var/backup/fuel"
_DONE = re.compile(r"Backup complete\. File is available at (\S+)")
_LISTED = re.compile(r"^(\d+(?:\.\d+)?) (\d+) (/\S+)$")
_FIND = f"find {BACKUP_ROOT} -type f -name 'fuel_backup_*' -printf '%T@ %s %p\\n'"
RUNNING_TASKS = "There are currently running Fuel tasks"      # functions.sh.erb's refusal


@dataclass(frozen=True)
class MasterBackup:
    """One backup archive on the master: where, how big, when it was written."""

    path: str
    size_bytes: int
    written: datetime


def list_backups(shell: MasterShell) -> list[MasterBackup]:
    """Every backup archive under ``BACKUP_ROOT``, newest first (none when the folder does not exist)."""
    out = shell.run(_FIND, check=False)
    if out.status != 0 and "No such file or directory" in out.stderr:
        return []
    if out.status != 0:
        said = (out.stderr.strip() or out.stdout.strip() or "no output").splitlines()[-1]
        raise MasterError(f"Listing the backups on the Fuel master at {shell.address} failed "
                          f"(exit {out.status}): {said}", fix="run the command by hand on the master: " + _FIND)
    found = []
    for line in out.stdout.splitlines():
        match = _LISTED.match(line.strip())
        if match:
            found.append(MasterBackup(path=match[3], size_bytes=int(match[2]),
                                      written=datetime.fromtimestamp(float(match[1]), timezone.utc)))
    return sorted(found, key=lambda b: b.written, reverse=True)


def back_up(shell: MasterShell) -> MasterBackup:
    """Run ``dockerctl backup`` and return the archive it wrote; ``MasterError`` saying why it did not."""
    out = shell.run("dockerctl backup", check=False)
    text = f"{out.stdout}\n{out.stderr}"
    done = _DONE.search(text)
    if out.status != 0 or done is None:
        if RUNNING_TASKS in text:
            raise MasterError(f"`dockerctl backup` on the Fuel master at {shell.address} refused: Fuel has running "
                              "tasks.", fix="wait for them to end (`/fuel status <lab>`), then back up again")
        said = (out.stderr.strip() or out.stdout.strip() or "no output").splitlines()[-1]
        raise MasterError(f"`dockerctl backup` failed on the Fuel master at {shell.address} (exit {out.status}): "
                          f"{said}", fix="run `dockerctl backup` by hand on the master (ssh root@master) to see why")
    path = done[1]
    listed = shell.run(f"find {shlex.quote(path)} -maxdepth 0 -printf '%T@ %s %p\\n'", check=False)
    match = _LISTED.match(listed.stdout.strip())
    if listed.status != 0 or match is None:
        raise MasterError(f"`dockerctl backup` said it wrote {path} on the Fuel master at {shell.address}, "
                          "but the file is not there", fix=f"look in {BACKUP_ROOT} on the master")
    return MasterBackup(path=path, size_bytes=int(match[2]),
                        written=datetime.fromtimestamp(float(match[1]), timezone.utc))
