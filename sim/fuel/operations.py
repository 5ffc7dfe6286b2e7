"""Cluster actions that start tasks: deploy changes, provision/deploy selected nodes, stop, reset, delete.

Stop, reset and deletion are Astute round trips: their task runs for a simulated while and
then its effect lands (``_Job``). Two of these answer 500 in 6.0 because Nailgun does not map
``DeploymentAlreadyStarted``: deploying, or resetting, while a deployment runs.
"""
from __future__ import annotations

from dataclasses import dataclass

from sim.fuel import interfaces, prechecks
from sim.fuel.config import SimConfig
from sim.fuel.deploy import Deployer
from sim.fuel.errors import HttpError, bad_request
from sim.fuel.machines import Machines
from sim.fuel.records import Cluster, Node, Task
from sim.fuel.state import State

DEPLOY_TASKS = ("deploy", "provision", "deployment", "node_deletion")
UNMAPPED_500 = "internal server error"   # web.py's body for an unhandled exception


@dataclass
class _Job:
    at: float
    kind: str          # stop | reset | cluster_deletion
    cluster_id: int
    task_id: int


def reset_to_discover(node: Node) -> None:
    """``Node.reset_to_discover``: back to bootstrap, roles pending again, offline until it reboots."""
    node.status, node.progress, node.error_type, node.error_msg = "discover", 0, None, None
    node.pending_addition, node.pending_deletion, node.online = True, False, False
    node.pending_roles = node.roles + [r for r in node.pending_roles if r not in node.roles]
    node.roles, node.fqdn, node.disks = [], None, None


class Operations:
    """Entry points of the cluster actions; callers hold the state lock."""

    def __init__(self, state: State, config: SimConfig, machines: Machines, deployer: Deployer) -> None:
        self.state, self.config, self.machines, self.deployer = state, config, machines, deployer
        self.jobs: list[_Job] = []

    def clear(self) -> None:
        self.jobs.clear()
        self.deployer.runs.clear()

    def _refuse_if_running(self, cluster: Cluster) -> None:
        if cluster.id in self.deployer.runs:
            raise HttpError(500, UNMAPPED_500)

    def _drop_finished(self, cluster: Cluster, *names: str) -> None:
        for task in self.state.cluster_tasks(cluster.id, *names):
            if task.parent is None and task.status != "running":
                self.state.delete_task(task)

    def deploy_changes(self, cluster: Cluster, now: float) -> Task:
        """``PUT /clusters/<id>/changes``."""
        self._refuse_if_running(cluster)
        if cluster.status == "remove":
            raise bad_request(f"Environment '{cluster.name}' is being deleted")
        self._drop_finished(cluster, *DEPLOY_TASKS)
        members = self.state.cluster_nodes(cluster.id)
        to_delete = [n for n in members if n.pending_deletion or (n.status == "error" and n.error_type == "deletion")]
        alive = [n for n in members if n not in to_delete]
        to_provision = [n for n in alive if (n.pending_addition and n.status in ("discover", "error"))
                        or (n.status == "error" and n.error_type == "provision")]
        to_deploy = [n for n in alive if n.pending_addition or n.pending_roles or n.status in ("provisioned", "error")]
        if cluster.mode == "ha_compact" and any("controller" in n.all_roles for n in to_deploy):
            to_deploy += [n for n in alive if "controller" in n.roles and n not in to_deploy]
        if not (to_delete or to_provision or to_deploy):
            raise bad_request("No changes to deploy")
        self.state.deploy_counts[cluster.id] += 1
        top = self.state.add_task("deploy", cluster.id)
        problem = prechecks.first_failure(cluster, members)
        if problem:
            top.finish("error", problem)
            self.state.log("app", "ERROR", f"Checking prerequisites failed: {problem}")
            return top
        cluster.status = "deployment"
        for node in to_provision:
            node.status, node.progress, node.error_type = "provisioning", 0, None
        for node in to_provision + to_deploy:
            node.fqdn = f"node-{node.id}.domain.tld"
        plan = [(name, nodes) for name, nodes in (("node_deletion", to_delete), ("provision", to_provision),
                                                  ("deployment", sorted(to_deploy, key=lambda n: n.id))) if nodes]
        self.state.log("astute", "INFO", f"Deployment of environment '{cluster.name}' started: " +
                       ", ".join(f"{name} of {len(nodes)} node(s)" for name, nodes in plan))
        self.deployer.start(cluster, top, plan, now)
        return top

    def selected(self, cluster: Cluster, action: str, node_ids: list[int], now: float) -> Task:
        """``PUT /clusters/<id>/provision?nodes=..`` or ``/deploy?nodes=..``: one task, no super-task."""
        self._refuse_if_running(cluster)
        members = {n.id: n for n in self.state.cluster_nodes(cluster.id)}
        unknown = [str(i) for i in node_ids if i not in members]
        if not node_ids or unknown:
            raise bad_request(f"Nodes with ids {','.join(unknown) or '[]'} are not in environment '{cluster.id}'")
        chosen = [members[i] for i in node_ids]
        name = "provision" if action == "provision" else "deployment"
        self._drop_finished(cluster, name)
        top = self.state.add_task(name, cluster.id)
        cluster.status = "deployment"
        for node in chosen:
            node.fqdn = f"node-{node.id}.domain.tld"
            if name == "provision":
                node.status, node.progress = "provisioning", 0
        self.deployer.start(cluster, top, [(name, chosen)], now)
        return top

    def stop(self, cluster: Cluster, now: float) -> Task:
        """``PUT /clusters/<id>/stop_deployment``."""
        for task in self.state.cluster_tasks(cluster.id, "stop_deployment"):
            if task.status == "running":
                raise HttpError(409, "Stopping deployment task is already launched")
            self.state.delete_task(task)
        run = self.deployer.runs.get(cluster.id)
        if run is None or run.stopping:
            raise bad_request(f"Nothing to stop - deployment is not running on environment '{cluster.id}'")
        run.stopping = True
        return self._job(cluster, "stop_deployment", "stop", now + self.config.timings.stop)

    def reset(self, cluster: Cluster, now: float) -> Task:
        """``PUT /clusters/<id>/reset``."""
        self._refuse_if_running(cluster)
        for task in self.state.cluster_tasks(cluster.id, "reset_environment"):
            if task.status == "running":
                raise bad_request(f"Environment '{cluster.name}' is being reset")
        self._drop_finished(cluster, "deploy", "deployment", "provision", "stop_deployment", "reset_environment")
        return self._job(cluster, "reset_environment", "reset", now + self.config.timings.reset)

    def delete(self, cluster: Cluster, now: float) -> None:
        """``DELETE /clusters/<id>``: everything marked for deletion, the row goes when the task ends."""
        if any(t.status == "running" for t in self.state.cluster_tasks(cluster.id, "cluster_deletion")):
            return
        self.deployer.runs.pop(cluster.id, None)
        for node in self.state.cluster_nodes(cluster.id):
            node.pending_deletion = True
        cluster.status = "remove"
        self._job(cluster, "cluster_deletion", "cluster_deletion", now + self.config.timings.cluster_deletion)

    def _job(self, cluster: Cluster, task_name: str, kind: str, at: float) -> Task:
        task = self.state.add_task(task_name, cluster.id)
        self.jobs.append(_Job(at, kind, cluster.id, task.id))
        return task

    def advance(self, now: float) -> None:
        for job in sorted((j for j in self.jobs if j.at <= now), key=lambda j: j.at):
            self.jobs.remove(job)
            cluster = self.state.clusters.get(job.cluster_id)
            task = self.state.tasks.get(job.task_id)
            if cluster is None or task is None:
                continue
            getattr(self, f"_finish_{job.kind}")(cluster, task, job.at)

    def _finish_stop(self, cluster: Cluster, task: Task, at: float) -> None:
        self.deployer.runs.pop(cluster.id, None)
        for stale in self.state.cluster_tasks(cluster.id, *DEPLOY_TASKS):
            self.state.tasks.pop(stale.id, None)
        for node in self.state.cluster_nodes(cluster.id):
            if node.status != "ready":
                reset_to_discover(node)
                self.machines.reboot(node.mac, at)
        cluster.status = "stopped"
        message = (f"Deployment of environment '{cluster.name}' was successfully stopped. Please reset the "
                   "environment if you want to redeploy it.")
        task.finish("ready", message)
        self.state.notify("done", message, cluster=cluster.id, task_id=task.id)

    def _finish_reset(self, cluster: Cluster, task: Task, at: float) -> None:
        for node in self.state.cluster_nodes(cluster.id):
            reset_to_discover(node)
            node.network_data = interfaces.network_data(cluster, node, {})
            cluster.add_change("disks", node.id)
            self.machines.reboot(node.mac, at)
        cluster.status = "new"
        cluster.add_change("attributes")
        cluster.add_change("networks")
        message = f"Environment '{cluster.name}' was successfully reset"
        task.finish("ready", message)
        self.state.notify("done", message, cluster=cluster.id, task_id=task.id)

    def _finish_cluster_deletion(self, cluster: Cluster, task: Task, at: float) -> None:
        for node in self.state.cluster_nodes(cluster.id):
            del self.state.nodes[node.id]
            self.machines.reboot(node.mac, at)
        for stale in self.state.cluster_tasks(cluster.id):
            self.state.tasks.pop(stale.id, None)
        for note in self.state.notifications.values():
            if note.cluster == cluster.id:
                note.cluster = None
        del self.state.clusters[cluster.id]
        self.state.notify("done", f"Environment '{cluster.name}' and all its nodes are deleted")
