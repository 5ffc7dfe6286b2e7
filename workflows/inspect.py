"""Read-only jobs: preflight (and its --fix), plan, status (as last observed, or ``--live``) and nodes."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from core.errors import FuelbotError
from core.mrkdwn import as_of
from integrations.fuel.enums import NodeStatus
from jobs import lease_notices
from jobs.record import JobRecord
from jobs.states import JobKind
from labspec.model import Lab
from store.models import LabState
from store.types import utcnow
from workflows import fuel_settings, vm_ledger
from workflows.deploy_vsphere import missing_portgroups
from workflows.master_preflight import master_findings
from store.lab_states import NOT_DEPLOYED, freshness, lab_states
from workflows.oneshot import OneShotWorkflow
from workflows.run import Run
from workflows.voices.inspect import (LabStatus, NodeList, NodeRow, NodesVoice, Plan, PlanAction, PlannedChange,
                                      PlanVoice, PortGroupsFixed, PreflightCounts, PreflightFact, PreflightFound,
                                      PreflightVoice, StatusReport, StatusVoice, plan_line, preflight_failed)


class PreflightWorkflow(OneShotWorkflow[JobRecord, PreflightFact]):
    """Every pitfall of the article checked in vCenter and on the Fuel master; ``--fix`` repairs the port groups."""

    kind, title = JobKind.PREFLIGHT, "Preflight"
    record = JobRecord
    voice = PreflightVoice()

    def run(self, run: Run[JobRecord, PreflightFact]) -> None:
        lab = run.lab
        client = run.vsphere()
        if run.params.get("fix"):
            run.tell(PortGroupsFixed(changes=tuple(client.fix_portgroups(lab))))
        findings = vm_ledger.preflight(run.deps.session_factory, lab, client) + master_findings(run, lab, deploying=False)
        counts = {level: sum(1 for f in findings if f.level == level) for level in ("ok", "warn", "fail")}
        run.tell(PreflightFound(findings=tuple(findings)))
        run.data.result = counts
        outcome = PreflightCounts(lab=lab.name, **counts)
        run.headline = self.voice.headline(outcome)
        if outcome.fail:
            raise preflight_failed(outcome, fixed=bool(run.params.get("fix")))


def plan_changes(run: Run[JobRecord, Plan], lab: Lab) -> list[PlannedChange]:
    """What `/fuel deploy` would change, without changing anything."""
    client = run.vsphere(lab)
    missing = missing_portgroups(client, lab)
    changes = [PlannedChange(PlanAction.CREATE_PORTGROUP, name) for name in sorted(missing)]
    drift = [f for f in vm_ledger.preflight(run.deps.session_factory, lab, client)
             if f.level == "fail" and f.obj not in missing]
    changes += [PlannedChange(PlanAction.FIX_DRIFT, str(f)) for f in drift]
    vms = {vm.name: vm for vm in run.clients.lab_vms(lab)}
    # the master may live in another lab's folder: looked up by name
    new_master = lab.fuel.vm is not None and client.vm(lab.fuel.vm.name) is None
    if lab.fuel.vm is not None and new_master:
        changes.append(PlannedChange(PlanAction.CREATE_MASTER, lab.fuel.vm.name))
    changes += [PlannedChange(PlanAction.CREATE_VM, n.name, "+".join(n.roles)) for n in lab.nodes if n.name not in vms]
    changes += [PlannedChange(PlanAction.POWER_ON, n.name) for n in lab.nodes
                if n.name in vms and vms[n.name].power_state != "poweredOn"]
    api = run.fuel(lab)
    if lab.fuel.setup is not None and not new_master:
        groups = api.version().feature_groups
        if groups != lab.fuel.setup.feature_groups:
            changes.append(PlannedChange(PlanAction.SET_UP_MASTER, detail="feature groups "
                                         f"{', '.join(groups)} → {', '.join(lab.fuel.setup.feature_groups)}"))
    cluster = None if new_master else api.find_cluster(lab.environment.name)   # a master to come has none
    if cluster is None:
        changes.append(PlannedChange(PlanAction.CREATE_ENVIRONMENT, lab.environment.name,
                                     f"{lab.environment.release}, {lab.environment.mode}"))
        changes.append(PlannedChange(PlanAction.APPLY_SETTINGS))
        to_add = list(lab.nodes)
    else:
        editable = api.attributes(cluster.id)
        editable = editable.get("editable", editable)
        settings = fuel_settings.apply_settings(lab, editable)
        networks = fuel_settings.apply_networks(lab, api.network_configuration(cluster.id,
                                                                               lab.environment.network_provider))
        if settings:
            changes.append(PlannedChange(PlanAction.CHANGE_SETTINGS, detail=", ".join(settings[:6])))
        if networks:
            changes.append(PlannedChange(PlanAction.CHANGE_NETWORKS, detail=", ".join(networks[:6])))
        members = {n.mac.lower() for n in api.nodes(cluster.id)}
        to_add = [n for n in lab.nodes if n.name not in vms
                  or not members & {m.lower() for m in vms[n.name].macs}]
    changes += [PlannedChange(PlanAction.ADD_NODE, n.name, "+".join(n.roles)) for n in to_add]
    return changes


class PlanWorkflow(OneShotWorkflow[JobRecord, Plan]):
    """What a deploy would change, changing nothing."""

    kind, title = JobKind.PLAN, "Plan"
    record = JobRecord
    voice = PlanVoice()

    def run(self, run: Run[JobRecord, Plan]) -> None:
        lab = run.lab
        plan = Plan(lab=lab.name, changes=tuple(plan_changes(run, lab)))
        run.data.result = {"changes": [plan_line(c) for c in plan.changes]}
        run.headline = self.voice.headline(plan)
        run.tell(plan)


def node_rows(run: Run[JobRecord, NodeList], lab: Lab) -> list[NodeRow]:
    api = run.fuel(lab)
    cluster = api.find_cluster(lab.environment.name)
    vm_by_mac = {mac.lower(): vm.name for vm in run.clients.lab_vms(lab) for mac in vm.macs}
    nodes = api.nodes(cluster.id) if cluster else []
    nodes += [n for n in api.nodes("unallocated") if n.mac.lower() in vm_by_mac]
    moving = (NodeStatus.PROVISIONING, NodeStatus.DEPLOYING)
    return [NodeRow(node_id=n.id, vm=vm_by_mac.get(n.mac.lower(), "unknown MAC"), mac=n.mac,
                    roles=n.roles or n.pending_roles, status=n.status.value,
                    progress=n.progress if n.status in moving else None,
                    error=n.error_type.value if n.error_type else None, online=n.online)
            for n in sorted(nodes, key=lambda n: n.id)]


class NodesWorkflow(OneShotWorkflow[JobRecord, NodeList]):
    """The lab's Fuel nodes matched to their VMs."""

    kind, title = JobKind.NODES, "Nodes"
    record = JobRecord
    voice = NodesVoice()

    def run(self, run: Run[JobRecord, NodeList]) -> None:
        lab = run.lab
        nodes = NodeList(lab=lab.name, rows=tuple(node_rows(run, lab)))
        run.headline = self.voice.headline(nodes)
        run.tell(nodes)


def lab_status(run: Run[JobRecord, StatusReport], lab: Lab) -> LabStatus:
    env = lab.environment.name
    try:
        api = run.fuel(lab)
        cluster = api.find_cluster(env)
        if cluster is None:
            return LabStatus(lab=lab.name, environment=env)
        nodes = api.nodes(cluster.id)
    except FuelbotError as exc:
        return LabStatus(lab=lab.name, environment=env, unreachable=str(exc))
    by_status: dict[str, int] = {}
    for n in nodes:
        by_status[n.status.value] = by_status.get(n.status.value, 0) + 1
    return LabStatus(lab=lab.name, environment=env, status=cluster.status.value,
                     nodes_by_status=tuple(by_status.items()), offline=sum(1 for n in nodes if not n.online))


def observed_status(lab: Lab, row: LabState | None, now: datetime) -> LabStatus:
    """A lab's line from what the observation tick last read (``workflows.observations``), as fresh as it is."""
    env = lab.environment.name
    fresh = freshness(row, now)
    if fresh.observed_at is None and fresh.error is None:
        return LabStatus(lab=lab.name, environment=env, unreachable="not observed yet (`--live` asks Fuel now)")
    seen = as_of(fresh.observed_at, now) if fresh.observed_at is not None else None
    if fresh.error is not None:
        last = f"; its last answer is {seen}" if seen else ""
        return LabStatus(lab=lab.name, environment=env, unreachable=f"its Fuel master does not answer ({fresh.error}){last}")
    assert row is not None and seen is not None
    data = row.data
    status = None if data.get("status") == NOT_DEPLOYED else data.get("status")
    return LabStatus(lab=lab.name, environment=env, status=status,
                     nodes_by_status=tuple((data.get("by_status") or {}).items()), offline=len(data.get("offline") or []),
                     as_of=f"last read {seen} (stale)" if fresh.stale else seen)


def with_lease(run: Run[JobRecord, StatusReport], status: LabStatus) -> LabStatus:
    with run.deps.session_factory() as session:
        return replace(status, lease=lease_notices.held(session, status.lab, utcnow()))


class StatusWorkflow(OneShotWorkflow[JobRecord, StatusReport]):
    """Environment status and nodes of one lab or of every lab."""

    kind, title = JobKind.STATUS, "Status"
    record = JobRecord
    voice = StatusVoice()

    def run(self, run: Run[JobRecord, StatusReport]) -> None:
        labs, problems = run.deps.load_labs()
        names = [run.lab_name] if run.lab_name else sorted(labs)
        if run.params.get("live"):
            found = [lab_status(run, run.clients.lab(name)) for name in names]
        else:
            now = utcnow()
            with run.deps.session_factory() as session:
                rows = lab_states(session, names)
            found = [observed_status(run.clients.lab(name), rows.get(name), now) for name in names]
        report = StatusReport(labs=tuple(with_lease(run, status) for status in found),
                              problems=tuple(str(p) for p in problems))
        run.headline = self.voice.headline(report)
        run.tell(report)
