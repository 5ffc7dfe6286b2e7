"""Network verification (``PUT .../network_configuration/<provider>/verify``).

Instant refusals come back as an errored ``check_networks`` task; otherwise the task becomes
``verify_networks`` (with a ``check_dhcp`` subtask), runs for a simulated while and ends
``ready`` with ``result: []`` or ``error`` with the nodes' absent VLANs.

What the probes would see is decided from L2 facts captured when verification starts (for VMs
read from vSphere at that moment): a PXE port group that refuses promiscuous mode loses the
probe frames, and nodes whose PXE port groups carry different VLANs cannot hear each other.
Either way the admin interface of the affected nodes reports its VLANs absent.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sim.fuel import netcheck, networks
from sim.fuel.config import SimConfig
from sim.fuel.errors import bad_request
from sim.fuel.machines import L2Facts
from sim.fuel.records import Cluster, Node, Task
from sim.fuel.state import ADMIN_NETWORK_ID, State

_TWO_NODES = "At least two nodes are required to be in the environment for network verification."


@dataclass
class _Check:
    task_id: int
    cluster_id: int
    started: float
    ends: float
    facts: dict[int, L2Facts]
    vlans: dict[int, dict[str, list[int]]]     # node id -> interface -> VLANs it should hear


class Verifier:
    """Running verifications; callers hold the state lock."""

    def __init__(self, state: State, config: SimConfig) -> None:
        self.state, self.config = state, config
        self.checks: dict[int, _Check] = {}

    def clear(self) -> None:
        self.checks.clear()

    def start(self, cluster: Cluster, data: dict[str, Any], facts: dict[int, L2Facts], now: float) -> Task:
        """Run the instant checks and, when they pass, start the probe."""
        for old in self.state.cluster_tasks(cluster.id, "check_networks", "verify_networks"):
            if old.parent is None:
                if old.status == "running":
                    raise bad_request("You cannot delete running task manually")
                self.state.delete_task(old)
        task = self.state.add_task("check_networks", cluster.id)
        members = self.state.cluster_nodes(cluster.id)
        if len(members) < 2:
            task.finish("error", _TWO_NODES)
            return task
        if cluster.status in ("deployment", "update"):
            task.finish("error", "Environment is not ready to run network verification because it is in "
                                 f"'{cluster.status}' state.")
            return task
        groups, params = networks.candidate(cluster, data)
        messages, result = netcheck.check_configuration(cluster.net_provider, groups, params)
        if not messages:
            messages, result = netcheck.check_untagged_intersection(groups, members)
        if messages:
            task.finish("error", "\n".join(messages), result)
            return task
        task.name = "verify_networks"
        self.state.add_task("check_dhcp", cluster.id, parent=task.id)
        vlans = {node.id: self._expected_vlans(groups, node) for node in members}
        self.checks[task.id] = _Check(task.id, cluster.id, now, now + self.config.timings.verify, facts, vlans)
        return task

    @staticmethod
    def _expected_vlans(groups: list[Any], node: Node) -> dict[str, list[int]]:
        by_id = {g.id: g for g in groups}
        expected: dict[str, list[int]] = {}
        for nic in node.nics + node.bonds:
            vlans = sorted({0 if gid == ADMIN_NETWORK_ID or by_id[gid].vlan_start is None
                            else int(by_id[gid].vlan_start) for gid in nic.assigned if gid in by_id})
            if vlans:
                expected[nic.name] = vlans
        return expected

    def advance(self, now: float) -> None:
        for check in list(self.checks.values()):
            task = self.state.tasks.get(check.task_id)
            if task is None:
                del self.checks[check.task_id]
                continue
            if now < check.ends:
                task.progress = int(100 * (now - check.started) / (check.ends - check.started))
                continue
            del self.checks[check.task_id]
            self._finish(task, check)

    def _finish(self, task: Task, check: _Check) -> None:
        members = {n.id: n for n in self.state.cluster_nodes(check.cluster_id) if n.id in check.vlans}
        for sub in self.state.subtasks(task):
            sub.finish("ready", result={})
        silent = [n for n in members.values() if not n.online]
        if silent:
            names = ", ".join(n.name or f"id: {n.id}" for n in silent)
            task.finish("error", f"Node(s) {names} didn't return data.", [])
            return
        rows = self._absent(members, check)
        if not rows:
            task.finish("ready", None, [])
            return
        lines = [f"Node '{r['name']}' (id={r['uid']}) did not receive VLANs {r['absent_vlans']} on interface "
                 f"{r['interface']} ({r['mac']})." for r in rows]
        task.finish("error", "Verification failed: expected VLANs are absent on these interfaces:\n" +
                    "\n".join(lines), rows)

    def _absent(self, members: dict[int, Node], check: _Check) -> list[dict[str, Any]]:
        default = L2Facts()
        facts = {i: check.facts.get(i, default) for i in members}
        rows = []
        for node_id, node in sorted(members.items()):
            fact = facts[node_id]
            peers = [i for i in members if i != node_id and facts[i].vlan == fact.vlan and facts[i].promiscuous]
            if fact.promiscuous and peers:
                continue
            admin = node.admin_nic
            if admin is None or admin.name not in check.vlans[node_id]:
                continue
            rows.append({"uid": node_id, "name": node.name, "interface": admin.name, "mac": admin.mac,
                         "absent_vlans": check.vlans[node_id][admin.name]})
        return rows
