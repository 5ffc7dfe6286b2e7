"""The deployment state machine: ``deploy`` super-task, its subtasks, and per-node progress.

Contract:
    * ``PUT /changes`` creates a ``deploy`` task with subtasks ``node_deletion`` (weight 0.4),
      ``provision`` (0.4) and ``deployment`` (1.0), each only when it has nodes; they run one
      after the other. Provisioning moves nodes discover -> provisioning -> provisioned; then
      controllers deploy (provisioned -> deploying -> ready) and after them everything else.
    * Node progress is a function of simulated time since its step began, so lazy and ticked
      advancing give identical histories; phase boundaries are exact, not "when polled".
    * Subtask progress follows Nailgun: provision = mean of its nodes; deployment = mean where
      waiting nodes count 0 and ready ones 100; deploy = weighted mean, rounded.
    * Success: everything ready/100, cluster ``operational``, pending changes cleared, a
      ``done`` notification. A node failing (fault injection, too little memory for its role,
      going offline) ends the run: that node and the others still in progress turn ``error``,
      unfinished subtasks get "Task aborted", deploy and cluster turn ``error``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sim.fuel import interfaces, log_story
from sim.fuel.config import SimConfig
from sim.fuel.faults import Faults
from sim.fuel.machines import Machines
from sim.fuel.records import Cluster, Node, Task
from sim.fuel.state import State

WEIGHTS = {"node_deletion": 0.4, "provision": 0.4, "deployment": 1.0}
MIN_MEMORY_MB = {"controller": 1024}   # documented minimum per role; every other role needs 512
DEFAULT_MIN_MEMORY_MB = 512


@dataclass
class Phase:
    name: str                                   # node_deletion | provision | deployment
    task_id: int
    node_ids: list[int]
    start: float | None = None
    end: float = 0.0
    schedule: dict[int, tuple[float, float]] = field(default_factory=dict)
    failure: tuple[float, int, str] | None = None


@dataclass
class Run:
    cluster_id: int
    top_id: int
    phases: list[Phase]
    cursor: float                               # when the current phase starts
    index: int = 0
    stopping: bool = False


def _jitter(node_id: int) -> float:
    """Nodes are not clones: spread durations by up to 16 %, deterministically."""
    return 1.0 + 0.04 * (node_id % 5)


def memory_shortfall(node: Node) -> str | None:
    """Why a node cannot be provisioned for its roles, if its RAM is below the role minimum."""
    try:
        memory_mb = int(node.meta["memory"]["total"]) // (1024 * 1024)
    except (KeyError, TypeError, ValueError):
        return None
    for role in node.all_roles or ["base"]:
        needed = MIN_MEMORY_MB.get(role, DEFAULT_MIN_MEMORY_MB)
        if memory_mb < needed:
            return (f"Installation failed: not enough memory ({memory_mb} MB, role '{role}' needs at least "
                    f"{needed} MB)")
    return None


class Deployer:
    """Runs deployments; callers hold the state lock."""

    def __init__(self, state: State, config: SimConfig, faults: Faults, machines: Machines) -> None:
        self.state, self.config, self.faults, self.machines = state, config, faults, machines
        self.runs: dict[int, Run] = {}

    def start(self, cluster: Cluster, top: Task, plan: list[tuple[str, list[Node]]], now: float) -> None:
        """Begin a run whose phases are ``plan`` (phase name, nodes), reporting into ``top``."""
        phases = []
        for name, members in plan:
            task = top if len(plan) == 1 and top.name == name else self.state.add_task(
                name, cluster.id, parent=top.id, weight=WEIGHTS[name])
            phases.append(Phase(name=name, task_id=task.id, node_ids=[n.id for n in members]))
        deployable = [n for n in self.state.cluster_nodes(cluster.id) if not n.pending_deletion]
        addresses = interfaces.allocate_addresses(cluster, deployable, {n.id: n.ip for n in deployable})
        for node in deployable:
            node.network_data = interfaces.network_data(cluster, node, addresses[node.id])
        self.runs[cluster.id] = Run(cluster_id=cluster.id, top_id=top.id, phases=phases, cursor=now)
        self.advance(now)

    def advance(self, now: float) -> None:
        for run in list(self.runs.values()):
            if not run.stopping:
                self._advance(run, now)

    # ----- one run -------------------------------------------------------------------------------------
    def _advance(self, run: Run, now: float) -> None:
        if any(p.task_id not in self.state.tasks for p in run.phases) or run.top_id not in self.state.tasks:
            # Someone force-deleted the run's tasks: like Astute answering for a vanished task,
            # nothing more is recorded and the nodes stay where they are.
            del self.runs[run.cluster_id]
            return
        while run.index < len(run.phases):
            phase = run.phases[run.index]
            if phase.start is None:
                self._begin(run, phase, run.cursor)
            offline = self._offline_member(phase, now)
            if offline is not None and (phase.failure is None or phase.failure[0] > now):
                phase.failure = (now, offline, "Node is offline")
            if phase.failure is not None and phase.failure[0] <= min(now, phase.end):
                self._progress(phase, phase.failure[0])
                self._fail(run, phase)
                return
            self._progress(phase, min(now, phase.end))
            if now < phase.end:
                self._task_progress(run, now)
                return
            self._log_done(run, phase)
            self.state.task(phase.task_id).finish("ready")
            run.cursor = phase.end
            run.index += 1
            if phase.name == "node_deletion":
                self._remove_deleted(phase, phase.end)
        self._succeed(run)

    def _begin(self, run: Run, phase: Phase, at: float) -> None:
        phase.start = at
        stage = "provision" if phase.name == "provision" else "deploy"
        if phase.name == "node_deletion":
            phase.end = at + self.config.timings.node_deletion
            return
        waves: list[tuple[list[Node], float]]
        members = [self.state.nodes[i] for i in phase.node_ids if i in self.state.nodes]
        if phase.name == "provision":
            waves = [(members, self.config.timings.provision)]
        else:
            for node in members:
                node.roles = node.roles + [r for r in node.pending_roles if r not in node.roles]
                node.pending_roles, node.pending_addition = [], False
                node.status, node.progress, node.error_type = "provisioned", 0, None
            controllers = [n for n in members if "controller" in n.roles]
            waves = [(controllers, self.config.timings.deploy_controller),
                     ([n for n in members if n not in controllers], self.config.timings.deploy_other)]
        start = phase.end = at
        for wave, duration in waves:
            for node in wave:
                node_end = start + duration * _jitter(node.id)
                phase.schedule[node.id] = (start, node_end)
                phase.end = max(phase.end, node_end)
                reason = self.faults.node_failure(node.id, node.mac, stage)
                fraction = 0.5
                if reason is None and stage == "provision":
                    reason, fraction = memory_shortfall(node), 0.3
                if reason is not None:
                    when = start + (node_end - start) * fraction
                    if phase.failure is None or when < phase.failure[0]:
                        phase.failure = (when, node.id, reason)
            start = phase.end if wave else start
        cluster, task = self.state.cluster(run.cluster_id), self.state.task(phase.task_id)
        if phase.name == "provision":
            log_story.provision_started(self.state, cluster, task, members, at)
        else:
            log_story.deployment_started(self.state, cluster, task, members, at)

    def _log_done(self, run: Run, phase: Phase) -> None:
        cluster = self.state.cluster(run.cluster_id)
        for node_id, (start, end) in sorted(phase.schedule.items(), key=lambda item: item[1][1]):
            node = self.state.nodes.get(node_id)
            if node is None:
                continue
            if phase.name == "provision":
                log_story.provision_node_done(self.state, cluster, node, end)
            else:
                log_story.deployment_node_done(self.state, node, start, end)

    def _offline_member(self, phase: Phase, now: float) -> int | None:
        for node_id, (start, end) in phase.schedule.items():
            node = self.state.nodes.get(node_id)
            if node is not None and not node.online and start <= now < end:
                return node_id
        return None

    def _progress(self, phase: Phase, t: float) -> None:
        if phase.name == "node_deletion":
            return
        busy, done = ("provisioning", "provisioned") if phase.name == "provision" else ("deploying", "ready")
        for node_id, (start, end) in phase.schedule.items():
            node = self.state.nodes.get(node_id)
            if node is None or node.status == "error":
                continue
            if t >= end:
                node.status, node.progress = done, 100
            elif t >= start:
                node.status, node.progress = busy, min(99, int(100 * (t - start) / (end - start)))

    def _phase_progress(self, phase: Phase, now: float) -> int:
        if phase.start is None:
            return 0
        if phase.name == "node_deletion":
            span = max(phase.end - phase.start, 1e-9)
            return max(0, min(100, int(100 * (now - phase.start) / span)))
        members = [self.state.nodes[i] for i in phase.schedule if i in self.state.nodes]
        if not members:
            return 100
        waiting = "provisioned" if phase.name == "deployment" else "discover"
        return int(sum(0 if n.status == waiting else n.progress for n in members) / len(members))

    def _task_progress(self, run: Run, now: float) -> None:
        weighted = total = 0.0
        for phase in run.phases:
            task = self.state.task(phase.task_id)
            if task.status == "running":
                task.progress = self._phase_progress(phase, now)
            weighted += WEIGHTS[phase.name] * task.progress
            total += WEIGHTS[phase.name]
        top = self.state.task(run.top_id)
        if top.id not in {p.task_id for p in run.phases}:
            top.progress = int(round(weighted / total)) if total else 0

    # ----- endings -------------------------------------------------------------------------------------
    def _fail(self, run: Run, phase: Phase) -> None:
        when, node_id, reason = phase.failure  # type: ignore[misc]
        cluster, task = self.state.cluster(run.cluster_id), self.state.task(phase.task_id)
        culprit = self.state.nodes.get(node_id)
        members = [n for i in phase.schedule if (n := self.state.nodes.get(i)) is not None]
        if phase.name == "provision":
            message = self._provision_failed(cluster, task, members, culprit, reason, when)
        else:
            message = self._deployment_failed(cluster, task, members, culprit, reason, when)
        task.finish("error", message)
        for other in run.phases:
            sub = self.state.task(other.task_id)
            if sub.status == "running":
                sub.finish("error", "Task aborted")
        top = self.state.task(run.top_id)
        top.status, top.progress, top.message = "error", 100, message
        cluster.status = "error"
        del self.runs[run.cluster_id]

    def _provision_failed(self, cluster: Cluster, task: Task, members: list[Node], culprit: Node | None,
                          reason: str, when: float) -> str:
        """6.0: Astute reports the cobbler timeout (or the image failure) and no notification is sent.

        fuel-astute 6.0 orchestrator.rb (watch_provision_progress, image_provision); fuel-web 6.0
        receiver.py provision_resp and objects/task.py (the provisioning nodes left turn error
        with progress 0).
        """
        cobbler = log_story.provision_method(cluster) != "image"
        message = (log_story.provision_failed(self.state, cluster, task, culprit, reason, when)
                   if culprit is not None else "Timeout of provisioning is exceeded")
        for node in members:
            if node is culprit or node.status == "provisioning":
                node.status, node.error_type, node.progress = "error", "provision", 0
                node.error_msg = None
        if culprit is not None and cobbler:
            culprit.progress, culprit.error_msg = 100, message
        return message

    def _deployment_failed(self, cluster: Cluster, task: Task, members: list[Node], culprit: Node | None,
                           reason: str, when: float) -> str:
        """6.0: a per-node notification (puppet gives Astute no error text), then "Check these nodes".

        fuel-web 6.0 receiver.py deploy_resp ("Failed to deploy node '<name>': <error_msg or
        Unknown error>") and _error_action; fuel-astute 6.0 puppetd.rb reports no error_msg.
        """
        if culprit is not None:
            culprit.status, culprit.error_type, culprit.progress = "error", "deploy", 100
            culprit.error_msg = reason if reason == "Node is offline" else None
            self.state.notify("error", f"Failed to deploy node '{culprit.name}': {culprit.error_msg or 'Unknown error'}",
                              cluster=cluster.id, node_id=culprit.id, task_id=task.id)
            log_story.deployment_failed(self.state, task, culprit, reason, when)
        for node in members:
            if node is not culprit and node.status == "deploying":
                node.status, node.error_type, node.progress = "error", "deploy", 0
        failed = [n for n in self.state.cluster_nodes(cluster.id)
                  if (n.status == "error" or not n.online) and n.error_type in ("deploy", "provision")]
        message = "Deployment has failed. Check these nodes:\n" + (", ".join(f"'{n.name}'" for n in failed)
                                                                   or "Unknown error")
        self.state.notify("error", message, cluster=cluster.id)
        return message

    def _succeed(self, run: Run) -> None:
        cluster = self.state.cluster(run.cluster_id)
        top = self.state.task(run.top_id)
        deployed = any(p.name == "deployment" for p in run.phases)
        message = self.done_message(cluster) if deployed else None
        for phase in run.phases:
            self.state.task(phase.task_id).finish("ready", message if phase.name == "deployment" else None)
        top.finish("ready", message)
        if deployed:
            cluster.status = "operational"
            cluster.changes = []
            for node in self.state.cluster_nodes(cluster.id):
                if node.status == "deploying":
                    node.status, node.progress = "ready", 100
            self.state.notify("done", message or "", cluster=cluster.id, task_id=top.id)
        del self.runs[run.cluster_id]

    def _remove_deleted(self, phase: Phase, at: float) -> None:
        removed = [self.state.nodes.pop(i) for i in phase.node_ids if i in self.state.nodes]
        for node in removed:
            self.machines.reboot(node.mac, at)
        if removed:
            self.state.notify("done", f"Successfully removed {len(removed)} node(s)")

    def done_message(self, cluster: Cluster) -> str:
        """deploy_resp's success text: where Horizon answers."""
        base = f"Deployment of environment '{cluster.name}' is done."
        if cluster.mode == "ha_compact" and cluster.vips.get("public_vip"):
            return f"{base} Access the OpenStack dashboard (Horizon) at http://{cluster.vips['public_vip']}/"
        controller = next((n for n in self.state.cluster_nodes(cluster.id) if "controller" in n.roles), None)
        public = _address(controller, "public") if controller else None
        if controller is None or public is None:
            return base.rstrip(".")
        return (f"{base} Access the OpenStack dashboard (Horizon) at http://{public}/ or via internal network at "
                f"http://{controller.ip}/")


def _address(node: Node, network: str) -> str | None:
    row: dict[str, Any] | None = next((r for r in node.network_data if r.get("name") == network), None)
    return str(row["ip"]).split("/")[0] if row and row.get("ip") else None
