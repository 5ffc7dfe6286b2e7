"""Releases and environments: create, settings, network configuration, deploy/stop/reset.

Every call states whether it is idempotent (see ``retry``). The deploy-family PUTs, cluster
POST/DELETE and network verification are not: a lost answer is reported as "outcome unknown".
"""
from __future__ import annotations

import copy
from typing import Any, Callable

from core.errors import FuelError
from integrations.fuel.enums import Mode, NetProvider, TaskName, TaskStatus
from integrations.fuel.models import Cluster, Release, Task
from integrations.fuel.session import FuelSession

CLUSTER = "/api/clusters/{cluster_id}"
NETWORK_CONFIGURATION = CLUSTER + "/network_configuration/{provider}"


class ClustersAPI:
    """Nailgun's release and cluster endpoints."""

    def __init__(self, session: FuelSession) -> None:
        self._s = session

    # -- releases -------------------------------------------------------------------------

    def releases(self) -> list[Release]:
        return [Release.from_json(r) for r in self._s.call("GET", "/api/releases") or ()]

    def find_release(self, name: str, version: str | None = None) -> Release:
        """The release called ``name`` (and ``version``, when given), or a FuelError listing them."""
        releases = self.releases()
        for release in releases:
            if release.name == name and (version is None or release.version == version):
                return release
        offered = ", ".join(f"'{r.name}' ({r.version})" for r in releases) or "none"
        wanted = f"'{name}'" + (f" ({version})" if version else "")
        raise FuelError(f"The Fuel master at {self._s.base_url} has no release {wanted}; it offers "
                        f"{offered}. Fix the environment's release in the lab spec")

    # -- clusters -------------------------------------------------------------------------

    def clusters(self) -> list[Cluster]:
        return [Cluster.from_json(c) for c in self._s.call("GET", "/api/clusters") or ()]

    def cluster(self, cluster_id: int) -> Cluster:
        return Cluster.from_json(self._s.call("GET", CLUSTER, cluster_id=cluster_id))

    def find_cluster(self, name: str) -> Cluster | None:
        return next((c for c in self.clusters() if c.name == name), None)

    def create_cluster(self, *, name: str, release_id: int, mode: Mode | str,
                       net_provider: NetProvider | str = NetProvider.NOVA_NETWORK) -> Cluster:
        # Only release_id, as fuelclient sends: 6.0's Cluster.create maps "release" to
        # release_id only when release_id is absent, and chokes when both are sent.
        body = {"name": name, "release_id": int(release_id), "mode": str(mode),
                "net_provider": str(net_provider)}
        return Cluster.from_json(self._s.call("POST", "/api/clusters", body=body, idempotent=False))

    def update_cluster(self, cluster_id: int, **fields: Any) -> Cluster:
        data = self._s.call("PUT", CLUSTER, body=fields, idempotent=True, cluster_id=cluster_id)
        return Cluster.from_json(data) if isinstance(data, dict) and "id" in data \
            else self.cluster(cluster_id)

    def delete_cluster(self, cluster_id: int) -> Task | None:
        """Start deleting; 6.0 answers 202 ``{}``.

        The ``cluster_deletion`` task is deleted together with the cluster row, so the end of
        the deletion is ``find_cluster(name)`` returning ``None``, not a ready task.
        """
        return _task_or_none(self._s.call("DELETE", CLUSTER, idempotent=False, cluster_id=cluster_id))

    # -- settings -------------------------------------------------------------------------

    def attributes(self, cluster_id: int) -> dict[str, Any]:
        """The Settings tab: the ``editable`` tree of ``GET /attributes`` (groups → settings)."""
        data = self._s.call("GET", CLUSTER + "/attributes", cluster_id=cluster_id) or {}
        return dict(data.get("editable") or {})

    def update_attributes(self, cluster_id: int, editable: dict[str, Any]) -> dict[str, Any]:
        """Replace the ``editable`` tree; 403 while the environment is deploying or deployed."""
        if set(editable) == {"editable"}:  # accept the whole GET body too; it is an easy slip
            editable = editable["editable"]
        data = self._s.call("PUT", CLUSTER + "/attributes", body={"editable": editable},
                            idempotent=True, cluster_id=cluster_id)
        return dict((data or {}).get("editable") or editable)

    def apply_settings(self, cluster_id: int,
                       mutate: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
        """GET the settings, let ``mutate`` edit them in place, PUT them back if anything changed.

        Skipping an unchanged PUT keeps the step idempotent and avoids adding a pending
        ``attributes`` change (and a 403 on a deployed environment) for nothing.
        """
        current = self.attributes(cluster_id)
        wanted = copy.deepcopy(current)
        mutate(wanted)
        if wanted == current:
            return current
        return self.update_attributes(cluster_id, wanted)

    # -- networks -------------------------------------------------------------------------

    def network_configuration(self, cluster_id: int, provider: NetProvider | str) -> dict[str, Any]:
        """The Networks tab as Fuel sends it (``networks`` with ids, ``networking_parameters``)."""
        return dict(self._s.call("GET", NETWORK_CONFIGURATION, cluster_id=cluster_id,
                                 provider=str(provider)) or {})

    def update_network_configuration(self, cluster_id: int, provider: NetProvider | str,
                                     config: dict[str, Any]) -> Task:
        """Save the Networks tab. The returned ``check_networks`` task says whether it was saved.

        6.0 answers 202 with the task (ready = saved; error = nothing saved, message says why);
        6.1/7.0 may answer 200 with it; 8.0+ answers 200 with the configuration itself, which
        is reported here as a ready ``check_networks`` task with id 0.
        """
        data = self._s.call("PUT", NETWORK_CONFIGURATION, body=config, idempotent=True,
                            cluster_id=cluster_id, provider=str(provider))
        task = _task_or_none(data)
        if task is None:
            return Task(id=0, name=TaskName.CHECK_NETWORKS, status=TaskStatus.READY, progress=100,
                        cluster=cluster_id)
        return task

    def verify_networks(self, cluster_id: int, provider: NetProvider | str,
                        config: dict[str, Any]) -> Task:
        """Start network verification (at least two nodes); follow the returned task."""
        data = self._s.call("PUT", NETWORK_CONFIGURATION + "/verify", body=config, idempotent=False,
                            cluster_id=cluster_id, provider=str(provider))
        return Task.from_json(data)

    # -- deployment -----------------------------------------------------------------------

    def deploy_changes(self, cluster_id: int) -> Task:
        """"Deploy changes": the ``deploy`` super-task (may come back already in ``error``)."""
        return Task.from_json(self._s.call("PUT", CLUSTER + "/changes", body={}, idempotent=False,
                                           cluster_id=cluster_id))

    def stop_deployment(self, cluster_id: int) -> Task:
        return Task.from_json(self._s.call("PUT", CLUSTER + "/stop_deployment", body={},
                                           idempotent=False, cluster_id=cluster_id))

    def reset(self, cluster_id: int) -> Task:
        return Task.from_json(self._s.call("PUT", CLUSTER + "/reset", body={}, idempotent=False,
                                           cluster_id=cluster_id))


def _task_or_none(data: Any) -> Task | None:
    if isinstance(data, dict) and "id" in data and "status" in data and "networks" not in data:
        return Task.from_json(data)
    return None
