"""The logs package (diagnostic snapshot): a ``dump`` task that ends in a real tarball under ``/dump``.

fuel-web 6.0: ``PUT /api/logs/package`` (handlers/logs.py ``LogPackageHandler``) starts a
``dump`` task with no cluster through ``DumpTaskManager``, which refuses a second one while one
runs (``DumpRunning``: 400 "Dump already running") and deletes the finished ones; Astute runs
shotgun on the master (fuel-astute 6.0 ``dump.rb``); ``dump_environment_resp`` finishes the task
with the message ``/dump/<archive>`` and notifies "Snapshot is ready. Visit Support page to
download". Shotgun 6.0 (``manager.py``) archives ``fuel-snapshot-<%Y-%m-%d_%H-%M-%S>`` as a
``.tgz`` laid out by host: the master's ``/var/log`` (docker-logs included) and command outputs,
each node's ``/var/log/puppet.log`` and ``/etc/astute.yaml`` (which holds the environment's
passwords, as on a real master). nginx serves ``/dump`` without authentication.
"""
from __future__ import annotations

import io
import tarfile
import time
from dataclasses import dataclass

from sim.fuel import log_sources, log_story
from sim.fuel.config import SimConfig
from sim.fuel.errors import bad_request
from sim.fuel.faults import Faults
from sim.fuel.records import Task
from sim.fuel.state import State, node_log_dir

MASTER_IP = "10.20.0.2"
_KEEP = 3          # archives left in /var/www/nailgun/dump (shotgun never deletes old ones; we do)


@dataclass
class _Pending:
    task_id: int
    ends: float


class Dumps:
    """Snapshot tasks in flight; callers hold the state lock."""

    def __init__(self, state: State, config: SimConfig, faults: Faults) -> None:
        self.state, self.config, self.faults = state, config, faults
        self.pending: list[_Pending] = []

    def clear(self) -> None:
        self.pending.clear()

    def start(self, now: float) -> Task:
        for old in [t for t in self.state.tasks.values() if t.name == "dump"]:
            if old.status == "running":
                raise bad_request("Dump already running")
            self.state.delete_task(old)
        task = self.state.add_task("dump", None)
        self.pending.append(_Pending(task.id, now + self.config.timings.dump))
        self.state.log("astute", "INFO", f"'dump_environment' method called with data: {{\"respond_to\"=>"
                       f"\"dump_environment_resp\", \"args\"=>{{\"task_uuid\"=>\"{task.uuid}\"}}}}", at=now)
        return task

    def advance(self, now: float) -> None:
        for job in [p for p in self.pending if p.ends <= now]:
            self.pending.remove(job)
            task = self.state.tasks.get(job.task_id)
            if task is not None:
                self._finish(task, job.ends)

    def _finish(self, task: Task, at: float) -> None:
        if self.faults.dump:
            self.state.log("astute", "ERROR", f"{task.uuid}: Dump command returned non zero exit code", at=at)
            task.finish("error", self.faults.dump)
            self.state.notify("error", self.faults.dump)
            return
        stamp = self.state.wall_time(at).strftime("%Y-%m-%d_%H-%M-%S")
        name = f"fuel-snapshot-{stamp}.tgz"
        self.state.log("astute", "INFO", f"{task.uuid}: Snapshot is done. Result: /var/www/nailgun/dump/{name}",
                       at=at)
        self.state.dump_files[name] = self.archive(f"fuel-snapshot-{stamp}")
        for old in list(self.state.dump_files)[:-_KEEP]:
            del self.state.dump_files[old]
        task.finish("ready", f"/dump/{name}")
        self.state.notify("done", "Snapshot is ready. Visit Support page to download")

    def archive(self, top: str) -> bytes:
        """The ``.tgz`` shotgun would make of this master and its nodes now."""
        files: dict[str, str] = {}
        master = f"{top}/{MASTER_IP}"
        for source in log_sources.LOGS:
            log = self.state.logbook.master.get(source["id"])
            if log is not None:
                files[master + source["path"].replace("/var/log/", "/var/log/docker-logs/", 1)] = log.text()
        for directory, logs in self.state.logbook.remote.items():
            for path, log in logs.items():
                files[f"{master}/var/log/docker-logs/remote/{directory}/{path}"] = log.text()
        for command, out in (("uptime", " 14:21:46 up 3 days,  2:10,  0 users,  load average: 0.42, 0.31, 0.28"),
                             ("docker ps", "CONTAINER ID  IMAGE  COMMAND  STATUS  NAMES\n"
                              "3f2a1b  fuel/nailgun_6.0:latest  \"/usr/local/bin/start\"  Up 3 days  "
                              "fuel-core-6.0-nailgun"),
                             ("df -h", "Filesystem  Size  Used Avail Use% Mounted on\n/dev/mapper/os-root  "
                              "9.8G  4.1G  5.2G  45% /")):
            files[f"{master}/commands/{command.replace(' ', '_').replace('-', '')}.txt"] = (
                f"===== COMMAND =====: {command}\n===== RETURN CODE =====: 0\n===== STDOUT =====:\n{out}\n"
                "\n===== STDERR =====:\n")
        for node in self.state.nodes.values():
            if node.status not in ("ready", "provisioned", "deploying", "error") or not node.fqdn:
                continue   # DumpTask.conf: only these nodes are slaves of the dump
            puppet = self.state.logbook.remote.get(node_log_dir(node), {}).get("puppet-apply.log")
            files[f"{top}/{node.fqdn}/var/log/puppet.log"] = puppet.text() if puppet else ""
            cluster = self.state.clusters.get(node.cluster or -1)
            files[f"{top}/{node.fqdn}/etc/astute.yaml"] = log_story.astute_yaml(cluster, node) if cluster else ""
        return _tgz(files)


def _tgz(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for path, text in sorted(files.items()):
            data = text.encode()
            info = tarfile.TarInfo(path)
            info.size, info.mtime, info.mode = len(data), int(time.time()), 0o644
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()
