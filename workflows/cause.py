"""What Fuel says went wrong with a failed task, told once by the job that met it.

``explain`` gathers the diagnosis (``integrations.fuel.diagnosis``) with our VM names, records it
as the job's ``diagnosis`` event (the job page shows its detail and log excerpts in full) and
hands it back for the thread. ``notification_mark`` is read before pressing a button in Fuel, so
that the notifications of older failures are left out of the next diagnosis.
"""
from __future__ import annotations

from typing import Any, Mapping

from core.errors import FuelError
from core.redact import scrub
from integrations.fuel.diagnosis import Diagnosis, NodeCause, diagnose
from integrations.fuel.enums import ClusterStatus, NodeStatus, TaskName, TaskStatus
from integrations.fuel.models import Cluster, Task
from labspec.model import Lab
from workflows.ports import FuelPort
from workflows.run import Run


def notification_mark(fuel: FuelPort) -> int | None:
    """The newest notification's id now (0 when there is none; None when Fuel cannot say)."""
    try:
        return max((n.id for n in fuel.notifications()), default=0)
    except FuelError:
        return None


def explain(run: Run[Any, Any], fuel: FuelPort, task: Task, *, vm_names: Mapping[int, str],
            since_notification: int | None = None) -> Diagnosis:
    """Fuel's diagnosis of the failed ``task``, recorded for the job page."""
    diagnosis = diagnose(fuel, task, vm_names=vm_names, since_notification=since_notification)
    culprits = ", ".join(f"node-{n.id}" for n in diagnosis.nodes) or "no node named"
    run.note("diagnosis", f"{diagnosis.stage.value} failed ({culprits}): {diagnosis.cause}"[:500],
             diagnosis.to_event_data())
    return diagnosis


def environment_trouble(run: Run[Any, Any], fuel: FuelPort, lab: Lab,
                        cluster: Cluster) -> tuple[tuple[NodeCause, ...], Diagnosis | None]:
    """What Fuel says is wrong with a deployed environment whose health checks fail: its nodes offline or
    in error (by our VM name and Fuel's) and, for an environment in error, why its last deploy failed.
    Best effort: what Fuel does not answer is left out, the health outcome stands."""
    vms = {mac: vm.name for mac, vm in run.clients.vms_by_mac(lab).items()}
    try:
        nodes = fuel.nodes(cluster.id)
    except FuelError:
        return (), None
    troubled = tuple(NodeCause(id=n.id, name=scrub(n.name), vm_name=vms.get(n.mac.lower()), fqdn=n.fqdn, mac=n.mac,
                               status=n.status, error_type=n.error_type, online=n.online, roles=n.all_roles)
                     for n in nodes if not n.online or n.status is NodeStatus.ERROR)
    if cluster.status is not ClusterStatus.ERROR:
        return troubled, None
    try:
        tasks = fuel.tasks(cluster.id)
    except FuelError:
        return troubled, None
    failed = sorted((t for t in tasks if t.name is TaskName.DEPLOY and t.status is TaskStatus.ERROR), key=lambda t: t.id)
    if not failed:
        return troubled, None
    names = {n.id: vms[n.mac.lower()] for n in nodes if n.mac.lower() in vms}
    return troubled, explain(run, fuel, failed[-1], vm_names=names)
