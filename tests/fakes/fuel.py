"""``FakeFuel``: a ``FuelPort`` in memory, a Fuel 6.0 master reduced to what workflows rely on.

Time moves by calls, not by the clock: every read advances each running task by ``step``
percent, so a deploy ends after a few polls and a step test runs in milliseconds. Releases and
settings are the Fuel simulator's (``sim.fuel``); refusals carry Nailgun's messages and statuses
as the simulator does (``sim/fuel/operations.py``). ``fail_next`` queues errors for a method.
"""
from __future__ import annotations

import copy
import ipaddress
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from itertools import combinations
from typing import Any, BinaryIO, Callable, Literal, Mapping, Sequence

from core.errors import FuelError, SnapshotTooLarge
from integrations.fuel.enums import (ClusterStatus, Mode, NetProvider, NodeStatus, TaskName, TaskStatus,
                                     TestRunStatus, TestStatus)
from integrations.fuel.logs import LogEntry, LogPage, LogSource
from integrations.fuel.models import (AssignedNetwork, Cluster, FuelVersion, Interface, NicInfo, Node, Notification,
                                      Release, Task)
from integrations.fuel.nodes import plan_interfaces
from integrations.fuel.testruns import Test, TestRun, TestSet
from sim.fuel.attributes import default_editable
from sim.fuel.releases import NETWORKS_METADATA, release_ids, release_json

NETWORK_IDS = {"fuelweb_admin": 1, "public": 2, "management": 3, "storage": 4, "fixed": 5}
TESTSETS = (("sanity", 3), ("smoke", 2))       # set id, tests in it


def _nova_configuration() -> dict[str, Any]:
    meta = NETWORKS_METADATA["nova_network"]
    groups = [{"id": 1, "name": "fuelweb_admin", "cidr": "10.20.0.0/24", "gateway": None, "vlan_start": None,
               "ip_ranges": [["10.20.0.129", "10.20.0.254"]]}]
    for net in meta["networks"]:
        groups.append({"id": NETWORK_IDS[net["name"]], "name": net["name"], "cidr": net["cidr"],
                       "gateway": net.get("gateway"), "vlan_start": net["vlan_start"],
                       "ip_ranges": [net["ip_range"]] if net.get("ip_range") else []})
    return {"networks": groups, "networking_parameters": copy.deepcopy(meta["config"])}


def _intersections(config: Mapping[str, Any]) -> list[str]:
    """Overlapping network CIDRs, and networks inside nova's fixed range, as Nailgun words them."""
    groups = [(g["name"], ipaddress.ip_network(g["cidr"], strict=False)) for g in config.get("networks", [])
              if g.get("cidr")]
    problems = [f"Address space intersection between networks:\n{a}, {b}."
                for (a, net_a), (b, net_b) in combinations(groups, 2) if net_a.overlaps(net_b)]
    fixed = config.get("networking_parameters", {}).get("fixed_networks_cidr")
    if fixed:
        problems += [f"Address space intersection between networks:\nfixed, {name}."
                     for name, net in groups if net.overlaps(ipaddress.ip_network(fixed, strict=False))]
    return problems


@dataclass
class _Job:
    """A running task and what happens when it ends."""

    task_id: int
    on_done: Callable[[], str | None]        # returns the error message when it fails


class FakeFuel:
    """A Fuel master in memory; ``calls`` counts every call by method name."""

    def __init__(self, *, url: str = "http://fuel.fake:8000", step: int = 50) -> None:
        self._url = url
        self.step = step
        self.releases_ = [Release.from_json(release_json(i)) for i in release_ids()]
        self.clusters: dict[int, Cluster] = {}
        self.editable: dict[int, dict[str, Any]] = {}
        self.networks: dict[int, dict[str, Any]] = {}
        self.nodes_: dict[int, Node] = {}
        self.interfaces_: dict[int, list[Interface]] = {}
        self.tasks_: dict[int, Task] = {}
        self.runs: dict[int, TestRun] = {}
        self.jobs: list[_Job] = []
        self.calls: Counter[str] = Counter()
        self.errors: defaultdict[str, list[FuelError]] = defaultdict(list)
        self.failing_tests: dict[str, str] = {}     # OSTF test id -> message
        self.release = "6.0"
        self.feature_groups: tuple[str, ...] = ("mirantis",)   # what Nailgun runs with (a fresh 6.0 master)
        self.verify_error: str | None = None
        self.rebooting: dict[int, int] = {}         # node id -> node listings until it is online again
        self.reboot_polls = 3
        self.notifications_: list[Notification] = []
        self.log_entries: dict[tuple[str, int | None], list[LogEntry]] = {}   # (source, node) -> oldest first
        self.snapshot = b"fake snapshot tarball"
        self._next = 100
        self.closed = False

    # -- arranging state -----------------------------------------------------------------------
    def discover(self, mac: str, *, macs: Sequence[str] = ()) -> Node:
        """A machine PXE-boots and Fuel discovers it (unallocated); ``macs`` are its NICs, admin first."""
        node_id = self._id()
        nics = tuple(macs) or (mac,)
        node = Node(id=node_id, name=f"Untitled ({mac[-5:]})", mac=mac.lower(), status=NodeStatus.DISCOVER,
                    online=True, interfaces=tuple(NicInfo(name=f"eth{i}", mac=m.lower()) for i, m in enumerate(nics)))
        self.nodes_[node_id] = node
        self.interfaces_[node_id] = [
            Interface(name=f"eth{i}", id=i + 1, mac=m.lower(),
                      assigned_networks=(AssignedNetwork(1, "fuelweb_admin"),) if i == 0 else ())
            for i, m in enumerate(nics)]
        return node

    def fail_next(self, method: str, error: FuelError, times: int = 1) -> None:
        self.errors[method].extend([error] * times)

    def _id(self) -> int:
        self._next += 1
        return self._next

    def _use(self, method: str, *, advance: bool = True) -> None:
        if self.closed:
            raise FuelError("this FuelClient is closed")
        self.calls[method] += 1
        if self.errors[method]:
            raise self.errors[method].pop(0)
        if advance:
            self._advance()

    def _advance(self) -> None:
        for node_id, left in list(self.rebooting.items()):   # as the simulator's machines boot back
            if left <= 1:
                del self.rebooting[node_id]
                self._set_node(node_id, online=True)
            else:
                self.rebooting[node_id] = left - 1
        for job in list(self.jobs):
            task = self.tasks_[job.task_id]
            progress = min(100, task.progress + self.step)
            if progress < 100:
                self.tasks_[task.id] = replace(task, progress=progress)
                continue
            self.jobs.remove(job)
            error = job.on_done()
            self.tasks_[task.id] = replace(task, progress=100, status=TaskStatus.ERROR if error else TaskStatus.READY,
                                           message=error)

    def _task(self, name: TaskName, cluster_id: int | None, on_done: Callable[[], str | None] | None = None,
              *, status: TaskStatus = TaskStatus.RUNNING, message: str | None = None) -> Task:
        task = Task(id=self._id(), name=name, status=status, progress=0 if status is TaskStatus.RUNNING else 100,
                    message=message, cluster=cluster_id)
        self.tasks_[task.id] = task
        if on_done is not None and status is TaskStatus.RUNNING:
            self.jobs.append(_Job(task.id, on_done))
        return task

    def _cluster(self, cluster_id: int) -> Cluster:
        if cluster_id not in self.clusters:
            raise FuelError(f"Fuel master answered 404 to GET /api/clusters/{cluster_id}: Cluster not found",
                            status=404, server_message="Cluster not found")
        return self.clusters[cluster_id]

    def _set_cluster(self, cluster_id: int, **changes: Any) -> None:
        self.clusters[cluster_id] = replace(self.clusters[cluster_id], **changes)

    def _set_node(self, node_id: int, **changes: Any) -> None:
        self.nodes_[node_id] = replace(self.nodes_[node_id], **changes)

    def _running(self, cluster_id: int, *names: TaskName) -> bool:
        return any(t.cluster == cluster_id and t.name in names and t.status is TaskStatus.RUNNING
                   for t in self.tasks_.values())

    # -- the port: master and environments ------------------------------------------------------
    @property
    def url(self) -> str:
        return self._url

    def version(self) -> FuelVersion:
        self._use("version")
        return FuelVersion(release=self.release, api="1.0", auth_required=True, feature_groups=self.feature_groups)

    def releases(self) -> list[Release]:
        self._use("releases")
        return list(self.releases_)

    def find_release(self, name: str, version: str | None = None) -> Release:
        self._use("find_release")
        for release in self.releases_:
            if release.name == name and (version is None or release.version == version):
                return release
        raise FuelError(f"The Fuel master at {self._url} has no release {name} {version or ''}".strip())

    def find_cluster(self, name: str) -> Cluster | None:
        self._use("find_cluster")
        return next((c for c in self.clusters.values() if c.name == name), None)

    def cluster(self, cluster_id: int) -> Cluster:
        self._use("cluster")
        return self._cluster(cluster_id)

    def create_cluster(self, *, name: str, release_id: int, mode: Mode | str,
                       net_provider: NetProvider | str = NetProvider.NOVA_NETWORK) -> Cluster:
        self._use("create_cluster", advance=False)
        if any(c.name == name for c in self.clusters.values()):
            raise FuelError(f"Fuel master answered 409 to POST /api/clusters: Environment with this name '{name}' "
                            "already exists.", status=409)
        cluster = Cluster(id=self._id(), name=name, status=ClusterStatus.NEW, mode=Mode(mode),
                          net_provider=NetProvider(net_provider), release_id=release_id)
        self.clusters[cluster.id] = cluster
        self.editable[cluster.id] = default_editable()
        self.networks[cluster.id] = _nova_configuration()
        return cluster

    def delete_cluster(self, cluster_id: int) -> Task | None:
        self._use("delete_cluster", advance=False)
        self._cluster(cluster_id)
        self._set_cluster(cluster_id, status=ClusterStatus.REMOVE)

        def gone() -> None:
            for node in self.nodes(cluster_id):   # the rows go; the machines reboot and are discovered anew
                del self.nodes_[node.id]
            del self.clusters[cluster_id]

        self._task(TaskName.CLUSTER_DELETION, cluster_id, lambda: gone())
        return None

    def attributes(self, cluster_id: int) -> dict[str, Any]:
        self._use("attributes")
        self._cluster(cluster_id)
        return copy.deepcopy(self.editable[cluster_id])

    def update_attributes(self, cluster_id: int, editable: dict[str, Any]) -> dict[str, Any]:
        self._use("update_attributes", advance=False)
        self._cluster(cluster_id)
        self.editable[cluster_id] = copy.deepcopy(editable)
        return copy.deepcopy(editable)

    def network_configuration(self, cluster_id: int, provider: NetProvider | str) -> dict[str, Any]:
        self._use("network_configuration")
        self._cluster(cluster_id)
        return copy.deepcopy(self.networks[cluster_id])

    def update_network_configuration(self, cluster_id: int, provider: NetProvider | str,
                                     config: dict[str, Any]) -> Task:
        self._use("update_network_configuration", advance=False)
        self._cluster(cluster_id)
        problems = _intersections(config)
        if problems:   # Nailgun's nova-network checker (sim/fuel/netcheck.py): nothing is saved
            return self._task(TaskName.CHECK_NETWORKS, cluster_id, status=TaskStatus.ERROR,
                              message="\n".join(problems))
        self.networks[cluster_id] = copy.deepcopy(config)
        return self._task(TaskName.CHECK_NETWORKS, cluster_id, status=TaskStatus.READY)

    def verify_networks(self, cluster_id: int, provider: NetProvider | str, config: dict[str, Any]) -> Task:
        self._use("verify_networks", advance=False)
        self._cluster(cluster_id)
        return self._task(TaskName.VERIFY_NETWORKS, cluster_id, lambda: self.verify_error)

    def deploy_changes(self, cluster_id: int) -> Task:
        self._use("deploy_changes", advance=False)
        cluster = self._cluster(cluster_id)
        if self._running(cluster_id, TaskName.DEPLOY):
            raise FuelError(f"Fuel master answered 500 to PUT /api/clusters/{cluster_id}/changes: internal server "
                            "error. The outcome is unknown: look at the environment's tasks (GET "
                            "/api/tasks?cluster_id=…) before trying again", status=500)
        pending = [n for n in self.nodes(cluster_id) if n.pending_addition or n.pending_roles]
        if not pending:
            raise FuelError(f"Fuel master answered 400 to PUT /api/clusters/{cluster_id}/changes: No changes to "
                            "deploy", status=400, server_message="No changes to deploy")
        self._set_cluster(cluster_id, status=ClusterStatus.DEPLOYMENT)

        def deployed() -> None:
            for node in pending:
                self._set_node(node.id, status=NodeStatus.READY, progress=100, pending_addition=False,
                               roles=node.roles + node.pending_roles, pending_roles=())
            self._set_cluster(cluster.id, status=ClusterStatus.OPERATIONAL)

        return self._task(TaskName.DEPLOY, cluster_id, lambda: deployed())

    def stop_deployment(self, cluster_id: int) -> Task:
        self._use("stop_deployment", advance=False)
        self._cluster(cluster_id)
        running = [j for j in self.jobs if self.tasks_[j.task_id].name is TaskName.DEPLOY
                   and self.tasks_[j.task_id].cluster == cluster_id]
        if not running:
            raise FuelError(f"Fuel master answered 400 to PUT /api/clusters/{cluster_id}/stop_deployment: Nothing "
                            f"to stop - deployment is not running on environment '{cluster_id}'", status=400)
        for job in running:
            self.jobs.remove(job)
            self.tasks_[job.task_id] = replace(self.tasks_[job.task_id], status=TaskStatus.ERROR, progress=100,
                                               message="Deployment was stopped")

        def stopped() -> None:
            self._set_cluster(cluster_id, status=ClusterStatus.STOPPED)

        return self._task(TaskName.STOP_DEPLOYMENT, cluster_id, lambda: stopped())

    def reset(self, cluster_id: int) -> Task:
        self._use("reset", advance=False)
        self._cluster(cluster_id)

        def reset() -> None:
            # Node.reset_to_discover: back to bootstrap, offline until the machine has rebooted
            for node in self.nodes(cluster_id):
                self._set_node(node.id, status=NodeStatus.DISCOVER, progress=0, pending_addition=True,
                               pending_roles=node.roles + tuple(r for r in node.pending_roles if r not in node.roles),
                               roles=(), online=False)
                self.rebooting[node.id] = self.reboot_polls
            self._set_cluster(cluster_id, status=ClusterStatus.NEW)

        return self._task(TaskName.RESET_ENVIRONMENT, cluster_id, lambda: reset())

    # -- nodes and tasks -----------------------------------------------------------------------
    def nodes(self, cluster_id: int | None | Literal["unallocated"] = None) -> list[Node]:
        self._use("nodes")
        nodes = sorted(self.nodes_.values(), key=lambda n: n.id)
        if cluster_id == "unallocated":
            return [n for n in nodes if n.cluster is None]
        return nodes if cluster_id is None else [n for n in nodes if n.cluster == cluster_id]

    def assign_roles(self, cluster_id: int, roles: Mapping[int, Sequence[str]]) -> None:
        self._use("assign_roles", advance=False)
        self._cluster(cluster_id)
        for node_id, node_roles in roles.items():
            node = self.nodes_.get(node_id)
            if node is None or node.cluster is not None:
                raise FuelError(f"Fuel master answered 400 to POST /api/clusters/{cluster_id}/assignment: Node "
                                f"{node_id} is already assigned or does not exist", status=400)
            self._set_node(node_id, cluster=cluster_id, pending_roles=tuple(node_roles), pending_addition=True)

    def assign_networks_by_mac(self, node_id: int,
                               networks_by_mac: Mapping[str, Sequence[str]]) -> list[Interface]:
        self._use("assign_networks_by_mac", advance=False)
        if self.nodes_[node_id].cluster is None:
            raise FuelError(f"Node {node_id} is in no environment, so it has no networks to assign; "
                            "assign it a role first")
        planned = plan_interfaces(self.interfaces_[node_id], networks_by_mac, NETWORK_IDS, node_id=node_id)
        self.interfaces_[node_id] = planned
        return list(planned)

    def tasks(self, cluster_id: int | None = None) -> list[Task]:
        self._use("tasks")
        return [t for t in self.tasks_.values() if cluster_id is None or t.cluster == cluster_id]

    def task(self, task_id: int) -> Task:
        self._use("task")
        if task_id not in self.tasks_:
            raise FuelError(f"Fuel master answered 404 to GET /api/tasks/{task_id}: Task not found", status=404)
        return self.tasks_[task_id]

    # -- health checks -------------------------------------------------------------------------
    def ostf_testsets(self, cluster_id: int) -> list[TestSet]:
        self._use("ostf_testsets")
        return [TestSet(id=name, name=name) for name, _ in TESTSETS]

    def start_testruns(self, cluster_id: int, testsets: list[str]) -> list[TestRun]:
        self._use("start_testruns", advance=False)
        started = []
        for testset in testsets:
            count = dict(TESTSETS)[testset]
            tests = tuple(Test(id=f"fuel_health.tests.{testset}.test_{i}", testset=testset, name=f"{testset} {i}",
                               status=TestStatus.RUNNING) for i in range(count))
            run = TestRun(id=self._id(), testset=testset, cluster_id=cluster_id, status=TestRunStatus.RUNNING,
                          tests=tests)
            self.runs[run.id] = run
            started.append(run)
        return started

    def _finish_runs(self) -> None:
        for run_id, run in self.runs.items():
            if run.status is TestRunStatus.RUNNING:
                tests = tuple(replace(t, status=TestStatus.FAILURE if t.id in self.failing_tests else TestStatus.SUCCESS,
                                      message=self.failing_tests.get(t.id)) for t in run.tests)
                self.runs[run_id] = replace(run, status=TestRunStatus.FINISHED, tests=tests)

    def last_testruns(self, cluster_id: int) -> list[TestRun]:
        self._use("last_testruns")
        self._finish_runs()
        latest: dict[str, TestRun] = {}
        for run in sorted(self.runs.values(), key=lambda r: r.id):
            if run.cluster_id == cluster_id:
                latest[run.testset] = run
        return list(latest.values())

    def testrun(self, testrun_id: int) -> TestRun:
        self._use("testrun")
        return self.runs[testrun_id]

    def stop_testrun(self, testrun_id: int) -> TestRun | None:
        self._use("stop_testrun", advance=False)
        run = self.runs.get(testrun_id)
        if run is not None and run.status is TestRunStatus.RUNNING:
            self.runs[testrun_id] = replace(run, status=TestRunStatus.FINISHED)
        return self.runs.get(testrun_id)

    # -- notifications, logs, the diagnostic snapshot ------------------------------------------
    def notify(self, topic: str, message: str, *, cluster: int | None = None, node_id: int | None = None) -> None:
        self.notifications_.append(Notification(id=len(self.notifications_) + 1, topic=topic, message=message,
                                                cluster=cluster, node_id=node_id))

    def notifications(self) -> list[Notification]:
        self._use("notifications", advance=False)
        return list(self.notifications_)

    def log_sources(self) -> list[LogSource]:
        self._use("log_sources", advance=False)
        return list(_LOG_SOURCES)

    def node_log_sources(self, node_id: int) -> list[LogSource]:
        self._use("node_log_sources", advance=False)
        if node_id not in self.nodes_:    # sim/fuel/routes_logs.py: Nailgun's 404
            raise FuelError(f"Fuel master answered 404 to GET /api/logs/sources/nodes/{node_id}: Node not found",
                            status=404, server_message="Node not found")
        return [s for s in _LOG_SOURCES if s.remote and (s.id, node_id) in self.log_entries]

    def logs(self, source: str, *, node: int | None = None, level: str | None = None,
             max_entries: int | None = None, from_byte: int | None = None, to_byte: int | None = None,
             fetch_older: bool = False) -> LogPage:
        self._use("logs", advance=False)
        config = next((s for s in _LOG_SOURCES if s.id == source), None)
        if config is None:
            raise FuelError("Fuel master answered 404 to GET /api/logs: Log source not found", status=404,
                            server_message="Log source not found")
        if level is not None and level not in config.levels:
            raise FuelError("Fuel master answered 400 to GET /api/logs: Invalid level", status=400,
                            server_message="Invalid level")
        floor = config.levels.index(level) if level else 0
        kept = [e for e in self.log_entries.get((source, node if config.remote else None), [])
                if e.level in config.levels[floor:]]
        newest = list(reversed(kept))[: max_entries or 100]
        return LogPage(entries=tuple(newest), from_byte=0, to_byte=0, has_more=len(kept) > len(newest))

    def start_snapshot(self) -> Task:
        self._use("start_snapshot", advance=False)
        return self._task(TaskName.DUMP, None, lambda: None)

    def download_snapshot(self, task: Task, dest: BinaryIO, *, max_bytes: int) -> int:
        self._use("download_snapshot", advance=False)
        task = self.tasks_[task.id]
        if task.name is not TaskName.DUMP or task.status is not TaskStatus.READY:   # FuelClient.download_snapshot
            raise FuelError(f"Fuel's snapshot task #{task.id} is {task.status.value}; there is nothing to download")
        if len(self.snapshot) > max_bytes:
            raise SnapshotTooLarge(f"The snapshot is {len(self.snapshot)} bytes, more than {max_bytes}",
                                   url=f"{self._url}/dump/fuel-snapshot.tar.xz", size=len(self.snapshot),
                                   limit=max_bytes)
        dest.write(self.snapshot)
        return len(self.snapshot)

    def close(self) -> None:
        self.closed = True


_SYSLOG = ("DEBUG", "INFO", "NOTICE", "WARNING", "ERR", "CRIT", "ALERT", "EMERG")
_LOG_SOURCES = (LogSource(id="astute", name="Astute", remote=False, path="/var/log/astute/astute.log", levels=_SYSLOG),
                LogSource(id="install/puppet", name="puppet", remote=True, path="puppet-apply.log", levels=_SYSLOG),
                LogSource(id="bootstrap/messages", name="messages", remote=True, path="bootstrap/messages.log",
                          levels=_SYSLOG, group="Bootstrap logs"))
