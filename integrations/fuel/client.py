"""``FuelClient``: every Fuel 6.0 operation fuelbot's workflows need, as one object.

Layers (as in python-fuelclient): workflow → ``FuelClient`` (this facade) → resource modules
(``clusters``, ``nodes``, ``tasks``, ``ostf``) → ``FuelSession`` (HTTP, auth, retries).
Constructing a client sends nothing; the first call logs in. One client per job is the
intended use; counting and login are locked, so sharing one between threads stays correct.

Errors: every failure is a ``core.errors.FuelError`` carrying method, URL, status, Nailgun's
message and ``retryable``. Calls that start something on the master (deploy, stop, reset,
cluster create/delete, verify, OSTF runs) are never resent after a lost answer; their error
says the outcome is unknown and that the tasks must be looked at first.
"""
from __future__ import annotations

import time
from collections import Counter
from typing import Any, BinaryIO, Callable, Iterable, Literal, Mapping, Sequence

import requests

from core.errors import FuelError
from integrations.fuel import waiting
from integrations.fuel.clusters import ClustersAPI
from integrations.fuel.enums import Mode, NetProvider, TaskName, TaskStatus
from integrations.fuel.logs import LogPage, LogsAPI, LogSource
from integrations.fuel.models import (Cluster, FuelVersion, Interface, Node, Notification, Release,
                                      Task, Test, TestRun, TestSet)
from integrations.fuel.nodes import NodesAPI
from integrations.fuel.ostf import OstfAPI
from integrations.fuel.session import FuelSession
from integrations.fuel.tasks import TasksAPI
from labspec.model import FuelMaster


class FuelClient:
    """A Fuel master's Nailgun, Keystone and OSTF APIs for one user."""

    def __init__(self, *, url: str, user: str, password: str, tenant: str = "admin",
                 timeout: float = 10.0, retries: int = 3, backoff: float = 0.5,
                 session: requests.Session | None = None) -> None:
        self._session = FuelSession(url=url, user=user, password=password, tenant=tenant,
                                    timeout=timeout, retries=retries, backoff=backoff, session=session)
        self._clusters = ClustersAPI(self._session)
        self._nodes = NodesAPI(self._session, self._clusters.network_configuration)
        self._tasks = TasksAPI(self._session)
        self._ostf = OstfAPI(self._session)
        self._logs = LogsAPI(self._session)

    @classmethod
    def from_master(cls, master: FuelMaster, **kw: Any) -> "FuelClient":
        """A client for the lab spec's Fuel master; ``kw`` passes timeout, retries, backoff, session."""
        return cls(url=master.url, user=master.user, password=master.password,
                   tenant=master.tenant, **kw)

    def __repr__(self) -> str:
        return f"FuelClient(url={self.url!r}, user={self._session.user!r})"

    def __enter__(self) -> "FuelClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._session.close()

    @property
    def url(self) -> str:
        return self._session.base_url

    @property
    def request_count(self) -> Counter[str]:
        """Requests sent so far (retries and logins included), keyed "METHOD /route/{template}"."""
        return self._session.request_count

    # -- master ---------------------------------------------------------------------------

    def version(self) -> FuelVersion:
        return self._session.fetch_version()

    def releases(self) -> list[Release]:
        return self._clusters.releases()

    def find_release(self, name: str, version: str | None = None) -> Release:
        return self._clusters.find_release(name, version)

    def notifications(self) -> list[Notification]:
        return self._tasks.notifications()

    # -- logs and the diagnostic snapshot --------------------------------------------------

    def log_sources(self) -> list[LogSource]:
        return self._logs.log_sources()

    def node_log_sources(self, node_id: int) -> list[LogSource]:
        return self._logs.node_log_sources(node_id)

    def logs(self, source: str, *, node: int | None = None, level: str | None = None,
             max_entries: int | None = None, from_byte: int | None = None, to_byte: int | None = None,
             fetch_older: bool = False) -> LogPage:
        return self._logs.logs(source, node=node, level=level, max_entries=max_entries, from_byte=from_byte,
                               to_byte=to_byte, fetch_older=fetch_older)

    def start_snapshot(self) -> Task:
        """Ask for a diagnostic snapshot (the logs package); follow it with ``wait_for_task``."""
        return self._logs.start_snapshot()

    def download_snapshot(self, task: Task, dest: BinaryIO, *, max_bytes: int) -> int:
        """Stream the finished ``dump`` task's tarball into ``dest``; return its size in bytes.

        Raises ``SnapshotTooLarge`` past ``max_bytes``, ``FuelError`` when the task did not end
        with a ``/dump/…`` path (it failed, or is not a snapshot).
        """
        path = task.message or ""
        if task.name is not TaskName.DUMP or task.status is not TaskStatus.READY or not path.startswith("/dump/"):
            raise FuelError(f"Fuel's snapshot task #{task.id} is {task.status.value}"
                            + (f": {task.message}" if task.message else "") + "; there is nothing to download")
        return self._session.download(path, dest, max_bytes=max_bytes)

    # -- environments ---------------------------------------------------------------------

    def clusters(self) -> list[Cluster]:
        return self._clusters.clusters()

    def cluster(self, cluster_id: int) -> Cluster:
        return self._clusters.cluster(cluster_id)

    def find_cluster(self, name: str) -> Cluster | None:
        return self._clusters.find_cluster(name)

    def create_cluster(self, *, name: str, release_id: int, mode: Mode | str,
                       net_provider: NetProvider | str = NetProvider.NOVA_NETWORK) -> Cluster:
        return self._clusters.create_cluster(name=name, release_id=release_id, mode=mode,
                                             net_provider=net_provider)

    def update_cluster(self, cluster_id: int, **fields: Any) -> Cluster:
        return self._clusters.update_cluster(cluster_id, **fields)

    def delete_cluster(self, cluster_id: int) -> Task | None:
        return self._clusters.delete_cluster(cluster_id)

    def attributes(self, cluster_id: int) -> dict[str, Any]:
        return self._clusters.attributes(cluster_id)

    def update_attributes(self, cluster_id: int, editable: dict[str, Any]) -> dict[str, Any]:
        return self._clusters.update_attributes(cluster_id, editable)

    def apply_settings(self, cluster_id: int,
                       mutate: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
        return self._clusters.apply_settings(cluster_id, mutate)

    def network_configuration(self, cluster_id: int, provider: NetProvider | str) -> dict[str, Any]:
        return self._clusters.network_configuration(cluster_id, provider)

    def update_network_configuration(self, cluster_id: int, provider: NetProvider | str,
                                     config: dict[str, Any]) -> Task:
        return self._clusters.update_network_configuration(cluster_id, provider, config)

    def verify_networks(self, cluster_id: int, provider: NetProvider | str,
                        config: dict[str, Any]) -> Task:
        return self._clusters.verify_networks(cluster_id, provider, config)

    def deploy_changes(self, cluster_id: int) -> Task:
        return self._clusters.deploy_changes(cluster_id)

    def stop_deployment(self, cluster_id: int) -> Task:
        return self._clusters.stop_deployment(cluster_id)

    def reset(self, cluster_id: int) -> Task:
        return self._clusters.reset(cluster_id)

    # -- nodes ----------------------------------------------------------------------------

    def nodes(self, cluster_id: int | None | Literal["unallocated"] = None) -> list[Node]:
        return self._nodes.nodes(cluster_id)

    def node(self, node_id: int) -> Node:
        return self._nodes.node(node_id)

    def update_nodes(self, updates: list[dict[str, Any]]) -> list[Node]:
        return self._nodes.update_nodes(updates)

    def assign_roles(self, cluster_id: int, roles: Mapping[int, Sequence[str]]) -> None:
        self._nodes.assign_roles(cluster_id, roles)

    def unassign(self, cluster_id: int, node_ids: Iterable[int]) -> None:
        self._nodes.unassign(cluster_id, node_ids)

    def interfaces(self, node_id: int) -> list[Interface]:
        return self._nodes.interfaces(node_id)

    def update_interfaces(self, node_id: int,
                          interfaces: Sequence[Interface | Mapping[str, Any]]) -> list[Interface]:
        return self._nodes.update_interfaces(node_id, interfaces)

    def assign_networks_by_mac(self, node_id: int,
                               networks_by_mac: Mapping[str, Sequence[str]]) -> list[Interface]:
        return self._nodes.assign_networks_by_mac(node_id, networks_by_mac)

    # -- tasks ----------------------------------------------------------------------------

    def tasks(self, cluster_id: int | None = None) -> list[Task]:
        return self._tasks.tasks(cluster_id)

    def task(self, task_id: int) -> Task:
        return self._tasks.task(task_id)

    def delete_task(self, task_id: int, force: bool = False) -> None:
        self._tasks.delete_task(task_id, force)

    def wait_for_task(self, task_id: int, *, deadline: float,
                      on_progress: Callable[[Task], None] | None = None, poll: float = 2.0,
                      should_stop: Callable[[], bool] | None = None,
                      max_poll: float | None = None,
                      on_error: Callable[[FuelError], None] | None = None) -> Task:
        """Poll the task until it is ``ready`` or ``error`` and return it; the caller judges it.

        ``deadline`` is a ``time.monotonic()`` instant; past it a retryable FuelError gives the
        task's last status and progress. ``on_progress`` sees every change of status or
        progress. If ``should_stop()`` turns true the last (unfinished) task is returned.
        Polling slows from ``poll`` to ``max_poll`` (default 5 × poll) while nothing changes.
        """
        return waiting.follow(lambda: self.task(task_id), done=lambda t: t.done,
                              state=waiting.task_state, describe=waiting.describe_task(task_id),
                              deadline=deadline, poll=poll, max_poll=max_poll,
                              on_progress=on_progress, should_stop=should_stop, on_error=on_error)

    # -- health checks --------------------------------------------------------------------

    def ostf_testsets(self, cluster_id: int) -> list[TestSet]:
        return self._ostf.ostf_testsets(cluster_id)

    def ostf_tests(self, cluster_id: int) -> list[Test]:
        return self._ostf.ostf_tests(cluster_id)

    def start_testruns(self, cluster_id: int, testsets: list[str], tests: list[str] | None = None, *,
                       credentials: Mapping[str, str] | None = None) -> list[TestRun]:
        return self._ostf.start_testruns(cluster_id, testsets, tests, credentials=credentials)

    def restart_testrun(self, testrun_id: int, *, tests: Sequence[str] | None = None,
                        credentials: Mapping[str, str] | None = None) -> TestRun:
        return self._ostf.restart_testrun(testrun_id, tests=tests, credentials=credentials)

    def last_testruns(self, cluster_id: int) -> list[TestRun]:
        return self._ostf.last_testruns(cluster_id)

    def testrun(self, testrun_id: int) -> TestRun:
        return self._ostf.testrun(testrun_id)

    def stop_testrun(self, testrun_id: int) -> TestRun | None:
        return self._ostf.stop_testrun(testrun_id)

    def wait_for_testruns(self, cluster_id: int, testrun_ids: Sequence[int] | None = None, *,
                          deadline: float, on_progress: Callable[[list[TestRun]], None] | None = None,
                          poll: float = 2.0, should_stop: Callable[[], bool] | None = None,
                          max_poll: float | None = None) -> list[TestRun]:
        """Poll until the runs (default: the latest run of every set) are ``finished``.

        One ``testruns/last`` request per poll covers every set; a run that is no longer the
        latest of its set is fetched on its own. Deadline and callbacks as ``wait_for_task``.
        """
        def fetch() -> list[TestRun]:
            runs = self.last_testruns(cluster_id)
            if testrun_ids is None:
                return runs
            by_id = {r.id: r for r in runs}
            return [by_id.get(i) or self.testrun(i) for i in testrun_ids]

        return waiting.follow(fetch, done=lambda runs: all(r.finished for r in runs),
                              state=waiting.runs_state, describe=waiting.describe_runs(cluster_id),
                              deadline=deadline, poll=poll, max_poll=max_poll,
                              on_progress=on_progress, should_stop=should_stop)


def deadline_in(seconds: float) -> float:
    """The ``deadline`` for a wait of ``seconds`` from now."""
    return time.monotonic() + seconds


__all__ = ["FuelClient", "deadline_in"]
