"""``/fuel deploy <lab>``: the article, step by step, as a durable job."""
from __future__ import annotations

from core.mrkdwn import who
from jobs.steps import Step, StepContext
from workflows import deploy_fuel as fuel_steps
from workflows import deploy_vsphere as vsphere_steps
from workflows.deps import lab_of
from workflows.health import DEFAULT_TESTSETS, failure_lines, rerun_button, run_tests
from workflows.texts import duration, health_counts

MINUTE, HOUR = 60.0, 3600.0


def step_health(ctx: StepContext) -> None:
    """OSTF sanity and smoke on the freshly deployed environment."""
    if ctx.params.get("skip_health"):
        ctx.report.say("🩺 Health check skipped (`--skip-health`).")
        return
    lab = lab_of(ctx)
    outcome = run_tests(ctx, lab, list(DEFAULT_TESTSETS))
    summary = outcome["summary"]
    ctx.data["health"] = health_counts(summary)
    mark = "✅" if summary["failed"] == 0 else "⚠️"
    lines = [f"{mark} Health check: {health_counts(summary)}"]
    lines += failure_lines(outcome["tests"], {**outcome["comparison"], "first_run": True})
    ctx.report.say("\n".join(lines).replace("{job}", str(ctx.job_id)))


class DeployWorkflow:
    """Preflight → vSphere → Fuel master → VMs → discovery → environment → settings → networks →
    roles → interfaces → verification → deploy changes → follow → health check."""

    def steps(self, ctx: StepContext) -> list[Step]:
        return [
            Step("preflight", "Preflight", vsphere_steps.step_preflight, deadline_seconds=5 * MINUTE),
            Step("portgroups", "vSphere port groups", vsphere_steps.step_portgroups, deadline_seconds=5 * MINUTE),
            Step("fuel_master", "Fuel master", vsphere_steps.step_fuel_master, deadline_seconds=15 * MINUTE),
            Step("create_vms", "Create VMs", vsphere_steps.step_create_vms, deadline_seconds=15 * MINUTE),
            Step("discover", "Node discovery", fuel_steps.step_discover, deadline_seconds=40 * MINUTE),
            Step("environment", "Create environment", fuel_steps.step_environment, deadline_seconds=5 * MINUTE),
            Step("settings", "Settings", fuel_steps.step_settings, deadline_seconds=5 * MINUTE),
            Step("networks", "Network settings", fuel_steps.step_networks, deadline_seconds=5 * MINUTE),
            Step("roles", "Assign roles", fuel_steps.step_roles, deadline_seconds=5 * MINUTE),
            Step("interfaces", "Configure interfaces", fuel_steps.step_interfaces, deadline_seconds=5 * MINUTE),
            Step("verify_networks", "Verify networks", fuel_steps.step_verify, deadline_seconds=20 * MINUTE),
            Step("deploy_changes", "Deploy changes", fuel_steps.step_deploy_changes, deadline_seconds=5 * MINUTE,
                 retries=0),
            Step("follow_deploy", "Deployment", fuel_steps.step_follow_deploy, deadline_seconds=5 * HOUR,
                 retries=30, backoff_seconds=5.0),
            Step("health", "Health check", step_health, deadline_seconds=HOUR),
        ]

    def on_finish(self, ctx: StepContext, *, state: str, error, elapsed: float) -> None:
        lab = None
        try:
            lab = lab_of(ctx)
        except Exception:  # the spec may be what failed; the message still goes out
            pass
        by = f"job #{ctx.job_id} by {who(ctx.requester)} · {duration(elapsed)}"
        if state == "succeeded":
            env = lab.environment if lab else None
            facts = (f" · {env.release} · {env.mode} · {'vCenter' if env.compute == 'vcenter' else env.compute} · "
                     f"{env.network_provider.replace('_', '-')}") if env else ""
            text = f"✅ *{ctx.lab_name}* deployed — {by}{facts}"
            if ctx.data.get("health"):
                text += f"\nHealth: {ctx.data['health']}"
            ctx.report.parent(text, body={"actions": [rerun_button(ctx.lab_name)]})
            return
        step = self._title_of(ctx, error)
        verb = "cancelled" if state == "cancelled" else "failed"
        ctx.report.parent(f"❌ *{ctx.lab_name}* {verb} at *{step}* — {by}",
                          body={"actions": [rerun_button(ctx.lab_name)]} if ctx.data.get("deployed") else {})
        if error is not None:
            ctx.report.say(f"❌ {error}")

    def _title_of(self, ctx: StepContext, error) -> str:
        name = getattr(error, "step", None) or ctx.data.get("_step")
        titles = {s.name: s.title for s in self.steps(ctx)}
        return titles.get(name, name or "start").lower()

    def on_cancel(self, ctx: StepContext) -> None:
        stopped = fuel_steps.stop_running_deploy(ctx)
        if stopped:
            ctx.report.say(f"🛑 Cancel: asked Fuel to stop the deployment ({stopped}). Nodes go back to discover; "
                           "nothing was deleted.")
        else:
            ctx.report.say("🛑 Cancelled at a safe point; what was created so far is kept (see the thread).")
