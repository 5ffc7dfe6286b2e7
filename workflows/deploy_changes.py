"""Deploy Changes, pressed once, and the deployment followed to its end (or stopped on cancel).

A deploy already running in Fuel (pressed before a crash, never recorded) is adopted, never
started a second time; a lab that matches its spec has nothing to deploy.
"""
from __future__ import annotations

import re
import time

from core.errors import FuelError
from integrations.fuel.enums import ClusterStatus, TaskName, TaskStatus
from integrations.fuel.models import Node, Task
from integrations.fuel.diagnosis import FailureStage
from workflows.cause import explain, notification_mark
from workflows.deploy_fuel import cluster_id_of
from integrations.fuel.waiting import describe_task
from workflows.deploy_vsphere import DeployRun
from workflows.deploy_watch import DeployLook, DeployWatch
from workflows.voices import deploy_failures as failures
from workflows.voices.deploy_facts import (DeployAdopted, DeployFailed, Deployed, DeployProgress, DeployStarted,
                                           FuelSilent, NothingToDeploy)

# fuel-web 6.0 nailgun/rpc/receiver.py (deploy_resp): "… Access the OpenStack dashboard (Horizon) at http://<ip>/ …"
_HORIZON = re.compile(r"\(Horizon\) at (https?://[^\s/]+/)")


def note_where_the_cloud_is(run: DeployRun, cluster_id: int, finished: Task | None = None) -> None:
    """Horizon and the Fuel UI as the Fuel UI shows them, for the parent message.

    Fuel 6.0 puts Horizon on the public VIP (``public_vip`` in the network configuration, HA
    environments) or, in multinode, on the controller's public address, and says which in the
    finished deploy task's message, which the UI shows on the environment's page
    (``#cluster/<id>/nodes``). ``finished`` is that task when the caller has just followed it.
    """
    client = run.fuel()
    config = client.network_configuration(cluster_id, run.lab.environment.network_provider)
    horizon = f"http://{config['public_vip']}/" if config.get("public_vip") else None
    if horizon is None:
        done = [finished] if finished is not None else sorted(
            (t for t in client.tasks(cluster_id) if t.name is TaskName.DEPLOY and t.status is TaskStatus.READY
             and t.message), key=lambda t: t.id)
        found = _HORIZON.search(done[-1].message or "") if done else None
        horizon = found.group(1) if found else None
    run.data.horizon_url = horizon
    run.data.fuel_ui_url = f"{client.url.rstrip('/')}/#cluster/{cluster_id}/nodes"
    run.save()


def step_deploy_changes(run: DeployRun) -> None:
    """Press `Deploy Changes` once: adopt a deploy already running, never start a second one."""
    client = run.fuel()
    cluster_id = cluster_id_of(run)
    if run.data.deploy_task:
        return
    running = [t for t in client.tasks(cluster_id) if t.name is TaskName.DEPLOY and t.status is TaskStatus.RUNNING]
    if running:
        run.data.deploy_task = running[0].id
        run.save()
        run.tell(DeployAdopted(task_id=running[0].id))
        return
    cluster = client.cluster(cluster_id)
    pending = [n for n in client.nodes(cluster_id) if n.pending_addition or n.pending_deletion or n.pending_roles]
    if cluster.status is ClusterStatus.OPERATIONAL and not pending:
        run.data.deploy_task = None
        run.tell(NothingToDeploy(environment=cluster.name))
        run.data.deployed = True
        note_where_the_cloud_is(run, cluster_id)
        return
    run.data.notifications_seen = notification_mark(client)   # a later diagnosis leaves older failures out
    run.save()
    try:
        task = client.deploy_changes(cluster_id)
    except FuelError as exc:
        raise failures.deploy_refused(exc) from exc
    if task.status is TaskStatus.ERROR:
        run.data.failed_stage = FailureStage.PRE_CHECKS.value
        raise failures.prechecks_failed(task.message)
    run.data.deploy_task = task.id
    run.data.deploy_started = time.time()
    run.save()
    run.tell(DeployStarted(task_id=task.id, nodes=len(pending)))


def step_follow_deploy(run: DeployRun) -> None:
    """Follow the deploy task to the end: one progress message edited in place, per node."""
    client = run.fuel()
    cluster_id = cluster_id_of(run)
    task_id = run.data.deploy_task
    if not task_id:
        return
    started = run.data.deploy_started or time.time()
    names = run.data.vm_names_by_node()
    slowest = run.deps.timeouts.max_poll
    watch = DeployWatch(client, cluster_id=cluster_id, task_id=task_id, clock=run.now, nodes_every=slowest)

    def label(node: Node) -> str:
        return f"node-{node.id}" + (f" `{names[node.id]}`" if node.id in names else "")

    def on_progress(look: DeployLook) -> None:
        subtasks = tuple((t.name.value, t.progress, t.status.value) for t in look.subtasks)
        nodes = tuple((label(n), "+".join(n.roles or n.pending_roles), n.progress, n.status.value) for n in look.nodes)
        run.set_progress(look.task.progress)
        run.tell(DeployProgress(percent=look.task.progress, subtasks=subtasks, nodes=nodes,
                                elapsed=time.time() - started))
        run.checkpoint()

    def on_error(error: FuelError) -> None:
        run.tell(FuelSilent(error=str(error)))

    describe = describe_task(task_id)
    look = run.follow(watch.look, done=lambda seen: seen.task.done, state=DeployLook.state,
                      pace=DeployLook.milestones, describe=lambda seen: describe(seen.task if seen else None),
                      timeout=run.deps.timeouts.deploy, error=FuelError, max_poll=slowest,
                      on_progress=on_progress, on_error=on_error)
    task = look.task
    if task.status is TaskStatus.ERROR:
        diagnosis = explain(run, client, task, vm_names=names, since_notification=run.data.notifications_seen)
        run.data.failed_stage = diagnosis.stage.value
        run.save()
        run.tell(DeployFailed(diagnosis=diagnosis, job_id=run.job_id))
        raise failures.deploy_failed(diagnosis)
    run.tell(Deployed(elapsed=time.time() - started))
    run.data.deployed = True
    note_where_the_cloud_is(run, cluster_id, task)


def stop_running_deploy(run: DeployRun) -> int | None:
    """On cancel: Fuel's stop_deployment when a deploy task is running (nothing is deleted); its task id."""
    cluster_id, task_id = run.data.cluster_id, run.data.deploy_task
    if not cluster_id or not task_id:
        return None
    client = run.fuel()
    if client.task(task_id).status is not TaskStatus.RUNNING:
        return None
    return client.stop_deployment(cluster_id).id
