"""Destroy (the Fuel environment and the lab's node VMs, nothing else) and reset (Fuel's reset)."""
from __future__ import annotations

import time

from core.errors import StepFailed
from integrations.fuel.enums import TaskName, TaskStatus
from jobs.steps import Step, StepContext
from workflows.deps import fuel, lab_of, vsphere
from workflows.oneshot import OneShotWorkflow


def step_delete_environment(ctx: StepContext) -> None:
    lab = lab_of(ctx)
    api = fuel(ctx, lab)
    cluster = api.find_cluster(lab.environment.name)
    if cluster is None:
        ctx.report.say(f"🗑️ No Fuel environment `{lab.environment.name}` to delete.")
        return
    api.delete_cluster(cluster.id)
    deadline = time.monotonic() + ctx.deps.timeouts.deploy
    while api.find_cluster(lab.environment.name) is not None:
        if time.monotonic() > deadline:
            raise StepFailed(f"Fuel did not finish deleting environment `{cluster.name}` in time.")
        ctx.checkpoint()
        time.sleep(ctx.deps.timeouts.poll)
    ctx.report.say(f"🗑️ Fuel environment `{cluster.name}` (id {cluster.id}) deleted; its nodes return to discover.")


def step_destroy_vms(ctx: StepContext) -> None:
    lab = lab_of(ctx)
    client = vsphere(ctx, lab)
    destroyed, foreign = [], []
    existing = {vm.name: vm for vm in client.vms()}
    for node in lab.nodes:
        info = existing.get(node.name)
        if info is None:
            continue
        if not info.owned_by(lab.name):
            foreign.append(node.name)
            continue
        client.destroy_vm(node.name)
        destroyed.append(node.name)
    lines = [f"🧹 VMs deleted: {', '.join(f'`{n}`' for n in destroyed) or 'none'}."]
    if foreign:
        lines.append(f"⚠️ Left alone (not created by fuelbot for {lab.name}): {', '.join(foreign)}.")
    lines.append("Port groups and the Fuel master VM are kept (they may serve other labs).")
    ctx.report.say("\n".join(lines))


class DestroyWorkflow:
    """Delete the lab's Fuel environment and node VMs."""

    def steps(self, ctx: StepContext) -> list[Step]:
        return [Step("delete_environment", "Delete the Fuel environment", step_delete_environment,
                     deadline_seconds=3600),
                Step("destroy_vms", "Delete the VMs", step_destroy_vms, deadline_seconds=900)]

    def on_finish(self, ctx: StepContext, *, state: str, error, elapsed: float) -> None:
        from core.mrkdwn import who
        from workflows.texts import duration
        mark = "✅" if state == "succeeded" else "❌"
        ctx.report.parent(f"{mark} Destroy of *{ctx.lab_name}* {state} — job #{ctx.job_id} by {who(ctx.requester)} · "
                          f"{duration(elapsed)}")
        if error is not None:
            ctx.report.say(f"❌ {error}")

    def on_cancel(self, ctx: StepContext) -> None:
        ctx.report.say("🛑 Destroy cancelled; what was deleted so far is listed above.")


class ResetWorkflow(OneShotWorkflow):
    """Fuel's reset of the environment: nodes back to discover, settings kept."""

    kind, title, deadline_seconds = "reset", "Reset", 3600.0

    def run(self, ctx: StepContext) -> None:
        lab = lab_of(ctx)
        api = fuel(ctx, lab)
        cluster = api.find_cluster(lab.environment.name)
        if cluster is None:
            raise StepFailed(f"{lab.name} has no Fuel environment `{lab.environment.name}` to reset.")
        task_id = ctx.data.get("reset_task")
        if task_id is None:
            # After a crash between Fuel's answer and our save, the reset is already running.
            running = [t for t in api.tasks(cluster.id)
                       if t.name is TaskName.RESET_ENVIRONMENT and t.status is TaskStatus.RUNNING]
            task_id = running[0].id if running else api.reset(cluster.id).id
            ctx.data["reset_task"] = task_id
            ctx.save()
        task = api.wait_for_task(task_id, deadline=time.monotonic() + ctx.deps.timeouts.deploy,
                                 poll=ctx.deps.timeouts.poll)
        if task.status is TaskStatus.ERROR:
            raise StepFailed(f"Fuel could not reset `{cluster.name}`: {task.message}")
        ctx.data["headline"] = f"♻️ *{lab.name}* reset: environment `{cluster.name}` is new again, nodes rediscovered"
